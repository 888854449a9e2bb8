"""Small helpers for driving the services' HTTP APIs from the e2e tests with `requests`, and for
reading and writing records with the CloudEvents SDK's own Kafka binding (binary mode), and the
governed promotion flow that several suites drive across the registry and governance."""
import base64
import datetime
import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass

import requests
from cloudevents.core.bindings import kafka as cloudevents_kafka
from cloudevents.core.v1.event import CloudEvent
from confluent_kafka import Consumer


class SDKEvent:
    """A record as the CloudEvents SDK parsed it: `event["type"]` reads an attribute or
    extension, `event.data` the data the SDK decoded."""

    def __init__(self, event):
        self.attributes = event.get_attributes()
        self.data = event.get_data()

    def __getitem__(self, name):
        return self.attributes[name]

    def get(self, name, default=None):
        return self.attributes.get(name, default)


def read_cloudevent(message):
    """A confluent-kafka message read by the SDK's Kafka binding."""
    record = cloudevents_kafka.KafkaMessage(headers=dict(message.headers() or []), key=message.key(), value=message.value())
    return SDKEvent(cloudevents_kafka.from_binary_event(record))


def cloudevent_record(attributes, data):
    """A CloudEvent written by the SDK's Kafka binding: (headers for confluent-kafka, value)."""
    message = cloudevents_kafka.to_binary_event(CloudEvent(attributes, data))
    return list(message.headers.items()), message.value


def call(url, method, path, token=None, body=None, headers=None, **params):
    """One request; `headers` (e.g. a W3C `traceparent`) are sent along with the bearer token."""
    headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    return requests.request(method, f"{url}{path}", json=body, headers=headers, params=params or None, timeout=30)


def claims(token):
    """The claims of a JWT, read without verifying it."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def token_for(governance, api_key, headers=None):
    response = call(governance, "POST", "/v1/tokens", body={"api_key": api_key}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def principal(governance, admin, name, roles, headers=None):
    """A new principal with `roles` in the admin's tenant; returns a token for it."""
    created = call(governance, "POST", "/v1/principals", admin, {"name": name, "roles": roles}, headers)
    assert created.status_code == 201, created.text
    key = call(governance, "POST", "/v1/api-keys", admin, {"principal_id": created.json()["id"]}, headers)
    assert key.status_code == 201, key.text
    return token_for(governance, key.json()["api_key"], headers)


@dataclass(frozen=True)
class Account:
    """A principal and one API key of it, as an OAuth client: `client_id` is the key's prefix."""
    name: str
    principal_id: str
    key_id: str
    prefix: str
    api_key: str

    @property
    def client_id(self):
        return self.prefix


def service_account(governance, admin, name, roles, kind="service_account"):
    """A new principal (a service account unless `kind` says otherwise) with `roles` and an API key."""
    created = call(governance, "POST", "/v1/principals", admin, {"name": name, "kind": kind, "roles": roles})
    assert created.status_code == 201, created.text
    key = call(governance, "POST", "/v1/api-keys", admin, {"principal_id": created.json()["id"]})
    assert key.status_code == 201, key.text
    body = key.json()
    assert body["api_key"].startswith(f"mk_{body['prefix']}_"), body
    return Account(name, created.json()["id"], body["id"], body["prefix"], body["api_key"])


def another_key(governance, admin, account):
    """A further API key of `account`'s principal."""
    key = call(governance, "POST", "/v1/api-keys", admin, {"principal_id": account.principal_id})
    assert key.status_code == 201, key.text
    body = key.json()
    return Account(account.name, account.principal_id, body["id"], body["prefix"], body["api_key"])


_SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metric(url, name, **labels):
    """The value of the sample of `name` on `url`'s `/metrics` whose labels include `labels`
    (summed over the samples that match); 0 when there is none yet."""
    response = requests.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    total = 0.0
    for line in response.text.splitlines():
        match = _SAMPLE.match(line)
        if not match or match["name"] != name:
            continue
        found = dict(_LABEL.findall(match["labels"] or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(match["value"])
    return total


def wait_for(fetch, timeout=90):
    """Polls `fetch` until it returns something truthy, and returns that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


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


def setup(governed, unique, signature=True, headers=None):
    """A tenant policy needing two distinct approvers, a model version meeting it (a signature
    unless `signature` is false) and its promotion to `champion` requested by ana; returns
    (governance, registry, admin, ana, bea, carl, model, promotion id, approval id) once
    governance has opened the approval. Every request carries `headers`."""
    governance, registry, admin_key = governed
    admin = token_for(governance, admin_key, headers)
    ana = principal(governance, admin, f"ana-{unique}", ["editor", "approver"], headers)
    bea = principal(governance, admin, f"bea-{unique}", ["approver"], headers)
    carl = principal(governance, admin, f"carl-{unique}", ["approver"], headers)
    policy = {"required_approvals": 2, "distinct_approvers": True, "approver_role": "approver", "separation_of_duties": True,
              "expires_after_seconds": 3600, "min_card_completeness": 0.25,
              "metric_thresholds": [{"metric": "auc", "comparison": ">=", "value": 0.9}],
              "require_signature": True, "require_no_open_drift_alert": True, "require_within_budget": True}
    assert call(governance, "PUT", "/v1/policy", admin, policy, headers).status_code == 200
    model = f"gated-{unique}"
    assert call(registry, "POST", "/v1/models", ana, {"name": model}, headers).status_code == 201
    version = {"source": "s3://models/gated/1", "metrics": {"auc": 0.93}}
    if signature:
        version["signature"] = {"inputs": json.dumps([{"type": "double", "name": "amount"}])}
    assert call(registry, "POST", f"/v1/models/{model}/versions", ana, version, headers).status_code == 201
    card = call(registry, "PUT", f"/v1/models/{model}/versions/1/card", ana, {"overview": "Scores fraud", "intended_use": "Card payments"},
                headers)
    assert card.status_code == 200, card.text
    promotion = call(registry, "PUT", f"/v1/models/{model}/aliases/champion", ana, {"version": 1, "reason": "beats the baseline"}, headers)
    assert promotion.status_code == 202, promotion.text
    subject = f"models/{model}/aliases/champion"
    approval = wait_for(lambda: (call(governance, "GET", f"/v1/approvals?subject={subject}", admin, headers=headers).json()["items"]
                                 or [None])[0])
    return governance, registry, admin, ana, bea, carl, model, promotion.json()["id"], approval["id"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class EventKey:
    """An Ed25519 event key outside Maestro's code, signing events as `asyncapi.yaml` describes
    the `signature` extension: a detached JWS over the attributes (but signature and
    traceparent) and the SHA-256 of the data."""

    def __init__(self, service: str):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self.service = service
        self.private_key = Ed25519PrivateKey.generate()
        self.x = _b64url(self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        thumbprint_input = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": self.x}, separators=(",", ":"), sort_keys=True)
        self.kid = _b64url(hashlib.sha256(thumbprint_input.encode()).digest())

    def jwk(self):
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid, "alg": "EdDSA", "use": "sig", "maestro_service": self.service}

    def sign(self, attributes: dict, data: bytes) -> str:
        fields = {name: value for name, value in attributes.items() if name not in ("signature", "traceparent") and value is not None}
        fields["specversion"] = "1.0"
        fields.setdefault("datacontenttype", "application/json")
        fields["datasha256"] = hashlib.sha256(data).hexdigest()
        payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        header = _b64url(json.dumps({"alg": "EdDSA", "kid": self.kid}, separators=(",", ":")).encode())
        signature = self.private_key.sign(f"{header}.{_b64url(payload)}".encode())
        return f"{header}..{_b64url(signature)}"


def publish_event(brokers, topic, key, attributes, data: dict, signer=None, tamper=None):
    """Publishes a binary-mode CloudEvent with confluent-kafka, its `time` in milliseconds (as
    Maestro writes it); signed by `signer` (an EventKey) when given, and then changed by
    `tamper` (a dict of attributes) when given. Returns the event id."""
    from confluent_kafka import Producer

    now = datetime.datetime.now(datetime.timezone.utc)
    attributes = {"id": str(uuid.uuid4()), "time": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                  "datacontenttype": "application/json", **attributes}
    value = json.dumps(data).encode()
    if signer:
        attributes["signature"] = signer.sign(attributes, value)
    attributes.update(tamper or {})
    headers = [("ce_specversion", b"1.0"), ("content-type", attributes.pop("datacontenttype").encode())]
    headers += [(f"ce_{name}", str(value_).encode()) for name, value_ in attributes.items() if value_ is not None]
    producer = Producer({"bootstrap.servers": brokers})
    producer.produce(topic, key=key.encode(), value=value, headers=headers)
    assert producer.flush(30) == 0
    return dict(headers)["ce_id"].decode()
