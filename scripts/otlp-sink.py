#!/usr/bin/env python3
"""An OTLP/HTTP endpoint that accepts every export and keeps nothing, for `make bench`'s traced
HTTP run: the benchmark measures what tracing costs the service, not a collector's speed.
Usage: otlp-sink.py PORT. On SIGTERM it prints how many exports and bytes it took."""
import http.server
import signal
import sys
import threading

received = {"exports": 0, "bytes": 0}
lock = threading.Lock()


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        with lock:
            received["exports"] += 1
            received["bytes"] += length
        # An empty ExportTraceServiceResponse is zero bytes of protobuf.
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def stop(*_):
    print(f"otlp sink: {received['exports']} exports, {received['bytes']} bytes", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
