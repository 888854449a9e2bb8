"""An OTLP/HTTP trace receiver for the e2e tests: it accepts what an OpenTelemetry exporter posts
to `<endpoint>/v1/traces` (protobuf) and keeps the spans, decoded by the protocol's own Python
bindings into plain dicts."""
import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse
from opentelemetry.proto.trace.v1.trace_pb2 import Span


def _value(any_value):
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(value) for value in any_value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(any_value.kvlist_value.values)
    return None if kind is None else getattr(any_value, kind)


def _attributes(pairs):
    return {pair.key: _value(pair.value) for pair in pairs}


def decode(request):
    """The spans of an ExportTraceServiceRequest: service (the resource's `service.name`), trace_id,
    span_id, parent_span_id (hex; None for a root span), name, kind (`SPAN_KIND_SERVER`, ...),
    attributes (Python values) and links ((trace_id, span_id) pairs)."""
    spans = []
    for resource_spans in request.resource_spans:
        service = _attributes(resource_spans.resource.attributes).get("service.name")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append({"service": service, "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                              "parent_span_id": span.parent_span_id.hex() or None, "name": span.name,
                              "kind": Span.SpanKind.Name(span.kind), "attributes": _attributes(span.attributes),
                              "links": [(link.trace_id.hex(), link.span_id.hex()) for link in span.links]})
    return spans


class _ExportHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self._body()
        if self.path.split("?", 1)[0] != "/v1/traces":
            return self._answer(404)
        if self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower() != "application/x-protobuf":
            return self._answer(415)
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        try:
            request = ExportTraceServiceRequest.FromString(body)
        except DecodeError:
            return self._answer(400)
        self.server.receiver._collect(decode(request))
        self._answer(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";", 1)[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        return b"".join(chunks)

    def _answer(self, status, body=b"", content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class OTLPReceiver:
    """Keeps every span posted to `endpoint + "/v1/traces"` between entering and leaving it as a
    context manager; safe to read while exporters post from other threads. `port` 0 takes a free one."""

    def __init__(self, port=0):
        self._port = port
        self._arrived = threading.Condition()
        self._spans = []
        self._server = None
        self._thread = None

    def __enter__(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), _ExportHandler)
        self._server.receiver = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def port(self):
        return self._server.server_port

    @property
    def endpoint(self):
        """The value for OTEL_EXPORTER_OTLP_ENDPOINT."""
        return f"http://127.0.0.1:{self.port}"

    def _collect(self, spans):
        with self._arrived:
            self._spans.extend(spans)
            self._arrived.notify_all()

    def spans(self):
        """The spans received so far, in arrival order."""
        with self._arrived:
            return list(self._spans)

    def wait_for_spans(self, predicate, timeout=20):
        """Waits until `predicate(spans received so far)` is truthy and returns its value; raises
        AssertionError, naming what did arrive, when `timeout` seconds pass first."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not (value := predicate(list(self._spans))):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"spans not received in {timeout} s; received: {describe(self._spans)}")
                self._arrived.wait(remaining)
            return value


def describe(spans):
    """One line per span, for assertion messages."""
    return "".join(f"\n  {span['service']} {span['kind'][len('SPAN_KIND_'):]} {span['name']!r} trace={span['trace_id']} "
                   f"span={span['span_id']} parent={span['parent_span_id']} links={span['links']} {span['attributes']}"
                   for span in spans) or " none"
