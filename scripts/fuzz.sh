#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/, a package of its own) with -sanitize=fuzzer,address into
# .build-fuzz and runs each for FUZZ_SECONDS, seeded from the captured client requests
# (scripts/fuzz-seeds.py). Prints executions per target and exits non-zero if any target crashed;
# a crash leaves its input in .build-fuzz/artifacts/TARGET/ (reproduce: .build-fuzz/debug/TARGET FILE).
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_TARGETS  space-separated subset (default: every Fuzz/Sources/fuzz-*)
#   FUZZ_MAX_LEN  largest generated input in bytes (default 65536)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${FUZZ_SECONDS:-60}
max_len=${FUZZ_MAX_LEN:-65536}
scratch="$root/.build-fuzz"
targets=${FUZZ_TARGETS:-$(cd Fuzz/Sources && ls -d fuzz-* | tr '\n' ' ')}

# `--sanitize` alone instruments only this package's targets, but libFuzzer needs coverage in the code
# under test, i.e. the main package's modules: hence the -X flags too. `--sanitize=fuzzer` also tells
# SwiftPM that libFuzzer supplies `main`.
build=(swift build --package-path Fuzz --scratch-path "$scratch" --sanitize=fuzzer --sanitize=address
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address)
if ! "${build[@]}" >&2; then
    # SwiftPM can keep a stale view of the main package's targets in the scratch path after a merge
    # (seen here: files new in a dependency target missing from its module); a clean build settles it.
    echo "fuzz: build failed; retrying once from a clean $scratch" >&2
    rm -rf "$scratch"
    "${build[@]}" >&2
fi
bin=$("${build[@]}" --show-bin-path)

rm -rf "$scratch/seeds"
python3 scripts/fuzz-seeds.py "$scratch/seeds"

# Swift's runtime keeps metadata caches for the process's life; they are not leaks of the code under test.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
report="$scratch/fuzz-report.txt"
: > "$report"
failed=0
printf '%-26s %12s %10s %s\n' target executions exec/s result | tee -a "$report"
for target in $targets; do
    corpus="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target/"
    log="$scratch/logs/$target.log"
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    result=ok
    if ! "$bin/$target" -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 \
        -artifact_prefix="$artifacts" -rss_limit_mb=2048 -timeout=20 \
        "$corpus" "$scratch/seeds/$target" > "$log" 2>&1; then
        result="CRASH (see $log, input in $artifacts)"
        failed=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    printf '%-26s %12s %10s %s\n' "$target" "${runs:-?}" "${rate:-?}" "$result" | tee -a "$report"
done
echo "($seconds s per target; report in $report)"
exit "$failed"
