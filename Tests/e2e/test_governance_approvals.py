"""Governance gating the registry's promotions, across the two services and the broker:
promotion requested -> checks recorded -> two distinct approvals -> alias moved, with the
whole chain on one correlation id; a failing check blocks approval; self-approval is refused."""
import json
import time

from confluent_kafka import Consumer

from maestro_api import call, principal, read_cloudevent, token_for, wait_for


CHAIN = ["io.maestro.registry.promotion.requested.v1", "io.maestro.governance.approval.requested.v1",
         "io.maestro.governance.approval.check_evaluated.v1", "io.maestro.governance.approval.decision_recorded.v1",
         "io.maestro.governance.approval.granted.v1", "io.maestro.registry.alias.moved.v1", "io.maestro.registry.promotion.completed.v1"]


def chain(brokers, promotion_id, timeout=60):
    """The events on the registry and governance topics in the chain the promotion started,
    once every type of a granted promotion's chain and both decisions have arrived (the two
    topics are read in no particular order between them)."""
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"e2e-chain-{time.time_ns()}", "auto.offset.reset": "earliest"})
    consumer.subscribe(["maestro.registry.events", "maestro.governance.events"])
    seen, correlation, deadline = [], None, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            event = read_cloudevent(message)
            seen.append(event)
            if event["type"] == "io.maestro.registry.promotion.requested.v1" and event.data["promotion_id"] == promotion_id:
                correlation = event["correlationid"]
            ours = [e for e in seen if correlation and e.get("correlationid") == correlation]
            types = [e["type"] for e in ours]
            if set(types) >= set(CHAIN) and types.count("io.maestro.governance.approval.decision_recorded.v1") == 2:
                return ours
    finally:
        consumer.close()
    raise AssertionError(f"the chain of promotion {promotion_id} did not complete")


def setup(governed, unique, signature=True):
    governance, registry, admin_key = governed
    admin = token_for(governance, admin_key)
    ana = principal(governance, admin, f"ana-{unique}", ["editor", "approver"])
    bea = principal(governance, admin, f"bea-{unique}", ["approver"])
    carl = principal(governance, admin, f"carl-{unique}", ["approver"])
    policy = {"required_approvals": 2, "distinct_approvers": True, "approver_role": "approver", "separation_of_duties": True,
              "expires_after_seconds": 3600, "min_card_completeness": 0.25,
              "metric_thresholds": [{"metric": "auc", "comparison": ">=", "value": 0.9}],
              "require_signature": True, "require_no_open_drift_alert": True, "require_within_budget": True}
    assert call(governance, "PUT", "/v1/policy", admin, policy).status_code == 200
    model = f"gated-{unique}"
    assert call(registry, "POST", "/v1/models", ana, {"name": model}).status_code == 201
    version = {"source": "s3://models/gated/1", "metrics": {"auc": 0.93}}
    if signature:
        version["signature"] = {"inputs": json.dumps([{"type": "double", "name": "amount"}])}
    assert call(registry, "POST", f"/v1/models/{model}/versions", ana, version).status_code == 201
    card = call(registry, "PUT", f"/v1/models/{model}/versions/1/card", ana, {"overview": "Scores fraud", "intended_use": "Card payments"})
    assert card.status_code == 200, card.text
    promotion = call(registry, "PUT", f"/v1/models/{model}/aliases/champion", ana, {"version": 1, "reason": "beats the baseline"})
    assert promotion.status_code == 202, promotion.text
    subject = f"models/{model}/aliases/champion"
    approval = wait_for(lambda: (call(governance, "GET", f"/v1/approvals?subject={subject}", admin).json()["items"] or [None])[0])
    return governance, registry, admin, ana, bea, carl, model, promotion.json()["id"], approval["id"]


def test_two_distinct_approvals_move_the_alias_with_one_correlation_id(governed, brokers, unique):
    governance, registry, admin, ana, bea, carl, model, promotion_id, approval_id = setup(governed, unique)
    detail = call(governance, "GET", f"/v1/approvals/{approval_id}", admin).json()
    assert detail["state"] == "PENDING" and detail["required_approvals"] == 2
    assert [c["passed"] for c in detail["checks"]] == [True] * len(detail["checks"])
    assert {c["name"] for c in detail["checks"]} >= {"card_completeness", "metric:auc>=0.9", "signature_present"}
    assert next(c for c in detail["checks"] if c["name"] == "no_open_drift_alert")["reason"] == "no data"

    own = call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", ana, {"approve": True})
    assert own.status_code == 403 and "separation of duties" in own.json()["detail"].lower()
    first = call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", bea, {"approve": True, "comment": "metrics ok"})
    assert first.status_code == 200 and first.json()["state"] == "PENDING" and first.json()["approvals"] == 1
    again = call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", bea, {"approve": True})
    assert again.status_code == 409
    assert call(registry, "GET", f"/v1/models/{model}/aliases/champion", ana).status_code == 404
    second = call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", carl, {"approve": True, "comment": "card ok"})
    assert second.status_code == 200 and second.json()["state"] == "APPROVED"

    moved = wait_for(lambda: call(registry, "GET", f"/v1/models/{model}/aliases/champion", ana).status_code == 200)
    assert moved
    history = call(registry, "GET", f"/v1/models/{model}/aliases/champion/history", ana).json()["items"]
    assert history[0]["promotion_id"] == promotion_id and history[0]["moved_by"] == f"ana-{unique}"

    assert call(registry, "GET", f"/v1/models/{model}/promotions", ana).json()["items"][0]["state"] == "COMPLETED"
    events = chain(brokers, promotion_id)
    assert len({event["correlationid"] for event in events}) == 1
    granted = next(event for event in events if event["type"] == "io.maestro.governance.approval.granted.v1")
    assert sorted(granted.data["approvers"]) == sorted([f"bea-{unique}", f"carl-{unique}"])


def test_a_failing_check_blocks_approval(governed, unique):
    governance, registry, admin, ana, bea, carl, model, promotion_id, approval_id = setup(governed, unique, signature=False)
    detail = call(governance, "GET", f"/v1/approvals/{approval_id}", admin).json()
    assert [c["name"] for c in detail["checks"] if not c["passed"]] == ["signature_present"]
    discussed = call(governance, "POST", f"/v1/approvals/{approval_id}/comments", ana, {"comment": "signature coming in v2"})
    assert discussed.status_code == 201 and [c["comment"] for c in discussed.json()["items"]] == ["signature coming in v2"]
    assert call(governance, "GET", f"/v1/approvals/{approval_id}", admin).json()["state"] == "PENDING"
    blocked = call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", bea, {"approve": True})
    assert blocked.status_code == 409 and "signature_present" in blocked.json()["detail"]
    rejected = call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", bea, {"approve": False, "comment": "sign it"})
    assert rejected.json()["state"] == "REJECTED"
    wait_for(lambda: call(registry, "GET", f"/v1/models/{model}/promotions", ana).json()["items"][0]["state"] == "REJECTED")
    assert call(registry, "GET", f"/v1/models/{model}/aliases/champion", ana).status_code == 404
