#!/usr/bin/env bash
# make test: builds, starts throwaway servers on test ports, runs `swift test` and then the
# black-box e2e suite, and stops what it started, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

test_dir=.maestro/test
rm -rf "$test_dir"
mkdir -p "$test_dir/run"

swift build --build-tests
bin=.build/debug

source scripts/processes.sh
# Throwaway PostgreSQL and Redis on test ports, and the embedded Kafka broker with every catalog topic.
source scripts/test-servers.sh
start_broker "$test_dir"
export MAESTRO_KAFKA_BROKERS="$bootstrap"
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
MAESTRO_BIN="$PWD/$bin/maestro" "$venv/bin/pytest" -q Tests/e2e
