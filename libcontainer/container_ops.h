/* Helpers shared by the lifecycle operations in create.c and ops.c. */
#ifndef CAPSA_CONTAINER_OPS_H
#define CAPSA_CONTAINER_OPS_H

#include "container.h"
#include "container_state.h"

/* realpath() as a malloc'd string; frees `path`. */
char *realpath_dup (char *path, struct error **err);
/* Copy the config into the state dir (as config.json) for delete's poststop hooks. */
int copy_config_to_state (int dirfd, const char *config_path, struct error **err);

/* The new container's state dir, locked (statedir_claim), after removing what a
 * create of the same id that died before writing state.json left behind. */
int lc_claim_statedir (const struct lc_context *ctx, const char *id, struct error **err);

/* delete marks the state dir before it takes state.json away: a dir so marked
 * without state.json is a container being deleted (or whose delete died), not
 * one being created. name NULL: dirfd itself, else its entry name. */
void statedir_mark_deleting (int dirfd);
bool statedir_deleting (int dirfd, const char *name);
/* Sets "container does not exist" (ENOENT), runc's words that engines match; -1. */
int lc_error_not_exist (struct error **err);

/* --pid-file: the pid, written atomically (engines read it at once). */
int write_pid_file (const char *path, pid_t pid, struct error **err);
/* --pidfd-socket: send pidfd over the unix socket at socket_path. */
int send_pidfd (const char *socket_path, int pidfd, struct error **err);

/* The container's seccomp filter, compiled by the caller (the parent) or taken
 * from <root>/.cache/seccomp. */
struct seccomp_plan;
struct lc_context;
struct spec_seccomp;
int prepare_seccomp (const struct lc_context *ctx, const struct spec_seccomp *s,
                     struct seccomp_plan **out, struct error **err);

#endif
