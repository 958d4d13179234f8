#ifndef C_CALLGRIND_CONTROL_H
#define C_CALLGRIND_CONTROL_H

/// Callgrind client requests (valgrind/callgrind.h), so the benchmark measures only its workload window.
/// Outside Valgrind each call is a few instructions and does nothing.

/// 1 when running under Valgrind, else 0.
int kelpie_bench_running_on_valgrind(void);
/// CALLGRIND_START_INSTRUMENTATION: from here on instructions are counted (for every thread).
void kelpie_bench_callgrind_start(void);
/// CALLGRIND_STOP_INSTRUMENTATION: counting stops (for every thread).
void kelpie_bench_callgrind_stop(void);
/// 1 when <valgrind/callgrind.h> was available at build time, else 0 (then start/stop do nothing).
int kelpie_bench_has_client_requests(void);

#endif
