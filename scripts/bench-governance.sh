#!/usr/bin/env bash
# Governance figures for `make bench`, on its own PostgreSQL, Redis and embedded broker with a
# release maestro-governance: the token exchange (POST /v1/tokens: key lookup, SHA-256 compare,
# roles, ES256 signature) and the OAuth token endpoint (POST /oauth/token, client credentials
# by HTTP Basic: the same work plus form parsing) p50/p99 with wrk at 1 and 4 connections. The
# token request rate limits are raised out of the way: the bench measures the work, not the limit.
# Then the revocation latency: a release maestro-registry trusts governance's tokens, and for
# BENCH_REVOCATIONS (default 50) keys, each token's key is revoked and the registry polled
# until it refuses the token (Benchmarks/revocation/latency.py); p50/p99/max, target p99 <= 2 s. The verification side (an
# authenticated route with cached JWKS) is the HTTP kit figure of scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${BENCH_GOVERNANCE_SECONDS:-10}
port=${BENCH_GOVERNANCE_PORT:-7194}
test_dir=.maestro/bench-governance
rm -rf "$test_dir"
mkdir -p "$test_dir/run"
swift build -c release --product maestro-governance
swift build -c release --product maestro-registry
swift build -c release --product maestro
bin=.build/release

source scripts/processes.sh
start_broker "$test_dir"
MAESTRO_TEST_POSTGRES_PORT=${BENCH_GOVERNANCE_POSTGRES_PORT:-7438} MAESTRO_TEST_REDIS_PORT=${BENCH_GOVERNANCE_REDIS_PORT:-7385} source scripts/test-servers.sh
postgres_url="${MAESTRO_TEST_POSTGRES_ADMIN_URL%/*}/governance_bench"
psql "$MAESTRO_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE governance_bench"
export BENCH_API_KEY="mk_$(openssl rand -hex 6)_$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n')"
export BENCH_OAUTH_BASIC="$(printf '%s:%s' "${BENCH_API_KEY:3:12}" "$BENCH_API_KEY" | base64 -w0)"
MAESTRO_HTTP_PORT=$port MAESTRO_POSTGRES_URL="$postgres_url?sslmode=disable" MAESTRO_KAFKA_BROKERS="$bootstrap" MAESTRO_LOG_LEVEL=warning \
    MAESTRO_BOOTSTRAP_ADMIN_KEY="$BENCH_API_KEY" \
    MAESTRO_GOVERNANCE_TOKEN_REQUESTS_PER_MINUTE=1000000 MAESTRO_GOVERNANCE_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE=1000000 "$bin/maestro-governance" >"$test_dir/governance.log" 2>&1 &
pids+=($!)
wait_until_ready maestro-governance "$port" "$test_dir/governance.log"
curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1/tokens" -H 'Content-Type: application/json' -d "{\"api_key\":\"$BENCH_API_KEY\"}" \
    || { echo "the bench API key is not accepted:"; cat "$test_dir/governance.log"; exit 1; }

echo
printf "%-30s %5s %10s %10s %10s %8s\n" "governance (wrk -t1 -d${seconds}s)" "conns" "req/s" "p50" "p99" "non-2xx"
for route in "/v1/tokens token" "/oauth/token oauth"; do
    set -- $route
    for connections in 1 4; do
        wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "Benchmarks/governance/$2.lua" "http://127.0.0.1:$port$1" >"$test_dir/wrk.txt"
        printf "%-30s %5s %10.0f %10s %10s %8s\n" "POST $1" "$connections" "$(awk '/Requests\/sec/ {print $2}' "$test_dir/wrk.txt")" \
            "$(awk '$1 == "50%" {print $2}' "$test_dir/wrk.txt")" "$(awk '$1 == "99%" {print $2}' "$test_dir/wrk.txt")" \
            "$(awk '/Non-2xx/ {print $5}' "$test_dir/wrk.txt" | grep . || echo 0)"
    done
done

# Revocation latency: governance's event, through the embedded broker, to the registry's refusal.
registry_port=${BENCH_REVOCATION_REGISTRY_PORT:-7195}
psql "$MAESTRO_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE registry_revocation_bench"
MAESTRO_HTTP_PORT=$registry_port MAESTRO_POSTGRES_URL="${MAESTRO_TEST_POSTGRES_ADMIN_URL%/*}/registry_revocation_bench?sslmode=disable" \
    MAESTRO_KAFKA_BROKERS="$bootstrap" MAESTRO_LOG_LEVEL=warning MAESTRO_JWKS_URL="http://127.0.0.1:$port/.well-known/jwks.json" \
    MAESTRO_RATE_LIMIT_RPS=1000000 MAESTRO_RATE_LIMIT_BURST=1000000 "$bin/maestro-registry" >"$test_dir/registry.log" 2>&1 &
pids+=($!)
wait_until_ready maestro-registry "$registry_port" "$test_dir/registry.log"
venv=.maestro/bench-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import requests" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "requests==$(awk -F'==' '/^requests==/ {print $2}' Tests/e2e/requirements.txt)"
fi
echo
printf "%-30s %5s %11s %11s %11s\n" "governance -> registry" "keys" "p50" "p99" "max"
"$venv/bin/python" Benchmarks/revocation/latency.py "http://127.0.0.1:$port" "http://127.0.0.1:$registry_port" "$BENCH_API_KEY" "${BENCH_REVOCATIONS:-50}"
