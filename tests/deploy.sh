#!/usr/bin/env bash
# Deploy tests (run by `make test-scripts`), self-contained:
#   1. scripts/check-deploy.sh: render every overlay, kubernetes-validate --strict, yamllint,
#      hadolint, promtool check/test rules, cross-file consistency (installs its tools if missing);
#   2. the deploy guard (deploy/kelpie-deploy) against a recording fake kubectl: refusals and the
#      exact command sequence on a match;
#   3. drift: the real kelpie binary (KELPIE_BIN, e.g. .build/debug/kelpie) is started with the
#      rendered ConfigMaps' settings on a free loopback port, for prod and for prod-kafka (whose brokers
#      are replaced by librdkafka's in-process mock cluster, KELPIE_KAFKA_PROPERTY=test.mock.num.brokers=1); every probe and scrape path in the
#      manifests must answer 200, every metric deploy/ references must be exposed, and SIGTERM must
#      end it with exit 0. Without KELPIE_BIN this part FAILS (it never passes silently);
#   4. deploy/systemd: systemd-analyze verify, the hardening directives, the stop timeout, the exit
#      statuses the unit does not restart on, and a start with the example env file.
# Last line: "N passed, M failed"; exit status 1 when anything failed.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.build-venv/deploy"
CHECKS="$ROOT/deploy/tests/manifest_checks.py"
GUARD="$ROOT/deploy/kelpie-deploy"
STARTUP_TIMEOUT_SECONDS=30
EXIT_TIMEOUT_SECONDS=30

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
# expect NAME CMD...: one check; returns 1 on failure so callers can add "|| show" diagnostics.
expect() { local name="$1"; shift; if "$@"; then ok "$name"; else not_ok "$name"; return 1; fi; }

TMP="$(mktemp -d)"
KELPIE_PID=""
cleanup() {
  if [ -n "$KELPIE_PID" ] && kill -0 "$KELPIE_PID" 2>/dev/null; then kill -KILL "$KELPIE_PID" 2>/dev/null; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# --- 1. static checks ----------------------------------------------------------------------------
echo "# scripts/check-deploy.sh"
static_out="$TMP/check-deploy.out"
bash "$ROOT/scripts/check-deploy.sh" | tee "$static_out"
summary=$(tail -1 "$static_out")
if [[ "$summary" =~ ^check-deploy:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
else
  not_ok "scripts/check-deploy.sh did not finish (tool installation or kubectl missing?)"
fi
PY="$VENV/bin/python"
[ -x "$PY" ] || PY="python3"

# --- 2. deploy guard ------------------------------------------------------------------------------
echo "# deploy/kelpie-deploy with a recording kubectl"
REAL_KUBECTL="$(command -v kubectl || true)"
export REAL_KUBECTL
mkdir -p "$TMP/fakebin" "$TMP/empty"
ln -s "$ROOT/deploy/tests/fake-kubectl" "$TMP/fakebin/kubectl"
export FAKE_KUBECTL_LOG="$TMP/kubectl.log"
GUARD_OUT="$TMP/guard.out"
ALL_CALLS="$TMP/all-kubectl-calls.log"
: >"$ALL_CALLS"

# guard STDIN ARGS...: runs kelpie-deploy with the fake kubectl first on PATH; sets $rc.
guard() {
  local stdin="$1"; shift
  : >"$FAKE_KUBECTL_LOG"
  printf '%s' "$stdin" | PATH="$TMP/fakebin:$PATH" "$PY" "$GUARD" "$@" >"$GUARD_OUT" 2>&1
  rc=$?
  cat "$FAKE_KUBECTL_LOG" >>"$ALL_CALLS"
}
# The recorded kubectl calls, with the temporary manifest path replaced by MANIFEST.
calls() { sed -E 's#-f /[^ ]*/kelpie-[a-z]+-[^ ]*\.yaml#-f MANIFEST#' "$FAKE_KUBECTL_LOG"; }
says() { grep -q "$1" "$GUARD_OUT"; }
show() { sed 's/^/    /' "$GUARD_OUT"; echo "    kubectl calls:"; sed 's/^/      /' "$FAKE_KUBECTL_LOG"; }

match_env() {
  export FAKE_CONTEXT=ctx-prod FAKE_CLUSTER=kelpie-prod FAKE_NAMESPACES="default kelpie-prod" FAKE_DIFF_RC=1 FAKE_APPLY_RC=0
  unset FAKE_APPLIED_COPY KELPIE_DEPLOY_ENVIRONMENTS
}

match_env
guard "" staging --yes
expect "guard refuses an unknown ENV (exit 3, no kubectl call)" \
  test "$rc" = 3 -a ! -s "$FAKE_KUBECTL_LOG" || show
says "unknown environment 'staging'" && ok "guard names the unknown ENV and the known ones" || { not_ok "guard names the unknown ENV"; show; }

match_env; FAKE_CLUSTER=kelpie-dogfood
guard "" prod --yes
expect "guard refuses when the context's cluster is another environment's (exit 5)" test "$rc" = 5 || show
expect "guard stops before touching the cluster on a context mismatch" \
  test "$(calls | tr '\n' '|')" = 'config current-context|config view -o jsonpath={.contexts[?(@.name=="ctx-prod")].context.cluster}|' || show
says "points at cluster 'kelpie-dogfood'" && ok "guard's mismatch message names both clusters" || { not_ok "guard's mismatch message"; show; }

match_env; FAKE_CONTEXT=""
guard "" prod --yes
expect "guard refuses without a current context (exit 5)" test "$rc" = 5 -a "$(wc -l <"$FAKE_KUBECTL_LOG")" = 1 || show

match_env; FAKE_NAMESPACES="default kube-system"
guard "" prod --yes
expect "guard refuses when the namespace is missing (exit 6)" test "$rc" = 6 || show
expect "guard never creates the missing namespace and stops before diff" \
  bash -c '! grep -Eq "create|diff|apply|kustomize" "$FAKE_KUBECTL_LOG"' || show
says "never creates namespaces" && ok "guard's missing-namespace message says it never creates namespaces" || { not_ok "missing-namespace message"; show; }

match_env
guard "no
" prod
expect "guard refuses when the confirmation is declined (exit 9)" test "$rc" = 9 || show
expect "declined: diff shown, nothing applied" bash -c 'grep -q " diff -f " "$FAKE_KUBECTL_LOG" && ! grep -q " apply " "$FAKE_KUBECTL_LOG"' || show

match_env
guard "" prod
expect "guard refuses when stdin closes before confirming (exit 9, nothing applied)" \
  bash -c '[ '"$rc"' = 9 ] && ! grep -q " apply " "$FAKE_KUBECTL_LOG"' || show

match_env
guard "dogfood
" prod
expect "guard refuses a confirmation naming another environment (exit 9)" test "$rc" = 9 || show

match_env; FAKE_DIFF_RC=2
guard "" prod --yes
expect "guard refuses to apply when kubectl diff errors (exit 8)" bash -c '[ '"$rc"' = 8 ] && ! grep -q " apply " "$FAKE_KUBECTL_LOG"' || show

match_env; FAKE_DIFF_RC=0
guard "" prod --yes
expect "guard applies nothing when the diff is empty (exit 0)" bash -c '[ '"$rc"' = 0 ] && ! grep -q " apply " "$FAKE_KUBECTL_LOG"' || show

match_env
cat >"$TMP/environments.yaml" <<EOF
environments:
  prod:
    cluster: kelpie-prod
    namespace: kelpie-elsewhere
    overlay: overlays/prod
EOF
export KELPIE_DEPLOY_ENVIRONMENTS="$TMP/environments.yaml" FAKE_NAMESPACES="kelpie-elsewhere"
guard "" prod --yes
expect "guard refuses when the overlay renders into another namespace than recorded (exit 7)" \
  bash -c '[ '"$rc"' = 7 ] && ! grep -Eq " (diff|apply) " "$FAKE_KUBECTL_LOG"' || show
unset KELPIE_DEPLOY_ENVIRONMENTS

match_env
: >"$FAKE_KUBECTL_LOG"
PATH="$TMP/empty" "$PY" "$GUARD" prod --yes >"$GUARD_OUT" 2>&1
rc=$?
expect "guard refuses when kubectl is not on PATH (exit 4)" test "$rc" = 4 || show

match_env; export FAKE_APPLIED_COPY="$TMP/applied.yaml"
guard "" prod --yes
expected_calls="config current-context
config view -o jsonpath={.contexts[?(@.name==\"ctx-prod\")].context.cluster}
--context ctx-prod get namespace kelpie-prod -o name
kustomize $ROOT/deploy/overlays/prod
--context ctx-prod --namespace kelpie-prod diff -f MANIFEST
--context ctx-prod --namespace kelpie-prod apply -f MANIFEST"
expect "guard proceeds on a match with --yes (exit 0)" test "$rc" = 0 || show
if [ "$(calls)" = "$expected_calls" ]; then ok "guard's kubectl calls on a match are exactly: context, cluster, namespace, render, diff, apply"
else not_ok "guard's kubectl calls on a match"; echo "    want:"; sed 's/^/      /' <<<"$expected_calls"; echo "    got:"; calls | sed 's/^/      /'; fi
diffed=$(grep ' diff -f ' "$FAKE_KUBECTL_LOG" | awk '{print $NF}')
applied=$(grep ' apply -f ' "$FAKE_KUBECTL_LOG" | awk '{print $NF}')
expect "guard applies the very file it diffed, and removes it afterwards" test -n "$diffed" -a "$diffed" = "$applied" -a ! -e "$applied"
"$REAL_KUBECTL" kustomize "$ROOT/deploy/overlays/prod" >"$TMP/prod-rendered.yaml" 2>/dev/null
expect "guard applies exactly the rendered prod overlay" cmp -s "$TMP/applied.yaml" "$TMP/prod-rendered.yaml"
unset FAKE_APPLIED_COPY

match_env
guard "prod
" prod
expect "guard proceeds when the environment name is typed (exit 0, applied)" \
  bash -c '[ '"$rc"' = 0 ] && grep -q " apply -f " "$FAKE_KUBECTL_LOG"' || show

for env in dogfood kibble; do
  match_env; FAKE_CONTEXT="ctx-$env" FAKE_CLUSTER="kelpie-$env" FAKE_NAMESPACES="kelpie-$env"
  guard "" "$env" --yes
  expect "guard proceeds for $env on its own cluster" bash -c '[ '"$rc"' = 0 ] && grep -q "namespace kelpie-'"$env"' apply" "$FAKE_KUBECTL_LOG"' || show
done
if grep -Eq '(^| )(create|delete|replace|patch|edit|label|annotate)( |$)' "$ALL_CALLS"; then
  not_ok "guard never creates, deletes or patches anything (namespaces included)"; grep -E 'create|delete|replace|patch|edit' "$ALL_CALLS" | sed 's/^/    /'
else
  ok "guard never creates, deletes or patches anything across all $(wc -l <"$ALL_CALLS") kubectl calls"
fi

# --- 3. drift: manifests vs the real binary --------------------------------------------------------
echo "# drift: probes, port and metrics in deploy/ against a running kelpie"
drift() {  # drift OVERLAY [NAME=VALUE...]: the overlay's rendered ConfigMaps, then these settings on top
  local overlay=$1; shift
  local -a overrides=("$@")
  if [ -z "${KELPIE_BIN:-}" ]; then
    not_ok "drift: KELPIE_BIN is not set; point it at a built kelpie (make passes .build/debug/kelpie)"
    return
  fi
  if [ ! -x "$KELPIE_BIN" ]; then not_ok "drift: KELPIE_BIN=$KELPIE_BIN is not an executable"; return; fi
  if ! timeout 10 "$KELPIE_BIN" serve --help >/dev/null 2>&1; then not_ok "drift: $KELPIE_BIN has no working 'serve' subcommand"; return; fi
  [ "$overlay" = prod ] && ok "drift: $KELPIE_BIN serve exists"

  local rendered="$TMP/$overlay-rendered.yaml" probes port paths
  [ -s "$rendered" ] || "$REAL_KUBECTL" kustomize "$ROOT/deploy/overlays/$overlay" >"$rendered" 2>/dev/null
  probes=$("$PY" "$CHECKS" probes "$rendered") || { not_ok "drift: cannot read probes from the rendered $overlay overlay"; return; }
  read -r port paths <<<"$probes"
  # Run with the rendered ConfigMap's settings, so the binary also proves it accepts every value;
  # only the listen addresses, the data dir and the key file (a Secret mount) are local.
  local envfile="$TMP/kelpie.env"
  "$PY" - "$rendered" >"$envfile" <<'EOF' || { not_ok "drift: cannot read the rendered ConfigMap"; return; }
import sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc.get("kind") == "ConfigMap" and doc["metadata"]["name"].startswith(("kelpie-config", "kelpie-kafka")):
        for key, value in sorted(doc["data"].items()):
            if key not in ("KELPIE_LISTEN", "KELPIE_GRPC_LISTEN", "KELPIE_DATA_DIR", "KELPIE_KEYS"):
                print(f"{key}={value}")
EOF
  local free_port grpc_port="" grpc_args=()
  free_port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # The manifests' gRPC listener (KELPIE_GRPC_LISTEN, the grpc containerPort) on a free local port.
  if grep -q '^ *KELPIE_GRPC_LISTEN: ' "$rendered"; then
    grpc_port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    grpc_args=(--grpc-listen "127.0.0.1:$grpc_port")
  fi
  rm -rf "$TMP/data"; mkdir -p "$TMP/data"
  local -a settings=()
  while IFS= read -r line; do settings+=("$line"); done <"$envfile"
  # Drain quickly here; the manifests' own drain delay is checked by the consistency check.
  env "${settings[@]}" "${overrides[@]}" KELPIE_DRAIN_DELAY=200ms KELPIE_SHUTDOWN_TIMEOUT=5s \
    "$KELPIE_BIN" serve --listen "127.0.0.1:$free_port" "${grpc_args[@]}" --data-dir "$TMP/data" >"$TMP/kelpie.log" 2>&1 &
  KELPIE_PID=$!
  local base="http://127.0.0.1:$free_port" code="" i
  for i in $(seq 1 $((STARTUP_TIMEOUT_SECONDS * 10))); do
    kill -0 "$KELPIE_PID" 2>/dev/null || break
    code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$base/healthz" || true)
    [ "$code" = 200 ] && break
    sleep 0.1
  done
  if [ "$code" != 200 ]; then
    not_ok "drift: kelpie with the $overlay ConfigMap settings did not come up on $base"; sed 's/^/    /' "$TMP/kelpie.log" | tail -20
    return
  fi
  ok "drift: kelpie started with the $overlay ConfigMaps' settings${overrides:+ and ${overrides[*]}} (manifest port $port → local port $free_port)"
  local path
  for path in $paths; do
    for i in $(seq 1 50); do
      code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$base$path" || true)
      [ "$code" = 200 ] && break
      sleep 0.1
    done
    expect "drift ($overlay): GET $path (a probe/scrape path in the manifests) answers 200, got $code" test "$code" = 200
  done
  if [ -n "$grpc_port" ]; then
    # HTTP/2 with prior knowledge, as gRPC clients connect: the second listener serves the same routes.
    code=$(curl -s -o /dev/null -m 5 --http2-prior-knowledge -w '%{http_code} %{http_version}' "http://127.0.0.1:$grpc_port/healthz" || true)
    expect "drift ($overlay): the KELPIE_GRPC_LISTEN port answers HTTP/2 (h2c) on 127.0.0.1:$grpc_port, got '$code'" test "$code" = "200 2"
  else
    not_ok "drift ($overlay): the rendered ConfigMap sets KELPIE_GRPC_LISTEN (the grpc containerPort 4317)"
  fi
  local reply
  reply=$(curl -s -m 15 -X POST -H 'Content-Type: application/json' -H 'X-Honeycomb-Team: drift-test' \
    --data '[{"data":{"drift":"test"}}]' "$base/1/batch/drift-test" || true)
  expect "drift ($overlay): a batch is accepted with these settings (reply $reply)" grep -q '"status":202' <<<"$reply"
  curl -s -m 5 -o /dev/null -X POST -H 'Content-Type: application/json' -H 'X-Honeycomb-Team: drift-test' \
    --data 'not json' "$base/1/batch/drift-test" || true
  curl -s -m 5 "$base/metrics" >"$TMP/metrics.txt" || true
  local live
  if live=$("$PY" "$CHECKS" live-metrics "$TMP/metrics.txt" 2>&1); then ok "drift ($overlay): $live"
  else not_ok "drift: metrics referenced by the dashboard/alerts/HPA are exposed"; echo "    $live"; fi
  # Self-telemetry is on in this overlay, and its next environment does not exist here: what it cannot
  # send is counted, and ingest above went on regardless.
  if grep -q '^KELPIE_SELF_TELEMETRY_URL=.' "$envfile"; then
    local dropped="" series='kelpie_self_telemetry_dropped_events_total{reason="send_failed"}'
    for i in $(seq 1 300); do
      dropped=$(curl -s -m 2 "$base/metrics" | awk -v s="$series" '$1 == s {print $2}')
      [ -n "$dropped" ] && [ "${dropped%.*}" -gt 0 ] && break
      sleep 0.1
    done
    expect "drift ($overlay): self-telemetry is on and counts the events it cannot send ($series $dropped)" \
      test -n "$dropped" -a "${dropped%.*}" -gt 0
  fi

  kill -TERM "$KELPIE_PID"
  local status=""
  for i in $(seq 1 $((EXIT_TIMEOUT_SECONDS * 10))); do
    if ! kill -0 "$KELPIE_PID" 2>/dev/null; then wait "$KELPIE_PID"; status=$?; break; fi
    sleep 0.1
  done
  if [ -z "$status" ]; then
    kill -KILL "$KELPIE_PID" 2>/dev/null; wait "$KELPIE_PID" 2>/dev/null
    not_ok "drift: kelpie still running ${EXIT_TIMEOUT_SECONDS}s after SIGTERM"
  else
    expect "drift ($overlay): kelpie exits 0 after SIGTERM (exit $status)" test "$status" = 0
  fi
  KELPIE_PID=""
}
# The self-telemetry key Secret is mounted in the pod; here a local file stands in for it.
echo "drift-self-telemetry-key" >"$TMP/self-telemetry.key"
drift prod KELPIE_SELF_TELEMETRY_KEY_FILE="$TMP/self-telemetry.key"
# prod-kafka with its brokers replaced by librdkafka's mock cluster (in the kelpie process, stopped with it);
# an accepted batch proves the Kafka sink delivered (--ack delivered answers only after the delivery report).
drift prod-kafka KELPIE_KAFKA_PROPERTY=test.mock.num.brokers=1 KELPIE_SELF_TELEMETRY_KEY_FILE="$TMP/self-telemetry.key"

# --- 4. systemd unit (plain VMs) ------------------------------------------------------------------
. "$ROOT/deploy/tests/systemd-unit.sh"
systemd_unit_checks

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
