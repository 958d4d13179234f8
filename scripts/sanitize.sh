#!/usr/bin/env bash
# The whole Swift suite under ThreadSanitizer, then AddressSanitizer (docs/fuzzing.md, "Sanitizers").
# Each sanitizer builds into its own scratch path (.build-tsan, .build-asan), so neither disturbs .build
# and each stays warm for the next run. One after the other, never at once: each build is heavy.
# A sanitizer report fails the run: the instrumented test process (and any `kelpie` child the tests
# start, built into the same scratch path) exits non-zero when it has reported anything.
#   SANITIZERS        which, in order (default "thread address")
#   SANITIZE_FILTER   a `swift test --filter` pattern (default: the whole suite)
set -euo pipefail
cd "$(dirname "$0")/.."

# Test deadlines (waitUntil, the test HTTP client's timeouts) 5 times longer: sanitized code runs several
# times slower, and the whole suite starts at once on few cores (Tests/TestSupport/TestTimeScale.swift).
export KELPIE_TEST_TIME_SCALE=${KELPIE_TEST_TIME_SCALE:-5}
# No TSan suppressions. Swift's crash backtracer would take SIGSEGV from the sanitizers' own handlers.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
export TSAN_OPTIONS=${TSAN_OPTIONS:-"second_deadlock_stack=1"}
# detect_leaks=0: LeakSanitizer reports, at exit, whole KelpieApplication graphs kept by a reference cycle
# after shutdown (one per app; docs/fuzzing.md, "Sanitizers", open findings); ASan's memory checks stay on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-"detect_leaks=0"}

for sanitizer in ${SANITIZERS:-thread address}; do
    case "$sanitizer" in
        thread) scratch=.build-tsan ;;
        address) scratch=.build-asan ;;
        *) echo "sanitize: unknown sanitizer '$sanitizer' (thread or address)" >&2; exit 2 ;;
    esac
    started=$(date +%s)
    swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
    built=$(date +%s)
    # --no-parallel: run in parallel, the slowed suite starved the relay tests for about 90 s on 2 cores
    # (their connections then met the server's idle timeout); they pass alone and in the serial run.
    swift test --skip-build --disable-xctest --sanitize="$sanitizer" --scratch-path "$scratch" --no-parallel \
        ${SANITIZE_FILTER:+--filter "$SANITIZE_FILTER"}
    finished=$(date +%s)
    echo "sanitize: $sanitizer passed (build $((built - started)) s, tests $((finished - built)) s)"
done
