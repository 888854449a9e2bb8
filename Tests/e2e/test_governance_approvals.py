"""Governance gating the registry's promotions, across the two services and the broker:
promotion requested -> checks recorded -> two distinct approvals -> alias moved, with the
whole chain on one correlation id; a failing check blocks approval; self-approval is refused."""
from maestro_api import call, chain, setup, wait_for


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
