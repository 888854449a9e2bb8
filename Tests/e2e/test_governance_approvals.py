"""Governance gating the registry's promotions, across the two services and the broker:
promotion requested -> checks recorded -> two distinct approvals -> alias moved, with the
whole chain on one correlation id; a failing check blocks approval; self-approval is refused."""
from maestro_api import call, chain, setup, wait_for


def test_two_distinct_approvals_move_the_alias_with_one_correlation_id(governed, brokers, unique):
    governance, registry, admin, ana, bea, carl, model, promotion_id, approval_id = setup(governed, unique)
    detail = call(governance, "GET", f"/v1/approvals/{approval_id}", admin).json()
    assert detail["state"] == "PENDING" and detail["required_approvals"] == 2
    assert [c["passed"] for c in detail["checks"]] == [True] * len(detail["checks"])
    assert {c["name"] for c in detail["checks"]} >= {"card_completeness", "metric:auc>=0.9", "model_signature_present"}
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
    assert [c["name"] for c in detail["checks"] if not c["passed"]] == ["model_signature_present"]
    discussed = call(governance, "POST", f"/v1/approvals/{approval_id}/comments", ana, {"comment": "signature coming in v2"})
    assert discussed.status_code == 201 and [c["comment"] for c in discussed.json()["items"]] == ["signature coming in v2"]
    assert call(governance, "GET", f"/v1/approvals/{approval_id}", admin).json()["state"] == "PENDING"
    blocked = call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", bea, {"approve": True})
    assert blocked.status_code == 409 and "signature_present" in blocked.json()["detail"]
    rejected = call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", bea, {"approve": False, "comment": "sign it"})
    assert rejected.json()["state"] == "REJECTED"
    wait_for(lambda: call(registry, "GET", f"/v1/models/{model}/promotions", ana).json()["items"][0]["state"] == "REJECTED")
    assert call(registry, "GET", f"/v1/models/{model}/aliases/champion", ana).status_code == 404


def test_mlflow_production_stage_goes_through_the_same_approval(governed, unique, monkeypatch):
    """MLflow's `transition_model_version_stage(..., "Production")` does not skip governance:
    the client raises PERMISSION_DENIED naming the pending promotion, governance opens the
    request with the version's facts, and once approved `models:/<name>/Production`
    resolves to the version, the one that was there before archived."""
    from mlflow import MlflowClient
    from mlflow.exceptions import RestException

    from maestro_api import principal, token_for

    governance, registry, admin_key = governed
    admin = token_for(governance, admin_key)
    ana = principal(governance, admin, f"sana-{unique}", ["editor", "approver"])
    bea = principal(governance, admin, f"sbea-{unique}", ["approver"])
    carl = principal(governance, admin, f"scarl-{unique}", ["approver"])
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", ana)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    client = MlflowClient(tracking_uri=registry, registry_uri=registry)
    name = f"staged-{unique}"
    client.create_registered_model(name)
    # Versions that meet any policy of this module: metrics, a signature, a model card.
    for index in (1, 2):
        version = {"source": f"s3://models/staged/{index}", "metrics": {"auc": 0.95},
                   "signature": {"inputs": '[{"type": "double", "name": "amount"}]'}}
        assert call(registry, "POST", f"/v1/models/{name}/versions", ana, version).status_code == 201
        card = {"overview": "Scores fraud", "intended_use": "Card payments"}
        assert call(registry, "PUT", f"/v1/models/{name}/versions/{index}/card", ana, card).status_code == 200
    # Version 1 reached Production earlier, while the stage was not governed.
    assert call(registry, "PATCH", f"/v1/models/{name}", admin, {"protected_stages": []}).status_code == 200
    client.transition_model_version_stage(name, "1", "Production")
    assert call(registry, "PATCH", f"/v1/models/{name}", admin, {"protected_stages": ["Production"]}).status_code == 200

    try:
        client.transition_model_version_stage(name, "2", "Production", archive_existing_versions=True)
        raise AssertionError("the transition to Production answered success")
    except RestException as refused:
        assert refused.error_code == "PERMISSION_DENIED"
        message = str(refused)
    promotion = call(registry, "GET", f"/v1/models/{name}/promotions", ana).json()["items"][0]
    assert promotion["stage"] == "Production" and promotion["alias"] == "production" and promotion["state"] == "PENDING"
    assert "Approval required: Stage 'Production'" in message and promotion["id"] in message, message
    assert client.get_model_version(name, "2").current_stage == "None"
    assert [v.version for v in client.get_latest_versions(name, stages=["Production"])] == ["1"]

    subject = f"models/{name}/aliases/production"
    approval = wait_for(lambda: (call(governance, "GET", f"/v1/approvals?subject={subject}", admin).json()["items"] or [None])[0])
    for approver in (bea, carl):  # as many approvals as the tenant's policy asks for
        decided = call(governance, "POST", f"/v1/approvals/{approval['id']}/decisions", approver, {"approve": True})
        assert decided.status_code == 200, decided.text
        if decided.json()["state"] == "APPROVED":
            break
    wait_for(lambda: client.get_model_version(name, "2").current_stage == "Production")
    assert client.get_model_version(name, "1").current_stage == "Archived"
    assert [v.version for v in client.get_latest_versions(name, stages=["Production"])] == ["2"]
    assert client.get_model_version_by_alias(name, "production").version == "2"
    # Leaving Production again takes an admin.
    try:
        client.transition_model_version_stage(name, "2", "Archived")
        raise AssertionError("an editor took the version out of Production")
    except RestException as refused:
        assert refused.error_code == "PERMISSION_DENIED"
