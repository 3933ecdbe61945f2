/* What a runtime process that the container will be able to see does before it
 * can be seen (CVE-2016-9962 and its family): it is born non-dumpable, keeps
 * only the fds it needs, and shows nothing of the caller's command line or
 * environment. docs/process-inventory.md lists what each process holds when. */
#ifndef CAPSA_CHILD_GUARD_H
#define CAPSA_CHILD_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include "spec/util/error.h"

/* Parent, right before it clones a process the container will see: make
 * ourselves non-dumpable, so the child is born so (fork copies the flag) and no
 * window is left between its birth and its own prctl. Returns false when that
 * must wait: an unprivileged parent that writes the child's id maps needs the
 * child dumpable (its /proc files owned by the caller) until the maps are
 * written; the child calls guard_nondumpable() once they are. */
bool guard_parent_before_clone (bool parent_writes_maps);

/* PR_SET_DUMPABLE 0: /proc/<pid>/{fd,cwd,root,environ,mem} of this process are
 * closed to the container (it has no CAP_SYS_PTRACE over us) until execve. */
int guard_nondumpable (struct error **err);
/* In a child right after the clone (and again after a credential change, which
 * clears it): SIGKILL when the parent dies. A parent already dead (its end of
 * sync_fd hung up) makes us _exit at once: that closes the race between the
 * clone and the prctl, also in a pid namespace where getppid() is 0. */
void guard_die_with_parent (int sync_fd);
/* After READY: wait for the parent's READY_ACK, then live on without it; the
 * caller closes sync_fd next, which the parent waits for. EOF (the parent died
 * before recording us) ends this process. */
void guard_outlive_parent (int sync_fd);

/* Child, first thing after the clone: non-dumpable (unless defer_dumpable),
 * every fd closed but stdio, the preserved ones and keep[]; log lines go to the
 * parent over sync_fd (the log file is a host fd). */
int guard_child_start (int sync_fd, int preserve_fds, const int *keep, size_t nkeep,
                       bool defer_dumpable, struct error **err);

/* The caller's argv and environment strings in our memory (what the kernel
 * shows in /proc/<pid>/cmdline and environ). The init of a created container
 * is a fork of `capsa create`: until `start`, anything exec'd into the
 * container could read them (secrets in the environment). */
struct guard_caller
{
  char *args, *args_end, *env, *env_end;  /* NULL when unknown */
};
void guard_caller_find (struct guard_caller *g);
/* Strings we still need that point into that memory get a copy of their own. */
void guard_keep_string (const struct guard_caller *g, char **s);
void guard_keep_strv (const struct guard_caller *g, char **v, size_t n);
/* Wipe it: cmdline then reads `title` (words become arguments), environ reads
 * nothing, and our environment is empty. */
void guard_caller_wipe (const struct guard_caller *g, const char *title);

/* A parent whose child is visible from birth (exec: born in the container's pid
 * namespace) wipes its own copy around the clone, so that the child is born
 * wiped, and then gets it back: hide before the clone, restore after it. */
struct guard_saved
{
  struct guard_caller g;
  char *args, *env;   /* copies of the wiped bytes */
};
int guard_caller_hide_for_clone (const struct guard_caller *g, const char *title,
                                 struct guard_saved *s, struct error **err);
void guard_caller_restore (struct guard_saved *s);

/* After the sync socket is closed: log lines have nowhere to go. */
void guard_child_log_off (void);

#endif
