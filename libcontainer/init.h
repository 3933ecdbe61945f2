/* The container init, child side of the staged init (DESIGN.md): everything
 * inside the new namespaces up to execve. */
#ifndef CAPSA_INIT_H
#define CAPSA_INIT_H

#include <stdbool.h>
#include "spec/config.h"

struct init_args
{
  const struct spec_config *config;
  const char *id;
  const char *bundle;
  const char *rootfs;       /* absolute host path */
  int sync_fd;              /* child's end of the sync socketpair */
  int fifo_fd;              /* O_PATH fd of exec.fifo */
  int statedir_fd;          /* the parent's locked state dir: closed first thing */
  int console_sock;         /* connected --console-socket, or -1 */
  bool pty_to_parent;       /* foreground run with a terminal: send the master to P */
  bool own_stdio;           /* stdio is the container's for good (finalize.h) */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool new_cgroupns;        /* unshare the cgroup namespace once in the cgroup */
  bool userns;              /* runs in a new or joined user namespace */
  bool host_mount_ns;       /* no mount namespace in the config */
  struct seccomp_plan *seccomp; /* compiled by the parent, or NULL */
  int *attach_fds;          /* v1 `tasks` files to write "0" to after GO (self_attach.c) */
  size_t attach_n;
  bool defer_dumpable;      /* born dumpable: the unprivileged parent writes our id
                               maps; non-dumpable right after (child_guard.h) */
};

/* The child's first step (child_guard.h): non-dumpable, only the fds it needs,
 * nothing of the caller's argv and environment. */
int init_guard_start (struct init_args *a, struct error **err);

/* Never returns: execs the container process or reports the error over sync_fd
 * and exits. */
__attribute__ ((noreturn)) void init_main (struct init_args *a);

#endif
