/* eddy_version: the library's own version (eddy/version.h). */
#include "eddy/version.h"

const char *eddy_version(void) { return EDDY_VERSION; }
