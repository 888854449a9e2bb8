#!/usr/bin/env bash
# Registry figures for `make bench`, on its own PostgreSQL, Redis and embedded broker with a
# release maestro-registry: 10,000 models x 10 versions x 4 tags (Benchmarks/registry/seed.sql).
# - search with three tag filters (GET /v1/models?tag=…&tag=…&tag=…): p50/p99 (target p99 <= 25 ms)
# - version search with 1, 10 and 50 filter terms (the most a search takes), as tag equalities
#   (GET /v1/versions) and as MLflow LIKE conditions (model-versions/search): p50/p99 and the
#   p50 ratio to 1 term, which stays near 1 when the cost is linear in the terms
# - the same search through the MLflow API (registered-models/search, with latest_versions):
#   p50/p99 and the ratio to the native search (target <= 1.5)
# - alias resolve (GET …/aliases/candidate, Redis-cached): p50/p99 (target p99 <= 2 ms)
# - version create, each with its outbox event, committed: versions/s
# wrk drives each for BENCH_REGISTRY_SECONDS (default 10): reads with 1 connection (latency of
# one caller) and with 4 (under concurrent load on the same 2 cores), creates with 4.
# Then, unless BENCH_MLFLOW=0, the same data goes into `mlflow server` (PyPI mlflow 3.17.2, 2
# workers) on the same PostgreSQL, and the same MLflow REST calls are timed on both servers.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${BENCH_REGISTRY_SECONDS:-10}
port=${BENCH_REGISTRY_PORT:-7196}
test_dir=.maestro/bench-registry
rm -rf "$test_dir"
mkdir -p "$test_dir/run"
swift build -c release --product maestro-registry
swift build -c release --product maestro
bin=.build/release

source scripts/processes.sh
start_broker "$test_dir"
MAESTRO_TEST_POSTGRES_PORT=${BENCH_REGISTRY_POSTGRES_PORT:-7437} MAESTRO_TEST_REDIS_PORT=${BENCH_REGISTRY_REDIS_PORT:-7384} source scripts/test-servers.sh
postgres_url="${MAESTRO_TEST_POSTGRES_ADMIN_URL%/*}/registry_bench"
psql "$MAESTRO_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE registry_bench"

"$bin/maestro" dev token --dir "$test_dir" --roles admin >"$test_dir/token"
MAESTRO_HTTP_PORT=$port MAESTRO_POSTGRES_URL="$postgres_url?sslmode=disable" MAESTRO_KAFKA_BROKERS="$bootstrap" \
    MAESTRO_JWKS_FILE="$test_dir/keys/jwks.json" MAESTRO_LOG_LEVEL=warning MAESTRO_RATE_LIMIT_RPS=1000000 MAESTRO_RATE_LIMIT_BURST=1000000 \
    "$bin/maestro-registry" >"$test_dir/registry.log" 2>&1 &
pids+=($!)
wait_until_ready maestro-registry "$port" "$test_dir/registry.log"

echo "registry: seeding 10,000 models x 10 versions x 4 tags"
psql "$postgres_url" -q -v ON_ERROR_STOP=1 -f Benchmarks/registry/seed.sql
auth="Authorization: Bearer $(cat "$test_dir/token")"
base="http://127.0.0.1:$port"
search="$base/v1/models?tag=team:team-3&tag=tier:gold&tag=region:sa&page_size=50"
[ "$(curl -s -H "$auth" "$search" | grep -o '"name":"model-' | wc -l)" -gt 0 ] || { echo "the bench search finds no models"; exit 1; }
mlflow_search="/api/2.0/mlflow/registered-models/search?filter=tags.team%3D%27team-3%27+AND+tags.tier%3D%27gold%27+AND+tags.region%3D%27sa%27&max_results=50"

run_wrk() { # name, connections, wrk arguments...
    local name=$1 connections=$2
    shift 2
    local out="$test_dir/$name, $connections conns.txt"
    wrk -t1 -c"$connections" -d"${seconds}s" --latency -H "$auth" -H "Content-Type: application/json" "$@" >"$out"
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' "$out")
    p50=$(awk '$1 == "50%" {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    errors=$(awk '/Non-2xx/ {print $5}' "$out")
    printf "%-34s %5s %10.0f %10s %10s %8s\n" "$name" "$connections" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo
printf "%-34s %5s %10s %10s %10s %8s\n" "registry (wrk -t1 -d${seconds}s)" "conns" "req/s" "p50" "p99" "non-2xx"
to_ms() { awk -v t="$1" 'BEGIN { if (t ~ /us$/) { sub(/us$/, "", t); print t / 1000 } else if (t ~ /ms$/) { sub(/ms$/, "", t); print t } else { sub(/s$/, "", t); print t * 1000 } }'; }
percentile_ms() { to_ms "$(awk -v p="$3" '$1 == p {print $2}' "$test_dir/$1, $2 conns.txt")"; } # run name, connections, "50%" or "99%"
run_wrk "search, 3 tag filters" 1 "$search"
run_wrk "search, 3 tag filters" 4 "$search"
run_wrk "MLflow-API search, 3 tag filters" 1 "$base$mlflow_search"
run_wrk "MLflow-API search, 3 tag filters" 4 "$base$mlflow_search"
terms() { # count, term: the term repeated, joined with a separator
    local count=$1 term=$2 separator=$3 out=""
    for _ in $(seq 1 "$count"); do out="${out:+$out$separator}$term"; done
    printf '%s' "$out"
}
declare -A p50s
for count in 1 10 50; do
    native="$base/v1/versions?page_size=50&$(terms "$count" "tag=owner:owner-3" "&")"
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "$native")" = 200 ] || { echo "the version search with $count terms fails"; exit 1; }
    run_wrk "version search, $count tag terms" 1 "$native"
    p50s[native-$count]=$(awk '$1 == "50%" {print $2}' "$test_dir/version search, $count tag terms, 1 conns.txt")
    filter=$(terms "$count" "tags.owner%20LIKE%20%27owner-3%25%27" "%20AND%20")
    mlflow="$base/api/2.0/mlflow/model-versions/search?max_results=50&filter=$filter"
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "$mlflow")" = 200 ] || { echo "the MLflow version search with $count conditions fails"; exit 1; }
    run_wrk "MLflow version search, $count LIKE" 1 "$mlflow"
    p50s[mlflow-$count]=$(awk '$1 == "50%" {print $2}' "$test_dir/MLflow version search, $count LIKE, 1 conns.txt")
done
for kind in native mlflow; do
    one=$(to_ms "${p50s[$kind-1]}")
    printf "%-34s 10 terms %5.2fx, 50 terms %5.2fx (p50 against 1 term)\n" "version search ($kind)" \
        "$(awk -v a="$(to_ms "${p50s[$kind-10]}")" -v b="$one" 'BEGIN { print a / b }')" "$(awk -v a="$(to_ms "${p50s[$kind-50]}")" -v b="$one" 'BEGIN { print a / b }')"
done
run_wrk "alias resolve (cached)" 1 -s Benchmarks/registry/resolve.lua "$base"
run_wrk "alias resolve (cached)" 4 -s Benchmarks/registry/resolve.lua "$base"
run_wrk "version create + event" 4 -s Benchmarks/registry/create-version.lua "$base"
echo "targets: search p99 <= 25 ms, alias resolve p99 <= 2 ms"
for connections in 1 4; do
    resolve_p50=$(percentile_ms "alias resolve (cached)" "$connections" "50%")
    resolve_p99=$(percentile_ms "alias resolve (cached)" "$connections" "99%")
    verdict=$(awk -v p="$resolve_p99" 'BEGIN { print (p <= 2 ? "met" : "missed") }')
    printf "alias resolve, %d conn: p50 %.3f ms, p99 %.3f ms%s\n" "$connections" "$resolve_p50" "$resolve_p99" \
        "$([ "$connections" = 1 ] && echo " (target p99 <= 2 ms: $verdict)")"
done
for connections in 1 4; do
    native_p50=$(percentile_ms "search, 3 tag filters" "$connections" "50%")
    mlflow_p50=$(percentile_ms "MLflow-API search, 3 tag filters" "$connections" "50%")
    ratio=$(awk -v a="$mlflow_p50" -v b="$native_p50" 'BEGIN { print a / b }')
    printf "MLflow registered-models/search vs native GET /v1/models (same 3 tag filters, 50 per page), %d conn: p50 %.3f vs %.3f ms, ratio %.2f (target <= 1.5: %s)\n" \
        "$connections" "$mlflow_p50" "$native_p50" "$ratio" "$(awk -v r="$ratio" 'BEGIN { print (r <= 1.5 ? "met" : "missed") }')"
done
sleep 2
backlog=$(psql "$postgres_url" -tAc "SELECT count(*) FROM registry.outbox WHERE sent_at IS NULL" 2>/dev/null || echo "?")
echo "outbox rows not yet published 2 s after the create run: $backlog"

[ "${BENCH_MLFLOW:-1}" = 0 ] && exit 0
mlflow_venv=.maestro/bench-mlflow-venv
if [ ! -x "$mlflow_venv/bin/mlflow" ]; then
    python3 -m venv "$mlflow_venv"
    "$mlflow_venv/bin/pip" install -q --disable-pip-version-check "mlflow==3.17.2" "psycopg[binary]" >"$test_dir/mlflow-install.log" 2>&1 \
        || { echo "mlflow did not install from PyPI (see $test_dir/mlflow-install.log): no MLflow comparison"; rm -rf "$mlflow_venv"; exit 0; }
fi
mlflow_port=${BENCH_MLFLOW_PORT:-7195}
mlflow_db="${MAESTRO_TEST_POSTGRES_ADMIN_URL%/*}/mlflow_bench"
psql "$MAESTRO_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE mlflow_bench"
"$mlflow_venv/bin/mlflow" db upgrade "postgresql+psycopg://${mlflow_db#postgres://}" >"$test_dir/mlflow-upgrade.log" 2>&1
psql "$mlflow_db" -q -v ON_ERROR_STOP=1 -f Benchmarks/registry/seed-mlflow.sql
"$mlflow_venv/bin/mlflow" server --backend-store-uri "postgresql+psycopg://${mlflow_db#postgres://}" --host 127.0.0.1 --port "$mlflow_port" \
    --workers 2 >"$test_dir/mlflow.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$mlflow_port/health" && break; sleep 0.2; done
for server in "$base" "http://127.0.0.1:$mlflow_port"; do
    [ "$(curl -s -H "$auth" "$server$mlflow_search" | grep -o '"name": *"model-' | wc -l)" -gt 0 ] || { echo "the MLflow-API search finds nothing on $server"; exit 1; }
done
echo
echo "the same MLflow REST calls on both servers (same data, same PostgreSQL):"
printf "%-34s %5s %10s %10s %10s %8s\n" "server and call" "conns" "req/s" "p50" "p99" "non-2xx"
for connections in 1 4; do
    run_wrk "maestro: search, 3 tag filters" "$connections" "$base$mlflow_search"
    run_wrk "mlflow:  search, 3 tag filters" "$connections" "http://127.0.0.1:$mlflow_port$mlflow_search"
    run_wrk "maestro: get version by alias" "$connections" -s Benchmarks/registry/resolve-mlflow-api.lua "$base"
    run_wrk "mlflow:  get version by alias" "$connections" -s Benchmarks/registry/resolve-mlflow-api.lua "http://127.0.0.1:$mlflow_port"
done
