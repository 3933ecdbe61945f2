/* Parent side of the staged init: clone the container init into its
 * namespaces and cgroup, serve its requests until it is ready. */
#ifndef CAPSA_SPAWN_H
#define CAPSA_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "container.h"
#include "init.h"

struct spawn_result
{
  pid_t pid;         /* the container init, in our pid namespace */
  int pidfd;
  int pty_master;    /* foreground run with a terminal, else -1 */
  int sync_fd;       /* our end of the sync socket until spawn_release */
};

/* Clone the init (directly, or through an intermediate child when namespaces are
 * joined by path or a time namespace is created), write id maps, place it in the
 * cgroup, run prestart/createRuntime hooks on request, forward a seccomp listener,
 * and wait for READY. On failure the init is killed and reaped. */
int spawn_container (struct init_args *a, struct cgroup_manager *cg, struct spawn_result *out,
                     struct error **err);

/* Serve the child's requests (hooks, pty, seccomp listener) until READY. */
int spawn_serve (struct init_args *a, int sock, struct spawn_result *out, struct error **err);

/* fork-like clone3 (clone fallback) with a pidfd, born in cgroup_fd when >= 0
 * (*in_cgroup tells whether that worked). Returns 0 in the child. */
pid_t spawn_clone (uint64_t flags, int cgroup_fd, int *pidfd, bool *in_cgroup);

/* After the child's v1 self-attach (self_attach > 0: it reports SYNC_ATTACHED),
 * place pid where it is not yet: failed v1 hierarchies, the cgroup2 tree when it
 * was not born there. Used by create and exec. */
typedef int (*spawn_enter_fn) (void *arg, pid_t pid, bool v1, bool v2, struct error **err);
int spawn_place_rest (spawn_enter_fn enter, void *arg, int sock, pid_t pid, size_t self_attach,
                      bool born_in_cgroup, struct error **err);

/* Kill (SIGKILL) and reap a child we spawned. */
void spawn_abort (struct spawn_result *r);
/* The container is recorded: tell the init (READY_ACK) that it outlives us from
 * now on. Until then it dies with us (child_guard.h). */
int spawn_release (struct spawn_result *r, struct error **err);
/* The same on a bare sync socket (exec): READY_ACK, then wait for the child to
 * close its end (it has cleared its parent-death signal by then). */
int spawn_release_fd (int sync_fd, struct error **err);

#endif
