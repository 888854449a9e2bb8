"""Small helpers for driving the services' HTTP APIs from the e2e tests with `requests`, and for
reading and writing records with the CloudEvents SDK's own Kafka binding (binary mode)."""
import time

import requests
from cloudevents.core.bindings import kafka as cloudevents_kafka
from cloudevents.core.v1.event import CloudEvent


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
