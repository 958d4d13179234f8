#!/bin/bash
# Measures one backend with wrk and prints req/s and server CPU per request.
# Usage: bench/sockets/run.sh <epoll|dispatch> [plain|pause|close]
#   env: LANES (default: CPUs), TICK_MS, WRKARGS (e.g. "-H Connection:close" for close mode)
# Builds bench/sockets in release first. CPU per request = (utime+stime delta of the server from
# /proc/<pid>/stat) / requests; context switches from /proc/<pid>/task/*/status and perf stat.
set -e
cd "$(dirname "$0")"
swift build -c release --product SocketBench >/dev/null
backend=${1:-epoll}; mode=${2:-plain}
out=$(mktemp -d)
fifo=$out/stdin; mkfifo $fifo
.build/release/SocketBench $backend 0 "${LANES:-}" $mode < $fifo > $out/server.txt 2>&1 &
pid=$!
exec 9>$fifo
for _ in $(seq 50); do grep -q listening $out/server.txt && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' $out/server.txt | cut -d: -f2)
ticks() { awk '{print $14+$15}' /proc/$pid/stat; }
switches() { cat /proc/$pid/task/*/status | awk '/ctxt_switches/ {s+=$2} END {print s}'; }
t0=$(ticks); c0=$(switches)
perf stat -e context-switches -p $pid -o $out/perf.txt -- sleep 10.5 2>/dev/null &
perfpid=$!
wrk -t1 -c32 -d10s ${WRKARGS:-} http://127.0.0.1:$port/ > $out/wrk.txt
wait $perfpid 2>/dev/null || true
t1=$(ticks); c1=$(switches)
exec 9>&-; wait $pid || true
requests=$(awk '/requests in/ {print $1}' $out/wrk.txt)
rps=$(awk '/Requests\/sec/ {print $2}' $out/wrk.txt)
perfcs=$(awk '/context-switches/ {gsub(",","",$1); print $1}' $out/perf.txt 2>/dev/null)
awk -v b=$backend -v m=$mode -v rps=$rps -v req=$requests -v d=$((t1 - t0)) -v hz=$(getconf CLK_TCK) \
    -v cs=$((c1 - c0)) -v pcs="${perfcs:-n/a}" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    printf "%s %s req/s=%s requests=%d server_cpu_s=%.2f cpu_us_per_req=%.2f ctx_switches=%d (perf: %s) per_req=%.3f load1=%s\n",
        b, m, rps, req, d / hz, d / hz / req * 1e6, cs, pcs, cs / req, load }'
grep -E 'Socket errors|Non-2xx' $out/wrk.txt || true
rm -rf $out
