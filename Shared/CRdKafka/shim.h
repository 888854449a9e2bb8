#ifndef MAESTRO_CRDKAFKA_SHIM_H
#define MAESTRO_CRDKAFKA_SHIM_H
// librdkafka from the system (Debian: librdkafka-dev), including the mock cluster API
// that the embedded development broker hosts.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
