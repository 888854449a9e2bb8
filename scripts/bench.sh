#!/usr/bin/env bash
# make bench: MaestroKafka against a raw librdkafka C baseline with the same settings, on
# the same embedded broker, in one run. Prints msg/s for each and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

count=${BENCH_MESSAGES:-1000000}
size=${BENCH_MESSAGE_BYTES:-100}
rounds=${BENCH_ROUNDS:-2}
bench_dir=.maestro/bench
rm -rf "$bench_dir"
mkdir -p "$bench_dir/run"

swift build -c release --product maestro
swift build -c release --product KafkaBench
swift build -c release --product RawKafkaBench
bin=.build/release

# The mock cluster keeps about 5 MB per partition, so the bench topics get enough partitions to hold every record.
partitions=${BENCH_PARTITIONS:-64}
topics=()
for round in $(seq 1 "$rounds"); do topics+=(--topic "bench-raw-$round:$partitions" --topic "bench-swift-$round:$partitions"); done
"$bin/maestro" dev broker --run-dir "$bench_dir/run" "${topics[@]}" >"$bench_dir/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true; wait $broker 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$bench_dir/run/kafka.bootstrap" ] && break; sleep 0.1; done
bootstrap=$(cat "$bench_dir/run/kafka.bootstrap")

results="$bench_dir/results.txt"
: >"$results"
echo "benchmark: $count messages of $size bytes over $partitions partitions, $rounds rounds alternating raw and Swift, broker $bootstrap ($(nproc) cores)"
for round in $(seq 1 "$rounds"); do
    for side in raw swift; do
        program=$([ "$side" = raw ] && echo "$bin/RawKafkaBench" || echo "$bin/KafkaBench")
        "$program" produce "$bootstrap" "bench-$side-$round" "$count" "$size" | tee -a "$results"
        "$program" consume "$bootstrap" "bench-$side-$round" "$count" | tee -a "$results"
    done
done

awk '
    $1 == "RESULT" { key = $2 " " $3; if ($6 > best[key]) best[key] = $6 }
    END {
        printf "\n%-10s %16s %16s %8s %8s\n", "path", "raw msg/s", "MaestroKafka", "ratio", "target"
        split("produce consume", modes, " ")
        target["produce"] = 0.70; target["consume"] = 0.50
        for (i = 1; i <= 2; i++) {
            m = modes[i]; raw = best[m " raw"]; swift = best[m " swift"]
            printf "%-10s %16.0f %16.0f %8.2f %8.2f\n", m, raw, swift, swift / raw, target[m]
        }
    }' "$results"
