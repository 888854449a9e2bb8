#!/usr/bin/env bash
# make test: builds, starts throwaway servers on test ports, runs `swift test` and then the
# black-box e2e suite, and stops what it started, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

test_dir=.maestro/test
rm -rf "$test_dir"
mkdir -p "$test_dir/run"

swift build --build-tests

pids=()
cleanups=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for command in "${cleanups[@]}"; do bash -c "$command" || true; done
}
trap cleanup EXIT

# Throwaway PostgreSQL and Redis on test ports.
source scripts/test-servers.sh

# The embedded Kafka broker (librdkafka's mock cluster) with every catalog topic.
.build/debug/maestro dev broker --run-dir "$test_dir/run" >"$test_dir/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    [ -s "$test_dir/run/kafka.bootstrap" ] && break
    sleep 0.1
done
[ -s "$test_dir/run/kafka.bootstrap" ] || { echo "the embedded broker did not start:"; cat "$test_dir/broker.log"; exit 1; }
export MAESTRO_KAFKA_BROKERS="$(cat "$test_dir/run/kafka.bootstrap")"
export MAESTRO_RUN_DIR="$PWD/$test_dir/run"
echo "embedded broker at $MAESTRO_KAFKA_BROKERS"

swift test --skip-build

# The e2e suite drives the built binaries with clients nobody here wrote.
venv=.maestro/venv
if [ ! -x "$venv/bin/pytest" ] || ! cmp -s Tests/e2e/requirements.txt "$venv/requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r Tests/e2e/requirements.txt
    cp Tests/e2e/requirements.txt "$venv/requirements.txt"
fi
MAESTRO_BIN="$PWD/.build/debug/maestro" "$venv/bin/pytest" -q Tests/e2e
