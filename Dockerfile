# Kelpie container image: everything is assembled at build time, nothing at start-up.
#
# Stages:
#   builder           swift:<ver>-bookworm; builds the pinned librdkafka and the HTTP/HTTPS-only libcurl
#                     (scripts/bootstrap.sh deps, both linked statically), then kelpie and kelpie-load
#                     in release mode, and collects the Swift runtime's shared libraries (stripped) in
#                     /out/swift-runtime. The runtime is linked dynamically so the two binaries share
#                     one copy (static: ~15 MiB each).
#   runtime-libs      Debian bookworm + the shared C libraries Kelpie links and the CA bundle: the
#                     place the runtime files are taken from. Not shipped.
#   rootfs-prebuilt   runtime-libs + binaries and Swift runtime from the build context (bin/, swift-runtime/),
#   rootfs            or from the builder stage; scripts/runtime-rootfs.sh copies into /rootfs only the
#                     binaries, the libraries `ldd` names for them (dynamic loader, libc and the Swift
#                     runtime included), the CA bundle, /etc/passwd and /etc/group for uid 10001, and
#                     the data dir.
#   runtime-base      FROM scratch: the image configuration only (user, env, port, entrypoint).
#   runtime-prebuilt  runtime-base + /rootfs of rootfs-prebuilt: for machines without registry access
#                     (CI here). Build with --target runtime-prebuilt, context = a directory holding
#                     bin/, swift-runtime/ and scripts/runtime-rootfs.sh; scripts/container-test.sh
#                     stages it.
#   runtime           (default, last stage) runtime-base + /rootfs of rootfs.
# The runtime image has no shell and no package manager; debug with `kubectl debug` (an ephemeral
# container sharing the pod's process namespace), not `kubectl exec sh`.
#
# Build args: SWIFT_IMAGE (builder base), RUNTIME_BASE (where the runtime libraries come from;
# container-test passes a debootstrapped bookworm), VERSION and REVISION (OCI labels).
#
#   docker build -t kelpie:dev .                                     # full build (needs a registry)
#   docker build --target runtime-prebuilt -f Dockerfile ctx/        # ctx/{bin,swift-runtime,scripts}/

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_BASE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS builder
# Build-time headers for the C libraries Kelpie wraps, and what building librdkafka and libcurl needs
# (dpkg-dev for dpkg-source, a C toolchain); versions follow the bookworm suite
# (pinning exact Debian revisions breaks the build on every point release).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      pkg-config libssl-dev zlib1g-dev libzstd-dev libsimdjson-dev libyaml-dev libnghttp2-dev binutils \
      dpkg-dev build-essential python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# librdkafka 2.8.0 and libcurl 8.14.1 (HTTP/HTTPS only), built from Debian 13's source packages into
# /src/.build-deps/{rdkafka,curl} as static archives, exactly as `make build` does on a developer machine
# (scripts/bootstrap.sh; its own apt configuration, the image's sources untouched). Their own layer:
# source edits do not rebuild them.
COPY scripts/bootstrap.sh ./scripts/bootstrap.sh
RUN bash scripts/bootstrap.sh deps \
 && rm -rf .build-deps/apt
# Dependency resolution is its own layer: source edits do not refetch packages.
# (Package.resolved is not versioned; the glob copies it when the context has one.)
COPY Package.* ./
RUN swift package resolve
# Tests/ too: SwiftPM loads every declared target, test targets and their resources included.
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product kelpie \
 && swift build -c release --product kelpie-load \
 && mkdir -p /out/swift-runtime \
 && install -m 0755 .build/release/kelpie .build/release/kelpie-load /out/ \
 && cp /usr/lib/swift/linux/*.so /out/swift-runtime/ \
 && strip /out/kelpie /out/kelpie-load /out/swift-runtime/*.so

FROM ${RUNTIME_BASE} AS runtime-libs
# The shared C libraries the binaries may link: libyaml for the --keys file, libnghttp2 for HTTP/2;
# librdkafka and libcurl are linked statically (they need libssl3, libzstd1 and zlib1g); only those
# `ldd` names end up in the image.
# Versions follow the bookworm suite, see the builder stage for why they are not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libssl3 zlib1g libzstd1 libsimdjson14 libyaml-0-2 libnghttp2-14 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
COPY scripts/runtime-rootfs.sh /usr/local/sbin/runtime-rootfs

FROM runtime-libs AS rootfs-prebuilt
# The binaries must already be executable (container-test installs them with mode 0755).
COPY bin/kelpie bin/kelpie-load /rootfs/usr/local/bin/
COPY swift-runtime/ /usr/local/lib/swift-runtime/
RUN ["/usr/local/sbin/runtime-rootfs", "/rootfs"]

FROM runtime-libs AS rootfs
COPY --from=builder /out/kelpie /out/kelpie-load /rootfs/usr/local/bin/
COPY --from=builder /out/swift-runtime/ /usr/local/lib/swift-runtime/
RUN ["/usr/local/sbin/runtime-rootfs", "/rootfs"]

FROM scratch AS runtime-base
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="kelpie" \
      org.opencontainers.image.description="Honeycomb-compatible telemetry ingest server" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# The WAL/spool is the only thing Kelpie writes; the root filesystem can be mounted read-only.
ENV PATH=/usr/local/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    KELPIE_LISTEN=0.0.0.0:8080 \
    KELPIE_DATA_DIR=/var/lib/kelpie
EXPOSE 8080
# Numeric user so the kubelet can verify runAsNonRoot without reading /etc/passwd.
USER 10001:10001
STOPSIGNAL SIGTERM
# Exec form: kelpie is PID 1 and receives SIGTERM itself; there is no shell in the image.
ENTRYPOINT ["kelpie", "serve"]

FROM runtime-base AS runtime-prebuilt
COPY --from=rootfs-prebuilt /rootfs /
VOLUME ["/var/lib/kelpie"]

FROM runtime-base AS runtime
COPY --from=rootfs /rootfs /
VOLUME ["/var/lib/kelpie"]
