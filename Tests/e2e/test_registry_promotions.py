"""The promotion saga: a protected alias moves only when governance's decision arrives on
maestro.governance.events, signed by governance's event key (published here with confluent-kafka
and signed by the test, as governance would). A decision that is unsigned, signed by a key
governance does not publish, or altered after signing goes to the DLQ and moves nothing."""
import json
import time
import uuid

import requests

from maestro_api import EventKey, publish_event
from test_bus import consume_until


def api(registry, method, path, body=None, **params):
    url, token = registry
    response = requests.request(method, f"{url}{path}", json=body, params=params,
                                headers={"Authorization": f"Bearer {token()}"}, timeout=10)
    return response


def model_with_version(registry, name):
    assert api(registry, "POST", "/v1/models", {"name": name}).status_code == 201
    assert api(registry, "POST", f"/v1/models/{name}/versions", {"source": "s3://models/saga/1"}).status_code == 201


def request_promotion(registry, name):
    response = api(registry, "PUT", f"/v1/models/{name}/aliases/champion", {"version": 1, "reason": "beats the baseline"})
    assert response.status_code == 202, response.text
    promotion = response.json()
    assert promotion["state"] == "PENDING"
    return promotion["id"]


def publish_decision(brokers, signer, event_type, name, promotion_id, event_id=None, tamper=None, **extra):
    """Governance's decision about the promotion, signed by `signer` (None: unsigned); returns its id."""
    data = {"approval_id": f"approval-{promotion_id[:8]}", "subject": f"models/{name}/aliases/champion",
            "promotion": {"promotion_id": promotion_id, "model_name": name, "version": 1, "alias": "champion"}, **extra}
    attributes = {"source": "/maestro/governance", "type": event_type, "subject": f"models/{name}/aliases/champion", "tenant": "default",
                  "authid": "governance", "dataschema": f"urn:maestro:schema:{event_type}"}
    if event_id:
        attributes["id"] = event_id
    return publish_event(brokers, "maestro.governance.events", f"models/{name}/aliases/champion", attributes, data, signer=signer, tamper=tamper)


def dead_letter(brokers, event_id):
    """The registry's dead letter of the decision with this id."""
    def is_ours(message):
        headers = dict(message.headers())
        return headers.get("maestro_consumer", b"").endswith(b"registry.governance-decisions") and headers.get("ce_id") == event_id.encode()

    return consume_until(brokers, "maestro.dlq", is_ours)


def wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def promotion_state(registry, name, promotion_id):
    promotions = api(registry, "GET", f"/v1/models/{name}/promotions").json()["items"]
    return next(p["state"] for p in promotions if p["id"] == promotion_id)


def test_a_granted_promotion_moves_the_alias_once_even_when_the_grant_is_redelivered(registry, brokers, governance_event_key, unique):
    name = f"e2e-saga-{unique}"
    model_with_version(registry, name)
    promotion_id = request_promotion(registry, name)
    assert api(registry, "GET", f"/v1/models/{name}/aliases/champion").status_code == 404

    grant_id = str(uuid.uuid4())
    for _ in range(2):
        publish_decision(brokers, governance_event_key, "io.maestro.governance.approval.granted.v1", name, promotion_id, event_id=grant_id,
                         approvers=["user:bea"], granted_at="2026-11-26T10:00:00Z")
    wait_for(lambda: api(registry, "GET", f"/v1/models/{name}/aliases/champion").status_code == 200)
    assert api(registry, "GET", f"/v1/models/{name}/aliases/champion").json()["version"] == 1
    assert promotion_state(registry, name, promotion_id) == "COMPLETED"
    # A second grant with a new event id for the same, already completed promotion changes nothing either.
    publish_decision(brokers, governance_event_key, "io.maestro.governance.approval.granted.v1", name, promotion_id,
                     approvers=["user:bea"], granted_at="2026-11-26T10:00:01Z")
    time.sleep(2)
    history = api(registry, "GET", f"/v1/models/{name}/aliases/champion/history").json()["items"]
    assert len(history) == 1
    assert history[0]["promotion_id"] == promotion_id and history[0]["version"] == 1 and history[0]["moved_by"] == "e2e"


def test_a_rejected_promotion_leaves_the_alias_unchanged(registry, brokers, governance_event_key, unique):
    name = f"e2e-reject-{unique}"
    model_with_version(registry, name)
    promotion_id = request_promotion(registry, name)
    publish_decision(brokers, governance_event_key, "io.maestro.governance.approval.rejected.v1", name, promotion_id,
                     comment="card incomplete", rejected_by="user:bea", rejected_at="2026-11-26T10:00:00Z")
    wait_for(lambda: promotion_state(registry, name, promotion_id) == "REJECTED")
    assert api(registry, "GET", f"/v1/models/{name}/aliases/champion").status_code == 404


def test_a_grant_for_an_unknown_promotion_goes_to_the_dlq(registry, brokers, governance_event_key, unique):
    name = f"e2e-unknown-{unique}"
    model_with_version(registry, name)
    unknown = str(uuid.uuid4())
    event_id = publish_decision(brokers, governance_event_key, "io.maestro.governance.approval.granted.v1", name, unknown,
                                approvers=["user:bea"], granted_at="2026-11-26T10:00:00Z")
    headers = dict(dead_letter(brokers, event_id).headers())
    assert headers["maestro_original_topic"] == b"maestro.governance.events"
    assert b"unknown to the registry" in headers["maestro_error"]


def test_forged_grants_go_to_the_dlq_with_the_reason_and_move_nothing(registry, maestro, brokers, governance_event_key, unique):
    name = f"e2e-forged-{unique}"
    model_with_version(registry, name)
    promotion_id = request_promotion(registry, name)
    grant = {"approvers": ["user:bea"], "granted_at": "2026-11-26T10:00:00Z"}
    granted = "io.maestro.governance.approval.granted.v1"

    # With the CLI, as anyone with access to the topic could: unsigned.
    data = {"approval_id": "approval-forged", "subject": f"models/{name}/aliases/champion",
            "promotion": {"promotion_id": promotion_id, "model_name": name, "version": 1, "alias": "champion"}, **grant}
    published = maestro("events", "publish", "maestro.governance.events", "--type", granted, "--subject", f"models/{name}/aliases/champion",
                        "--tenant", "default", "--authid", "governance", "--id", f"forged-{unique}", "--data", json.dumps(data))
    assert published.returncode == 0, published.stderr
    forged = {
        f"forged-{unique}": b"producer not verified: the event is not signed",
        # Signed by a key governance does not publish.
        publish_decision(brokers, EventKey("governance"), granted, name, promotion_id, **grant): b"is not in governance's event key set",
        # Signed by governance's key, then altered: another approver named.
        publish_decision(brokers, governance_event_key, granted, name, promotion_id, tamper={"authid": "mallory"}, **grant):
            b"the signature does not match the event",
    }
    for event_id, reason in forged.items():
        headers = dict(dead_letter(brokers, event_id).headers())
        assert reason in headers["maestro_error"], headers["maestro_error"]
    assert api(registry, "GET", f"/v1/models/{name}/aliases/champion").status_code == 404
    assert promotion_state(registry, name, promotion_id) == "PENDING"

    # The genuine grant still moves the alias.
    publish_decision(brokers, governance_event_key, granted, name, promotion_id, **grant)
    wait_for(lambda: api(registry, "GET", f"/v1/models/{name}/aliases/champion").status_code == 200)
    assert promotion_state(registry, name, promotion_id) == "COMPLETED"
