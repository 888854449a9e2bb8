"""Every service's OpenAPI document against the running service, by Schemathesis (PyPI): the
examples in each document, then generated requests (a fixed seed and a bounded number per
operation), each sent as a tenant's admin and as the platform admin. No answer may be a 5xx,
every status must be one its operation documents, and every answer must match the schema
documented for it.

Governance's operations that would revoke the caller's own standing (disabling a principal,
removing a role, revoking a key) are left out: generated ids could name the caller itself,
whose token then stops working for the rest of the run. `Tests/GovernanceTests` covers their
bad input."""
import os
import subprocess
import sys
import uuid

import pytest

from maestro_api import call, token_for

SEED = "20261206"
EXAMPLES = "15"
SELF_REVOKING = ["disablePrincipal", "unbindRole", "revokeAPIKey"]
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


@pytest.fixture(scope="module")
def callers(services, unique_tenant):
    """(name, governance token) for the platform admin and for a new tenant's admin."""
    platform = token_for(services.governance, services.admin_key)
    created = call(services.governance, "POST", "/v1/tenants", platform, {"id": unique_tenant})
    assert created.status_code == 201, created.text
    made = call(services.governance, "POST", "/v1/principals", platform, {"name": "fuzz-admin", "roles": ["admin"], "tenant": unique_tenant})
    assert made.status_code == 201, made.text
    key = call(services.governance, "POST", "/v1/api-keys", platform, {"principal_id": made.json()["id"], "tenant": unique_tenant})
    assert key.status_code == 201, key.text
    tenant_admin = token_for(services.governance, key.json()["api_key"])
    return [("platform admin", platform), ("tenant admin", tenant_admin)]


@pytest.fixture(scope="module")
def unique_tenant():
    return f"fuzz-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("service", ["registry", "governance", "audit"])
def test_the_service_answers_as_its_openapi_document_says(services, callers, service, tmp_path):
    url = getattr(services, service)
    document = os.path.join(ROOT, "Services", service, "openapi.yaml")
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    for caller, token in callers:
        # A fresh token per run: a generated request may legitimately end the previous one's standing.
        command = [schemathesis, "run", document, "--url", url, "-H", f"Authorization: Bearer {token}",
                   "--seed", SEED, "--max-examples", EXAMPLES, "--phases", "examples,fuzzing",
                   "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance", "--no-color",
                   "--report", "junit", "--report-dir", str(tmp_path / caller.replace(" ", "-"))]
        if service == "governance":
            for operation in SELF_REVOKING:
                command += ["--exclude-operation-id", operation]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert result.returncode == 0, f"{service} as {caller}:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
