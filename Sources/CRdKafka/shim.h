// librdkafka, the pinned build that scripts/bootstrap.sh puts into .build-deps/rdkafka (any make target
// runs it). Included by path, and linked as libkelpie-rdkafka.a by KafkaSink's linker settings, so no
// environment is needed and Debian's librdkafka-dev (2.0.2), if installed, can never be picked up instead.
#if !__has_include("../../.build-deps/rdkafka/include/librdkafka/rdkafka.h")
#error "librdkafka 2.8.0 is not built yet: run scripts/bootstrap.sh (any make target runs it)"
#endif
#include "../../.build-deps/rdkafka/include/librdkafka/rdkafka.h"
#include "../../.build-deps/rdkafka/include/librdkafka/rdkafka_mock.h"

#if RD_KAFKA_VERSION < 0x020800ff
#error "librdkafka >= 2.8.0 required: run scripts/bootstrap.sh"
#endif
