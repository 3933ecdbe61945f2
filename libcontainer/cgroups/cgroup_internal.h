/* Private to libcontainer/cgroups: the manager's layout and the helpers its
 * files share. One hierarchy entry per mounted cgroup tree the container uses. */
#ifndef CAPSA_CGROUP_INTERNAL_H
#define CAPSA_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "spec/util/error.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

struct cg_hier
{
  char *controllers; /* "memory", "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
  char *mount;       /* "/sys/fs/cgroup/memory" */
  char *rel;         /* the container's cgroup relative to the mount: "/capsa/x" */
  char *dir;         /* mount + rel */
  bool v2;
};

struct cgroup_manager
{
  enum cgroup_layout layout;
  bool systemd;
  char *id;
  char *path;      /* the primary path, returned by cgroup_path() */
  struct cg_hier *h;
  size_t n;
  const struct spec_resources *res; /* borrowed from the config; NULL after load */
  int leaf_fd;     /* v2: cached O_DIRECTORY fd of the leaf */
  bool skip_devices; /* rootless: no device rules (cgroup_manager_skip_devices) */
};

/* A cgroup mount seen from this process: parsed /proc/self/cgroup joined with
 * /proc/self/mountinfo. own is this process's cgroup relative to the mount. */
struct cg_mount
{
  char *controllers;
  char *mount;
  char *own;
  bool v2;
};
int cg_list_mounts (enum cgroup_layout layout, struct cg_mount **out, size_t *n,
                    struct error **err);
void cg_mounts_free (struct cg_mount *m, size_t n);

/* Pure helpers (unit tested without root). */
/* Lexically clean `p` as if rooted at "/" (no ".." escapes); returns "/a/b". */
char *cg_clean_path (const char *p);
/* linux.cgroupsPath semantics (runc 1.1): unset -> /capsa/<id>; absolute -> relative
 * to the hierarchy root; relative -> below this process's own cgroup (v1) or its
 * parent (cgroup2, whose own cgroup holds processes). */
int cg_resolve_path (const char *cgroups_path, const char *id, const char *own, bool v2,
                     char **out, struct error **err);
/* "slice:prefix:name" -> "/system.slice/prefix-name.scope" style path. */
int cg_systemd_path (const char *cgroups_path, const char *id, char **out, struct error **err);
/* "a-b.slice" -> "/a.slice/a-b.slice" */
int cg_systemd_expand_slice (const char *slice, char **out, struct error **err);
bool cg_list_has (const char *csv, const char *name); /* "cpu,cpuacct" has "cpu" */

/* Files. Writes never create or truncate: cgroup files exist or the host lacks
 * the knob. Messages: "write <path>: <strerror>". */
int cg_write (const char *dir, const char *file, const char *value, struct error **err);
int cg_writef (const char *dir, const char *file, struct error **err, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
int cg_read (const char *dir, const char *file, char **out, struct error **err);
bool cg_file_exists (const char *dir, const char *file);
int cg_mkdir_p (const char *path, struct error **err);
/* rmdir a cgroup and its children bottom-up, retrying EBUSY briefly; ENOENT is fine. */
int cg_rmdir_tree (const char *path, struct error **err);
/* Append the pids listed in dir/cgroup.procs (and sub-cgroups when recursive). */
int cg_read_procs (const char *dir, bool recursive, pid_t **pids, size_t *n, struct error **err);

/* Which tree hosts a controller: a v1 hierarchy listing it, else the cgroup2 tree
 * if its root's cgroup.controllers lists it. NULL if the host lacks it. */
struct cg_hier *cg_find (struct cgroup_manager *m, const char *controller);
/* The hierarchy whose cgroup.procs lists the container's processes. */
struct cg_hier *cg_primary (struct cgroup_manager *m);
struct cg_hier *cg_unified (struct cgroup_manager *m);

/* Resources (resources_v1.c / resources_v2.c). */
/* with_devices: at create always; on update only when devices are given (a v1
 * rewrite briefly denies everything to the running container). */
int cg_apply_resources (struct cgroup_manager *m, const struct spec_resources *r,
                        bool with_devices, struct error **err);

void cg_sleep_ms (unsigned ms);

/* systemd.c: the transient scope (sd-bus). start creates it with pid as its first
 * process and m->res as unit properties, and waits until pid is in it. */
int cg_systemd_start (struct cgroup_manager *m, pid_t pid, struct error **err);
int cg_systemd_set_properties (struct cgroup_manager *m, const struct spec_resources *res,
                               struct error **err);
int cg_systemd_stop (struct cgroup_manager *m, struct error **err);

#endif
