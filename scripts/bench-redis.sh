#!/usr/bin/env bash
# MaestroRedis against redis-benchmark on one private redis-server: pipelined HMGET of 20
# fields, 100 commands per pipeline, with the same number of connections on both sides
# (1, then 8). Prints HMGET/s, latency and the ratio MaestroRedis / redis-benchmark.
# Latency is per pipeline of 100 HMGETs for MaestroRedis, per request for redis-benchmark.
#   BENCH_REDIS_ITERATIONS   pipelines per MaestroRedis run (default 5000)
#   BENCH_REDIS_REQUESTS     redis-benchmark -n (default 200000)
#   BENCH_REDIS_CONNECTIONS  connection counts to compare (default "1 8")
set -euo pipefail
cd "$(dirname "$0")/.."

iterations=${BENCH_REDIS_ITERATIONS:-5000}
requests=${BENCH_REDIS_REQUESTS:-200000}
read -r -a connections <<<"${BENCH_REDIS_CONNECTIONS:-1 8}"
bench_dir=.maestro/bench-redis
mkdir -p "$bench_dir"

swift build -c release --product RedisBench
bin=.build/release/RedisBench

redis=""
stop_redis() {
    if [ -n "$redis" ]; then
        kill "$redis" 2>/dev/null || true
        wait "$redis" 2>/dev/null || true
    fi
}
trap stop_redis EXIT

# A random high port; another one if something already answers there or the server dies.
for _ in $(seq 1 10); do
    port=$((30000 + RANDOM % 20000))
    if redis-cli -p "$port" ping >/dev/null 2>&1; then continue; fi
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$bench_dir/redis.log" 2>&1 &
    redis=$!
    for _ in $(seq 1 50); do
        if redis-cli -p "$port" ping >/dev/null 2>&1 || ! kill -0 "$redis" 2>/dev/null; then break; fi
        sleep 0.1
    done
    if kill -0 "$redis" 2>/dev/null && redis-cli -p "$port" ping >/dev/null 2>&1; then break; fi
    stop_redis
    redis=""
done
if [ -z "$redis" ]; then
    echo "could not start redis-server on a free port (see $bench_dir/redis.log)" >&2
    exit 1
fi

fields=$(seq -f 'f%g' 1 20 | tr '\n' ' ')
results="$bench_dir/results.txt"
: >"$results"
echo "benchmark: pipelined HMGET of 20 fields, 100 per pipeline, redis-server on 127.0.0.1:$port ($(nproc) cores)"
for count in "${connections[@]}"; do
    # RedisBench first: it creates bench:hash:1..100, which redis-benchmark then reads.
    line=$("$bin" "redis://127.0.0.1:$port" "$iterations" "$count")
    echo "$line"
    echo "$line" | awk -v c="$count" '$1 == "RESULT" { print "swift", c, $4, $5, $6 }' >>"$results"
    # shellcheck disable=SC2086 # one argument per field
    redis-benchmark -p "$port" -c "$count" -n "$requests" -P 100 --csv HMGET bench:hash:1 $fields \
        | awk -F'","' -v c="$count" 'NR == 2 { gsub(/"/, "", $7); print "raw", c, $2, $5, $7 }' >>"$results"
done

awk '
    { ops[$1 " " $2] = $3; p50[$1 " " $2] = $4; p99[$1 " " $2] = $5; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
    END {
        printf "\n%11s %14s %8s %8s %16s %8s %8s %7s\n", "connections", "MaestroRedis/s", "p50 ms", "p99 ms", "redis-benchmark/s", "p50 ms", "p99 ms", "ratio"
        for (i = 1; i <= n; i++) {
            c = order[i]; s = "swift " c; r = "raw " c
            printf "%11s %14.0f %8.3f %8.3f %16.0f %8.3f %8.3f %7.2f\n", c, ops[s], p50[s], p99[s], ops[r], p50[r], p99[r], ops[s] / ops[r]
        }
    }' "$results"
