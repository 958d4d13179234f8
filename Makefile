# Kelpie: the two commands a fresh machine needs are `make run` and `make test`.
SWIFT ?= swift
# Empty by default so that KELPIE_LISTEN, KELPIE_DATA_DIR and every other KELPIE_* variable reach kelpie
# (docs/configuration.md); `make run LISTEN=127.0.0.1:9090 DATA_DIR=/tmp/k` passes flags instead.
LISTEN ?=
DATA_DIR ?=
# The Tansu broker (a Kafka-compatible broker from PyPI) that `scripts/bootstrap.sh test` installs; the Kafka tests start it.
export KELPIE_TANSU_BIN ?= $(CURDIR)/.build-venv/tansu/bin/tansu-broker

.PHONY: run build release test test-scripts bench bootstrap clean container-test check-deploy fuzz

bootstrap:
	@bash scripts/bootstrap.sh build

release: bootstrap
	$(SWIFT) build -c release --product kelpie

# Builds a release binary and serves with kelpie's defaults (0.0.0.0:8080, spool files under ./data)
# unless KELPIE_* variables or LISTEN/DATA_DIR say otherwise.
run: release
	./.build/release/kelpie serve $(if $(LISTEN),--listen $(LISTEN)) $(if $(DATA_DIR),--data-dir $(DATA_DIR))

build: bootstrap
	$(SWIFT) build

test:
	@bash scripts/bootstrap.sh test
	$(SWIFT) build --build-tests
	@# Swift Testing only: the XCTest runner would print "Executed 0 tests" first (there are no XCTest cases).
	$(SWIFT) test --skip-build --disable-xctest
	@$(MAKE) --no-print-directory test-scripts

# Checks that live outside Swift (deploy manifests, container lint, client SDKs); each script is self-contained.
# They run the debug binaries `swift build --build-tests` just made.
test-scripts:
	@set -e; for t in tests/*.sh; do [ -e "$$t" ] || continue; echo "== $$t"; \
		KELPIE_BIN=$(CURDIR)/.build/debug/kelpie KELPIE_LOAD_BIN=$(CURDIR)/.build/debug/kelpie-load bash "$$t"; done

# Static checks of Dockerfile and deploy/ only (also part of tests/deploy.sh).
check-deploy:
	bash scripts/check-deploy.sh

# Builds the runtime image with buildah on a debootstrapped base and runs it with podman (needs root).
container-test:
	bash scripts/container-test.sh

# libFuzzer targets (Fuzz/, built into .build-fuzz): each runs FUZZ_SECONDS (default 60); executions per target printed.
FUZZ_SECONDS ?= 60
fuzz:
	@bash scripts/bootstrap.sh test
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh

# The Swift suite under ThreadSanitizer, then AddressSanitizer, each in its own scratch path
# (.build-tsan, .build-asan); any sanitizer report fails it. See docs/fuzzing.md, "Sanitizers".
.PHONY: sanitize
sanitize:
	@bash scripts/bootstrap.sh test
	bash scripts/sanitize.sh

bench:
	@bash scripts/bootstrap.sh bench
	bash bench/run.sh

clean:
	rm -rf .build
