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

/* Bind src_fd onto target_fd (both O_PATH fds), recursively if asked.  For
 * device nodes and the console, which take no flags afterwards. */
int mount_bind_fd (int src_fd, int target_fd, bool recursive);

/* mount_fd.c: mounts built and changed through the fd of the mount object
 * (open_tree/fsmount -> mount_setattr -> move_mount), never through a path
 * looked up again.  All return -1 with errno unless they take an error. */
struct mount_attr;
/* MS_* flags set and explicitly cleared -> mount_setattr attributes. */
void mount_flags_to_attr (unsigned long flags, unsigned long clear_flags, struct mount_attr *a);
/* Apply per-mount flags to the mount at mnt_fd.  Attributes the options do
 * not name stay as they are (locked in a user namespace).  recursive: the
 * restricting ones (ro, nosuid, nodev, noexec, nosymfollow) also go on every
 * submount. */
int mount_fd_set_flags (int mnt_fd, unsigned long flags, unsigned long clear_flags,
                        bool recursive);
/* A detached copy of the mount (tree) at src_fd. */
int mount_fd_clone (int src_fd, bool recursive);
/* Attach the detached mount mnt_fd on target_fd.  mnt_fd keeps naming the
 * mount afterwards, so later changes reach exactly it. */
int mount_fd_attach (int mnt_fd, int target_fd);
/* A new filesystem as a detached mount (fsopen/fsconfig/fsmount). */
struct mount_fs_spec
{
  const char *type, *source;
  const char *data;        /* comma-separated key[=value] options, or NULL */
  const char *label;       /* SELinux context= of the superblock, or NULL */
  unsigned long sb_flags;  /* MS_RDONLY, MS_SYNCHRONOUS, ... for the superblock */
  unsigned long mnt_flags; /* MS_* per-mount flags for fsmount */
};
int mount_fd_new_fs (const struct mount_fs_spec *s, struct error **err);
/* The options' propagation, on the attached mount mnt_fd. */
int mount_fd_finish (int mnt_fd, const struct mount_opts *o, const char *src, const char *dest,
                     struct error **err);
/* The options' recursive attributes (rro, rnosuid, ...). */
int mount_fd_rec_attrs (int mnt_fd, const struct mount_opts *o, const char *src, const char *dest,
                        struct error **err);
/* " (this kernel lacks ...)" for ENOSYS, else "": appended to messages. */
const char *mount_api_hint (int e);

/* The SELinux label for a new filesystem's context=, or NULL when none applies. */
const char *mount_label_for (const char *label);

/* tmpcopyup.c: copy the image directory `from` into the new tmpfs `to`
 * (owners, modes, symlinks, device nodes); a tree deeper than the limit is
 * refused with an error rather than walked. */
#define TMPCOPYUP_MAX_DEPTH 256
int tmpcopyup_tree (int from, int to, struct error **err);

/* Flags mount(2) must not see on the first mount of a filesystem. */
#define MOUNT_FS_FLAG_MASK (~(unsigned long) (MS_BIND | MS_REC | MS_REMOUNT))
/* Flags that belong to a new filesystem's superblock. */
#define MOUNT_SB_FLAG_MASK (MS_RDONLY | MS_SYNCHRONOUS | MS_DIRSYNC | MS_LAZYTIME | MS_MANDLOCK)

#endif
