#!/usr/bin/env bash
# make bench: speed measured against baselines in the same run, printed as tables.
# - Kafka: MaestroKafka against a raw librdkafka C program with the same settings, on the same
#   embedded broker, rounds alternating; the ratio is given by best and by median of the rounds
#   (targets, for both: producer >= 0.70, consumer >= 0.50 of raw).
# - Outbox relay: events/s from committed rows to broker acknowledgement (target >= 5,000/s).
# - HTTP kit: an authenticated GET that does no I/O, driven by wrk on loopback (target >= 10,000 req/s), with p99;
#   and what tracing costs it, against the chain without tracing: off >= 0.97, 100% sampled >= 0.85.
# - Redis: pipelined HMGET through MaestroRedis against redis-benchmark on the same server (scripts/bench-redis.sh).
# - Registry: search, alias resolve and version create on 10,000 seeded models (scripts/bench-registry.sh).
# - Governance: the token exchange, p50/p99 (scripts/bench-governance.sh).
# - Audit: append rate, publish-to-append lag, inclusion proofs at 1,000,000 entries (scripts/bench-audit.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

count=${BENCH_MESSAGES:-1000000}
size=${BENCH_MESSAGE_BYTES:-100}
rounds=${BENCH_ROUNDS:-3}
outbox_events=${BENCH_OUTBOX_EVENTS:-50000}
http_port=${BENCH_HTTP_PORT:-7198}
test_dir=.maestro/bench
rm -rf "$test_dir"
mkdir -p "$test_dir/run"

command -v wrk >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null || sudo apt-get install -y -qq wrk >/dev/null; }
for product in maestro KafkaBench RawKafkaBench OutboxBench HTTPBench; do
    swift build -c release --product "$product"
done
bin=.build/release

source scripts/processes.sh
# The mock cluster keeps about 5 MB per partition, so the bench topics get enough partitions to hold every record.
partitions=${BENCH_PARTITIONS:-64}
topics=()
for round in $(seq 1 "$rounds"); do topics+=(--topic "bench-raw-$round:$partitions" --topic "bench-swift-$round:$partitions"); done
start_broker "$test_dir" "${topics[@]}"
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

echo "http: wrk -t2 -c64 -d15s, authenticated GET /v1/ping (ES256 token, cached JWKS), log level warning;"
echo "      tracing absent (no middleware: the baseline), off (no OTEL_*), on (100% sampled, OTLP/HTTP to a sink); $rounds rounds alternating"
"$bin/maestro" dev token --dir "$test_dir" --roles viewer >"$test_dir/token"
otlp_port=$((http_port + 1))
python3 scripts/otlp-sink.py "$otlp_port" >"$test_dir/otlp-sink.log" 2>&1 &
pids+=($!)
for round in $(seq 1 "$rounds"); do
    for tracing in absent off on on10; do
        # on10: traced, one request in ten sampled (the others still carry and propagate trace context).
        HTTP_BENCH_TRACING=${tracing%10} OTEL_EXPORTER_OTLP_ENDPOINT=$([ "${tracing%10}" = on ] && echo "http://127.0.0.1:$otlp_port") \
            OTEL_TRACES_SAMPLER=$([ "$tracing" = on10 ] && echo traceidratio || echo always_on) OTEL_TRACES_SAMPLER_ARG=0.1 \
            MAESTRO_JWKS_FILE="$test_dir/keys/jwks.json" MAESTRO_HTTP_PORT=$http_port MAESTRO_LOG_LEVEL=warning \
            "$bin/HTTPBench" >"$test_dir/http-$tracing.log" 2>&1 &
        server=$!
        for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$http_port/health/live" && break; sleep 0.1; done
        wrk -t2 -c64 -d15s --latency -H "Authorization: Bearer $(cat "$test_dir/token")" "http://127.0.0.1:$http_port/v1/ping" >"$test_dir/wrk.txt"
        kill "$server"; wait "$server" || true
        rps=$(awk '/Requests\/sec/ {print $2}' "$test_dir/wrk.txt")
        p99=$(awk '$1 == "99%" {print $2}' "$test_dir/wrk.txt")
        non2xx=$(awk '/Non-2xx/ {print $5}' "$test_dir/wrk.txt")
        echo "RESULT http-get $tracing 0 0 $rps $p99 ${non2xx:-0}" | tee -a "$results"
    done
done

awk '
    # Median of the space-separated numbers in list.
    function median(list,    values, n, i, j, v) {
        n = split(list, values, " ")
        for (i = 2; i <= n; i++) {
            v = values[i] + 0
            for (j = i - 1; j >= 1 && values[j] + 0 > v; j--) values[j + 1] = values[j]
            values[j + 1] = v
        }
        return n % 2 ? values[(n + 1) / 2] : (values[n / 2] + values[n / 2 + 1]) / 2
    }
    $1 == "RESULT" {
        key = $2 " " $3
        if ($6 > best[key]) { best[key] = $6; p99[key] = $7; non2xx[key] = $8 }
        all[key] = all[key] " " $6
    }
    END {
        printf "\n%-10s %12s %14s %7s %12s %14s %7s %7s\n", "kafka", "raw best", "Maestro best", "ratio", "raw median", "Maestro median", "ratio", "target"
        split("produce consume", modes, " ")
        target["produce"] = 0.70; target["consume"] = 0.50
        for (i = 1; i <= 2; i++) {
            m = modes[i]; raw = best[m " raw"]; swift = best[m " swift"]
            rawMedian = median(all[m " raw"]); swiftMedian = median(all[m " swift"])
            printf "%-10s %12.0f %14.0f %7.2f %12.0f %14.0f %7.2f %7.2f\n", m, raw, swift, swift / raw, rawMedian, swiftMedian, swiftMedian / rawMedian, target[m]
        }
        printf "\n%-22s %12s %10s %10s %10s\n", "", "per second", "p99", "non-2xx", "target"
        printf "%-22s %12.0f %10s %10s %10d\n", "outbox commit to ack", best["outbox-relay swift"], "-", "-", 5000
        printf "%-22s %12.0f %10s %10s %10d\n", "http authenticated GET", best["http-get off"], p99["http-get off"], non2xx["http-get off"], 10000
        base = best["http-get absent"]
        printf "\n%-22s %12s %10s %10s %8s %8s\n", "http tracing", "req/s (best)", "p99", "non-2xx", "ratio", "target"
        printf "%-22s %12.0f %10s %10s %8.3f %8s\n", "absent (baseline)", base, p99["http-get absent"], non2xx["http-get absent"], 1, "-"
        printf "%-22s %12.0f %10s %10s %8.3f %8.2f\n", "off (no OTEL_*)", best["http-get off"], p99["http-get off"], non2xx["http-get off"], best["http-get off"] / base, 0.97
        printf "%-22s %12.0f %10s %10s %8.3f %8.2f\n", "on (100% sampled)", best["http-get on"], p99["http-get on"], non2xx["http-get on"], best["http-get on"] / base, 0.85
        printf "%-22s %12.0f %10s %10s %8.3f %8s\n", "on (10% sampled)", best["http-get on10"], p99["http-get on10"], non2xx["http-get on10"], best["http-get on10"] / base, "-"
    }' "$results"

scripts/bench-redis.sh
# Each service's own figures, found from the service catalog (`maestro services`): scripts/bench-<name>.sh.
while IFS=$'\t' read -r name _ <&3; do
    if [ -x "scripts/bench-$name.sh" ]; then "scripts/bench-$name.sh"; fi
done 3< <("$bin/maestro" services)
