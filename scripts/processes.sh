# Sourced by test.sh and bench.sh: what they start is stopped on exit, also on failure.
# Background processes go in `pids`; other stop commands (e.g. pg_ctl stop) in `cleanups`.
pids=()
cleanups=()
# Newest first, each stopped before the next: services leave their consumer groups while the
# broker they use still runs.
stop_started() {
    local index
    for ((index = ${#pids[@]} - 1; index >= 0; index--)); do
        kill "${pids[index]}" 2>/dev/null || true
        wait "${pids[index]}" 2>/dev/null || true
    done
    for command in "${cleanups[@]}"; do bash -c "$command" || true; done
}
trap stop_started EXIT

# start_broker DIR [extra maestro dev broker options]: the embedded broker; sets `bootstrap`.
start_broker() {
    local dir=$1
    shift
    "$bin/maestro" dev broker --run-dir "$dir/run" "$@" >"$dir/broker.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        [ -s "$dir/run/kafka.bootstrap" ] && break
        sleep 0.1
    done
    [ -s "$dir/run/kafka.bootstrap" ] || { echo "the embedded broker did not start:"; cat "$dir/broker.log"; exit 1; }
    bootstrap=$(cat "$dir/run/kafka.bootstrap")
}

# wait_until_ready NAME PORT LOG: waits up to 60 s for a service's /health/ready; shows its log and exits if it never answers.
wait_until_ready() {
    for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$2/health/ready" && return 0; sleep 0.2; done
    echo "$1 did not become ready:"
    cat "$3"
    exit 1
}
