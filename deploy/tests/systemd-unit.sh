# Sourced by tests/deploy.sh: checks deploy/systemd against systemd itself and against the real binary.
# Uses the caller's ok/not_ok/expect, $ROOT, $TMP and $KELPIE_BIN.
systemd_unit_checks() {
  local dir="$ROOT/deploy/systemd" unit="$ROOT/deploy/systemd/kelpie.service"
  echo "# deploy/systemd"
  if ! command -v systemd-analyze >/dev/null; then
    not_ok "systemd-analyze is installed (scripts/bootstrap.sh test installs systemd)"
    return
  fi
  # verify wants ExecStart's binary to exist: check a copy that points at the binary under test.
  local bin="${KELPIE_BIN:-/usr/local/bin/kelpie}"
  mkdir -p "$TMP/systemd"
  sed "s#^ExecStart=/usr/local/bin/kelpie #ExecStart=$bin #" "$unit" >"$TMP/systemd/kelpie.service"
  local out="$TMP/systemd/verify.out"
  if systemd-analyze verify "$TMP/systemd/kelpie.service" >"$out" 2>&1 && [ ! -s "$out" ]; then
    ok "systemd-analyze verify deploy/systemd/kelpie.service: no findings"
  else
    not_ok "systemd-analyze verify deploy/systemd/kelpie.service"; sed 's/^/    /' "$out"
  fi

  # systemd's own exposure score (0 = locked down, 10 = none): keep the hardening from eroding.
  if systemd-analyze security --offline=yes --threshold=20 "$TMP/systemd/kelpie.service" >"$out" 2>&1; then
    ok "systemd-analyze security: $(grep -o 'Overall exposure level[^:]*: [0-9.]* [A-Z]*' "$out") (at most 2.0)"
  else
    not_ok "systemd-analyze security: exposure at most 2.0"; tail -3 "$out" | sed 's/^/    /'
  fi

  local directive
  for directive in '^User=kelpie$' '^StateDirectory=kelpie$' '^ProtectSystem=strict$' '^NoNewPrivileges=yes$' \
      '^LimitNOFILE=[0-9]+$' '^Restart=on-failure$' '^ExecReload=/bin/kill -HUP \$MAINPID$' \
      '^Environment=KELPIE_DATA_DIR=/var/lib/kelpie$' '^CapabilityBoundingSet=$'; do
    expect "kelpie.service has $directive" grep -Eq "$directive" "$unit"
  done
  expect "kelpie.sysusers creates the user the unit runs as" grep -Eq '^u kelpie ' "$dir/kelpie.sysusers"

  # Stop timeout: drain delay + shutdown timeout (from the env file, else kelpie's defaults) + 5 s margin.
  local stop drain shutdown
  stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
  drain=$(sed -n 's/^KELPIE_DRAIN_DELAY=\([0-9]*\)s$/\1/p' "$dir/kelpie.env"); drain=${drain:-5}
  shutdown=$(sed -n 's/^KELPIE_SHUTDOWN_TIMEOUT=\([0-9]*\)s$/\1/p' "$dir/kelpie.env"); shutdown=${shutdown:-20}
  expect "TimeoutStopSec ($stop s) >= drain ($drain s) + shutdown ($shutdown s) + 5 s" \
    test "${stop:-0}" -ge $((drain + shutdown + 5))

  # RestartPreventExitStatus holds exactly the statuses kelpie gives configuration errors.
  if [ ! -x "$bin" ]; then not_ok "KELPIE_BIN is set to a built kelpie for the exit-status checks"; return; fi
  local prevent statuses="" rc
  prevent=$(sed -n 's/^RestartPreventExitStatus=//p' "$unit")
  "$bin" serve --lanes many >/dev/null 2>&1; rc=$?; statuses="$statuses $rc"
  "$bin" serve --keys "$TMP/systemd/no-such-keys.yaml" --data-dir "$TMP/systemd/data" --listen 127.0.0.1:0 >/dev/null 2>&1
  rc=$?; statuses="$statuses $rc"
  "$bin" serve --max-queue-bytes 1MiB >/dev/null 2>&1; rc=$?; statuses="$statuses $rc"
  expect "RestartPreventExitStatus ($prevent) = kelpie's configuration-error statuses ($statuses )" \
    test "$(echo $prevent)" = "$(echo $statuses)"

  # The example env file is valid for the binary: it starts with it (data dir and keys replaced).
  local port pid ready=false
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  printf 'keys: []\n' >"$TMP/systemd/keys.yaml"
  (set -a; . "$dir/kelpie.env"; set +a
   KELPIE_LISTEN=127.0.0.1:$port KELPIE_DATA_DIR=$TMP/systemd/data KELPIE_KEYS=$TMP/systemd/keys.yaml \
     exec "$bin" serve >"$TMP/systemd/serve.log" 2>&1) &
  pid=$!
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || break
    curl -fsS -o /dev/null -m 1 "http://127.0.0.1:$port/readyz" 2>/dev/null && { ready=true; break; }
    sleep 0.05
  done
  expect "kelpie serve starts with deploy/systemd/kelpie.env" test "$ready" = true \
    || sed 's/^/    /' "$TMP/systemd/serve.log" | tail -5
  kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}
