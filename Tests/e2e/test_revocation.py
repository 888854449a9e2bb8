"""Revocations taking effect across services before tokens expire: governance announces a
disabled principal, a removed role binding or a revoked API key on the broker, and from then
on the registry, governance and audit refuse (401) every token issued for that principal or
that key up to the revocation. Audit runs on a Redis database of its own, so its refusal is
its own consumer's doing. Every poll runs every 50 ms for at most 15 s; each latency, from
the revoking call's answer to a service's first refusal, is printed and kept in `LATENCIES`."""
import time

import pytest
import requests

from maestro_api import another_key, call, claims, service_account, setup, token_for

REVOKED = "The bearer token has been revoked."
POLL_BOUND = 15.0  # seconds; a bound for the poll, not a timing target
POLL_INTERVAL = 0.05
# (test, service, seconds from the revoking call's answer to the service's first 401)
LATENCIES: list[tuple[str, str, float]] = []

@pytest.fixture(scope="module")
def admin(services):
    return token_for(services.governance, services.admin_key)


def oauth_token(governance, account):
    """A client-credentials token from `POST /oauth/token`, the client authenticating with HTTP Basic."""
    response = requests.post(f"{governance}/oauth/token", data={"grant_type": "client_credentials"},
                             auth=(account.client_id, account.api_key), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def assert_revoked(response):
    assert response.status_code == 401, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    assert response.headers.get("www-authenticate") == "Bearer", response.headers
    problem = response.json()
    assert problem["type"] == "urn:maestro:problem:unauthorized" and problem["detail"] == REVOKED, problem


def first_refusal(test, service, url, path, token, since):
    """Polls `GET path` with `token` until it is refused as revoked; every answer before that
    must be 200. Records and returns the seconds from `since` (a `time.monotonic()`) to it."""
    while True:
        response = call(url, "GET", path, token)
        elapsed = time.monotonic() - since
        if response.status_code != 200:
            assert_revoked(response)
            break
        assert elapsed < POLL_BOUND, f"{service} still accepts the token {elapsed:.2f} s after the revocation"
        time.sleep(POLL_INTERVAL)
    LATENCIES.append((test, service, elapsed))
    print(f"revocation latency ({test}, {service}): {elapsed * 1000:.0f} ms")
    assert elapsed < POLL_BOUND
    return elapsed


def test_a_disabled_principals_token_stops_working_on_every_service(services, admin, unique):
    governance, registry, audit, _ = services
    bot = service_account(governance, admin, f"disabled-{unique}", ["editor"])
    token = oauth_token(governance, bot)
    assert {key: claims(token).get(key) for key in ("principal_id", "key_id")} == {"principal_id": bot.principal_id, "key_id": bot.key_id}
    assert call(registry, "POST", "/v1/models", token, {"name": f"disabled-{unique}"}).status_code == 201
    assert call(registry, "GET", "/v1/models", token).status_code == 200
    assert call(governance, "GET", "/v1/me", token).json()["subject"] == bot.name
    assert call(audit, "GET", "/v1/audit/tree-head", token).status_code == 200

    disabled = call(governance, "POST", f"/v1/principals/{bot.principal_id}/disable", admin, reason="left the team")
    since = time.monotonic()
    assert disabled.status_code == 200 and disabled.json()["disabled_at"], disabled.text

    first_refusal("disable", "registry", registry, "/v1/models", token, since)
    assert_revoked(call(governance, "GET", "/v1/me", token))
    assert_revoked(call(registry, "POST", "/v1/models", token, {"name": f"late-{unique}"}))
    first_refusal("disable", "audit", audit, "/v1/audit/tree-head", token, since)
    # As before, the principal's key is no longer exchanged for new tokens either.
    assert call(governance, "POST", "/v1/tokens", body={"api_key": bot.api_key}).status_code == 401


def test_a_removed_role_is_gone_at_once_and_a_new_token_carries_the_remaining_roles(services, admin, unique):
    governance, registry, _, _ = services
    boss = service_account(governance, admin, f"boss-{unique}", ["admin"])
    old = token_for(governance, boss.api_key)
    created = call(registry, "POST", "/v1/models", old, {"name": f"guarded-{unique}", "protected_aliases": ["gold"]})
    assert created.status_code == 201 and created.json()["protected_aliases"] == ["gold"], created.text
    bound = call(governance, "PUT", f"/v1/principals/{boss.principal_id}/roles/editor", admin)
    assert bound.status_code == 200 and sorted(bound.json()["roles"]) == ["admin", "editor"], bound.text

    removed = call(governance, "DELETE", f"/v1/principals/{boss.principal_id}/roles/admin", admin)
    since, removed_at = time.monotonic(), time.time()
    assert removed.status_code == 200 and removed.json()["roles"] == ["editor"], removed.text

    first_refusal("role removal", "registry", registry, "/v1/models", old, since)
    assert_revoked(call(registry, "POST", "/v1/models", old, {"name": f"late-{unique}", "protected_aliases": []}))
    assert_revoked(call(governance, "GET", "/v1/me", old))

    time.sleep(max(0.0, since + 1.1 - time.monotonic()))
    new = token_for(governance, boss.api_key)
    issued = claims(new)["iat"]
    context = f"new token iat {issued}, role removal answered at {removed_at:.3f}"
    me = call(governance, "GET", "/v1/me", new)
    assert me.status_code == 200, (context, me.status_code, me.text)
    assert me.json()["roles"] == ["editor"] and claims(new)["roles"] == ["editor"], me.text
    assert call(registry, "GET", "/v1/models", new).status_code == 200, context
    assert call(registry, "POST", "/v1/models", new, {"name": f"after-{unique}"}).status_code == 201, context
    assert call(registry, "POST", "/v1/models", new, {"name": f"denied-{unique}", "protected_aliases": []}).status_code == 403


def test_a_revoked_keys_tokens_stop_working_while_the_principals_other_keys_keep_working(services, admin, unique):
    governance, registry, _, _ = services
    first = service_account(governance, admin, f"keys-{unique}", ["editor"])
    second = another_key(governance, admin, first)
    token_a, token_b = token_for(governance, first.api_key), oauth_token(governance, second)
    assert claims(token_a)["key_id"] == first.key_id and claims(token_b)["key_id"] == second.key_id
    for token in (token_a, token_b):
        assert call(registry, "GET", "/v1/models", token).status_code == 200

    revoked = call(governance, "POST", f"/v1/api-keys/{first.key_id}/revoke", admin, reason="leaked")
    since = time.monotonic()
    assert revoked.status_code == 204, revoked.text

    first_refusal("key revocation", "registry", registry, "/v1/models", token_a, since)
    assert_revoked(call(governance, "GET", "/v1/me", token_a))
    assert call(registry, "GET", "/v1/models", token_b).status_code == 200
    assert call(registry, "POST", "/v1/models", token_b, {"name": f"still-{unique}"}).status_code == 201
    assert call(governance, "GET", "/v1/me", token_b).status_code == 200
    assert call(governance, "POST", "/v1/tokens", body={"api_key": first.api_key}).status_code == 401
    assert call(registry, "GET", "/v1/models", token_for(governance, second.api_key)).status_code == 200


def test_a_disabled_approver_cannot_decide(services, unique):
    governance, registry, admin, ana, bea, carl, model, promotion_id, approval_id = setup(
        (services.governance, services.registry, services.admin_key), unique)
    disabled = call(governance, "POST", f"/v1/principals/{claims(bea)['principal_id']}/disable", admin)
    since = time.monotonic()
    assert disabled.status_code == 200, disabled.text

    first_refusal("disabled approver", "governance", governance, "/v1/me", bea, since)
    assert_revoked(call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", bea, {"approve": True}))
    detail = call(governance, "GET", f"/v1/approvals/{approval_id}", admin).json()
    assert detail["state"] == "PENDING" and detail["approvals"] == 0 and detail["decisions"] == [], detail
    # The request is still open to the approvers who were not disabled.
    decided = call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", carl, {"approve": True})
    assert decided.status_code == 200 and decided.json()["state"] == "PENDING" and decided.json()["approvals"] == 1, decided.text
