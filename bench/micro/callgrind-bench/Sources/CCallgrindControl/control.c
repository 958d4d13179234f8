#include "CCallgrindControl.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#include <valgrind/valgrind.h>
int kelpie_bench_running_on_valgrind(void) { return RUNNING_ON_VALGRIND ? 1 : 0; }
void kelpie_bench_callgrind_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void kelpie_bench_callgrind_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
int kelpie_bench_has_client_requests(void) { return 1; }
#else
int kelpie_bench_running_on_valgrind(void) { return 0; }
void kelpie_bench_callgrind_start(void) {}
void kelpie_bench_callgrind_stop(void) {}
int kelpie_bench_has_client_requests(void) { return 0; }
#endif
