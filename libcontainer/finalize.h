/* The last steps before execve, shared by the container init and `exec`:
 * security around the user switch, cwd, the binary lookup, the seccomp listener
 * hand-off, closing every fd not meant for the container, READY. */
#ifndef CAPSA_FINALIZE_H
#define CAPSA_FINALIZE_H

#include <stddef.h>
#include "security.h"
#include "spec/config.h"

/* Returns the resolved binary (malloc'd) or NULL. sync_fd stays open (the caller
 * closes it after READY); keep[] lists other fds to keep open past the sweep.
 * own_stdio: stdio is handed to the process for good (a pty slave, or detached
 * stdio), so process.user gets to own it (terminal_own_stdio). */
char *finalize_process (const struct spec_config *c, struct security_plan *sec, int sync_fd,
                        int preserve_fds, const int *keep, size_t nkeep, bool own_stdio,
                        struct error **err);

#endif
