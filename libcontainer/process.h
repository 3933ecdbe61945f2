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
/* p->env plus HOME from the container's /etc/passwd when p->env has none (as runc);
 * NULL when nothing is to be added. */
char **process_env_with_home (const struct spec_process *p);
void process_set_umask (const struct spec_process *p);

/* Close every fd >= 3 + preserve_fds, except those in keep[]; mark the rest CLOEXEC. */
int process_close_fds (int preserve_fds, const int *keep, size_t nkeep, struct error **err);
/* (The kept keep[] fds are marked CLOEXEC, the preserved fds 3..3+preserve_fds-1
 * get CLOEXEC cleared since they pass to the container; stdio is untouched.) */

/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE, or -1 when unknown. */
int process_rlimit_from_name (const char *name);

/* Child side, before execve: linux.personality (personality(2)). */
int process_set_personality (const struct spec_linux *l, struct error **err);

/* process.scheduler via sched_setattr on the calling thread (SCHED_DEADLINE too). */
int process_set_scheduler (const struct spec_process *p, struct error **err);
/* process.ioPriority via ioprio_set on the calling process. */
int process_set_io_priority (const struct spec_process *p, struct error **err);
/* process.execCPUAffinity.initial applied to pid (0 = self): right after the
 * process exists, before it joins the container's cgroup. */
int process_set_cpu_affinity_initial (const struct spec_process *p, pid_t pid, struct error **err);
/* process.execCPUAffinity.final on the calling process, after joining the cgroup,
 * just before execve. */
int process_set_cpu_affinity_final (const struct spec_process *p, struct error **err);
/* linux.memoryPolicy via set_mempolicy on the calling process. */
int process_set_memory_policy (const struct spec_linux *l, struct error **err);

#endif
