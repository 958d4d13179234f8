// librdkafka, the pinned build from scripts/bootstrap.sh (static archive; rdkafka.pc lists what it links).
// No `link` line in the module map: the .pc's Libs carry -lrdkafka and the archive's own dependencies
// in the order a static link needs.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

// Debian 12's librdkafka-dev (2.0.2) cannot talk to brokers that send tagged fields in ApiVersions.
// Reaching this means pkg-config found the system copy instead of .build-deps/rdkafka.
#if RD_KAFKA_VERSION < 0x020800ff
#error "librdkafka >= 2.8.0 required: run scripts/bootstrap.sh, then build through make or eval \"$(scripts/bootstrap.sh env)\""
#endif
