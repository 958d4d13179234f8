#!/usr/bin/env bash
# Installs the Debian packages Kelpie builds, runs and tests against, only when something is missing.
# Idempotent and quiet when everything is present; `make run` and `make test` call it first.
set -euo pipefail

# Libraries the package links (system-library and shim targets).
BUILD_PKGS="pkg-config libssl-dev zlib1g-dev libzstd-dev librdkafka-dev libsimdjson-dev libyaml-dev libnghttp2-dev"
# Tools the test suite drives: promtool (metrics lint), zstd and gzip (fixtures), python venv.
TEST_PKGS="prometheus zstd gzip python3-venv python3-yaml curl systemd"
# Benchmarks: wrk, nginx (physical-limit baseline), h2load from nghttp2-client (OTLP/gRPC load).
BENCH_PKGS="wrk nginx-light nghttp2-client"

want="$BUILD_PKGS"
case "${1:-build}" in
  build) ;;
  test) want="$want $TEST_PKGS" ;;
  bench) want="$want $TEST_PKGS $BENCH_PKGS" ;;
  *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

echo "bootstrap: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
# --no-install-recommends keeps prometheus from pulling exporters; its service is never started here.
$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >/dev/null
