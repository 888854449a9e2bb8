#!/usr/bin/env bash
# Starts throwaway PostgreSQL and Redis servers for `make test` on their own ports and
# prints the environment for the tests. Sourced by scripts/test.sh, which stops them.
#   MAESTRO_TEST_POSTGRES_PORT (default 7433), MAESTRO_TEST_REDIS_PORT (default 7380)
#   MAESTRO_TEST_POSTGRES_FSYNC (default off: tests need no durability; benchmarks of commits set on)

pg_port=${MAESTRO_TEST_POSTGRES_PORT:-7433}
redis_port=${MAESTRO_TEST_REDIS_PORT:-7380}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# PostgreSQL refuses to run as root: the cluster lives in /tmp, owned by the postgres user when we are root.
pg_data=$(mktemp -d /tmp/maestro-test-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$pg_data"
    as_pg=(runuser -u postgres --)
fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_data/data" -U maestro --auth=trust -E UTF8 >"$test_dir/postgres-init.log" 2>&1
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data/data" -l "$pg_data/postgres.log" -w -t 60 \
    -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c fsync=${MAESTRO_TEST_POSTGRES_FSYNC:-off} -c max_connections=200" start >/dev/null
cleanups+=("${as_pg[*]} $pg_bin/pg_ctl -D $pg_data/data -m fast -w stop >/dev/null 2>&1; rm -rf $pg_data")
export MAESTRO_TEST_POSTGRES_ADMIN_URL="postgres://maestro@127.0.0.1:$pg_port/postgres"
echo "PostgreSQL at 127.0.0.1:$pg_port"

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    >"$test_dir/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
done
export MAESTRO_REDIS_URL="redis://127.0.0.1:$redis_port"
echo "Redis at 127.0.0.1:$redis_port"
