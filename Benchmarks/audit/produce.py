"""CloudEvents for the audit benchmark, produced with confluent-kafka (binary mode, as the
services publish them): `bulk` as fast as the client goes, `paced` at a fixed rate.

    produce.py bulk  <bootstrap> <tenant> <count>
    produce.py paced <bootstrap> <tenant> <per-second> <seconds>
"""
import datetime
import json
import sys
import time
import uuid

from confluent_kafka import Producer


def event(tenant: str, n: int):
    model = f"model-{n % 1000:04d}"
    data = json.dumps({"model_name": model, "version": n, "source": f"s3://models/{model}/{n}", "status": "READY",
                       "metrics": {"auc": 0.91, "f1": 0.84}, "created_by": "bench"}).encode()
    headers = [("ce_specversion", b"1.0"), ("ce_id", str(uuid.uuid4()).encode()), ("ce_source", b"/maestro/registry"),
               ("ce_type", b"io.maestro.registry.model_version.created.v1"),
               ("ce_time", datetime.datetime.now(datetime.timezone.utc).isoformat().encode()),
               ("ce_subject", f"models/{model}/versions/{n}".encode()), ("ce_tenant", tenant.encode()),
               ("ce_authid", b"bench"), ("content-type", b"application/json")]
    return model.encode(), data, headers


def main():
    mode, bootstrap, tenant = sys.argv[1], sys.argv[2], sys.argv[3]
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True,
                         "queue.buffering.max.messages": 1000000})
    if mode == "bulk":
        count = int(sys.argv[4])
        for n in range(count):
            key, value, headers = event(tenant, n)
            while True:
                try:
                    producer.produce("maestro.registry.events", key=key, value=value, headers=headers)
                    break
                except BufferError:
                    producer.poll(0.05)
            if n % 10000 == 0:
                producer.poll(0)
    else:
        rate, seconds = int(sys.argv[4]), int(sys.argv[5])
        start = time.monotonic()
        for n in range(rate * seconds):
            due = start + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            key, value, headers = event(tenant, n)
            producer.produce("maestro.registry.events", key=key, value=value, headers=headers)
            producer.poll(0)
    left = producer.flush(120)
    if left:
        sys.exit(f"{left} records were not delivered")


if __name__ == "__main__":
    main()
