# Sourced by the tests/*.sh suites after setting ROOT (never run on its own; `make test-scripts` only runs
# tests/*.sh): the binaries under test, "ok/FAIL" lines, the closing "N passed, M failed" line and its exit
# status, and small helpers.

# Binaries: KELPIE_BIN / KELPIE_LOAD_BIN, or both from KELPIE_BIN_DIR (default .build/debug).
BIN_DIR=${KELPIE_BIN_DIR:-$ROOT/.build/debug}
KELPIE=${KELPIE_BIN:-$BIN_DIR/kelpie}
LOAD=${KELPIE_LOAD_BIN:-$BIN_DIR/kelpie-load}

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
finish() { echo "$PASSED passed, $FAILED failed"; [ "$FAILED" -eq 0 ]; exit $?; }
# A value from a JSON file by dotted path: json_get FILE summary.requests_per_second
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d := d[k] for k in sys.argv[2].split(".")]; print(d)' "$1" "$2"; }
# A TCP port free on 127.0.0.1 right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
