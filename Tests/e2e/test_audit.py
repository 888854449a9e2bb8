"""The audit log end to end: a governed promotion through the registry and governance is
recorded by maestro-audit from the broker, its model report and the whole log verify offline
with `maestro audit verify`, and a row edited directly in the database is named on the next
verification. Records that are not CloudEvents are kept in the system log."""
import io
import json
import os
from csv import reader as csv_reader
import subprocess
import uuid

import pytest
import requests
from confluent_kafka import Producer

from conftest import _api_key, _free_port, _required, _start
from maestro_api import call, cloudevent_record, principal, token_for, wait_for


@pytest.fixture(scope="module")
def audited(maestro_bin, brokers, tmp_path_factory):
    """maestro-governance, a maestro-registry trusting its tokens, and maestro-audit recording
    every topic, each on its own database; yields (governance, registry, audit URLs, admin key,
    audit database URL, audit public key)."""
    admin_url = _required("MAESTRO_TEST_POSTGRES_ADMIN_URL")
    home = tmp_path_factory.mktemp("audited")
    suffix = uuid.uuid4().hex[:8]
    governance_port = _free_port()
    common = {"MAESTRO_REDIS_URL": _required("MAESTRO_REDIS_URL"), "MAESTRO_KAFKA_BROKERS": brokers, "MAESTRO_LOG_LEVEL": "warning",
              "MAESTRO_RATE_LIMIT_RPS": "10000", "MAESTRO_RATE_LIMIT_BURST": "10000", "MAESTRO_CONSUMER_GROUP_PREFIX": f"e2e-{suffix}-",
              "MAESTRO_GOVERNANCE_ISSUER": f"http://127.0.0.1:{governance_port}"}
    account_keys = {"registry": _api_key(), "audit": _api_key()}
    urls = {}
    for service in ("governance", "registry", "audit"):
        subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE e2e_{service}_{suffix}"], check=True, capture_output=True)
        urls[service] = admin_url.rsplit("/", 1)[0] + f"/e2e_{service}_{suffix}?sslmode=disable"
    admin_key = _api_key()
    directory = os.path.dirname(maestro_bin)
    started = []
    try:
        governance, governance_url, log = _start(os.path.join(directory, "maestro-governance"), {
            **common, "MAESTRO_POSTGRES_URL": urls["governance"], "MAESTRO_BOOTSTRAP_ADMIN_KEY": admin_key,
            "MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS": ",".join(f"{name}={key}" for name, key in account_keys.items())},
            home, "governance", governance_port)
        started.append((governance, log))
        jwks = {"MAESTRO_JWKS_URL": f"{governance_url}/.well-known/jwks.json", "MAESTRO_JWKS_FILE": None}
        registry, registry_url, log = _start(os.path.join(directory, "maestro-registry"), {
            **common, **jwks, "MAESTRO_POSTGRES_URL": urls["registry"], "MAESTRO_SERVICE_ACCOUNT_KEY": account_keys["registry"]}, home, "registry")
        started.append((registry, log))
        audit, audit_url, log = _start(os.path.join(directory, "maestro-audit"), {
            **common, **jwks, "MAESTRO_POSTGRES_URL": urls["audit"], "MAESTRO_AUDIT_SIGNING_KEY_FILE": str(home / "audit-signing.key"),
            "MAESTRO_AUDIT_CHECKPOINT_SECONDS": "1", "MAESTRO_AUDIT_CHECKPOINT_ENTRIES": "5",
            "MAESTRO_SERVICE_ACCOUNT_KEY": account_keys["audit"]}, home, "audit")
        started.append((audit, log))
    except BaseException:
        for process, _ in started:
            process.kill()  # never leave a member in the broker's consumer groups behind
        raise
    key = requests.get(f"{audit_url}/v1/audit/public-keys", timeout=10).json()["keys"][0]["public_key"]
    yield governance_url, registry_url, audit_url, admin_key, urls["audit"], key
    for process, log_path in reversed(started):
        process.terminate()
        assert process.wait(timeout=60) == 0, log_path.read_text()[-2000:]


def test_records_that_are_not_cloudevents_are_kept_in_the_system_log(audited, brokers, unique):
    governance, _, audit, admin_key, _, _ = audited
    admin = token_for(governance, admin_key)
    producer = Producer({"bootstrap.servers": brokers})
    marker = f"e2e.garbage.{unique}"
    producer.produce("maestro.ingest.usage", key=b"gpu-1", value=b"\xff not json", headers=[("ce_type", marker.encode())])
    # A valid CloudEvent of another tenant goes to that tenant's log, which the default tenant cannot read.
    headers, body = cloudevent_record({"type": "io.maestro.ingest.usage.recorded.v1", "source": "/e2e", "subject": "gpu-1", "tenant": f"t{unique}",
                                       "datacontenttype": "application/json"}, {"n": 1})
    producer.produce("maestro.ingest.usage", key=b"gpu-1", value=body, headers=headers)
    producer.flush(10)
    raw = wait_for(lambda: call(audit, "GET", "/v1/audit/entries", admin, log="_system", type=marker).json()["items"])
    entry = json.loads(raw[0]["entry"])
    assert raw[0]["kind"] == "raw" and entry["kind"] == "raw" and entry["error"]
    assert len(entry["record"]["value_sha256"]) == 64 and entry["record"]["value_size"] == len(b"\xff not json")
    assert call(audit, "GET", "/v1/audit/entries", admin, log=f"t{unique}").status_code == 404
    assert call(audit, "GET", "/v1/audit/entries").status_code == 401


def test_a_promotion_is_recorded_reported_and_verified_offline_and_tampering_is_named(audited, maestro, tmp_path, unique):
    governance, registry, audit, admin_key, audit_database, public_key = audited
    admin = token_for(governance, admin_key)
    ana = principal(governance, admin, f"ana-{unique}", ["editor", "approver"])
    bea = principal(governance, admin, f"bea-{unique}", ["approver"])
    policy = {"required_approvals": 1, "distinct_approvers": True, "approver_role": "approver", "separation_of_duties": True,
              "expires_after_seconds": 3600, "min_card_completeness": 0.25,
              "metric_thresholds": [{"metric": "auc", "comparison": ">=", "value": 0.9}],
              "require_signature": False, "require_no_open_drift_alert": False, "require_within_budget": False}
    assert call(governance, "PUT", f"/v1/models/fraud-{unique}/policy", admin, policy).status_code == 200
    model = f"fraud-{unique}"
    assert call(registry, "POST", "/v1/models", ana, {"name": model}).status_code == 201
    assert call(registry, "POST", f"/v1/models/{model}/versions", ana, {"source": "s3://models/fraud/1", "metrics": {"auc": 0.93}}).status_code == 201
    assert call(registry, "PUT", f"/v1/models/{model}/versions/1/card", ana, {"overview": "Scores fraud", "intended_use": "Card payments"}).status_code == 200
    promotion = call(registry, "PUT", f"/v1/models/{model}/aliases/champion", ana, {"version": 1, "reason": "beats the baseline"})
    assert promotion.status_code == 202, promotion.text
    subject = f"models/{model}/aliases/champion"
    approval = wait_for(lambda: (call(governance, "GET", "/v1/approvals", admin, subject=subject).json()["items"] or [None])[0])

    # A grant forged with the CLI while the request is pending: the registry refuses it (dead
    # letter), the alias stays, and audit records it as unverified.
    forged = {"approval_id": approval["id"], "subject": subject, "approvers": ["user:mallory"], "granted_at": "2026-12-06T10:00:00Z",
              "promotion": {"promotion_id": promotion.json()["id"], "model_name": model, "version": 1, "alias": "champion"}}
    published = maestro("events", "publish", "maestro.governance.events", "--type", "io.maestro.governance.approval.granted.v1",
                        "--subject", subject, "--tenant", "default", "--authid", "governance", "--source", "/maestro/governance",
                        "--id", f"forged-{unique}", "--data", json.dumps(forged))
    assert published.returncode == 0, published.stderr
    wait_for(lambda: call(audit, "GET", "/v1/audit/entries", admin, subject=subject, type="io.maestro.governance.approval.granted.v1").json()["items"])
    assert call(registry, "GET", f"/v1/models/{model}/aliases/champion", ana).status_code == 404

    assert call(governance, "POST", f"/v1/approvals/{approval['id']}/decisions", bea, {"approve": True, "comment": "ok"}).status_code == 200

    # The whole timeline reaches the audit log from the broker.
    steps = {"registration", "version", "model card", "promotion", "check", "approval", "alias move"}
    report = wait_for(lambda: (lambda r: r if steps <= {e["category"] for e in r["entries"]}
                               and "io.maestro.registry.promotion.completed.v1" in {e["type"] for e in r["entries"]} else None)(
        call(audit, "GET", f"/v1/audit/reports/models/{model}", ana).json()))
    assert [e["index"] for e in report["entries"]] == sorted(e["index"] for e in report["entries"])
    assert all(e["subject"] == f"models/{model}" or e["subject"].startswith(f"models/{model}/") for e in report["entries"])
    report_file = tmp_path / "report.json"
    report_file.write_text(json.dumps(report))
    checked = maestro("audit", "verify", "--report", str(report_file), "--public-key", public_key)
    assert checked.returncode == 0, checked.stderr
    markdown = call(audit, "GET", f"/v1/audit/reports/models/{model}", ana, format="markdown")
    assert markdown.headers["content-type"].startswith("text/markdown") and f"models/{model}/aliases/champion" in markdown.text

    # Each step names the producer whose signature verified; the forged grant is plainly unverified.
    # (Each consumer that refused the forged grant also dead-lettered it; those copies are entries of their own.)
    grants = [e for e in report["entries"] if e["type"] == "io.maestro.governance.approval.granted.v1" and json.loads(e["entry"])["kind"] == "event"]
    dead_letters = [json.loads(e["entry"]) for e in report["entries"] if json.loads(e["entry"])["kind"] == "dead_letter"]
    assert any(d["dead_letter"]["consumer"].endswith("registry.governance-decisions") and "not signed" in d["dead_letter"]["error"]
               for d in dead_letters), dead_letters
    assert sorted((e["verified"], e.get("producer"), e["provenance"]) for e in grants) == [(False, None, "unsigned"), (True, "governance", "verified")]
    by_type = {e["type"]: e for e in report["entries"] if e["verified"]}
    assert by_type["io.maestro.registry.alias.moved.v1"]["producer"] == "registry"
    assert by_type["io.maestro.registry.promotion.requested.v1"]["producer"] == "registry"
    assert all(e["verified"] for e in report["entries"] if e not in grants and json.loads(e["entry"])["kind"] == "event")
    forged_row = next(line for line in markdown.text.splitlines() if "UNVERIFIED" in line)
    assert "io.maestro.governance.approval.granted.v1" in forged_row and "UNVERIFIED: unsigned" in forged_row
    assert "governance (verified)" in markdown.text
    csv = call(audit, "GET", f"/v1/audit/reports/models/{model}", ana, format="csv")
    assert csv.headers["content-type"].startswith("text/csv")
    rows = list(csv_reader(io.StringIO(csv.text)))
    assert rows[0][6:8] == ["producer", "provenance"]
    assert ("governance", "verified") in [(row[6], row[7]) for row in rows[1:] if row[3] == "io.maestro.governance.approval.granted.v1"]
    assert ("", "unsigned") in [(row[6], row[7]) for row in rows[1:] if row[3] == "io.maestro.governance.approval.granted.v1"]

    # The auditor's check of the whole log, against the pinned public key.
    key_file = tmp_path / "audit.pub"
    key_file.write_text(public_key)
    env_token = {**os.environ, "MAESTRO_TOKEN": admin}
    run = lambda *args: subprocess.run([os.environ["MAESTRO_BIN"], "audit", "verify", *args], capture_output=True, text=True, timeout=120, env=env_token)
    intact = run("--url", audit, "--public-key", str(key_file))
    assert intact.returncode == 0 and "intact" in intact.stdout, intact.stderr
    export = call(audit, "GET", "/v1/audit/export", admin)
    assert export.headers["content-type"].startswith("application/x-ndjson")
    lines = [line for line in export.text.split("\n") if line]  # NDJSON: only \n ends a line (text may hold U+2028)
    assert json.loads(lines[0])["kind"] == "head"

    # An edited copy of the export fails, naming the entry.
    alias_moved = next(e for e in report["entries"] if e["type"] == "io.maestro.registry.alias.moved.v1")
    target = alias_moved["index"]
    def edit(line):
        record = json.loads(line)
        if record["kind"] == "entry" and record["index"] == target:
            record["entry"] = record["entry"].replace('"version":1', '"version":2')
            return json.dumps(record)
        return line
    edited = [edit(line) for line in lines]
    assert edited != lines
    (tmp_path / "edited.ndjson").write_text("\n".join(edited) + "\n")
    failed = run("--export", str(tmp_path / "edited.ndjson"), "--public-key", public_key)
    assert failed.returncode == 1 and f"entry {target}:" in failed.stderr, failed.stdout + failed.stderr

    # The same edit made in the database by its owner, who switches the append-only trigger off first.
    sql = (f"ALTER TABLE audit.entries DISABLE TRIGGER USER; "
           f"UPDATE audit.entries SET entry = replace(entry, '\"version\":1', '\"version\":2') WHERE log_id = 'default' AND idx = {target}; "
           f"ALTER TABLE audit.entries ENABLE TRIGGER USER;")
    subprocess.run(["psql", audit_database, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True, capture_output=True)
    refused = subprocess.run(["psql", audit_database, "-qc", f"DELETE FROM audit.entries WHERE idx = {target}"], capture_output=True, text=True)
    assert refused.returncode != 0 and "append-only" in refused.stderr
    tampered = run("--url", audit, "--public-key", public_key)
    assert tampered.returncode == 1 and f"entry {target}:" in tampered.stderr, tampered.stdout + tampered.stderr
