/* `capsa spec` templates. */
#ifndef CAPSA_SPEC_DEFAULTS_H
#define CAPSA_SPEC_DEFAULTS_H

#include <stdbool.h>
#include "util/error.h"

/* A default config.json like runc's (`runc spec`), as pretty JSON text. */
int spec_default_config_json (bool rootless, char **out, struct error **err);

#endif
