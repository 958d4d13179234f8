#!/usr/bin/env bash
# Relay throughput on this machine: kelpie-load → relay Kelpie (--sink http, --ack $ACK) → upstream Kelpie
# (spool, --ack durable). Prints the rate clients were acknowledged at, and the end-to-end rate: events
# stored upstream divided by the time from the start of the load until the relay had delivered everything.
# Usage: scripts/relay-throughput.sh [memory|durable|delivered] [duration, default 20s]
# Needs release builds: swift build -c release --product kelpie && swift build -c release --product kelpie-load
set -euo pipefail
ACK=${1:-memory}
DURATION=${2:-20s}
BIN=${BIN:-./.build/release}
UP_PORT=${UP_PORT:-18481}
RELAY_PORT=${RELAY_PORT:-18482}
work=$(mktemp -d /tmp/kelpie-relay-bench-XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

metric() { # port series → value (0 if absent)
    curl -sf "http://127.0.0.1:$1/metrics" | awk -v s="$2" 'index($0, s " ") == 1 { print $2; found=1 } END { if (!found) print 0 }'
}
wait_ready() {
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.05; done
    echo "kelpie on port $1 did not become ready" >&2; exit 1
}

"$BIN/kelpie" serve --listen "127.0.0.1:$UP_PORT" --data-dir "$work/upstream" --drain-delay 0s \
    --retention-max-bytes 8GiB --log-level warning >"$work/upstream.log" 2>&1 &
pids+=($!)
KELPIE_UPSTREAM_KEY=relay-bench-key "$BIN/kelpie" serve --listen "127.0.0.1:$RELAY_PORT" --data-dir "$work/relay" \
    --sink http --upstream-url "http://127.0.0.1:$UP_PORT" --ack "$ACK" --drain-delay 0s \
    --log-level warning >"$work/relay.log" 2>&1 &
pids+=($!)
wait_ready "$UP_PORT"
wait_ready "$RELAY_PORT"

start=$(date +%s.%N)
"$BIN/kelpie-load" --target "http://127.0.0.1:$RELAY_PORT" --closed --connections 16 --threads 1 \
    --duration "$DURATION" --warmup 0s --payload batch-json --batch-size 100 --progress none \
    --json "$work/load.json" >"$work/load.txt"
acked=$(metric "$RELAY_PORT" 'kelpie_ingest_events_accepted_total{format="json"}')
# Drain: wait (at most 120 s) until the upstream holds everything the relay acknowledged.
for _ in $(seq 2400); do
    stored=$(metric "$UP_PORT" 'kelpie_ingest_events_accepted_total{format="json"}')
    [ "${stored%.*}" -ge "${acked%.*}" ] && break
    sleep 0.05
done
end=$(date +%s.%N)
stored=$(metric "$UP_PORT" 'kelpie_ingest_events_accepted_total{format="json"}')
requests=$(metric "$RELAY_PORT" 'kelpie_upstream_requests_total{class="2xx"}')
refused=$(curl -sf "http://127.0.0.1:$RELAY_PORT/metrics" | awk '/^kelpie_ingest_refusals_total/ { s += $2 } END { print s + 0 }')
awk -v ack="$ACK" -v a="$acked" -v s="$stored" -v t0="$start" -v t1="$end" -v r="$requests" -v f="$refused" 'BEGIN {
    printf "ack=%s acknowledged=%d stored_upstream=%d refused_requests=%d upstream_requests=%d elapsed=%.2fs end_to_end=%.0f events/s events_per_upstream_request=%.0f\n",
        ack, a, s, f, r, t1 - t0, s / (t1 - t0), (r > 0 ? s / r : 0) }'
cat "$work/load.txt"
