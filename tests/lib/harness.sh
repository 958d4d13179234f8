# Sourced by tests/cli.sh and tests/docs.sh: the kelpie binary, a work directory removed on exit, the
# ok / not ok counters, and one kelpie server stopped by PID on every exit path.
# The caller sets NAME (the work directory's prefix) before sourcing.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KELPIE=${KELPIE_BIN:-$ROOT/.build/debug/kelpie}
WORK=$(mktemp -d "/tmp/kelpie-$NAME-test.XXXXXX")
SERVER_PID=""
passed=0
failed=0
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -KILL "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# wait_ready PORT: true once /readyz answers 200 while SERVER_PID lives (deadline 10 s).
wait_ready() {
  for _ in $(seq 1 200); do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    curl -fsS -o /dev/null -m 1 "http://127.0.0.1:$1/readyz" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
stop_server() { kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
[ -x "$KELPIE" ] || { not_ok "kelpie binary $KELPIE exists (swift build first, or set KELPIE_BIN)"; finish; }
