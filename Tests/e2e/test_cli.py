"""The maestro tool's everyday commands against governance and the registry: sign-in kept in a
private profile and refreshed, identities, policies, a promotion followed until it is decided,
and errors as one line with a non-zero exit."""
import json
import os
import re
import stat
import subprocess
import time

import pytest
import requests


@pytest.fixture(scope="module")
def cli(maestro_bin, governed, tmp_path_factory):
    governance_url, registry_url, admin_key = governed
    home = tmp_path_factory.mktemp("cli")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MAESTRO_")}
    environment.update({"MAESTRO_CONFIG_DIR": str(home / "config"), "MAESTRO_GOVERNANCE_URL": governance_url, "MAESTRO_REGISTRY_URL": registry_url})

    def run(*args, key=None, check=True, timeout=60):
        env = dict(environment, **({"MAESTRO_API_KEY": key} if key else {}))
        result = subprocess.run([maestro_bin, *args], capture_output=True, text=True, env=env, timeout=timeout)
        if check:
            assert result.returncode == 0, f"maestro {' '.join(args)}: {result.stdout}{result.stderr}"
        return result

    def start(*args):
        return subprocess.Popen([maestro_bin, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)

    run("login", key=admin_key)
    return run, start, home, registry_url


def test_login_keeps_a_private_profile_and_refreshes_its_token(cli):
    run, _, home, _ = cli
    profile = home / "config" / "profiles" / "default.json"
    assert stat.S_IMODE(os.stat(profile).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(profile.parent).st_mode) == 0o700
    assert run("whoami").stdout.strip() == "admin (tenant default, roles admin)"

    # A token with less than a minute left is exchanged again with the kept key, and the new one is kept.
    kept = json.loads(profile.read_text())
    kept["expires_at"] = "2020-01-01T00:00:00Z"
    profile.write_text(json.dumps(kept))
    fresh = run("token").stdout.strip()
    assert fresh != kept["access_token"] and fresh.count(".") == 2
    assert json.loads(profile.read_text())["access_token"] == fresh
    assert json.loads(profile.read_text())["lifetime_seconds"] == kept["lifetime_seconds"] == 3600
    assert stat.S_IMODE(os.stat(profile).st_mode) == 0o600


def test_errors_are_one_line_and_exit_1(cli):
    run, _, _, _ = cli
    wrong = run("login", "--profile", "wrong", key="mk_000000000000_" + "A" * 43, check=False)
    assert wrong.returncode == 1 and wrong.stdout == ""
    assert len(wrong.stderr.strip().splitlines()) == 1 and "(HTTP 401 from POST /v1/tokens)" in wrong.stderr
    missing = run("whoami", "--profile", "nobody", check=False)
    assert missing.returncode == 1 and "not signed in as profile 'nobody'" in missing.stderr
    unknown = run("models", "show", "no-such-model", check=False)
    assert unknown.returncode == 1 and "(HTTP 404 from GET /v1/models/no-such-model)" in unknown.stderr


def test_principals_and_keys_are_created_listed_revoked_and_disabled(cli):
    run, _, _, _ = cli
    run("principals", "create", "dora", "--role", "viewer")
    assert "dora" in run("principals", "list").stdout
    key = run("keys", "create", "--principal", "dora", "--name", "laptop").stdout.strip()
    assert key.startswith("mk_")
    assert run("login", "--profile", "dora", key=key).stdout.startswith("signed in as dora (tenant default, roles viewer)")
    keys = json.loads(run("keys", "list", "--json").stdout)["items"]
    key_id = next(item["id"] for item in keys if item["name"] == "laptop" and item["prefix"] == key.split("_")[1])
    run("keys", "revoke", key_id)
    assert run("login", "--profile", "dora", key=key, check=False).returncode == 1

    second = run("keys", "create", "--principal", "dora", "--name", "desk").stdout.strip()
    run("principals", "disable", "dora")
    refused = run("login", "--profile", "dora", key=second, check=False)
    assert refused.returncode == 1 and "HTTP 401" in refused.stderr


def wait_for_line(process, text, timeout=30):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"no {text!r} in: {''.join(seen)}")


def test_promote_follows_the_promotion_until_it_is_decided(cli, tmp_path):
    run, start, _, registry_url = cli
    for name, role in (("rosa", "editor"), ("ivo", "approver")):
        run("principals", "create", name, "--role", role)
        run("login", "--profile", name, key=run("keys", "create", "--principal", name, "--name", "k").stdout.strip())
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"required_approvals": 1, "distinct_approvers": True, "approver_role": "approver", "separation_of_duties": True,
                                  "expires_after_seconds": 3600, "metric_thresholds": [], "require_signature": False,
                                  "require_no_open_drift_alert": False, "require_within_budget": False}))
    assert "revision" in run("policy", "set", str(policy), "--model", "cli-model").stdout
    assert re.search(r"^required_approvals +1$", run("policy", "get", "--model", "cli-model").stdout, re.M)

    token = run("token", "--profile", "rosa").stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.post(f"{registry_url}/v1/models", json={"name": "cli-model"}, headers=headers, timeout=10).status_code == 201
    for number in (1, 2):
        assert requests.post(f"{registry_url}/v1/models/cli-model/versions", json={"source": f"s3://m/{number}"}, headers=headers,
                             timeout=10).status_code == 201

    # Followed until granted: exit 0 once the alias moved.
    promote = start("promote", "cli-model", "champion", "1", "--profile", "rosa", "--reason", "first")
    shown = wait_for_line(promote, "waiting for the decision")
    assert "waits for approval in governance" in shown and "AWAITING_APPROVAL" in shown
    pending = json.loads(run("approvals", "list", "--state", "PENDING", "--subject", "models/cli-model/aliases/champion", "--json").stdout)["items"]
    assert len(pending) == 1
    assert "the request is APPROVED" in run("approvals", "approve", pending[0]["id"], "--profile", "ivo", "--no-wait").stdout
    rest, _ = promote.communicate(timeout=60)
    assert promote.returncode == 0, rest
    assert "COMPLETED: champion of cli-model now points to version 1" in rest
    assert "champion=1" in run("models", "show", "cli-model").stdout

    # Followed until rejected: exit 1 naming the outcome and the reviewer's words.
    promote = start("promote", "cli-model", "champion", "2", "--profile", "rosa")
    wait_for_line(promote, "waiting for the decision")
    pending = json.loads(run("approvals", "list", "--state", "PENDING", "--subject", "models/cli-model/aliases/champion", "--json").stdout)["items"]
    shown = run("approvals", "show", pending[0]["id"]).stdout
    assert "models/cli-model/aliases/champion" in shown and "AWAITING_APPROVAL" in shown
    run("approvals", "reject", pending[0]["id"], "--profile", "ivo", "--comment", "not yet")
    rest, _ = promote.communicate(timeout=60)
    assert promote.returncode == 1, rest
    assert "ended REJECTED: not yet; champion did not move" in rest
    assert "champion=1" in run("models", "show", "cli-model").stdout

    # Cancelled by its requester: the registry closes the promotion as CANCELLED.
    promote = start("promote", "cli-model", "champion", "2", "--profile", "rosa")
    wait_for_line(promote, "waiting for the decision")
    pending = json.loads(run("approvals", "list", "--state", "PENDING", "--subject", "models/cli-model/aliases/champion", "--json").stdout)["items"]
    assert "the request is CANCELLED" in run("approvals", "cancel", pending[0]["id"], "--profile", "rosa", "--reason", "superseded").stdout
    rest, _ = promote.communicate(timeout=60)
    assert promote.returncode == 1 and "ended CANCELLED: superseded" in rest, rest
