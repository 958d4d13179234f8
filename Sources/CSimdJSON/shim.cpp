#include "CSimdJSON.h"
#include <simdjson.h>

extern "C" size_t kelpie_sj_padding(void) { return simdjson::SIMDJSON_PADDING; }
