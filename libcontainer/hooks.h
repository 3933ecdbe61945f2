/* OCI hooks: run with the state JSON on stdin, hook env, timeout (kill on expiry). */
#ifndef CAPSA_HOOKS_H
#define CAPSA_HOOKS_H

#include "spec/config.h"
#include "spec/state.h"

/* Run hooks of `kind` in order; the first failure stops the run and returns -1 with
 * "<kind> hook #<i> (<path>): <reason>". Poststop hooks are the exception (spec):
 * a failure is logged as a warning and the next hooks still run. */
int hooks_run (const struct spec_config *c, enum spec_hook_kind kind, const struct spec_state *st,
               struct error **err);

#endif
