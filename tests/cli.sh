#!/usr/bin/env bash
# The command line as a newcomer meets it (run by `make test-scripts`):
#   1. configuration errors: each names the flag, its KELPIE_* variable, the value and the expected form on
#      stderr, and exits with its own status (docs/configuration.md, "Errors and exit statuses"); start-up
#      failures are on stderr in plain words and in the JSON log on stdout;
#   2. `make run` passes no --listen/--data-dir unless asked, and KELPIE_LISTEN alone decides the address;
#   3. `kelpie spool cat --dataset/--since/--limit` on a spool written by a real kelpie, and the --data-dir
#      hint when the directory is wrong.
# Binary: KELPIE_BIN or .build/debug/kelpie. Last line "N passed, M failed"; exit 1 when anything failed.
set -uo pipefail

NAME=cli
. "$(dirname "$0")/lib/harness.sh"

# MARK: 1. configuration errors

# refuses STATUS "ENV=VALUE or -" ARGS... -- NEEDLE...: kelpie serve exits STATUS and stderr holds every NEEDLE.
refuses() {
  local status=$1 env=$2; shift 2
  local args=() needles=()
  while [ "$1" != "--" ]; do args+=("$1"); shift; done; shift
  needles=("$@")
  local envs=(); [ "$env" != - ] && envs=("$env")
  timeout 20 env "${envs[@]}" "$KELPIE" serve --listen 127.0.0.1:0 --data-dir "$WORK/data-errors" "${args[@]}" \
    >"$WORK/out" 2>"$WORK/err"
  local rc=$? missing=""
  for needle in "${needles[@]}"; do grep -qF -- "$needle" "$WORK/err" || missing="$missing [$needle]"; done
  if [ "$rc" = "$status" ] && [ -z "$missing" ]; then ok "$env ${args[*]}: exit $status, stderr names${needles[*]/#/ }"
  else not_ok "$env ${args[*]}: exit $status (got $rc), stderr names it all (missing:$missing): $(cat "$WORK/err")"; fi
}
refuses 65 - --lanes -1 -- "--lanes" "KELPIE_LANES" "'-1'" "expected a whole number"
refuses 65 - --max-body-bytes ten -- "--max-body-bytes" "KELPIE_MAX_BODY_BYTES" "'ten'" "expected a byte count" "64MiB"
refuses 65 KELPIE_ACK=fast -- "--ack" "KELPIE_ACK" "'fast'" "from KELPIE_ACK" "durable, delivered or memory"
refuses 65 KELPIE_HEADER_TIMEOUT=soon -- "--header-timeout" "KELPIE_HEADER_TIMEOUT" "'soon'" "500ms, 5s"
refuses 65 - --listen localhost -- "--listen" "KELPIE_LISTEN" "'localhost'" "HOST:PORT"
refuses 78 - --max-queue-bytes 1MiB -- "--max-queue-bytes" "KELPIE_MAX_QUEUE_BYTES" "1048576" "--max-decoded-bytes"
refuses 78 KELPIE_MAX_INFLIGHT_BYTES=4MiB -- "--max-inflight-bytes" "KELPIE_MAX_INFLIGHT_BYTES" "4194304" "--max-body-bytes" "--max-decoded-bytes"
refuses 66 - --keys "$WORK/no-such-keys.yaml" -- "--keys" "KELPIE_KEYS" "no-such-keys.yaml" "No such file"
printf 'keys:\n  - keyy: x\n' >"$WORK/bad-keys.yaml"
refuses 66 - --keys "$WORK/bad-keys.yaml" -- "--keys" "KELPIE_KEYS" "keyy"
refuses 64 - --no-such-flag -- "no-such-flag"
if grep -q "Missing value" < <("$KELPIE" serve --lanes -1 2>&1); then not_ok "--lanes -1 is not read as a missing value"; else ok "--lanes -1 is not read as a missing value"; fi

# Start-up failures after logging began: plain words on stderr, JSON on stdout.
mkdir -p "$WORK/not-a-dir-parent"; : >"$WORK/not-a-dir-parent/file"
timeout 20 "$KELPIE" serve --listen 127.0.0.1:0 --data-dir "$WORK/not-a-dir-parent/file/data" >"$WORK/out" 2>"$WORK/err"
rc=$?
if [ "$rc" = 73 ] && grep -q '^kelpie: cannot use the data directory .*--data-dir / KELPIE_DATA_DIR' "$WORK/err" \
    && grep -q '"msg":"start failed"' "$WORK/out"; then ok "unusable --data-dir: exit 73, stderr sentence, JSON log line"
else not_ok "unusable --data-dir: exit 73 (got $rc), stderr sentence, JSON log line: $(cat "$WORK/err" "$WORK/out")"; fi

BUSY_PORT=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); print("bound", flush=True); time.sleep(60)' "$BUSY_PORT" >"$WORK/holder.out" &
HOLDER=$!
for _ in $(seq 1 100); do grep -q bound "$WORK/holder.out" && break; sleep 0.05; done
timeout 20 "$KELPIE" serve --listen "127.0.0.1:$BUSY_PORT" --data-dir "$WORK/data-busy" >"$WORK/out" 2>"$WORK/err"
rc=$?
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
if [ "$rc" = 69 ] && grep -q "^kelpie: cannot listen on 127.0.0.1:$BUSY_PORT (--listen / KELPIE_LISTEN)" "$WORK/err" \
    && grep -q '"msg":"start failed"' "$WORK/out"; then ok "busy --listen port: exit 69, stderr sentence, JSON log line"
else not_ok "busy --listen port: exit 69 (got $rc): $(cat "$WORK/err" "$WORK/out")"; fi

# MARK: 2. make run and KELPIE_* variables

run_line=$(cd "$ROOT" && make -n run 2>/dev/null | grep 'kelpie serve')
if [ -n "$run_line" ] && ! grep -q -- '--listen\|--data-dir' <<<"$run_line"; then ok "make run passes no --listen/--data-dir by default: $run_line"
else not_ok "make run passes no --listen/--data-dir by default: '$run_line'"; fi
run_line=$(cd "$ROOT" && make -n run LISTEN=127.0.0.1:9 DATA_DIR=/tmp/x 2>/dev/null | grep 'kelpie serve')
if grep -q -- '--listen 127.0.0.1:9 --data-dir /tmp/x' <<<"$run_line"; then ok "make run LISTEN=… DATA_DIR=… passes them as flags"
else not_ok "make run LISTEN=… DATA_DIR=… passes them as flags: '$run_line'"; fi
PORT=$(free_port)
KELPIE_LISTEN=127.0.0.1:$PORT KELPIE_DATA_DIR=$WORK/data-env "$KELPIE" serve >"$WORK/env.log" 2>&1 &
SERVER_PID=$!
if wait_ready "$PORT" && [ -d "$WORK/data-env" ]; then ok "KELPIE_LISTEN and KELPIE_DATA_DIR alone decide address and data directory"
else not_ok "KELPIE_LISTEN=127.0.0.1:$PORT binds that port: $(tail -c 300 "$WORK/env.log")"; fi
stop_server

# MARK: 3. kelpie spool cat for people

DATA=$WORK/spool
PORT=$(free_port)
"$KELPIE" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" --drain-delay 0s --log-level warning >"$WORK/spool.log" 2>&1 &
SERVER_PID=$!
if ! wait_ready "$PORT"; then not_ok "kelpie serve ready for the spool checks: $(tail -c 300 "$WORK/spool.log")"; finish; fi
post() {  # post DATASET BODY
  curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/1/batch/$1" -H 'X-Honeycomb-Team: cli-test' \
    -H 'Content-Type: application/json' -d "$2"
}
codes="$(post checkout '[{"time":"2026-01-01T00:00:00Z","data":{"n":1}},{"time":"2026-01-01T00:00:01Z","data":{"n":2}},{"data":{"n":3}}]')"
codes="$codes $(post Payments '[{"time":"2026-01-01T00:00:02Z","data":{"n":4}},{"data":{"n":5}}]')"
codes="$codes $(post 'with%20%22quote' '[{"data":{"n":6}}]')"  # the dataset 'with "quote'
stop_server
[ "$codes" = "200 200 200" ] && ok "six events stored in three datasets" || not_ok "six events stored (HTTP $codes)"

# cat_n ARGS...: the n values kelpie spool cat prints, space-separated.
cat_n() { "$KELPIE" spool cat --data-dir "$DATA" "$@" 2>"$WORK/cat.err" | sed -n 's/.*"data":{"n":\([0-9]*\)}}$/\1/p' | tr '\n' ' ' | sed 's/ $//'; }
expect_n() {  # expect_n "WANTED" ARGS...
  local wanted=$1; shift
  local got; got=$(cat_n "$@")
  if [ "$got" = "$wanted" ]; then ok "spool cat $*: events $wanted"; else not_ok "spool cat $*: events '$wanted', got '$got' $(cat "$WORK/cat.err")"; fi
}
expect_n "1 2 3 4 5 6"
expect_n "1 2 3" --dataset checkout
expect_n "4 5" --dataset payments
expect_n "6" --dataset 'with "quote'
expect_n "" --dataset nothing-here
expect_n "3 5 6" --since 10m
expect_n "2 3 4 5 6" --since 2026-01-01T00:00:01Z
expect_n "1 2" --limit 2
expect_n "2 3" --dataset checkout --since 2026-01-01T00:00:01Z --limit 2
KELPIE_DATA_DIR=$DATA "$KELPIE" spool cat --dataset payments --limit 1 >"$WORK/env-cat.out" 2>&1
grep -q '"n":4' "$WORK/env-cat.out" && [ "$(wc -l <"$WORK/env-cat.out")" = 1 ] && ok "spool cat reads KELPIE_DATA_DIR" \
  || not_ok "spool cat reads KELPIE_DATA_DIR: $(cat "$WORK/env-cat.out")"

"$KELPIE" spool cat --data-dir "$DATA" --since yesterday >/dev/null 2>"$WORK/err"; rc=$?
[ "$rc" = 64 ] && grep -q "neither a duration" "$WORK/err" && ok "spool cat --since yesterday: exit 64 with the accepted forms" \
  || not_ok "spool cat --since yesterday: exit 64 (got $rc): $(cat "$WORK/err")"
(cd "$WORK" && "$KELPIE" spool cat >/dev/null 2>"$WORK/err"); rc=$?
[ "$rc" = 66 ] && grep -q -- "--data-dir" "$WORK/err" && grep -q KELPIE_DATA_DIR "$WORK/err" \
  && ok "spool cat without a spool in ./data: exit 66, suggests --data-dir and KELPIE_DATA_DIR" \
  || not_ok "spool cat without a spool in ./data: exit 66 (got $rc), suggests --data-dir: $(cat "$WORK/err")"

finish
