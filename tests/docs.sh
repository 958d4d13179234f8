#!/usr/bin/env bash
# The docs describe the binary (run by `make test-scripts`):
#   1. every `kelpie serve` flag in --help is in docs/configuration.md with the same KELPIE_* variable and
#      default, and every flag there exists; every `kelpie spool cat` option is documented;
#   2. docs/sdks.md's Go, JS and Collector snippets use the option, endpoint and header names Kelpie serves,
#      and a browser preflight for libhoney-js's headers against a real kelpie is allowed.
# (Routes vs docs/api.md and /metrics vs docs/metrics.md: Tests/KelpieAppTests/DocumentationConsistencyTests;
# the Python snippets of docs/sdks.md run in tests/sdk.sh.) Server binary: KELPIE_BIN or .build/debug/kelpie.
# Last line: "N passed, M failed"; exit status 1 when anything failed.
set -uo pipefail

NAME=docs
. "$(dirname "$0")/lib/harness.sh"
# Counts the ok/not ok lines of a checker; a checker that crashes or says nothing is a failure.
count() {
  local out=$WORK/check.out
  "$@" >"$out" 2>&1
  local rc=$?
  cat "$out"
  passed=$((passed + $(grep -c '^ok ' "$out")))
  failed=$((failed + $(grep -c '^not ok ' "$out")))
  if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$out"; then not_ok "$* exited $rc"; fi
  grep -q '^\(ok\|not ok\) ' "$out" || not_ok "$* reported nothing"
}

echo "# flags: kelpie serve --help and kelpie spool cat --help vs docs/configuration.md"
"$KELPIE" serve --help >"$WORK/serve-help.txt" 2>&1
"$KELPIE" spool cat --help >"$WORK/spool-cat-help.txt" 2>&1
count python3 "$ROOT/tests/docs_check.py" flags "$WORK/serve-help.txt" "$WORK/spool-cat-help.txt" "$ROOT/docs/configuration.md"

echo "# docs/sdks.md: Go, JS, OTel environment and Collector snippets"
count python3 "$ROOT/tests/docs_check.py" snippets "$ROOT/docs/sdks.md"

echo "# a browser preflight for libhoney-js (docs/sdks.md) against a real kelpie"
PORT=$(free_port)
"$KELPIE" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --drain-delay 0s --log-level warning >"$WORK/kelpie.log" 2>&1 &
SERVER_PID=$!
ready=false
wait_ready "$PORT" && ready=true
if [ "$ready" = true ]; then
  curl -s -o /dev/null -D "$WORK/preflight.txt" -X OPTIONS -m 5 "http://127.0.0.1:$PORT/1/batch/web" \
    -H 'Origin: https://shop.example' -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: content-type,x-honeycomb-team,x-honeycomb-useragent'
  allow=$(tr -d '\r' <"$WORK/preflight.txt" | sed -n 's/^Access-Control-Allow-Headers: //Ip' | tr 'A-Z' 'a-z')
  for header in content-type x-honeycomb-team x-honeycomb-useragent; do
    case ", $allow," in
      *", $header,"*) ok "preflight allows $header" ;;
      *) not_ok "preflight allows $header (Access-Control-Allow-Headers: $allow)" ;;
    esac
  done
  grep -qi '^Access-Control-Allow-Origin: \*' "$WORK/preflight.txt" && ok "preflight allows any origin" \
    || not_ok "preflight allows any origin: $(cat "$WORK/preflight.txt")"
else
  not_ok "kelpie serve becomes ready on 127.0.0.1:$PORT: $(tail -c 300 "$WORK/kelpie.log")"
fi
stop_server
finish
