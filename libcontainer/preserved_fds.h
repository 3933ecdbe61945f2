/* --preserve-fds: which fds may be handed to the container. */
#ifndef CAPSA_PRESERVED_FDS_H
#define CAPSA_PRESERVED_FDS_H

#include "container.h"

/* Refuse n preserved fds (3 .. 3+n-1) unless the caller passed every one of them
 * (ctx->passed_fds): an fd in that range that capsa opened itself (its --log
 * file, a state or cgroup directory) must never reach the container. */
int preserved_fds_check (const struct lc_context *ctx, int n, struct error **err);

#endif
