// extern "C" surface of the simdjson shim (implemented in shim.cpp). Filled in by the Ingest work.
#ifndef KELPIE_CSIMDJSON_H
#define KELPIE_CSIMDJSON_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
/// Bytes of readable padding simdjson needs after the input.
size_t kelpie_sj_padding(void);
#ifdef __cplusplus
}
#endif
#endif
