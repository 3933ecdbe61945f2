/* Rootfs setup inside the container's mount namespace (child side). Order, as
 * init.c calls it:
 *   rootfs_prepare -> rootfs_mount_all -> devices_setup -> [createContainer hooks]
 *   -> rootfs_pivot -> rootfs_finalize
 * All paths inside the rootfs are resolved from rootfs_fd without following
 * symlinks out of it (util/fs.h). */
#ifndef CAPSA_ROOTFS_H
#define CAPSA_ROOTFS_H

#include <stdbool.h>
#include "spec/config.h"

struct rootfs_ctx
{
  const struct spec_config *config;
  char *rootfs;          /* absolute host path of root.path (resolved against the bundle) */
  int rootfs_fd;         /* O_PATH|O_DIRECTORY fd of the rootfs mount, set by rootfs_prepare */
  bool no_pivot;
  bool host_mount_ns;    /* no mount namespace: leave "/" alone, chroot instead of pivot */
  bool userns;           /* a new user namespace is in use (device nodes must be bind mounts) */
  bool new_cgroupns;     /* mount cgroup fs showing the container's cgroup */
  const char *mount_label;   /* linux.mountLabel or NULL */
  int *source_trees;     /* per config mount: a detached bind source from the
                            parent (taken by the mount, -1 after), -1, or NULL */
  int dev_ro_mnt;        /* the /dev tmpfs that the config wants read-only once it is
                            filled (rootfs_finalize), or -1 */
  /* Called once, before the first cgroup mount (init: wait until the parent has
   * placed us in the cgroup, then make the cgroup namespace). */
  int (*before_cgroup_mount) (void *arg, struct error **err);
  void *hook_arg;
};

/* Make the mount tree private/slave per rootfsPropagation, bind the rootfs onto
 * itself so it is a mount point, open rootfs_fd. */
int rootfs_prepare (struct rootfs_ctx *r, struct error **err);
/* Every config.mounts entry, in order: proc, sysfs, tmpfs, devpts, mqueue, cgroup,
 * bind/rbind with all flags, propagation and recursive attributes. */
int rootfs_mount_all (struct rootfs_ctx *r, struct error **err);
/* pivot_root (or MS_MOVE + chroot with no_pivot) into the rootfs; cwd becomes "/". */
int rootfs_pivot (struct rootfs_ctx *r, struct error **err);
/* After pivot: maskedPaths, readonlyPaths, root.readonly, rootfsPropagation final. */
int rootfs_finalize (struct rootfs_ctx *r, struct error **err);

#endif
