/* One cgroup manager interface for v1, hybrid, v2 and systemd. The container's
 * manager is rebuilt from its saved description (cgroup_manager_save/load) by
 * every later command. */
#ifndef CAPSA_CGROUP_H
#define CAPSA_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec/config.h"

enum cgroup_layout
{
  CGROUP_LAYOUT_V1,
  CGROUP_LAYOUT_HYBRID,   /* v1 controllers + cgroup2 at /sys/fs/cgroup/unified */
  CGROUP_LAYOUT_V2,
};

enum cgroup_layout cgroup_detect_layout (void);
const char *cgroup_layout_name (enum cgroup_layout l); /* "v1", "hybrid", "v2" */

struct cgroup_manager;

/* Build a manager for a new container from its config (linux.cgroupsPath, resources).
 * With no cgroupsPath the path is /capsa/<id> (systemd: system.slice:capsa:<id>). */
int cgroup_manager_new (const struct spec_config *c, const char *id, bool systemd,
                        struct cgroup_manager **out, struct error **err);
/* Create the cgroup (directories, or systemd scope later in enter) and apply
 * linux.resources. Refuses a cgroup that is frozen or already has processes. */
int cgroup_create (struct cgroup_manager *m, struct error **err);
/* v2: an O_DIRECTORY fd of the leaf for clone3(CLONE_INTO_CGROUP), or -1.
 * The fd is owned by the manager (closed by destroy/free): do not close it. */
int cgroup_clone_into_fd (struct cgroup_manager *m);
/* Move pid into the cgroup(s) (no-op when it was born there). */
int cgroup_enter (struct cgroup_manager *m, pid_t pid, struct error **err);
/* Apply (updated) resources. */
int cgroup_update (struct cgroup_manager *m, const struct spec_resources *r, struct error **err);
/* Signal every process in the cgroup (cgroup.kill on v2 for SIGKILL; thaws first). */
int cgroup_kill_all (struct cgroup_manager *m, int signo, struct error **err);
int cgroup_pids (struct cgroup_manager *m, pid_t **pids, size_t *n, struct error **err);
int cgroup_freeze (struct cgroup_manager *m, bool frozen, struct error **err);
/* 1 frozen, 0 not, -1 error/unknown */
int cgroup_is_frozen (struct cgroup_manager *m);
/* Remove the cgroups this manager created; tolerates concurrent removal. */
int cgroup_destroy (struct cgroup_manager *m, struct error **err);

/* The path of the container's cgroup relative to the cgroup root (for the state
 * and for mounting /sys/fs/cgroup in the container). */
const char *cgroup_path (struct cgroup_manager *m);

/* Additions (cgroups helper): the host directory of the container's cgroup for
 * one controller ("memory", "cpu", ...; "" = the cgroup2 tree), NULL if the host
 * lacks it; and every hierarchy the manager uses (controllers is "" for cgroup2,
 * "name=systemd" for named v1 trees). Returns the count, fills up to max. */
const char *cgroup_controller_dir (struct cgroup_manager *m, const char *controller);
size_t cgroup_hierarchies (struct cgroup_manager *m, const char **controllers,
                           const char **dirs, size_t max);
enum cgroup_layout cgroup_manager_layout (struct cgroup_manager *m);

/* Serialize to a string stored in the container state, and back. */
char *cgroup_manager_save (struct cgroup_manager *m);
int cgroup_manager_load (const char *saved, struct cgroup_manager **out, struct error **err);
void cgroup_manager_free (struct cgroup_manager *m);

#endif
