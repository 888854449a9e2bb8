"""Small helpers for driving the services' HTTP APIs from the e2e tests with `requests`."""
import time

import requests


def call(url, method, path, token=None, body=None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"{url}{path}", json=body, headers=headers, params=params or None, timeout=30)


def token_for(governance, api_key):
    response = call(governance, "POST", "/v1/tokens", body={"api_key": api_key})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def principal(governance, admin, name, roles):
    """A new principal with `roles` in the admin's tenant; returns a token for it."""
    created = call(governance, "POST", "/v1/principals", admin, {"name": name, "roles": roles})
    assert created.status_code == 201, created.text
    key = call(governance, "POST", "/v1/api-keys", admin, {"principal_id": created.json()["id"]})
    assert key.status_code == 201, key.text
    return token_for(governance, key.json()["api_key"])


def wait_for(fetch, timeout=90):
    """Polls `fetch` until it returns something truthy, and returns that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")
