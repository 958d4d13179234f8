# Kelpie container image: everything is assembled at build time, nothing at start-up.
#
# Stages:
#   builder           swift:<ver>-bookworm; builds kelpie and kelpie-load in release mode with the
#                     Swift runtime linked statically (--static-swift-stdlib).
#   runtime-base      slim Debian bookworm + only the shared C libraries Kelpie links, a non-root user,
#                     a data-dir volume. No binary yet.
#   runtime-prebuilt  runtime-base + binaries taken from the build context (bin/kelpie, bin/kelpie-load)
#                     instead of the builder stage: for machines without registry access (CI here).
#                     Build with: --target runtime-prebuilt, context = a directory holding bin/.
#                     scripts/container-test.sh stages that directory and builds this target.
#   runtime           (default, last stage) runtime-base + binaries from the builder stage.
#
# Build args: SWIFT_IMAGE (builder base), RUNTIME_BASE (runtime base; container-test passes a
# debootstrapped bookworm), VERSION and REVISION (OCI labels).
#
#   docker build -t kelpie:dev .                                     # full build (needs a registry)
#   docker build --target runtime-prebuilt -f Dockerfile ctx/        # ctx/bin/{kelpie,kelpie-load}

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_BASE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS builder
# Build-time headers for the C libraries Kelpie wraps; versions follow the bookworm suite
# (pinning exact Debian revisions breaks the build on every point release).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      pkg-config libssl-dev zlib1g-dev libzstd-dev libsimdjson-dev librdkafka-dev libyaml-dev libnghttp2-dev binutils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependency resolution is its own layer: source edits do not refetch packages.
# (Package.resolved is not versioned; the glob copies it when the context has one.)
COPY Package.* ./
RUN swift package resolve
# Tests/ too: SwiftPM loads every declared target, test targets and their resources included.
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product kelpie \
 && swift build -c release --static-swift-stdlib --product kelpie-load \
 && mkdir -p /out \
 && install -m 0755 .build/release/kelpie .build/release/kelpie-load /out/ \
 && strip /out/kelpie /out/kelpie-load

FROM ${RUNTIME_BASE} AS runtime-base
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="kelpie" \
      org.opencontainers.image.description="Honeycomb-compatible telemetry ingest server" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# Only the shared C libraries the binary links (the Swift runtime is linked statically);
# libyaml for the --keys file, librdkafka for the Kafka sink, libnghttp2 for HTTP/2 (OTLP/gRPC).
# Versions follow the bookworm suite, see the builder stage for why they are not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libssl3 zlib1g libzstd1 libsimdjson14 librdkafka1 libyaml-0-2 libnghttp2-14 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && groupadd --system --gid 10001 kelpie \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/kelpie --no-create-home \
      --shell /usr/sbin/nologin kelpie \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/kelpie
# The WAL/spool is the only thing Kelpie writes; the root filesystem can be mounted read-only.
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    KELPIE_LISTEN=0.0.0.0:8080 \
    KELPIE_DATA_DIR=/var/lib/kelpie
VOLUME ["/var/lib/kelpie"]
WORKDIR /var/lib/kelpie
EXPOSE 8080
# Numeric user so the kubelet can verify runAsNonRoot without reading /etc/passwd.
USER 10001:10001
STOPSIGNAL SIGTERM
# Exec form: kelpie is PID 1 and receives SIGTERM itself; no shell is involved at run time.
ENTRYPOINT ["kelpie", "serve"]

FROM runtime-base AS runtime-prebuilt
# The binaries must already be executable (container-test installs them with mode 0755).
COPY bin/kelpie bin/kelpie-load /usr/local/bin/

FROM runtime-base AS runtime
COPY --from=builder /out/kelpie /out/kelpie-load /usr/local/bin/
