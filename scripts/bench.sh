#!/usr/bin/env bash
# make bench: speed measured against baselines in the same run, printed as tables.
# - Kafka: MaestroKafka against a raw librdkafka C program with the same settings, on the same
#   embedded broker (targets: producer >= 0.70, consumer >= 0.50 of raw).
# - Outbox relay: events/s from committed rows to broker acknowledgement (target >= 5,000/s).
set -euo pipefail
cd "$(dirname "$0")/.."

count=${BENCH_MESSAGES:-1000000}
size=${BENCH_MESSAGE_BYTES:-100}
rounds=${BENCH_ROUNDS:-2}
outbox_events=${BENCH_OUTBOX_EVENTS:-50000}
test_dir=.maestro/bench
rm -rf "$test_dir"
mkdir -p "$test_dir/run"

for product in maestro KafkaBench RawKafkaBench OutboxBench; do
    swift build -c release --product "$product"
done
bin=.build/release

pids=()
cleanups=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for command in "${cleanups[@]}"; do bash -c "$command" || true; done
}
trap cleanup EXIT

# The mock cluster keeps about 5 MB per partition, so the bench topics get enough partitions to hold every record.
partitions=${BENCH_PARTITIONS:-64}
topics=()
for round in $(seq 1 "$rounds"); do topics+=(--topic "bench-raw-$round:$partitions" --topic "bench-swift-$round:$partitions"); done
"$bin/maestro" dev broker --run-dir "$test_dir/run" "${topics[@]}" >"$test_dir/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$test_dir/run/kafka.bootstrap" ] && break; sleep 0.1; done
bootstrap=$(cat "$test_dir/run/kafka.bootstrap")
MAESTRO_TEST_POSTGRES_PORT=${BENCH_POSTGRES_PORT:-7435} MAESTRO_TEST_REDIS_PORT=${BENCH_REDIS_PORT:-7382} source scripts/test-servers.sh

results="$test_dir/results.txt"
: >"$results"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "kafka: $count messages of $size bytes over $partitions partitions, $rounds rounds alternating raw and Swift, broker $bootstrap"
for round in $(seq 1 "$rounds"); do
    for side in raw swift; do
        program=$([ "$side" = raw ] && echo "$bin/RawKafkaBench" || echo "$bin/KafkaBench")
        "$program" produce "$bootstrap" "bench-$side-$round" "$count" "$size" | tee -a "$results"
        "$program" consume "$bootstrap" "bench-$side-$round" "$count" | tee -a "$results"
    done
done
echo "outbox relay: $outbox_events committed events"
"$bin/OutboxBench" "$MAESTRO_TEST_POSTGRES_ADMIN_URL" "$bootstrap" "$outbox_events" | tee -a "$results"

awk '
    $1 == "RESULT" { key = $2 " " $3; if ($6 > best[key]) best[key] = $6 }
    END {
        printf "\n%-10s %16s %16s %8s %8s\n", "kafka", "raw msg/s", "MaestroKafka", "ratio", "target"
        split("produce consume", modes, " ")
        target["produce"] = 0.70; target["consume"] = 0.50
        for (i = 1; i <= 2; i++) {
            m = modes[i]; raw = best[m " raw"]; swift = best[m " swift"]
            printf "%-10s %16.0f %16.0f %8.2f %8.2f\n", m, raw, swift, swift / raw, target[m]
        }
        printf "\n%-14s %12s %10s\n", "outbox relay", "events/s", "target"
        printf "%-14s %12.0f %10d\n", "commit to ack", best["outbox-relay swift"], 5000
    }' "$results"
