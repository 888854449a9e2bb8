"""OAuth 2.0 sign-in at governance, driven by the clients that speak it: authlib (client
credentials with `client_secret_basic` and `client_secret_post`, scopes, RFC 8414 metadata),
the OpenLineage client's `oauth2` transport auth, Feast's OIDC client (password grant found
through the discovery document) and librdkafka's OAUTHBEARER/OIDC token fetch. Every token
they get is used on the registry and on governance's `/v1/me`; the token endpoint's error
answers follow RFC 6749 §5.2, token requests are limited per client and per source address,
and a token naming another issuer is refused."""
import base64
import http.client
import json
import logging
import random
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote_plus, urlencode, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from confluent_kafka import Producer
from joserfc import jwt
from joserfc.jwk import KeySet

from conftest import _governance_and_registry
from maestro_api import another_key, call, metric, service_account, token_for

TOKEN_REQUESTS = "maestro_token_requests_total"


def claims(token):
    """The unverified claims of a JWT."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def basic(client_id, secret):
    """`client_secret_basic` (RFC 6749 2.3.1): id and secret form-urlencoded, then base64."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def token_request(governance, form, headers=None):
    """A form-encoded POST to the token endpoint; `form` is a dict or a list of pairs."""
    return requests.post(f"{governance}/oauth/token", data=form, headers=headers or {}, timeout=30)


def assert_oauth_error(response, status, error):
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["error"] == error, body
    assert isinstance(body.get("error_description"), str) and body["error_description"], body


def me(governance, token):
    response = call(governance, "GET", "/v1/me", token)
    assert response.status_code == 200, response.text
    return response.json()


class Receiver:
    """An HTTP endpoint on a thread of the test: records the path, the Authorization header
    and the body of every POST, and answers 200."""

    def __enter__(self):
        received = self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append({"path": self.path, "authorization": self.headers.get("Authorization"), "body": body})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def admin(governed):
    governance, _, admin_key = governed
    return token_for(governance, admin_key)


def test_authlib_gets_working_tokens_with_basic_and_post_client_authentication(governed, admin, unique):
    governance, registry, _ = governed
    bot = service_account(governance, admin, f"ci-{unique}", ["editor"])
    before = metric(governance, TOKEN_REQUESTS, grant_type="client_credentials", result="issued")
    # The client id is the key's prefix or its id; the secret is the whole API key.
    for method, client_id, model in (("client_secret_basic", bot.prefix, f"basic-{unique}"), ("client_secret_post", bot.key_id, f"post-{unique}")):
        with OAuth2Session(client_id, bot.api_key, token_endpoint_auth_method=method) as session:
            token = session.fetch_token(f"{governance}/oauth/token", grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and 0 < token["expires_in"] <= 43200, token
        assert token["scope"].split() == ["editor"], token
        access = token["access_token"]
        identity = me(governance, access)
        assert identity["subject"] == bot.name and identity["roles"] == ["editor"], identity
        # The token works on the registry, with the editor's rights.
        assert call(registry, "POST", "/v1/models", access, {"name": model}).status_code == 201
        listed = call(registry, "GET", "/v1/models", access)
        assert listed.status_code == 200 and model in {item["name"] for item in listed.json()["items"]}, listed.text
        assert call(registry, "GET", f"/v1/models/{model}", access).json()["owner"] == bot.name
    assert metric(governance, TOKEN_REQUESTS, grant_type="client_credentials", result="issued") == before + 2


def test_a_scope_narrows_the_token_to_the_roles_asked_for(governed, admin, unique):
    governance, registry, _ = governed
    bot = service_account(governance, admin, f"narrow-{unique}", ["editor"])
    with OAuth2Session(bot.client_id, bot.api_key, scope="viewer") as session:
        token = session.fetch_token(f"{governance}/oauth/token", grant_type="client_credentials")
    assert token["scope"] == "viewer", token
    assert me(governance, token["access_token"])["roles"] == ["viewer"]
    assert claims(token["access_token"])["roles"] == ["viewer"]
    assert call(registry, "GET", "/v1/models", token["access_token"]).status_code == 200
    assert call(registry, "POST", "/v1/models", token["access_token"], {"name": f"narrow-{unique}"}).status_code == 403
    # A role the principal lacks, or a scope that is no role, is refused.
    for scope in ("admin", "viewer root"):
        with OAuth2Session(bot.client_id, bot.api_key, scope=scope) as session, pytest.raises(OAuthError) as refused:
            session.fetch_token(f"{governance}/oauth/token", grant_type="client_credentials")
        assert refused.value.error == "invalid_scope", scope


def test_the_discovery_document_validates_and_every_url_in_it_answers(governed, admin, unique, monkeypatch):
    governance, _, _ = governed
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the test stack speaks http
    documents = []
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        response = requests.get(f"{governance}{path}", timeout=30)
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/json"), response.text
        documents.append(response.json())
    document = documents[0]
    assert documents[1] == document
    AuthorizationServerMetadata(document).validate()
    assert document["issuer"] == governance
    assert document["token_endpoint"] == f"{governance}/oauth/token"
    assert document["jwks_uri"] == f"{governance}/.well-known/jwks.json"
    assert sorted(document["grant_types_supported"]) == ["client_credentials", "password"]
    assert sorted(document["token_endpoint_auth_methods_supported"]) == ["client_secret_basic", "client_secret_post"]
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    assert sorted(document["scopes_supported"]) == ["admin", "approver", "editor", "viewer"]
    assert document["response_types_supported"] == ["token"] and document["subject_types_supported"] == ["public"]

    # Every URL in it answers: the token endpoint with an OAuth error to an empty form, the key set with keys.
    urls = {key: value for key, value in document.items() if key.endswith(("_endpoint", "_uri")) and isinstance(value, str)}
    assert {"token_endpoint", "jwks_uri"} <= set(urls)
    for key, url in urls.items():
        if key == "token_endpoint":
            assert_oauth_error(requests.post(url, data={}, timeout=30), 400, "invalid_request")
        else:
            response = requests.get(url, timeout=30)
            assert response.status_code == 200, (key, url, response.status_code)
    jwks = requests.get(document["jwks_uri"], timeout=30).json()
    assert jwks["keys"] and all(key["kty"] == "EC" and key["crv"] == "P-256" for key in jwks["keys"]), jwks

    # A token from the token endpoint verifies against that key set and names that issuer.
    bot = service_account(governance, admin, f"disco-{unique}", ["viewer"])
    issued = token_request(governance, {"grant_type": "client_credentials"}, basic(bot.client_id, bot.api_key)).json()
    verified = jwt.decode(issued["access_token"], KeySet.import_key_set(jwks), algorithms=document["id_token_signing_alg_values_supported"])
    # (iat and exp carry fractions of a second, which RFC 7519 allows; a little leeway keeps a fresh token out of the future)
    jwt.JWTClaimsRegistry(leeway=5, iss={"essential": True, "value": document["issuer"]}, sub={"essential": True, "value": bot.name},
                          exp={"essential": True}).validate(verified.claims)


def test_the_token_endpoint_answers_as_rfc_6749_says(governed, admin, unique):
    governance, _, _ = governed
    bot = service_account(governance, admin, f"rfc-{unique}", ["editor"])
    other = service_account(governance, admin, f"other-{unique}", ["editor"])
    endpoint = f"{governance}/oauth/token"
    counted = {result: metric(governance, TOKEN_REQUESTS, grant_type=grant, result=result)
               for grant, result in (("client_credentials", "invalid_client"), ("password", "invalid_grant"), ("password", "issued"))}

    issued = token_request(governance, {"grant_type": "client_credentials", "client_id": bot.key_id, "client_secret": bot.api_key})
    assert issued.status_code == 200 and issued.headers["content-type"].startswith("application/json"), issued.text
    assert issued.headers["cache-control"] == "no-store"
    assert set(issued.json()) >= {"access_token", "token_type", "expires_in", "scope"}

    # invalid_client: a wrong secret, an unknown client, a secret of another key. Basic gets its challenge.
    wrong = bot.api_key[:-4] + ("AAAA" if not bot.api_key.endswith("AAAA") else "BBBB")
    refused = token_request(governance, {"grant_type": "client_credentials"}, basic(bot.client_id, wrong))
    assert_oauth_error(refused, 401, "invalid_client")
    assert refused.headers["www-authenticate"] == 'Basic realm="maestro"'
    assert_oauth_error(token_request(governance, {"grant_type": "client_credentials", "client_id": bot.client_id, "client_secret": wrong}),
                       401, "invalid_client")
    assert_oauth_error(token_request(governance, {"grant_type": "client_credentials", "client_id": "0123456789ab", "client_secret": bot.api_key}),
                       401, "invalid_client")
    assert_oauth_error(token_request(governance, {"grant_type": "client_credentials", "client_id": other.client_id, "client_secret": bot.api_key}),
                       401, "invalid_client")

    # The password grant: the username is the principal's name, the password one of its API keys.
    password = token_request(governance, {"grant_type": "password", "username": bot.name, "password": bot.api_key})
    assert password.status_code == 200, password.text
    assert me(governance, password.json()["access_token"])["subject"] == bot.name
    assert_oauth_error(token_request(governance, {"grant_type": "password", "username": other.name, "password": bot.api_key}), 400, "invalid_grant")
    assert_oauth_error(token_request(governance, {"grant_type": "password", "username": bot.name, "password": wrong}), 400, "invalid_grant")
    assert_oauth_error(token_request(governance, {"grant_type": "password", "username": f"nobody-{unique}", "password": bot.api_key}),
                       400, "invalid_grant")
    # With client credentials too, the client must be a key of the same principal.
    mixed = token_request(governance, {"grant_type": "password", "username": bot.name, "password": bot.api_key,
                                       "client_id": other.client_id, "client_secret": other.api_key})
    assert (mixed.status_code, mixed.json()["error"]) in ((401, "invalid_client"), (400, "invalid_grant")), mixed.text

    # Malformed requests.
    assert_oauth_error(token_request(governance, {"grant_type": "authorization_code", "code": "x"}, basic(bot.client_id, bot.api_key)),
                       400, "unsupported_grant_type")
    assert_oauth_error(token_request(governance, {"client_id": bot.client_id, "client_secret": bot.api_key}), 400, "invalid_request")
    assert_oauth_error(token_request(governance, [("grant_type", "client_credentials"), ("grant_type", "password")],
                                     basic(bot.client_id, bot.api_key)), 400, "invalid_request")
    as_json = requests.post(endpoint, json={"grant_type": "client_credentials", "client_id": bot.client_id, "client_secret": bot.api_key}, timeout=30)
    assert_oauth_error(as_json, 400, "invalid_request")
    # A declared body over the kit's 1 MiB limit is refused before it is read.
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Content-Length", str(2 << 20))
        connection.endheaders(b"grant_type=client_credentials&pad=")
        too_large = connection.getresponse()
        assert too_large.status == 413 and json.loads(too_large.read())["error"] == "invalid_request"
    finally:
        connection.close()

    # Revoked keys and disabled principals sign in no more.
    assert call(governance, "POST", f"/v1/api-keys/{bot.key_id}/revoke", admin, reason="rotated").status_code == 204
    assert_oauth_error(token_request(governance, {"grant_type": "client_credentials"}, basic(bot.client_id, bot.api_key)), 401, "invalid_client")
    assert call(governance, "POST", f"/v1/principals/{other.principal_id}/disable", admin, reason="left").status_code == 200
    assert_oauth_error(token_request(governance, {"grant_type": "password", "username": other.name, "password": other.api_key}), 400, "invalid_grant")

    assert metric(governance, TOKEN_REQUESTS, grant_type="client_credentials", result="invalid_client") == counted["invalid_client"] + 5
    mixed_grant = mixed.json()["error"] == "invalid_grant"
    assert metric(governance, TOKEN_REQUESTS, grant_type="password", result="invalid_grant") == counted["invalid_grant"] + 4 + mixed_grant
    assert metric(governance, TOKEN_REQUESTS, grant_type="password", result="issued") == counted["issued"] + 1


def test_openlineage_client_sends_its_events_with_a_governance_token(governed, admin, unique):
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    governance, _, _ = governed
    bot = service_account(governance, admin, f"lineage-{unique}", ["editor"])
    before = metric(governance, TOKEN_REQUESTS, grant_type="client_credentials", result="issued")
    run_id = str(uuid.uuid4())
    with Receiver() as receiver:
        config = HttpConfig.from_dict({"type": "http", "url": receiver.url, "auth": {
            "type": "oauth2", "clientId": bot.client_id, "clientSecret": bot.api_key, "tokenEndpoint": f"{governance}/oauth/token"}})
        client = OpenLineageClient(transport=HttpTransport(config))
        for state in (RunState.START, RunState.COMPLETE):
            client.emit(RunEvent(eventType=state, eventTime=datetime.now(timezone.utc).isoformat(), run=Run(runId=run_id),
                                 job=Job(namespace="maestro-e2e", name=f"train-{unique}"), producer="https://example.com/maestro-e2e"))
        client.close()
    assert [request["path"] for request in receiver.requests] == ["/api/v1/lineage"] * 2
    events = [json.loads(request["body"]) for request in receiver.requests]
    assert [event["eventType"] for event in events] == ["START", "COMPLETE"]
    assert {event["run"]["runId"] for event in events} == {run_id} and events[0]["job"]["name"] == f"train-{unique}"
    authorization = {request["authorization"] for request in receiver.requests}
    assert len(authorization) == 1, authorization  # one token, cached for both events
    scheme, token = authorization.pop().split(" ", 1)
    assert scheme == "Bearer"
    assert me(governance, token)["subject"] == bot.name
    assert metric(governance, TOKEN_REQUESTS, grant_type="client_credentials", result="issued") == before + 1


def test_feast_oidc_client_signs_in_through_the_discovery_document(governed, admin, unique):
    from feast.permissions.auth_model import OidcClientAuthConfig
    from feast.permissions.client import oidc_authentication_client_manager as feast_oidc

    governance, registry, _ = governed
    bot = service_account(governance, admin, f"feast-{unique}", ["viewer"])
    before = metric(governance, TOKEN_REQUESTS, grant_type="password", result="issued")
    config = OidcClientAuthConfig(type="oidc", auth_discovery_url=f"{governance}/.well-known/openid-configuration",
                                  client_id=bot.client_id, client_secret=bot.api_key, username=bot.name, password=bot.api_key)
    feast_oidc._token_cache.clear()  # Feast keeps tokens per process; this test wants its own request
    try:
        token = feast_oidc.OidcAuthClientManager(config).get_token()
    finally:
        feast_oidc._token_cache.clear()
    assert claims(token)["sub"] == bot.name
    assert me(governance, token)["roles"] == ["viewer"]
    assert call(registry, "GET", "/v1/models", token).status_code == 200
    assert metric(governance, TOKEN_REQUESTS, grant_type="password", result="issued") == before + 1


def test_librdkafka_fetches_its_oauthbearer_token_from_governance(governed, admin, brokers, unique):
    governance, _, _ = governed
    bot = service_account(governance, admin, f"kafka-{unique}", ["editor"])
    before = metric(governance, TOKEN_REQUESTS, grant_type="client_credentials", result="issued")
    errors = []
    producer = Producer({"bootstrap.servers": brokers, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "OAUTHBEARER",
                         "sasl.oauthbearer.method": "oidc", "sasl.oauthbearer.client.id": bot.client_id,
                         "sasl.oauthbearer.client.secret": bot.api_key, "sasl.oauthbearer.scope": "editor",
                         "sasl.oauthbearer.token.endpoint.url": f"{governance}/oauth/token",
                         "error_cb": errors.append, "logger": logging.getLogger("e2e.librdkafka")})
    try:
        # The embedded broker speaks no SASL, so the connection fails once the token is in hand;
        # a failed token fetch would be reported as "Failed to acquire SASL OAUTHBEARER token".
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            producer.poll(0.5)
            if metric(governance, TOKEN_REQUESTS, grant_type="client_credentials", result="issued") > before and errors:
                break
        assert metric(governance, TOKEN_REQUESTS, grant_type="client_credentials", result="issued") == before + 1, errors
        assert not [error for error in errors if "OAUTHBEARER token" in error.str()], errors
    finally:
        producer.purge()
        producer.close()


def loopback():
    """A loopback address of its own (127.a.b.c): a source address no other request has used."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def post_from(address, url, path, body, content_type, headers=None):
    """A POST whose TCP connection comes from `address`; returns (status, headers, JSON body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30, source_address=(address, 0))
    try:
        connection.request("POST", path, body=body, headers={"Content-Type": content_type, **(headers or {})})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read() or b"null")
    finally:
        connection.close()


def oauth_from(address, governance, account):
    return post_from(address, governance, "/oauth/token", urlencode({"grant_type": "client_credentials"}),
                     "application/x-www-form-urlencoded", basic(account.client_id, account.api_key))


def exchange_from(address, governance, account):
    return post_from(address, governance, "/v1/tokens", json.dumps({"api_key": account.api_key}), "application/json")


@pytest.fixture(scope="module")
def limited(maestro_bin, brokers, tmp_path_factory):
    """A governance of its own allowing 5 token requests a minute per source address and 3 per
    client; yields (URL, an admin token)."""
    with _governance_and_registry(maestro_bin, brokers, tmp_path_factory.mktemp("limited"), {
            "MAESTRO_GOVERNANCE_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE": "5", "MAESTRO_GOVERNANCE_TOKEN_REQUESTS_PER_MINUTE": "3"},
            with_registry=False) as (governance, _, admin_key):
        yield governance, token_for(governance, admin_key)


def assert_rate_limited(answer, oauth):
    status, headers, body = answer
    assert status == 429, answer
    assert int(headers["retry-after"]) >= 1, headers
    if oauth:
        assert body["error"] == "temporarily_unavailable", body


def test_token_requests_are_limited_per_source_address(limited, unique):
    governance, admin = limited
    first = service_account(governance, admin, f"burst-{unique}", ["viewer"])
    keys = [first] + [another_key(governance, admin, first) for _ in range(3)]  # never more than 3 requests on one key
    limited_before = {grant: metric(governance, TOKEN_REQUESTS, grant_type=grant, result="rate_limited") for grant in ("client_credentials", "api_key")}
    address = loopback()
    # Five quick requests from one address, across both token routes, pass; they share one limit.
    answers = [oauth_from(address, governance, keys[0]), oauth_from(address, governance, keys[1]), exchange_from(address, governance, keys[0]),
               exchange_from(address, governance, keys[1]), oauth_from(address, governance, keys[2])]
    assert [status for status, _, _ in answers] == [200] * 5, answers
    assert me(governance, answers[0][2]["access_token"])["subject"] == first.name
    # The sixth is refused on either route, whichever key it carries.
    assert_rate_limited(oauth_from(address, governance, keys[2]), oauth=True)
    assert_rate_limited(exchange_from(address, governance, keys[2]), oauth=False)
    # Another address is not affected.
    status, _, body = oauth_from(loopback(), governance, keys[3])
    assert status == 200, body
    for grant in ("client_credentials", "api_key"):
        assert metric(governance, TOKEN_REQUESTS, grant_type=grant, result="rate_limited") == limited_before[grant] + 1


def test_token_requests_are_limited_per_client(limited, unique):
    governance, admin = limited
    bot = service_account(governance, admin, f"chatty-{unique}", ["viewer"])
    address = loopback()
    assert [oauth_from(address, governance, bot)[0] for _ in range(3)] == [200] * 3
    assert_rate_limited(oauth_from(address, governance, bot), oauth=True)
    # The limit follows the client to a fresh address; another client of the same principal is not affected.
    assert_rate_limited(oauth_from(loopback(), governance, bot), oauth=True)
    status, _, body = oauth_from(loopback(), governance, another_key(governance, admin, bot))
    assert status == 200, body


def test_a_token_naming_another_issuer_is_refused(registry, monkeypatch):
    url, token = registry
    control = token()
    assert call(url, "GET", "/v1/models", control).status_code == 200
    monkeypatch.setenv("MAESTRO_GOVERNANCE_ISSUER", "http://wrong.example")
    foreign = token()
    assert claims(foreign)["iss"] == "http://wrong.example" and claims(control)["iss"] != "http://wrong.example"
    refused = call(url, "GET", "/v1/models", foreign)
    assert refused.status_code == 401, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
