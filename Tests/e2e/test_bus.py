import json
import os
import subprocess
import time

from confluent_kafka import Consumer, Producer, TopicPartition

from maestro_api import cloudevent_record, read_cloudevent

CATALOG = {
    "maestro.registry.events": 6,
    "maestro.governance.events": 6,
    "maestro.audit.events": 3,
    "maestro.catalog.events": 6,
    "maestro.featurestore.events": 6,
    "maestro.drift.events": 6,
    "maestro.cost.events": 6,
    "maestro.ingest.predictions": 12,
    "maestro.ingest.features": 12,
    "maestro.ingest.usage": 6,
    "maestro.ingest.lineage": 6,
    "maestro.dlq": 3,
}


def consume_until(brokers: str, topic: str, predicate, timeout: float = 60):
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"e2e-{time.time_ns()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            if predicate(message):
                return message
    finally:
        consumer.close()
    raise AssertionError(f"no matching record on {topic} within {timeout}s")


def test_published_event_is_read_by_confluent_kafka_and_the_cloudevents_sdk(maestro, brokers, unique, tmp_path):
    data = {"model_name": f"fraud-{unique}", "tags": {"team": "risk"}, "created_by": "user:ana",
            "created_at": "2026-11-26T10:00:00Z"}
    data_file = tmp_path / "created.json"
    data_file.write_text(json.dumps(data))
    result = maestro("events", "publish", "maestro.registry.events", "--type", "io.maestro.registry.model.created.v1",
                     "--subject", f"models/fraud-{unique}", "--tenant", "default", "--authid", "user:ana",
                     "--data", f"@{data_file}")
    assert result.returncode == 0, result.stderr
    assert "published" in result.stdout

    record = consume_until(brokers, "maestro.registry.events", lambda m: m.key() == f"fraud-{unique}".encode())
    event = read_cloudevent(record)
    assert event["specversion"] == "1.0"
    assert event["type"] == "io.maestro.registry.model.created.v1"
    assert event["source"] == "/maestro/cli"
    assert event["subject"] == f"models/fraud-{unique}"
    assert event["dataschema"] == "urn:maestro:schema:io.maestro.registry.model.created.v1"
    assert event["tenant"] == "default"
    assert event["authid"] == "user:ana"
    assert event["correlationid"] == event["id"]
    assert event["id"][14] == "7", "ce_id is a UUIDv7"
    assert event.data == data


def test_kcat_lists_the_catalog_topics(brokers):
    result = subprocess.run(["kcat", "-L", "-J", "-b", brokers], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    topics = {topic["topic"]: len(topic["partitions"]) for topic in json.loads(result.stdout)["topics"]}
    for name, partitions in CATALOG.items():
        assert topics.get(name) == partitions, name


def record_count(brokers: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"e2e-count-{time.time_ns()}"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        total = 0
        for partition in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            total += high - low
        return total
    finally:
        consumer.close()


def test_tail_shows_events_published_by_the_cloudevents_sdk_and_flags_invalid_records(maestro, brokers, unique):
    other_type = f"io.maestro.e2e.other{unique}.v1"
    producer = Producer({"bootstrap.servers": brokers})
    for index, event_type in enumerate(["io.maestro.e2e.thing.v1", other_type]):
        headers, value = cloudevent_record({"type": event_type, "source": "/e2e/job", "subject": f"resources/{unique}", "tenant": "default",
                                            "datacontenttype": "application/json"},
                                           {"marker": unique, "index": index})
        producer.produce("maestro.ingest.usage", key=unique.encode(), value=value, headers=headers)
    producer.produce("maestro.ingest.usage", key=unique.encode(), value=b"not a cloudevent")
    assert producer.flush(30) == 0

    filtered = maestro("events", "tail", "maestro.ingest.usage", "--from-beginning", "--json", "--type", other_type,
                       "--max-messages", "1")
    assert filtered.returncode == 0, filtered.stderr
    lines = [json.loads(line) for line in filtered.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0]["attributes"]["type"] == other_type
    assert lines[0]["attributes"]["tenant"] == "default"
    assert lines[0]["data"] == {"marker": unique, "index": 1}

    total = record_count(brokers, "maestro.ingest.usage")
    everything = maestro("events", "tail", "maestro.ingest.usage", "--from-beginning", "--json", "--max-messages", str(total))
    assert everything.returncode == 0, everything.stderr
    mine = [json.loads(line) for line in everything.stdout.splitlines() if json.loads(line)["key"] == unique]
    assert len(mine) == 3
    invalid = [line for line in mine if "error" in line]
    assert len(invalid) == 1
    assert "not a CloudEvent" in invalid[0]["error"]
    assert invalid[0]["value"] == "not a cloudevent"

    human = maestro("events", "tail", "maestro.ingest.usage", "--from-beginning", "--type", other_type, "--max-messages", "1")
    assert human.returncode == 0, human.stderr
    assert f"type:        {other_type}" in human.stdout
    assert "tenant:      default" in human.stdout


def test_cli_errors_are_clear(maestro, tmp_path):
    unknown = maestro("events", "publish", "maestro.nope", "--type", "t", "--subject", "s", "--data", "{}")
    assert unknown.returncode != 0
    assert "unknown topic 'maestro.nope'" in unknown.stderr

    bad_json = maestro("events", "publish", "maestro.registry.events", "--type", "io.maestro.registry.model.created.v1",
                       "--subject", "models/x", "--data", "{oops")
    assert bad_json.returncode != 0
    assert "not valid JSON" in bad_json.stderr

    schema = maestro("events", "publish", "maestro.registry.events", "--type", "io.maestro.registry.model.created.v1",
                     "--subject", "models/x", "--data", '{"model_name": 3}')
    assert schema.returncode != 0
    assert "fails the schema" in schema.stderr and "/model_name" in schema.stderr

    missing_file = maestro("events", "publish", "maestro.registry.events", "--type", "io.maestro.e2e.x.v1",
                           "--subject", "models/x", "--data", f"@{tmp_path}/absent.json")
    assert missing_file.returncode != 0
    assert "cannot read --data file" in missing_file.stderr

    unreachable = maestro("events", "tail", "maestro.dlq", "--brokers", "127.0.0.1:1")
    assert unreachable.returncode != 0
    assert "cannot reach Kafka" in unreachable.stderr and "127.0.0.1:1" in unreachable.stderr

    not_on_broker = maestro("events", "tail", "maestro.not.there")
    assert not_on_broker.returncode != 0
    assert "does not exist" in not_on_broker.stderr


def test_tail_filters_by_tenant_and_subject_and_says_when_it_is_connected_and_caught_up(maestro, maestro_bin, brokers, unique):
    producer = Producer({"bootstrap.servers": brokers})
    for tenant, subject in [(f"t{unique}", f"models/{unique}-a/versions/1"), (f"t{unique}", f"datasets/{unique}"),
                            ("default", f"models/{unique}-a/versions/2")]:
        headers, value = cloudevent_record({"type": "io.maestro.e2e.thing.v1", "source": "/e2e/job", "subject": subject, "tenant": tenant,
                                            "datacontenttype": "application/json"}, {"marker": unique})
        producer.produce("maestro.ingest.usage", key=unique.encode(), value=value, headers=headers)
    assert producer.flush(30) == 0

    tailed = maestro("events", "tail", "maestro.ingest.usage", "--from-beginning", "--json", "--tenant", f"t{unique}",
                     "--subject-prefix", f"models/{unique}", "--max-messages", "1")
    assert tailed.returncode == 0, tailed.stderr
    lines = [json.loads(line) for line in tailed.stdout.splitlines() if line.strip()]
    assert [(line["attributes"]["tenant"], line["attributes"]["subject"]) for line in lines] == [(f"t{unique}", f"models/{unique}-a/versions/1")]
    assert "connected to" in tailed.stderr and "following maestro.ingest.usage" in tailed.stderr, tailed.stderr

    # A tail of everything there stops once it has read it all and said so: the filters match
    # nothing, so only the caught-up line shows it read the topic.
    import signal

    total = record_count(brokers, "maestro.ingest.usage")
    tail = subprocess.Popen([maestro_bin, "events", "tail", "maestro.ingest.usage", "--from-beginning", "--tenant", f"nobody{unique}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "MAESTRO_KAFKA_BROKERS": brokers})
    try:
        said = [tail.stderr.readline() for _ in range(2)]
    finally:
        tail.send_signal(signal.SIGINT)
        stdout, _ = tail.communicate(timeout=30)
    assert said[0].startswith("connected to") and "from its oldest record" in said[0], said
    assert said[1].strip() == f"caught up: {total} records were already there; waiting for new records", said
    assert tail.returncode == 0 and stdout == ""
