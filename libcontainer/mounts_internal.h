/* Helpers shared by rootfs.c, mounts.c, cgroup_mount.c, masked_paths.c and
 * devices.c (not a public interface). */
#ifndef CAPSA_MOUNTS_INTERNAL_H
#define CAPSA_MOUNTS_INTERNAL_H

#include <stdbool.h>
#include "rootfs.h"
#include "mountopt.h"

/* Mount one config.mounts entry inside r->rootfs_fd. */
int mount_entry (struct rootfs_ctx *r, const struct spec_mount *m, struct error **err);

/* cgroup / cgroup2 entries (v1, hybrid, v2; with or without a cgroup namespace). */
int mount_cgroup (struct rootfs_ctx *r, const struct spec_mount *m, const struct mount_opts *o,
                  int target_fd, struct error **err);

/* Bind src_fd onto target_fd (both O_PATH fds), recursively if asked. */
int mount_bind_fd (int src_fd, int target_fd, bool recursive);

/* Change the per-mount flags of the mount at mnt_fd (a bind remount). Flags the
 * mount already has (nosuid, nodev, noexec, atime: locked in a user namespace)
 * are kept unless the options clear them explicitly. */
int mount_remount_bind (int mnt_fd, unsigned long flags, unsigned long clear_flags);

/* Apply propagation and mount_setattr attributes from the options. */
int mount_apply_post (int mnt_fd, const struct mount_opts *o, const char *src, const char *dest,
                      struct error **err);

/* "context=..." appended to data when an SELinux mount label applies; returns a
 * new string (or NULL for none) in *out. */
int mount_label_data (const char *data, const char *label, char **out);

/* Flags mount(2) must not see on the first mount of a filesystem. */
#define MOUNT_FS_FLAG_MASK (~(unsigned long) (MS_BIND | MS_REC | MS_REMOUNT))

#endif
