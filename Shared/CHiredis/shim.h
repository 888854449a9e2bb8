#ifndef MAESTRO_CHIREDIS_SHIM_H
#define MAESTRO_CHIREDIS_SHIM_H
// hiredis from the system (Debian: libhiredis-dev).
#include <hiredis/hiredis.h>
#endif
