#!/usr/bin/env bash
# Audit figures for `make bench`, on its own PostgreSQL (fsync on, synchronous_commit on),
# Redis and embedded broker with a release maestro-audit:
# - append: BENCH_AUDIT_ENTRIES (default 1,000,000) CloudEvents of one tenant, produced in
#   chunks with confluent-kafka, ingested from Kafka into the Merkle log (inbox, leaf and node
#   hashes, checkpoints, each batch one committed transaction): entries/s while busy, against a
#   baseline of the same records merely consumed by MaestroKafka in the same run (target >= 5,000/s);
# - lag: 2,000 events/s for BENCH_AUDIT_LAG_SECONDS (default 30) while the service runs:
#   p50/p99 from the record's Kafka timestamp to its append (target p99 <= 1 s);
# - inclusion proofs of random entries of the 1,000,000-entry log (GET …/entries/{i}/proof),
#   with wrk at 1 and 4 connections for BENCH_AUDIT_SECONDS (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."

entries=${BENCH_AUDIT_ENTRIES:-1000000}
lag_seconds=${BENCH_AUDIT_LAG_SECONDS:-30}
seconds=${BENCH_AUDIT_SECONDS:-10}
port=${BENCH_AUDIT_PORT:-7193}
test_dir=.maestro/bench-audit
rm -rf "$test_dir"
mkdir -p "$test_dir/run"
swift build -c release --product maestro-audit
swift build -c release --product maestro
swift build -c release --product KafkaBench
bin=.build/release

venv=.maestro/bench-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import confluent_kafka" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "confluent-kafka==$(awk -F'==' '/^confluent-kafka==/ {print $2}' Tests/e2e/requirements.txt)"
fi

source scripts/processes.sh
start_broker "$test_dir"
MAESTRO_TEST_POSTGRES_FSYNC=on MAESTRO_TEST_POSTGRES_PORT=${BENCH_AUDIT_POSTGRES_PORT:-7439} MAESTRO_TEST_REDIS_PORT=${BENCH_AUDIT_REDIS_PORT:-7386} \
    source scripts/test-servers.sh
postgres_url="${MAESTRO_TEST_POSTGRES_ADMIN_URL%/*}/audit_bench"
psql "$MAESTRO_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE audit_bench"
[ "$(psql "$postgres_url" -tAc "SHOW synchronous_commit")|$(psql "$postgres_url" -tAc "SHOW fsync")" = "on|on" ] \
    || { echo "the bench PostgreSQL must commit durably (synchronous_commit and fsync on)"; exit 1; }

# The embedded broker keeps about 5 MB per partition (librdkafka's mock cluster drops older
# records), so events go in chunks the service drains before the next; each chunk is produced
# faster than the service appends, so it is saturated while it drains one.
chunk=${BENCH_AUDIT_CHUNK:-30000}
[ "$entries" -ge "$chunk" ] || chunk=$entries
echo "audit: producing $entries CloudEvents of tenant bench, $chunk at a time"
"$venv/bin/python" Benchmarks/audit/produce.py bulk "$bootstrap" bench "$chunk"
baseline=$("$bin/KafkaBench" consume "$bootstrap" maestro.registry.events "$chunk" | awk '/^RESULT/ {print $6}')

"$bin/maestro" dev token --dir "$test_dir" --tenant bench --roles viewer >"$test_dir/token"
MAESTRO_HTTP_PORT=$port MAESTRO_POSTGRES_URL="$postgres_url?sslmode=disable" MAESTRO_KAFKA_BROKERS="$bootstrap" \
    MAESTRO_REDIS_URL="$MAESTRO_REDIS_URL" MAESTRO_JWKS_FILE="$test_dir/keys/jwks.json" MAESTRO_LOG_LEVEL=warning \
    MAESTRO_RATE_LIMIT_RPS=1000000 MAESTRO_RATE_LIMIT_BURST=1000000 MAESTRO_AUDIT_SIGNING_KEY_FILE="$test_dir/keys/audit-signing.key" \
    "$bin/maestro-audit" >"$test_dir/audit.log" 2>&1 &
pids+=($!)
wait_until_ready maestro-audit "$port" "$test_dir/audit.log"

size() { psql "$postgres_url" -tAc "SELECT coalesce(sum(tree_size), 0) FROM audit.logs WHERE log_id = '$1'"; }
wait_for_size() { # log, size
    local deadline=$((SECONDS + 600))
    while [ "$(size "$1")" -lt "$2" ]; do
        [ $SECONDS -lt $deadline ] || { echo "the $1 log did not reach $2 entries: $(size "$1")"; exit 1; }
        sleep 0.2
    done
}
# Busy time: per chunk, from its first append to its last (the idle gaps while the next chunk is produced do not count).
busy="0"
appended=$chunk
wait_for_size bench "$chunk"
busy=$(psql "$postgres_url" -tAc "SELECT $busy + extract(epoch FROM max(recorded_at) - min(recorded_at)) FROM audit.entries WHERE log_id = 'bench' AND idx < $chunk")
while [ "$appended" -lt "$entries" ]; do
    next=$((entries - appended < chunk ? entries - appended : chunk))
    "$venv/bin/python" Benchmarks/audit/produce.py bulk "$bootstrap" bench "$next"
    wait_for_size bench $((appended + next))
    busy=$(psql "$postgres_url" -tAc "SELECT $busy + extract(epoch FROM max(recorded_at) - min(recorded_at)) FROM audit.entries
                                      WHERE log_id = 'bench' AND idx >= $appended AND idx < $((appended + next))")
    appended=$((appended + next))
done
append=$(awk -v n="$entries" -v t="$busy" 'BEGIN {printf "%.0f", n / t}')

echo "audit: 2,000 events/s for ${lag_seconds}s (tenant lag)"
"$venv/bin/python" Benchmarks/audit/produce.py paced "$bootstrap" lag 2000 "$lag_seconds"
wait_for_size lag $((2000 * lag_seconds))
# The Kafka timestamp is the producer's send time; recorded_at is when the entry's batch was appended.
read -r lag_p50 lag_p99 lag_max < <(psql "$postgres_url" -tAF' ' -c "
    SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) * 1000), round(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) * 1000),
           round(max(lag) * 1000)
    FROM (SELECT extract(epoch FROM recorded_at - (entry::json->'record'->>'timestamp')::timestamptz) AS lag
          FROM audit.entries WHERE log_id = 'lag') AS lags")

auth="Authorization: Bearer $(cat "$test_dir/token")"
base="http://127.0.0.1:$port"
curl -sf -H "$auth" "$base/v1/audit/entries/$((entries / 2))/proof" >/dev/null || { echo "the proof route does not answer"; exit 1; }
run_wrk() { # name, connections
    wrk -t1 -c"$2" -d"${seconds}s" --latency -H "$auth" -s Benchmarks/audit/proof.lua "$base" >"$test_dir/$1-$2.txt"
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' "$test_dir/$1-$2.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$test_dir/$1-$2.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$test_dir/$1-$2.txt")
    errors=$(awk '/Non-2xx/ {print $5}' "$test_dir/$1-$2.txt")
    printf "%-40s %5s %10.0f %10s %10s %8s\n" "inclusion proof, $entries entries" "$2" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo
printf "%-40s %12s %12s %8s %10s\n" "audit (synchronous_commit=on, fsync=on)" "audit/s" "baseline/s" "ratio" "target"
printf "%-40s %12.0f %12.0f %8.2f %10s\n" "append from Kafka ($entries entries)" "$append" "$baseline" "$(awk -v a="$append" -v b="$baseline" 'BEGIN {print a / b}')" ">= 5000/s"
printf "%-40s %12s %12s %8s %10s\n" "lag at 2,000/s: p50 / p99 / max (ms)" "$lag_p50 / $lag_p99" "$lag_max" "" "p99 <= 1000"
echo
printf "%-40s %5s %10s %10s %10s %8s\n" "audit (wrk -t1 -d${seconds}s)" "conns" "req/s" "p50" "p99" "non-2xx"
BENCH_ENTRIES=$entries run_wrk proof 1
BENCH_ENTRIES=$entries run_wrk proof 4
