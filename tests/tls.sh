#!/usr/bin/env bash
# TLS termination from the outside, with the tools operators use: curl (TLS 1.2/1.3, ALPN, -k and the
# CA-verified path), openssl s_client (TLS 1.1 refused, ALPN, session resumption with -sess_out/-sess_in),
# plaintext and silent clients, the real libhoney-py SDK over https (its venv is the one tests/sdk.sh
# builds), and certificate reloads (file change and SIGHUP) during load: wrk keeps keep-alive connections
# busy over https while a curl loop opens new connections; no request may fail, old connections keep their
# certificate, new ones get the new one. kelpie-load has no TLS, so the load is wrk plus curl.
# Certificates are made here with the openssl CLI in a temp dir. Ends with "N passed, M failed".
set -uo pipefail

NAME=tls
. "$(dirname "$0")/lib/harness.sh"
VENV=${KELPIE_SDK_VENV:-$ROOT/.build-venv/sdk}
KEY=hcaik_01hztlstestkey000000000000000000000000000000000000000000000
BACKGROUND_PIDS=()

# SIGTERM, a bounded wait, then SIGKILL; sets SERVER_RC (the exit status).
stop_server_rc() {
  SERVER_RC=""
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_RC=$?
  SERVER_PID=""
}
cleanup() {
  local pid
  for pid in "${BACKGROUND_PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  stop_server_rc
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap 'exit 130' INT TERM
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

# MARK: certificates (a CA and two leaves it signed, for localhost and 127.0.0.1)

cd "$WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 \
  -subj "/CN=Kelpie TLS Test CA" 2>/dev/null
for name in first second; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -out "$name.csr" \
    -subj "/CN=$name" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.pem" -days 2 \
    -extfile "$name.ext" 2>/dev/null
done
cp first.pem tls.pem && cp first.key tls.key
[ -s tls.pem ] && [ -s tls.key ] || { not_ok "openssl made the test certificates"; finish; }

# MARK: start-up errors name the flag

start_fails_with() {  # start_fails_with WHAT EXIT PATTERN... -- ARGS: kelpie serve ARGS exits EXIT, output matches every PATTERN
  local what=$1 expected=$2 patterns=() out rc p
  shift 2
  while [ "$1" != -- ]; do patterns+=("$1"); shift; done
  shift
  out=$(timeout 30 "$KELPIE" serve --listen 127.0.0.1:0 --data-dir "$WORK/bad" "$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$expected" ]; then not_ok "$what: exit $rc, expected $expected: $(tail -c 300 <<< "$out")"; return; fi
  for p in "${patterns[@]}"; do
    grep -q -e "$p" <<< "$out" || { not_ok "$what: no '$p' in: $(tail -c 300 <<< "$out")"; return; }
  done
  ok "$what (exit $rc): $(grep -m1 '^kelpie: ' <<< "$out" | head -c 220)"
}
start_fails_with "mismatched key stops start-up naming --tls-key" 66 '--tls-key' 'does not match' -- \
  --tls-cert first.pem --tls-key second.key
start_fails_with "missing certificate stops start-up naming --tls-cert" 66 '--tls-cert' 'No such file' -- \
  --tls-cert missing.pem --tls-key first.key
start_fails_with "a certificate given as the key stops start-up naming --tls-key" 66 '--tls-key' -- \
  --tls-cert first.pem --tls-key first.pem
start_fails_with "--tls-cert without --tls-key is refused" 78 'given alone' -- --tls-cert first.pem

# MARK: server

PORT=$(free_port)
URL=https://localhost:$PORT
mkdir -p "$WORK/data"
KELPIE_TLS_CERT=$WORK/tls.pem KELPIE_TLS_KEY=$WORK/tls.key KELPIE_LOG_LEVEL=info \
  "$KELPIE" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --drain-delay 0s --tls-handshake-timeout 1s \
  > "$WORK/kelpie.log" 2>&1 &
SERVER_PID=$!
ready=false
for _ in $(seq 1 200); do
  kill -0 "$SERVER_PID" 2>/dev/null || break
  curl -fsS -o /dev/null --max-time 1 --cacert ca.pem "$URL/readyz" 2>/dev/null && { ready=true; break; }
  sleep 0.05
done
[ "$ready" = true ] || { not_ok "kelpie serve (TLS) becomes ready (log: $(tail -c 400 "$WORK/kelpie.log"))"; finish; }
ok "kelpie serve with --tls-cert/--tls-key (env) ready on $URL"

# MARK: curl

curl_info() { curl -sS -v -o "$WORK/body" -w '%{http_code}' --max-time 10 "$@" 2> "$WORK/curl.err"; }
code=$(curl_info -k --tlsv1.2 --tls-max 1.2 "$URL/healthz")
check "curl --tlsv1.2 --tls-max 1.2 -k: 200 over TLSv1.2" bash -c "[ '$code' = 200 ] && grep -q 'SSL connection using TLSv1.2 / ECDHE' '$WORK/curl.err'"
code=$(curl_info -k --tlsv1.3 "$URL/healthz")
check "curl --tlsv1.3 -k: 200 over TLSv1.3" bash -c "[ '$code' = 200 ] && grep -q 'SSL connection using TLSv1.3' '$WORK/curl.err'"
check "curl offering h2 and http/1.1 gets ALPN h2 (HTTP/2 over TLS)" grep -Eq 'ALPN: server accepted (to use )?h2' "$WORK/curl.err"
code=$(curl_info -k --http1.1 "$URL/healthz")
check "curl --http1.1 (offering only http/1.1): 200 with ALPN http/1.1" bash -c "[ '$code' = 200 ] && grep -Eq 'ALPN: server accepted (to use )?http/1.1' '$WORK/curl.err'"
code=$(curl_info --cacert ca.pem -H "X-Honeycomb-Team: $KEY" -H 'Content-Type: application/json' \
  --data '[{"data":{"over":"tls"}}]' "$URL/1/batch/tls-curl")
check "curl --cacert (verified chain and name): batch answered 200 $(cat "$WORK/body")" \
  bash -c "[ '$code' = 200 ] && grep -q '202' '$WORK/body'"
curl -sS -o /dev/null --max-time 10 "$URL/healthz" 2>/dev/null
check "curl without the CA refuses the certificate (exit 60)" test $? -eq 60
curl -sS -o /dev/null --max-time 10 "http://127.0.0.1:$PORT/healthz" 2>/dev/null
rc=$?
check "plaintext HTTP to the TLS port fails cleanly (curl exit $rc, no HTTP answer)" test "$rc" -eq 52 -o "$rc" -eq 56
code=$(curl_info --cacert ca.pem "$URL/healthz")
check "the server still serves after the plaintext attempt" test "$code" = 200

# MARK: openssl s_client

s_client() { timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost "$@" < /dev/null > "$WORK/s.out" 2>&1; }
s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
rc=$?
refusal=$(grep -Eo 'alert protocol version|unsupported protocol|no protocols available' "$WORK/s.out" | head -1)
check "s_client -tls1_1 is refused (rc=$rc: ${refusal:-no refusal seen})" test "$rc" -ne 0 -a -n "$refusal"
s_client -tls1_2
check "s_client -tls1_2 connects with an ECDHE AEAD cipher" grep -Eq 'Cipher is ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)' "$WORK/s.out"
s_client -tls1_3 -alpn h2,http/1.1
check "s_client -tls1_3 -alpn h2,http/1.1: TLSv1.3 and ALPN h2" \
  bash -c "grep -q 'New, TLSv1.3' '$WORK/s.out' && grep -q 'ALPN protocol: h2' '$WORK/s.out'"
s_client -tls1_3 -alpn http/1.1
check "s_client -alpn http/1.1: ALPN http/1.1" grep -q 'ALPN protocol: http/1.1' "$WORK/s.out"
s_client -tls1_3 -alpn spdy/3
check "s_client -alpn spdy/3 only: refused with no_application_protocol" grep -q 'no application protocol' "$WORK/s.out"
for version in tls1_2 tls1_3; do
  request='GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
  printf "$request" | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -"$version" -sess_out "$WORK/$version.sess" -ign_eof > "$WORK/s1.out" 2>&1
  printf "$request" | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -"$version" -sess_in "$WORK/$version.sess" -ign_eof > "$WORK/s2.out" 2>&1
  check "s_client -$version -sess_out then -sess_in: Reused" \
    bash -c "grep -q '^New, ' '$WORK/s1.out' && grep -q '^Reused, ' '$WORK/s2.out' && grep -q '200 OK' '$WORK/s2.out'"
done
started=$(date +%s.%N)
python3 - "$PORT" <<'PY' > "$WORK/silent.out"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
try:
    print("eof" if s.recv(1) == b"" else "data")
except Exception as e:
    print(type(e).__name__)
PY
elapsed=$(python3 -c "import time; print(round(time.time() - $started, 2))")
check "a silent client is closed by the handshake timeout (1s; closed after ${elapsed}s)" \
  bash -c "grep -qx eof '$WORK/silent.out' && python3 -c 'import sys; sys.exit(0 if 0.9 <= $elapsed < 5 else 1)'"

# MARK: libhoney-py over https

if [ ! -x "$VENV/bin/python" ]; then
  echo "# no SDK venv at $VENV yet: building it through tests/sdk.sh"
  bash "$ROOT/tests/sdk.sh" libhoney > "$WORK/sdk-build.log" 2>&1
fi
if [ -x "$VENV/bin/python" ]; then
  REQUESTS_CA_BUNDLE=$WORK/ca.pem timeout 60 "$VENV/bin/python" "$ROOT/tests/sdk/libhoney_send.py" --api-host "$URL" \
    --key "$KEY" --dataset tls-libhoney --mode gzip --count 200 --out "$WORK/libhoney.json" > "$WORK/libhoney.out" 2>&1
  if grep -q '^ok ' "$WORK/libhoney.out" && ! grep -q '^FAIL' "$WORK/libhoney.out"; then
    ok "libhoney-py over https (CA-verified): $(grep '^ok ' "$WORK/libhoney.out" | head -1 | cut -c6-)"
  else
    not_ok "libhoney-py over https: $(tail -c 600 "$WORK/libhoney.out")"
  fi
else
  not_ok "libhoney-py venv at $VENV (tests/sdk.sh builds it; is PyPI reachable?)"
fi

# MARK: reload during load

cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '[{"data":{"load":"tls"}}]'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Honeycomb-Team"] = "$KEY"
LUA
if command -v wrk > /dev/null; then
  wrk -t1 -c8 -d8s --timeout 5s -s "$WORK/post.lua" "https://127.0.0.1:$PORT/1/batch/tls-wrk" > "$WORK/wrk.out" 2>&1 &
  WRK_PID=$!
  BACKGROUND_PIDS+=("$WRK_PID")
fi
# New connections in a loop, CA-verified (both leaves are signed by the same CA).
( ok=0; bad=0; end=$((SECONDS + 7))
  while [ $SECONDS -lt $end ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$WORK/ca.pem" -H "X-Honeycomb-Team: $KEY" \
      --data '[{"data":{"load":"curl"}}]' "$URL/1/batch/tls-curl-loop")
    if [ "$code" = 200 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
  done
  echo "$ok $bad" > "$WORK/loop.out" ) &
LOOP_PID=$!
BACKGROUND_PIDS+=("$LOOP_PID")
reloads_logged() { grep -c 'TLS certificate reloaded' "$WORK/kelpie.log"; }
wait_for_reloads() {  # wait_for_reloads N: until N reloads are logged, at most 10 s
  for _ in $(seq 1 200); do [ "$(reloads_logged)" -ge "$1" ] && return 0; sleep 0.05; done
  return 1
}
sleep 1
# Rotation as a Secret update does it: new files renamed into place, picked up by the file watcher (2 s poll) ...
cp second.pem tls.pem.new && cp second.key tls.key.new && mv tls.key.new tls.key && mv tls.pem.new tls.pem
check "the file watcher reloads the renamed certificate within 10 s" wait_for_reloads 1
# ... and back again through SIGHUP.
cp first.pem tls.pem.new && cp first.key tls.key.new && mv tls.key.new tls.key && mv tls.pem.new tls.pem
kill -HUP "$SERVER_PID"
check "SIGHUP reloads the certificate" wait_for_reloads 2
wait "$LOOP_PID"
read -r loop_ok loop_bad < "$WORK/loop.out"
check "curl loop of new connections during two reloads: $loop_ok answered 200, $loop_bad failed" \
  bash -c "[ '$loop_ok' -gt 20 ] && [ '$loop_bad' -eq 0 ]"
if [ -n "${WRK_PID:-}" ]; then
  wait "$WRK_PID"
  requests=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")
  errors=$(grep -Eo 'Non-2xx or 3xx responses: [0-9]+|Socket errors: .*' "$WORK/wrk.out" | tr '\n' ' ')
  check "wrk over https (8 keep-alive connections) across the reloads: $requests requests, no errors ${errors:-}" \
    bash -c "[ -n '$requests' ] && [ '$requests' -gt 100 ] && [ -z '$errors' ]"
else
  not_ok "wrk is installed (scripts/bootstrap.sh test installs it)"
fi
subject=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" 2>/dev/null | grep -m1 '^subject=')
check "after SIGHUP new connections get the first certificate again ($subject)" grep -q 'CN *= *first' <<< "$subject"

# MARK: metrics

curl -sS --cacert ca.pem "$URL/metrics" > "$WORK/metrics.txt"
metric() { awk -v name="$1" '$1 == name {print $2}' "$WORK/metrics.txt"; }
for result in completed failed timed_out; do
  value=$(metric "kelpie_tls_handshakes_total{result=\"$result\"}")
  check "kelpie_tls_handshakes_total{result=\"$result\"} = ${value:-absent} (> 0)" \
    python3 -c "import sys; sys.exit(0 if float('${value:-0}') > 0 else 1)"
done
for series in 'version="TLSv1.2",alpn="none",resumed="true"' 'version="TLSv1.3",alpn="none",resumed="true"' \
  'version="TLSv1.3",alpn="http/1.1",resumed="false"'; do
  value=$(metric "kelpie_tls_sessions_total{$series}")
  check "kelpie_tls_sessions_total{$series} = ${value:-absent} (> 0)" \
    python3 -c "import sys; sys.exit(0 if float('${value:-0}') > 0 else 1)"
done
check "kelpie_tls_certificate_reloads_total >= 2" \
  python3 -c "import sys; sys.exit(0 if float('$(metric kelpie_tls_certificate_reloads_total)' or 0) >= 2 else 1)"

stop_server_rc
check "kelpie exits 0 on SIGTERM (rc=$SERVER_RC)" test "$SERVER_RC" = 0
finish
