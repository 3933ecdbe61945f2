/* Driving the criu binary (Debian packages no libcriu): its command line, its
 * version, and the reason of a failure taken from its log. */
#ifndef CAPSA_CRIU_H
#define CAPSA_CRIU_H

#include <stdbool.h>
#include <stddef.h>

#include "spec/util/error.h"

/* A growing argv for criu (NULL-terminated, strings malloc'd). */
struct criu_cmd
{
  char **argv;
  size_t n, cap;
  bool oom;       /* an add failed: criu_run refuses to run a partial command */
};

void criu_cmd_add (struct criu_cmd *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void criu_cmd_free (struct criu_cmd *c);

/* "3.17.1" from `criu --version` (malloc'd), NULL when criu cannot run. */
char *criu_version (const char *criu);

/* What this host's criu can do, for `features`: its version and the outcome
 * of `criu check` (the kernel features criu needs for dump and restore). */
struct criu_probe
{
  char *version;       /* "3.17.1" */
  char *check_failure; /* NULL when criu check passed, else its reason */
};

/* -1 (and *p empty) when criu cannot run. */
int criu_probe (const char *criu, struct criu_probe *p);
void criu_probe_clear (struct criu_probe *p);

/* The reason in `criu check` output (stdout and stderr) for its exit status:
 * NULL when it passed; else its first Error lines without their source
 * positions, its first line, or the status (malloc'd). */
char *criu_check_reason (const char *output, int status);

/* Before exec'ing criu (restore): a private mount namespace in which `rootfs` is
 * bound on `root` (criu's --root), so nothing of it is left on the host; and
 * the detached mount devpts_fd (if >= 0) attached at devpts_at. */
struct criu_mntns
{
  const char *rootfs;
  const char *root;
  int devpts_fd;
  const char *devpts_at;
};

/* Run criu with args (argv[0] is the binary); fds listed in keep_fds (up to
 * nkeep) stay open in criu. Fails with the last errors of log_path and the
 * version when criu exits non-zero; `what` names the operation ("dump"). */
int criu_run (const char *criu, struct criu_cmd *args, const struct criu_mntns *mntns,
              const int *keep_fds, size_t nkeep, const char *log_path, const char *what,
              struct error **err);

#endif
