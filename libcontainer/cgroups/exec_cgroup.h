/* `exec --cgroup`: where an exec'd process goes. It joins the container's cgroup
 * in every hierarchy, and a sub-cgroup of it only where --cgroup names one, so
 * it is never outside the container's limits on any controller. */
#ifndef CAPSA_EXEC_CGROUP_H
#define CAPSA_EXEC_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "spec/util/error.h"

/* One parsed --cgroup value: controller "" for a bare path (every hierarchy). */
struct exec_cgroup_sub
{
  char *controller;
  char *path;
  const char *arg;  /* the --cgroup value it came from (borrowed), for messages */
};

/* runc's forms, with its error texts: one bare "<path>", or any number of
 * "<controller>[,<controller>...]:<path>", each controller named once.
 * args is NULL-terminated (or NULL); *out is freed with exec_cgroup_subs_free. */
int exec_cgroup_parse (char *const *args, struct exec_cgroup_sub **out, size_t *n,
                       struct error **err);
void exec_cgroup_subs_free (struct exec_cgroup_sub *subs, size_t n);

/* A sub-cgroup path relative to the container's cgroup, lexically cleaned: a
 * leading "/" and "." are the container's own cgroup (""), and ".." may not
 * climb above it ("bad sub cgroup path"). Returns a malloc'd string or NULL. */
char *exec_cgroup_clean_path (const char *path, struct error **err);

struct exec_cgroup;

/* The target of every hierarchy of m for the --cgroup values in args (NULL: the
 * container's own cgroup). Named sub-cgroups must exist. m NULL (a container
 * without cgroup) accepts only "/". *out is NULL when there is nothing to do. */
int exec_cgroup_plan (struct cgroup_manager *m, char *const *args, struct exec_cgroup **out,
                      struct error **err);
/* cgroup v2: an O_DIRECTORY fd of the target for clone3(CLONE_INTO_CGROUP), owned
 * by the plan; -1 on v1/hybrid or without a plan. */
int exec_cgroup_clone_fd (struct exec_cgroup *p);
/* Move pid into every target. On failure the caller must kill pid: it may be
 * outside the container's cgroup in some hierarchy. */
int exec_cgroup_enter (struct exec_cgroup *p, pid_t pid, struct error **err);
/* Only the v1 hierarchies (v1) and/or the cgroup2 tree (v2): what the process
 * did not do itself, or was not born in. */
int exec_cgroup_enter_some (struct exec_cgroup *p, pid_t pid, bool v1, bool v2,
                            struct error **err);
/* The v1 targets' `tasks` files for the exec'd process to move itself
 * (cgroups/self_attach.c); sa->n == 0 when it does not apply. */
int exec_cgroup_self_attach_open (struct exec_cgroup *p, struct cgroup_self_attach *sa,
                                  struct error **err);
void exec_cgroup_free (struct exec_cgroup *p);

#endif
