/* Process attributes of the container init (and exec'd processes). */
#ifndef CAPSA_PROCESS_H
#define CAPSA_PROCESS_H

#include <sys/types.h>
#include "spec/config.h"

/* Parent side, right after clone, before the child runs: rlimits via prlimit(pid)
 * and oom_score_adj via /proc/<pid>/oom_score_adj (they need privileges of the
 * initial user namespace). */
int process_apply_parent_side (const struct spec_process *p, pid_t pid, struct error **err);

/* Child side, after pivot: resolve process.args[0] against PATH of process.env inside
 * the container root; returns a malloc'd absolute path or NULL + error naming args[0]. */
char *process_resolve_exec (const struct spec_process *p, struct error **err);

/* Child side, just before execve: additionalGids/gid/uid (setgroups, setresgid,
 * setresuid; keeps capabilities per capabilities.c), umask, cwd (verified with
 * getcwd to be inside the root). */
int process_set_user (const struct spec_process *p, struct error **err);
int process_set_cwd (const struct spec_process *p, struct error **err);
void process_set_umask (const struct spec_process *p);

/* Close every fd >= 3 + preserve_fds, except those in keep[]; mark the rest CLOEXEC. */
int process_close_fds (int preserve_fds, const int *keep, size_t nkeep, struct error **err);

#endif
