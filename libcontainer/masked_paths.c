#define _GNU_SOURCE
/* After pivot_root: readonlyPaths, maskedPaths, root.readonly and the final
 * rootfsPropagation.  Every path is resolved inside "/" and every mount goes
 * through fds (open_tree/move_mount), so a path the container swaps for a
 * symlink cannot redirect a mount (CVE-2025-31133). */
#include <errno.h>
#include <fcntl.h>
#include <selinux/selinux.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rootfs.h"
#include "mounts_internal.h"
#include "util/fs.h"
#include "util/mount_api.h"
#include "spec/util/cleanup.h"

static int
move_onto (int tree, int target)
{
  return move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int
readonly_path (int rootfd, const char *path, struct error **err)
{
  _cleanup_close_ int fd = fs_open_in_root (rootfd, path, O_PATH, 0, NULL);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return error_set (err, errno, "readonly path \"%s\"", path);
    }
  _cleanup_close_ int tree = open_tree (fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH
                                                 | AT_RECURSIVE);
  if (tree < 0)
    return error_set (err, errno, "readonly path \"%s\": open_tree", path);
  /* Only RDONLY changes: nosuid/nodev/noexec (locked in a userns) stay. */
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  if (mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    return error_set (err, errno, "readonly path \"%s\": set read-only", path);
  if (move_onto (tree, fd) < 0)
    return error_set (err, errno, "readonly path \"%s\": mount", path);
  return 0;
}

/* The /dev/null to mask files with, verified to be the real device. */
static int
open_null (int rootfd, struct error **err)
{
  struct stat sb;
  _cleanup_close_ int fd = fs_open_in_root (rootfd, "/dev/null", O_PATH | O_NOFOLLOW, 0, err);
  if (fd < 0)
    return error_wrap (err, "masked paths");
  if (fstat (fd, &sb) < 0)
    return error_set (err, errno, "masked paths: stat /dev/null");
  if (!S_ISCHR (sb.st_mode) || sb.st_rdev != makedev (1, 3))
    return error_set (err, 0, "masked paths: /dev/null is not the null device (1:3)");
  return steal_fd (&fd);
}

/* One read-only empty tmpfs, attached at the first masked directory; later
 * ones get clones of that mount. */
static int
masked_dir_tmpfs (const char *label, struct error **err)
{
  _cleanup_close_ int fsfd = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return error_set (err, errno, "masked paths: fsopen tmpfs");
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0
      || fsconfig (fsfd, FSCONFIG_SET_STRING, "size", "0", 0) < 0)
    return error_set (err, errno, "masked paths: configure tmpfs");
  if (label && *label && is_selinux_enabled () > 0
      && fsconfig (fsfd, FSCONFIG_SET_STRING, "context", label, 0) < 0)
    return error_set (err, errno, "masked paths: tmpfs context \"%s\"", label);
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return error_set (err, errno, "masked paths: create tmpfs");
  int m = fsmount (fsfd, FSMOUNT_CLOEXEC,
                   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (m < 0)
    return error_set (err, errno, "masked paths: fsmount tmpfs");
  return m;
}

static int
masked_path (int rootfd, const char *path, int *null_fd, int *dir_mnt, const char *label,
             struct error **err)
{
  struct stat sb;
  _cleanup_close_ int fd = fs_open_in_root (rootfd, path, O_PATH, 0, NULL);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return error_set (err, errno, "masked path \"%s\"", path);
    }
  if (fstat (fd, &sb) < 0)
    return error_set (err, errno, "masked path \"%s\": stat", path);

  _cleanup_close_ int tree = -1;
  if (S_ISDIR (sb.st_mode))
    {
      if (*dir_mnt < 0)
        {
          *dir_mnt = masked_dir_tmpfs (label, err);
          if (*dir_mnt < 0)
            return error_wrap (err, "masked path \"%s\"", path);
          if (move_onto (*dir_mnt, fd) < 0)
            return error_set (err, errno, "masked path \"%s\": mount tmpfs", path);
          return 0;
        }
      tree = open_tree (*dir_mnt, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    }
  else
    {
      if (*null_fd < 0)
        {
          *null_fd = open_null (rootfd, err);
          if (*null_fd < 0)
            return -1;
        }
      tree = open_tree (*null_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    }
  if (tree < 0)
    return error_set (err, errno, "masked path \"%s\": open_tree", path);
  if (move_onto (tree, fd) < 0)
    return error_set (err, errno, "masked path \"%s\": mount", path);
  return 0;
}

int
rootfs_finalize (struct rootfs_ctx *r, struct error **err)
{
  const struct spec_linux *l = r->config->linux_;
  _cleanup_close_ int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return error_set (err, errno, "open \"/\"");

  if (l)
    {
      for (size_t i = 0; i < l->readonly_paths_len; i++)
        if (readonly_path (rootfd, l->readonly_paths[i], err) < 0)
          return -1;
      _cleanup_close_ int null_fd = -1;
      _cleanup_close_ int dir_mnt = -1;
      for (size_t i = 0; i < l->masked_paths_len; i++)
        if (masked_path (rootfd, l->masked_paths[i], &null_fd, &dir_mnt, r->mount_label, err) < 0)
          return -1;
    }

  if (r->dev_ro_mnt >= 0)
    {
      _cleanup_close_ int dev = steal_fd (&r->dev_ro_mnt);
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (dev, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return error_set (err, errno, "make \"/dev\" read-only");
    }

  if (r->config->root_readonly)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (rootfd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return error_set (err, errno, "remount \"/\" read-only");
    }

  /* shared/unbindable could not be set before pivot_root (it refuses shared
   * mounts); apply them now. */
  const char *p = l ? l->rootfs_propagation : NULL;
  unsigned long prop = 0;
  if (p && mountopt_propagation (p, &prop) == 0 && (prop & (MS_SHARED | MS_UNBINDABLE))
      && mount (NULL, "/", NULL, prop, NULL) < 0)
    return error_set (err, errno, "set propagation of \"/\" to %s", p);
  return 0;
}
