#define _GNU_SOURCE
/* The container's root filesystem: propagation of the new mount namespace,
 * the rootfs made a mount point, every config mount in order, pivot_root. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rootfs.h"
#include "mounts_internal.h"
#include "spec/util/cleanup.h"

static int
root_propagation (const struct rootfs_ctx *r, unsigned long *flags, struct error **err)
{
  const char *p = r->config->linux_ ? r->config->linux_->rootfs_propagation : NULL;
  /* Default slave: host mounts still reach us, ours never reach the host. */
  *flags = MS_SLAVE | MS_REC;
  if (p && mountopt_propagation (p, flags) < 0)
    return error_set (err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"", p);
  /* An unbindable "/" would refuse the rootfs bind below: rootfs_finalize
   * applies it after pivot_root. */
  if (*flags & MS_UNBINDABLE)
    *flags = MS_SLAVE | MS_REC;
  return 0;
}

/* pivot_root refuses a new root whose parent mount is shared: make the mount
 * that holds the rootfs directory private (only that one, not recursively). */
static int
make_parent_private (const char *rootfs, struct error **err)
{
  _cleanup_free_ char *dir = strdup (rootfs);
  if (dir == NULL)
    return error_set (err, ENOMEM, "rootfs parent");
  for (;;)
    {
      char *slash = strrchr (dir, '/');
      if (slash == NULL)
        return 0;
      if (slash == dir)
        slash[1] = '\0';
      else
        *slash = '\0';
      if (mount (NULL, dir, NULL, MS_PRIVATE, NULL) == 0)
        return 0;
      if (errno != EINVAL)
        return error_set (err, errno, "make \"%s\" private", dir);
      if (strcmp (dir, "/") == 0)
        return 0;
    }
}

int
rootfs_prepare (struct rootfs_ctx *r, struct error **err)
{
  unsigned long prop;
  r->rootfs_fd = -1;
  if (root_propagation (r, &prop, err) < 0)
    return -1;
  /* Sharing the host's mount namespace (the config asked for it): its "/" is
   * not ours to change. */
  if (!r->host_mount_ns && mount (NULL, "/", NULL, prop, NULL) < 0)
    return error_set (err, errno, "set propagation of \"/\"");
  if (!r->host_mount_ns && (prop & MS_SHARED) && make_parent_private (r->rootfs, err) < 0)
    return -1;
  /* The rootfs must be a mount point for pivot_root. */
  if (mount (r->rootfs, r->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return error_set (err, errno, "bind mount rootfs \"%s\"", r->rootfs);
  r->rootfs_fd = open (r->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->rootfs_fd < 0)
    return error_set (err, errno, "open rootfs \"%s\"", r->rootfs);
  return 0;
}

int
rootfs_mount_all (struct rootfs_ctx *r, struct error **err)
{
  for (size_t i = 0; i < r->config->mounts_len; i++)
    {
      const char *type = r->config->mounts[i].type;
      if (r->before_cgroup_mount && type
          && (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0))
        {
          int (*hook) (void *, struct error **) = r->before_cgroup_mount;
          r->before_cgroup_mount = NULL;
          if (hook (r->hook_arg, err) < 0)
            return -1;
        }
      if (mount_entry (r, &r->config->mounts[i], err) < 0)
        return -1;
    }
  return 0;
}

static int
pivot_root (const char *new_root, const char *put_old)
{
  return (int) syscall (SYS_pivot_root, new_root, put_old);
}

int
rootfs_pivot (struct rootfs_ctx *r, struct error **err)
{
  if (fchdir (r->rootfs_fd) < 0)
    return error_set (err, errno, "chdir to rootfs \"%s\"", r->rootfs);
  if (r->host_mount_ns)
    {
      /* pivot_root or a move would change the host's root: chroot, like runc. */
      if (chroot (".") < 0)
        return error_set (err, errno, "chroot to rootfs \"%s\"", r->rootfs);
    }
  else if (r->no_pivot)
    {
      if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
        return error_set (err, errno, "move rootfs \"%s\" to \"/\"", r->rootfs);
      if (chroot (".") < 0)
        return error_set (err, errno, "chroot to rootfs \"%s\"", r->rootfs);
    }
  else
    {
      _cleanup_close_ int old = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (old < 0)
        return error_set (err, errno, "open old root");
      /* pivot_root(".", "."): the old root ends up stacked on the new one, no
       * put_old directory needed in an image that may be read-only. */
      if (pivot_root (".", ".") < 0)
        return error_set (err, errno, "pivot_root to \"%s\"", r->rootfs);
      if (fchdir (old) < 0)
        return error_set (err, errno, "chdir to old root");
      /* Slave first, so detaching the old root does not unmount the host's. */
      if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return error_set (err, errno, "make old root a slave");
      if (umount2 (".", MNT_DETACH) < 0)
        return error_set (err, errno, "unmount old root");
    }
  if (chdir ("/") < 0)
    return error_set (err, errno, "chdir to \"/\"");
  return 0;
}
