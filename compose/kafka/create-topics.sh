#!/bin/sh
# Creates every topic of asyncapi.yaml with the partitions and retention the contract states.
# Safe to run again: existing topics are left as they are. Auto-creation is off on the broker,
# so a topic missing here is an error at the first publish, never a topic with wrong settings.
#   KAFKA_BOOTSTRAP            the broker (default kafka:9092)
#   TOPIC_REPLICATION_FACTOR   1 on a single broker, 3 in production
#   TOPIC_MIN_INSYNC_REPLICAS  1 on a single broker, 2 in production
#   KAFKA_TOPICS               the kafka-topics command (default: the apache/kafka image's)
set -eu
bootstrap="${KAFKA_BOOTSTRAP:-kafka:9092}"
replication="${TOPIC_REPLICATION_FACTOR:-1}"
min_insync="${TOPIC_MIN_INSYNC_REPLICAS:-1}"
kafka_topics="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"

# create <topic> <partitions> <retention.ms>
create() {
    "$kafka_topics" --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$1" \
        --partitions "$2" --replication-factor "$replication" \
        --config "retention.ms=$3" --config "min.insync.replicas=$min_insync" --config cleanup.policy=delete
}

week=604800000
month=2592000000
create maestro.registry.events 6 "$week"
create maestro.governance.events 6 "$week"
create maestro.audit.events 3 "$week"
create maestro.catalog.events 6 "$week"
create maestro.featurestore.events 6 "$week"
create maestro.drift.events 6 "$week"
create maestro.cost.events 6 "$week"
create maestro.ingest.predictions 12 "$week"
create maestro.ingest.features 12 "$week"
create maestro.ingest.usage 6 "$week"
create maestro.ingest.lineage 6 "$week"
create maestro.dlq 3 "$month"
echo "every Maestro topic exists"
