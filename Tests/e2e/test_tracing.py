"""Distributed tracing as an OTLP collector receives it: a governed promotion driven by a client
that sends a W3C `traceparent` is one trace across the registry, governance and the broker (each
event's create span parents its process span; the outbox relay's send spans link to the create
spans); server spans are named by route template; a service without OTel settings exports nothing."""
import contextlib
import os
import secrets
import time

import pytest

from maestro_api import call, chain, setup, wait_for
from otlp_receiver import OTLPReceiver, describe

REGISTRY_TOPIC = "maestro.registry.events"
GOVERNANCE_TOPIC = "maestro.governance.events"
PROMOTION_ROUTE = "/v1/models/{name}/aliases/{alias}"
# Served to operators and to the other service, never requested by the flow's client.
OPERATIONAL_ROUTES = ("/health/", "/metrics", "/.well-known/", "/v1/event-keys")
SERVER, PRODUCER, CONSUMER, CLIENT = "SPAN_KIND_SERVER", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER", "SPAN_KIND_CLIENT"


def settled(receiver, check, timeout=10):
    """The spans received once `check(spans)` passes on them; if it has not passed within
    `timeout` seconds, its failure on what did arrive."""

    def passes(spans):
        with contextlib.suppress(AssertionError):
            check(spans)
            return spans
        return None

    with contextlib.suppress(AssertionError):
        return receiver.wait_for_spans(passes, timeout)
    spans = receiver.spans()
    check(spans)
    return spans


def flow_server_spans(spans):
    """Server spans of the flow: not operational routes (health, metrics, key sets, the
    services' event key registration), and not the token exchange a service makes for that
    registration on its own (a root span; the flow's exchanges carry its trace)."""
    return [span for span in spans if span["kind"] == SERVER
            and not str(span["attributes"].get("http.route") or span["name"]).startswith(OPERATIONAL_ROUTES)
            and not (span["attributes"].get("http.route") == "/v1/tokens" and span["parent_span_id"] is None)]


def create_spans(spans, event_ids):
    """The create span of each event, by event id; asserts there is exactly one for each, as the
    span contract describes it."""
    creates = {}
    for event_id in event_ids:
        found = [span for span in spans if span["kind"] == PRODUCER and span["attributes"].get("messaging.message.id") == event_id]
        assert len(found) == 1, f"{len(found)} producer spans for event {event_id}:{describe(found)}"
        create = creates[event_id] = found[0]
        topic = create["attributes"].get("messaging.destination.name")
        assert create["name"] == f"create {topic}" and topic in (REGISTRY_TOPIC, GOVERNANCE_TOPIC), describe([create])
        assert {key: create["attributes"].get(key) for key in ("messaging.system", "messaging.operation.type")} == {
            "messaging.system": "kafka", "messaging.operation.type": "create"}, describe([create])
    return creates


def assert_one_trace(spans, trace_id, client_span_id, event_ids):
    server = flow_server_spans(spans)
    creates = list(create_spans(spans, event_ids).values())
    processes = [span for span in spans if span["kind"] == CONSUMER and span["attributes"].get("messaging.message.id") in event_ids]
    assert server and processes, f"no server or process spans of the flow:{describe(spans)}"
    strays = [span for span in server + creates + processes if span["trace_id"] != trace_id]
    assert not strays, f"spans of the flow outside the client's trace {trace_id}:{describe(strays)}"
    orphans = [span for span in server if span["parent_span_id"] != client_span_id]
    assert not orphans, f"server spans not parented by the client's span {client_span_id}:{describe(orphans)}"
    services = {span["service"] for span in spans if span["trace_id"] == trace_id}
    assert services >= {"maestro-registry", "maestro-governance"}, services


def assert_create_parents_process(spans, event_id, producer, topic, consumer):
    """The event's create span in `producer` is the parent of its process span in `consumer`."""
    create = create_spans(spans, [event_id])[event_id]
    assert create["service"] == producer and create["name"] == f"create {topic}", describe([create])
    processed = [span for span in spans if span["kind"] == CONSUMER and span["service"] == consumer
                 and span["attributes"].get("messaging.message.id") == event_id]
    assert processed, f"no {consumer} process span for event {event_id} created by{describe([create])}"
    for process in processed:
        assert (process["trace_id"], process["parent_span_id"]) == (create["trace_id"], create["span_id"]), \
            f"process span not parented by the event's create span:{describe([create, process])}"
        assert process["name"] == f"process {topic}", describe([process])
        attributes = process["attributes"]
        assert {key: attributes.get(key) for key in ("messaging.system", "messaging.operation.type", "messaging.destination.name")} == {
            "messaging.system": "kafka", "messaging.operation.type": "process", "messaging.destination.name": topic}, describe([process])
        missing = [key for key in ("messaging.destination.partition.id", "messaging.kafka.offset", "messaging.consumer.group.name")
                   if attributes.get(key) in (None, "")]
        assert not missing, f"process span without {missing}:{describe([process])}"


def assert_relay_links(spans, trace_id, event_ids):
    creates = {(span["trace_id"], span["span_id"]): span for span in create_spans(spans, event_ids).values()}
    sends = [span for span in spans if span["kind"] == PRODUCER and span["attributes"].get("messaging.operation.type") == "send"]
    linking = [span for span in sends if set(span["links"]) & creates.keys()]
    assert linking, f"no send span links to a create span of the flow; send spans:{describe(sends)}"
    for send in linking:
        topics = {creates[link]["attributes"].get("messaging.destination.name") for link in send["links"] if link in creates}
        assert [send["name"]] == [f"send {topic}" for topic in topics], describe([send])
        assert send["parent_span_id"] is None and send["trace_id"] != trace_id, \
            f"send span is not the root of a trace of its own:{describe([send])}"


def assert_route_names(spans, model):
    server = flow_server_spans(spans)
    named = [span for span in server if model in span["name"] or model in str(span["attributes"].get("http.route"))]
    assert not named, f"server spans named after the model, not the route:{describe(named)}"
    requested = [span for span in server if span["service"] == "maestro-registry"
                 and span["attributes"].get("http.request.method") == "PUT" and span["attributes"].get("http.response.status_code") == 202]
    assert len(requested) == 1, f"{len(requested)} server spans of the promotion request:{describe(server)}"
    span = requested[0]
    assert span["name"] == span["attributes"].get("http.route") == PROMOTION_ROUTE, describe([span])
    assert span["attributes"].get("maestro.tenant"), f"promotion request span without maestro.tenant:{describe([span])}"


def assert_postgres(spans, trace_id):
    database = [span for span in spans if span["trace_id"] == trace_id and span["attributes"].get("db.system.name") == "postgresql"]
    assert [span for span in database if span["kind"] == CLIENT], f"no PostgreSQL client span in the trace:{describe(database)}"


def test_a_governed_promotion_is_one_trace_across_both_services_and_the_broker(traced, brokers, unique):
    *governed, receiver = traced
    trace_id, client_span_id = secrets.token_hex(16), secrets.token_hex(8)
    headers = {"traceparent": f"00-{trace_id}-{client_span_id}-01"}
    governance, registry, admin, ana, bea, carl, model, promotion_id, approval_id = setup(governed, unique, headers=headers)
    for approver in (bea, carl):
        decided = call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", approver, {"approve": True}, headers)
        assert decided.status_code == 200, decided.text
    assert wait_for(lambda: call(registry, "GET", f"/v1/models/{model}/aliases/champion", ana, headers=headers).status_code == 200)
    events = chain(brokers, promotion_id)
    event_ids = {event["id"] for event in events}
    requested = next(event["id"] for event in events if event["type"] == "io.maestro.registry.promotion.requested.v1")
    granted = next(event["id"] for event in events if event["type"] == "io.maestro.governance.approval.granted.v1")

    def check(spans):
        assert_one_trace(spans, trace_id, client_span_id, event_ids)
        assert_create_parents_process(spans, requested, "maestro-registry", REGISTRY_TOPIC, "maestro-governance")
        assert_create_parents_process(spans, granted, "maestro-governance", GOVERNANCE_TOPIC, "maestro-registry")
        assert_relay_links(spans, trace_id, event_ids)
        assert_route_names(spans, model)
        assert_postgres(spans, trace_id)

    settled(receiver, check)


def test_without_client_trace_context_the_promotion_saga_is_still_one_trace(traced, brokers, unique):
    """The approvals are requests of their own, each in a trace of its own; the events they
    cause still join the trace of the promotion request (the saga), linked to the decision's."""
    *governed, receiver = traced
    governance, registry, admin, ana, bea, carl, model, promotion_id, approval_id = setup(governed, unique)
    for approver in (bea, carl):
        decided = call(governance, "POST", f"/v1/approvals/{approval_id}/decisions", approver, {"approve": True})
        assert decided.status_code == 200, decided.text
    assert wait_for(lambda: call(registry, "GET", f"/v1/models/{model}/aliases/champion", ana).status_code == 200)
    events = {event["type"]: event for event in chain(brokers, promotion_id)}
    saga_ids = [events[name]["id"] for name in ("io.maestro.registry.promotion.requested.v1", "io.maestro.governance.approval.granted.v1",
                                                "io.maestro.registry.alias.moved.v1", "io.maestro.registry.promotion.completed.v1")]

    def check(spans):
        creates = create_spans(spans, saga_ids)
        requested, granted, moved, completed = (creates[event_id] for event_id in saga_ids)
        saga = requested["trace_id"]
        strays = [span for span in (granted, moved, completed) if span["trace_id"] != saga]
        assert not strays, f"saga events outside the promotion request's trace {saga}:{describe(strays)}"
        decisions = [span for span in spans if span["kind"] == SERVER and span["service"] == "maestro-governance"
                     and span["attributes"].get("url.path") == f"/v1/approvals/{approval_id}/decisions"]
        assert len(decisions) == 2 and all(span["trace_id"] != saga for span in decisions), describe(decisions)
        assert set(granted["links"]) & {(span["trace_id"], span["span_id"]) for span in spans if span["trace_id"] in
                                        {decision["trace_id"] for decision in decisions}}, \
            f"the granted event's span does not link to the deciding request's trace:{describe([granted])}"

    settled(receiver, check)


def test_a_service_without_otel_settings_exports_nothing(registry):
    """A registry started without OTEL_* variables exports no spans, not even to the OTLP default
    endpoint, within the default 5 s batch delay."""
    if any(name.startswith("OTEL_") for name in os.environ):
        pytest.skip("OTEL_* variables are set in the environment the services inherit")
    url, token = registry
    with contextlib.ExitStack() as stack:
        try:
            receiver = stack.enter_context(OTLPReceiver(port=4318))
        except OSError:
            pytest.skip("the OTLP default port 4318 is in use")
        admin = token()
        created = call(url, "POST", "/v1/models", admin, {"name": f"quiet-{secrets.token_hex(4)}"},
                       {"traceparent": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"})
        assert created.status_code == 201, created.text
        assert call(url, "GET", "/v1/models", admin).status_code == 200
        time.sleep(5.5)
        assert receiver.spans() == []
