#!/usr/bin/env bash
# make container-test: build Kelpie's runtime image from the real Dockerfile and run it here.
#
# No container registry is reachable, so:
#   - the base is a debootstrapped bookworm minbase, imported as localhost/kelpie-bookworm-minbase:local
#     (cached: the tarball in .build-container/ and the image in .build-container/storage);
#   - the Dockerfile's `runtime-prebuilt` target is built (binaries built on the host, staged into
#     .build-container/context/bin, the Swift runtime libraries they link into context/swift-runtime,
#     with scripts/runtime-rootfs.sh) instead of the default target that needs the swift image.
# podman/buildah settings live in files under .build-container/ (CONTAINERS_CONF & co.), never /etc:
# vfs storage, runc with explicit ulimits, host network, chroot isolation for builds.
#
# The image is FROM scratch: the binaries, the libraries ldd names for them, CA certificates and the
# kelpie user; no shell, no package manager (checked on the exported file list).
#
# Then it runs the image like the Deployment does (read-only root, non-root, no capabilities, data
# dir on a volume), waits for /readyz, posts a batch, reads the event back from the spool inside the
# container, sends SIGTERM and checks that readiness turns 503 during the drain and the process exits
# 0 within the grace period. It prints the image size and the cold start-to-ready time.
#
# Environment:
#   KELPIE_BIN, KELPIE_LOAD_BIN   use these binaries instead of building them
#   KELPIE_SWIFT_SCRATCH          scratch path for the release build (default: .build; the flags are
#                                 those of `make run`, so its .build/release is shared, not rebuilt)
#   KELPIE_CONTAINER_DIR          work dir (default: .build-container)
#   DEBIAN_MIRROR                 mirror for debootstrap (default: http://deb.debian.org/debian)
#   IMAGE_SIZE_LIMIT_MIB          fail when the image is larger (default 40, issue 11's target; the relay's
#                                 libcurl is linked statically, HTTP/HTTPS only, so Debian's libcurl4 and
#                                 its ~16 MiB of dependencies are not in the image: docs/operations.md)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${KELPIE_CONTAINER_DIR:-$ROOT/.build-container}"
BASE_IMAGE="localhost/kelpie-bookworm-minbase:local"
IMAGE="localhost/kelpie:container-test"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Shutdown settings for the run: short drain so the test is quick, same arithmetic as the Deployment.
DRAIN_DELAY_SECONDS=2
SHUTDOWN_TIMEOUT_SECONDS=10
GRACE_MARGIN_SECONDS=5
GRACE_SECONDS=$((DRAIN_DELAY_SECONDS + SHUTDOWN_TIMEOUT_SECONDS + GRACE_MARGIN_SECONDS))
READY_TIMEOUT_SECONDS=60
SPOOL_READ_TIMEOUT_SECONDS=10
READINESS_FLIP_TIMEOUT_MS=1500
# The runtime image's size budget (issue 11: fast pulls when a node scales up).
IMAGE_SIZE_LIMIT_MIB="${IMAGE_SIZE_LIMIT_MIB:-40}"

# Times are integer milliseconds (pure bash: polling loops must not pay for a process per check).
now() { echo $(( $(date +%s%N) / 1000000 )); }
elapsed() { local d=$(( $2 - $1 )); printf '%d.%03d' $(( d / 1000 )) $(( d % 1000 )); }
t_script_start=$(now)
log() { printf 'container-test: %s\n' "$*"; }
fail() { printf 'container-test: FAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, podman with vfs storage); run as root"

# --- tools -------------------------------------------------------------------------------------
need_pkgs=""
for p in podman buildah runc debootstrap curl binutils python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_pkgs="$need_pkgs $p"
done
if [ -n "$need_pkgs" ]; then
  log "installing$need_pkgs"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  # shellcheck disable=SC2086
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq $need_pkgs >/dev/null
fi

# --- container configuration, all under $WORK ----------------------------------------------------
rm -rf "$WORK/context"
mkdir -p "$WORK/storage" "$WORK/run" "$WORK/context/bin" "$WORK/context/scripts" "$WORK/context/swift-runtime"
cat >"$WORK/containers.conf" <<'EOF'
[containers]
# The host lacks CAP_SYS_RESOURCE: runtimes must not try to raise limits above these.
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
netns = "host"
[engine]
# crun refuses this host's hybrid cgroup layout; runc works.
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
cat >"$WORK/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$WORK/run"
graphroot = "$WORK/storage"
EOF
# Only fully qualified localhost/ names are used; no registry is ever searched.
cat >"$WORK/registries.conf" <<'EOF'
unqualified-search-registries = []
EOF
export CONTAINERS_CONF="$WORK/containers.conf"
export CONTAINERS_STORAGE_CONF="$WORK/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$WORK/registries.conf"

# --- binaries ----------------------------------------------------------------------------------
t0=$(now)
if [ -n "${KELPIE_BIN:-}" ]; then
  kelpie_bin="$KELPIE_BIN"
  kelpie_load_bin="${KELPIE_LOAD_BIN:-$(dirname "$KELPIE_BIN")/kelpie-load}"
  log "using prebuilt binaries: $kelpie_bin, $kelpie_load_bin"
else
  scratch="${KELPIE_SWIFT_SCRATCH:-$ROOT/.build}"
  log "building release binaries in $scratch"
  # The pinned, statically linked librdkafka and libcurl, as the Dockerfile's builder stage does it.
  bash "$ROOT/scripts/bootstrap.sh" deps
  (cd "$ROOT" && swift build -c release --scratch-path "$scratch" --product kelpie)
  (cd "$ROOT" && swift build -c release --scratch-path "$scratch" --product kelpie-load)
  bin_dir="$(cd "$ROOT" && swift build -c release --scratch-path "$scratch" --show-bin-path)"
  kelpie_bin="$bin_dir/kelpie"
  kelpie_load_bin="$bin_dir/kelpie-load"
fi
[ -x "$kelpie_bin" ] || fail "no kelpie binary at $kelpie_bin"
[ -x "$kelpie_load_bin" ] || fail "no kelpie-load binary at $kelpie_load_bin"
install -m 0755 "$kelpie_bin" "$WORK/context/bin/kelpie"
install -m 0755 "$kelpie_load_bin" "$WORK/context/bin/kelpie-load"
strip "$WORK/context/bin/kelpie" "$WORK/context/bin/kelpie-load"
install -m 0755 "$ROOT/scripts/runtime-rootfs.sh" "$WORK/context/scripts/runtime-rootfs.sh"
# The Swift runtime is linked dynamically (one copy for both binaries): stage the toolchain's libraries
# they name, stripped, as the Dockerfile's builder stage does.
for library in $(ldd "$kelpie_bin" "$kelpie_load_bin" | awk '$3 ~ /\/lib\/swift\/linux\// { print $3 }' | sort -u); do
  install -m 0755 "$library" "$WORK/context/swift-runtime/"
done
if compgen -G "$WORK/context/swift-runtime/*.so" >/dev/null; then strip "$WORK/context/swift-runtime/"*.so; fi
t_binaries=$(elapsed "$t0" "$(now)")
log "shared libraries the binary needs:"
ldd "$WORK/context/bin/kelpie" | sed 's/^/    /'

# --- base image ----------------------------------------------------------------------------------
t0=$(now)
if podman image exists "$BASE_IMAGE"; then
  log "base image $BASE_IMAGE cached"
else
  if [ ! -s "$WORK/bookworm-minbase.tar" ]; then
    log "debootstrap bookworm minbase from $DEBIAN_MIRROR"
    rm -rf "$WORK/rootfs"
    debootstrap --variant=minbase bookworm "$WORK/rootfs" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 \
      || { tail -20 "$WORK/debootstrap.log" >&2; fail "debootstrap failed (log: $WORK/debootstrap.log)"; }
    # Trim what debian:bookworm-slim also leaves out (docs, man pages, locales, apt caches and lists),
    # so the reported image size is close to what the real base gives.
    rm -rf "$WORK/rootfs"/var/cache/apt/* "$WORK/rootfs"/var/lib/apt/lists/* \
      "$WORK/rootfs"/usr/share/man/* "$WORK/rootfs"/usr/share/info/* "$WORK/rootfs"/usr/share/locale/*
    find "$WORK/rootfs/usr/share/doc" -type f ! -name copyright -delete
    tar -C "$WORK/rootfs" -cf "$WORK/bookworm-minbase.tar.tmp" .
    mv "$WORK/bookworm-minbase.tar.tmp" "$WORK/bookworm-minbase.tar"
    rm -rf "$WORK/rootfs"
  fi
  log "importing $BASE_IMAGE"
  podman import "$WORK/bookworm-minbase.tar" "$BASE_IMAGE" >/dev/null 2>&1
fi
t_base=$(elapsed "$t0" "$(now)")

# --- image -------------------------------------------------------------------------------------
t0=$(now)
podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
revision="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
log "building $IMAGE (target runtime-prebuilt)"
buildah bud --isolation chroot --network host --layers=false \
  --target runtime-prebuilt \
  --build-arg "RUNTIME_BASE=$BASE_IMAGE" \
  --build-arg "VERSION=container-test" \
  --build-arg "REVISION=$revision" \
  -f "$ROOT/Dockerfile" -t "$IMAGE" "$WORK/context" >"$WORK/build.log" 2>&1 \
  || { tail -30 "$WORK/build.log" >&2; fail "image build failed (log: $WORK/build.log)"; }
podman image prune -f >/dev/null 2>&1 || true
t_build=$(elapsed "$t0" "$(now)")
image_bytes=$(podman image inspect --format '{{.Size}}' "$IMAGE")
base_bytes=$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")
binary_bytes=$(stat -c %s "$WORK/context/bin/kelpie")
load_binary_bytes=$(stat -c %s "$WORK/context/bin/kelpie-load")

[ "$image_bytes" -le $((IMAGE_SIZE_LIMIT_MIB * 1048576)) ] \
  || fail "image is $((image_bytes / 1048576)) MiB, over the ${IMAGE_SIZE_LIMIT_MIB} MiB budget (IMAGE_SIZE_LIMIT_MIB)"

# The image's own configuration must be what the manifests assume.
podman image inspect --format '{{json .Config}}' "$IMAGE" | python3 -c '
import json, sys
c = json.load(sys.stdin)
problems = []
user, entrypoint = c.get("User"), c.get("Entrypoint")
if user != "10001:10001": problems.append(f"User is {user!r}, want 10001:10001")
if entrypoint != ["kelpie", "serve"]: problems.append(f"Entrypoint is {entrypoint!r}")
if "8080/tcp" not in (c.get("ExposedPorts") or {}): problems.append("8080/tcp not exposed")
if "/var/lib/kelpie" not in (c.get("Volumes") or {}): problems.append("/var/lib/kelpie is not a volume")
if not (c.get("Labels") or {}).get("org.opencontainers.image.revision"): problems.append("OCI labels missing")
if problems: sys.exit("image config: " + "; ".join(problems))
' || fail "image configuration does not match the manifests"

# Both binaries start inside the image: the dynamic loader finds every library they link.
for binary in kelpie kelpie-load; do
  podman run --rm --network none --entrypoint "$binary" "$IMAGE" --help >/dev/null 2>"$WORK/start-$binary.log" \
    || { cat "$WORK/start-$binary.log" >&2; fail "$binary does not start inside the image"; }
done

# Nothing but the runtime files: no shell, no package manager, no coreutils.
files_list="$WORK/image-files.txt"
probe="kelpie-ct-files-$$"
podman create --name "$probe" "$IMAGE" >/dev/null
podman export "$probe" | tar -t | sed 's#^\./##' | sort >"$files_list"
podman rm -f "$probe" >/dev/null
image_file_count=$(grep -cv '/$' "$files_list" || true)
forbidden=$(grep -E '(^|/)(sh|bash|dash|busybox|apt|apt-get|dpkg|ls|cat|env)$' "$files_list" || true)
[ -z "$forbidden" ] || fail "the image holds tools it must not: $(echo "$forbidden" | tr '\n' ' ')"
grep -qx 'etc/ssl/certs/ca-certificates.crt' "$files_list" || fail "no CA bundle in the image"

# --- run -----------------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
name="kelpie-ct-$$"
volume="kelpie-ct-data-$$"
base_url="http://127.0.0.1:$port"
cleanup() {
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  podman volume rm -f "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT
dump_logs() { log "container logs:"; podman logs "$name" 2>&1 | tail -40 | sed 's/^/    /' >&2 || true; }
code_of() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$@" || true; }

log "starting $IMAGE on $base_url (read-only root, uid 10001, no capabilities)"
t_run=$(now)
podman run -d --name "$name" \
  --read-only --read-only-tmpfs=false \
  --cap-drop ALL --security-opt no-new-privileges \
  --user 10001:10001 \
  --network host \
  -v "$volume:/var/lib/kelpie" \
  -e "KELPIE_LISTEN=127.0.0.1:$port" \
  -e "KELPIE_DRAIN_DELAY=${DRAIN_DELAY_SECONDS}s" \
  -e "KELPIE_SHUTDOWN_TIMEOUT=${SHUTDOWN_TIMEOUT_SECONDS}s" \
  "$IMAGE" >/dev/null

ready=""
deadline=$(( $(now) + READY_TIMEOUT_SECONDS * 1000 ))
polls=0
while [ "$(now)" -lt "$deadline" ]; do
  if [ "$(code_of "$base_url/readyz")" = 200 ]; then ready=yes; break; fi
  polls=$((polls + 1))
  if [ $((polls % 20)) -eq 0 ] && [ "$(podman inspect -f '{{.State.Running}}' "$name")" != true ]; then
    dump_logs; fail "container exited before ready"
  fi
  sleep 0.01
done
t_ready=$(now)
[ -n "$ready" ] || { dump_logs; fail "/readyz not 200 within ${READY_TIMEOUT_SECONDS}s"; }
run_to_ready=$(elapsed "$t_run" "$t_ready")
started_at=$(podman inspect -f '{{.State.StartedAt.UnixNano}}' "$name" 2>/dev/null || echo "")
process_to_ready="n/a"
if [ -n "$started_at" ] && [ "$started_at" -gt 0 ] 2>/dev/null; then
  process_to_ready=$(elapsed $(( started_at / 1000000 )) "$t_ready")
fi
log "ready: podman run → /readyz 200 in ${run_to_ready}s (container process start → ready ${process_to_ready}s)"

[ "$(code_of "$base_url/healthz")" = 200 ] || { dump_logs; fail "/healthz not 200"; }
[ "$(code_of "$base_url/metrics")" = 200 ] || { dump_logs; fail "/metrics not 200"; }

marker="container-test-$(date +%s%N)"
batch_body=$(mktemp)
batch_code=$(curl -s -m 5 -o "$batch_body" -w '%{http_code}' -X POST \
  -H 'Content-Type: application/json' -H 'X-Honeycomb-Team: container-test' \
  --data "[{\"data\":{\"marker\":\"$marker\",\"source\":\"scripts/container-test.sh\"}}]" \
  "$base_url/1/batch/container-test" || true)
log "POST /1/batch/container-test → $batch_code $(head -c 200 "$batch_body")"
rm -f "$batch_body"
[ "$batch_code" = 200 ] || { dump_logs; fail "batch POST answered $batch_code"; }

# The event must be on the spool volume, read from inside the container.
found=""
read_method=""
for _ in $(seq 1 $((SPOOL_READ_TIMEOUT_SECONDS * 10))); do
  if podman exec "$name" kelpie spool cat --data-dir /var/lib/kelpie 2>/dev/null | grep -q "$marker"; then
    found=yes; read_method="kelpie spool cat"; break
  fi
  sleep 0.1
done
[ -n "$found" ] || { dump_logs; fail "event $marker not found in the spool within ${SPOOL_READ_TIMEOUT_SECONDS}s"; }
log "event read back from the spool inside the container via $read_method"

# --- SIGTERM -----------------------------------------------------------------------------------
t_term=$(now)
podman kill --signal TERM "$name" >/dev/null
flipped=""
flip_deadline=$(( t_term + READINESS_FLIP_TIMEOUT_MS ))
while [ "$(now)" -lt "$flip_deadline" ]; do
  if [ "$(code_of "$base_url/readyz")" = 503 ]; then flipped=yes; break; fi
  sleep 0.01
done
[ -n "$flipped" ] || { dump_logs; fail "/readyz did not turn 503 within ${READINESS_FLIP_TIMEOUT_MS}ms of SIGTERM"; }
t_flip=$(now)
# During the drain delay Kelpie keeps serving (endpoint removal lag): liveness stays 200.
healthz_during_drain=$(code_of "$base_url/healthz")
[ "$healthz_during_drain" = 200 ] || { dump_logs; fail "/healthz answered $healthz_during_drain during the drain delay"; }

exited=""
remaining_ms=$(( GRACE_SECONDS * 1000 - ($(now) - t_term) ))
if timeout "$(elapsed 0 "$remaining_ms")" podman wait "$name" >/dev/null 2>&1; then exited=yes; fi
t_exit=$(now)
if [ -z "$exited" ]; then
  dump_logs
  podman kill --signal KILL "$name" >/dev/null 2>&1 || true
  fail "still running ${GRACE_SECONDS}s after SIGTERM (grace = drain ${DRAIN_DELAY_SECONDS}s + shutdown ${SHUTDOWN_TIMEOUT_SECONDS}s + margin ${GRACE_MARGIN_SECONDS}s)"
fi
exit_code=$(podman inspect -f '{{.State.ExitCode}}' "$name")
[ "$exit_code" = 0 ] || { dump_logs; fail "exit code $exit_code after SIGTERM, want 0"; }

# Logs are JSON lines on stdout.
podman logs "$name" 2>/dev/null | python3 -c '
import json, sys
lines = [l for l in sys.stdin.read().splitlines() if l.strip()]
bad = [l for l in lines if not l.lstrip().startswith("{") or not isinstance(json.loads(l), dict)]
if not lines: sys.exit("no log lines")
if bad: sys.exit(f"{len(bad)} log lines are not JSON objects, first: {bad[0][:200]}")
' || { dump_logs; fail "logs are not JSON lines"; }

mib() { python3 -c "print(f'{$1/1048576:.1f} MiB')"; }
log "PASS"
cat <<EOF
container-test summary
  image $IMAGE:           $(mib "$image_bytes"), $image_file_count files (stripped kelpie $(mib "$binary_bytes"), kelpie-load $(mib "$load_binary_bytes"); libraries from the $(mib "$base_bytes") minbase)
  binaries staged:          ${t_binaries}s
  base image ready:         ${t_base}s
  image build:              ${t_build}s
  podman run → /readyz 200: ${run_to_ready}s (process start → ready ${process_to_ready}s)
  SIGTERM → /readyz 503:    $(elapsed "$t_term" "$t_flip")s
  SIGTERM → exit:           $(elapsed "$t_term" "$t_exit")s, exit code $exit_code (grace ${GRACE_SECONDS}s, drain delay ${DRAIN_DELAY_SECONDS}s)
  total:                    $(elapsed "$t_script_start" "$(now)")s
EOF
