#define _GNU_SOURCE
/* /dev inside the container.  Everything is created relative to an fd of the
 * rootfs /dev that was checked to be a real directory: a /dev symlink in the
 * image must not send mknod or mounts elsewhere (CVE-2026-47766), and
 * /dev/console is created with O_EXCL|O_NOFOLLOW (CVE-2025-52565). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devices.h"
#include "mounts_internal.h"
#include "namespaces.h"
#include "util/fs.h"
#include "util/mount_api.h"
#include "spec/util/cleanup.h"

struct default_dev
{
  const char *name;
  unsigned maj, min;
};

static const struct default_dev default_devs[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
  { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static bool
path_is (const char *p, const char *want)
{
  while (*p == '/' && p[1] == '/')
    p++;
  return strcmp (p, want) == 0;
}

static bool
dev_is_host_bind (const struct spec_config *c)
{
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      const struct spec_mount *m = &c->mounts[i];
      if (!path_is (m->destination, "/dev") && !path_is (m->destination, "/dev/"))
        continue;
      if (m->type && strcmp (m->type, "bind") == 0)
        return true;
      for (size_t j = 0; j < m->options_len; j++)
        if (strcmp (m->options[j], "bind") == 0 || strcmp (m->options[j], "rbind") == 0)
          return true;
    }
  return false;
}

/* An fd of <rootfs>/dev that is a directory and not a symlink. */
static int
open_dev_dir (int rootfs_fd, struct error **err)
{
  struct stat sb;
  _cleanup_close_ int fd = fs_open_in_root (rootfs_fd, "/dev", O_PATH | O_NOFOLLOW, 0, NULL);
  if (fd < 0 && errno == ENOENT)
    {
      if (mkdirat (rootfs_fd, "dev", 0755) < 0 && errno != EEXIST)
        return error_set (err, errno, "mkdir /dev in the rootfs");
      fd = fs_open_in_root (rootfs_fd, "/dev", O_PATH | O_NOFOLLOW, 0, NULL);
    }
  if (fd < 0)
    return error_set (err, errno, "open /dev in the rootfs");
  if (fstat (fd, &sb) < 0)
    return error_set (err, errno, "stat /dev in the rootfs");
  if (S_ISLNK (sb.st_mode))
    return error_set (err, 0, "/dev in the rootfs is a symlink");
  if (!S_ISDIR (sb.st_mode))
    return error_set (err, 0, "/dev in the rootfs is not a directory");
  return steal_fd (&fd);
}

/* In a user namespace mknod is not allowed: bind the host's node onto an
 * empty file instead. */
static int
bind_host_device (int parent, const char *name, const char *host_path, const char *shown,
                  struct error **err)
{
  struct stat sb;
  int nfd = openat (parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
  if (nfd < 0 && errno != EEXIST)
    return error_set (err, errno, "create device \"%s\"", shown);
  if (nfd >= 0)
    close (nfd);
  _cleanup_close_ int tfd = openat (parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (tfd < 0 || fstat (tfd, &sb) < 0)
    return error_set (err, errno, "open device target \"%s\"", shown);
  if (S_ISLNK (sb.st_mode) || S_ISDIR (sb.st_mode))
    return error_set (err, 0, "device target \"%s\" is not a file", shown);
  _cleanup_close_ int sfd = open (host_path, O_PATH | O_CLOEXEC);
  if (sfd < 0)
    return error_set (err, errno, "open host device \"%s\"", host_path);
  if (mount_bind_fd (sfd, tfd, false) < 0)
    return error_set (err, errno, "mount \"%s\" on \"%s\"", host_path, shown);
  return 0;
}

static int
make_node (int parent, const char *name, mode_t type, mode_t perm, dev_t dev, uid_t uid, gid_t gid,
           const char *shown, struct error **err)
{
  /* Exact permissions, whatever the umask. */
  mode_t old = umask (0);
  int rc = mknodat (parent, name, type | (perm & 07777), dev);
  int e = errno;
  umask (old);
  if (rc < 0)
    {
      if (e == EEXIST)
        return 0; /* the image or a mount already provides it */
      return error_set (err, e, "mknod \"%s\"", shown);
    }
  if (fchownat (parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return error_set (err, errno, "chown \"%s\"", shown);
  return 0;
}

static int
create_device (struct rootfs_ctx *r, int devfd, const char *path, char type, dev_t dev,
               mode_t perm, uid_t uid, gid_t gid, struct error **err)
{
  mode_t ftype;
  switch (type)
    {
    case 'c':
    case 'u':
      ftype = S_IFCHR;
      break;
    case 'b':
      ftype = S_IFBLK;
      break;
    case 'p':
      ftype = S_IFIFO;
      break;
    default:
      return error_set (err, EINVAL, "device \"%s\": unknown type '%c'", path, type);
    }

  /* The parent: /dev itself (the checked fd) or a directory below it. */
  _cleanup_free_ char *copy = strdup (path);
  if (copy == NULL)
    return error_set (err, ENOMEM, "device \"%s\"", path);
  char *slash = strrchr (copy, '/');
  const char *name = slash ? slash + 1 : copy;
  _cleanup_close_ int parent = -1;
  if (slash)
    *slash = '\0';
  if (slash == NULL || path_is (copy, "/dev") || path_is (copy, ""))
    parent = fcntl (devfd, F_DUPFD_CLOEXEC, 3);
  else
    parent = fs_mkdir_p_in_root (r->rootfs_fd, copy, 0755, err);
  if (parent < 0)
    return error_set (err, errno, "device \"%s\": parent directory", path);
  if (*name == '\0')
    return error_set (err, EINVAL, "device \"%s\": no file name", path);

  /* Also when capsa itself runs in a user namespace (podman rootless) and the
   * config adds none: mknod is refused there all the same. */
  if (r->userns || !ns_in_initial_userns ())
    return bind_host_device (parent, name, path, path, err);
  return make_node (parent, name, ftype, perm, dev, uid, gid, path, err);
}

static bool
config_has_device (const struct spec_linux *l, const char *name)
{
  char want[64];
  snprintf (want, sizeof want, "/dev/%s", name);
  for (size_t i = 0; l && i < l->devices_len; i++)
    if (path_is (l->devices[i].path, want))
      return true;
  return false;
}

static int
dev_symlink (int devfd, const char *target, const char *name, struct error **err)
{
  if (symlinkat (target, devfd, name) < 0 && errno != EEXIST)
    return error_set (err, errno, "symlink /dev/%s -> %s", name, target);
  return 0;
}

int
devices_setup (struct rootfs_ctx *r, struct error **err)
{
  const struct spec_linux *l = r->config->linux_;
  if (dev_is_host_bind (r->config))
    return 0;
  _cleanup_close_ int devfd = open_dev_dir (r->rootfs_fd, err);
  if (devfd < 0)
    return -1;

  for (size_t i = 0; l && i < l->devices_len; i++)
    {
      const struct spec_device *d = &l->devices[i];
      mode_t perm = d->has_file_mode ? d->file_mode : 0666;
      if (create_device (r, devfd, d->path, d->type, makedev (d->major, d->minor), perm,
                         d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < ARRAY_SIZE (default_devs); i++)
    {
      const struct default_dev *d = &default_devs[i];
      char path[64];
      if (config_has_device (l, d->name))
        continue;
      snprintf (path, sizeof path, "/dev/%s", d->name);
      if (create_device (r, devfd, path, 'c', makedev (d->maj, d->min), 0666, 0, 0, err) < 0)
        return -1;
    }

  static const char *const links[][2] = {
    { "/proc/self/fd", "fd" },
    { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (links); i++)
    if (dev_symlink (devfd, links[i][0], links[i][1], err) < 0)
      return -1;
  /* runc links /dev/core only where the host has a /proc/kcore. */
  if (access ("/proc/kcore", F_OK) == 0 && dev_symlink (devfd, "/proc/kcore", "core", err) < 0)
    return -1;

  /* ptmx of the container's own devpts instance, not the host's. */
  struct statfs sf;
  _cleanup_close_ int pts = openat (devfd, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (pts >= 0 && fstatfs (pts, &sf) == 0 && sf.f_type == DEVPTS_SUPER_MAGIC
      && !config_has_device (l, "ptmx"))
    {
      if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
        return error_set (err, errno, "remove /dev/ptmx");
      if (dev_symlink (devfd, "pts/ptmx", "ptmx", err) < 0)
        return -1;
    }
  return 0;
}

int
devices_setup_console (struct rootfs_ctx *r, int pty_slave, struct error **err)
{
  struct stat sb;
  _cleanup_close_ int devfd = open_dev_dir (r->rootfs_fd, err);
  if (devfd < 0)
    return -1;
  int nfd = openat (devfd, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
  if (nfd < 0 && errno != EEXIST)
    return error_set (err, errno, "create /dev/console");
  if (nfd >= 0)
    close (nfd);
  _cleanup_close_ int tfd = openat (devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (tfd < 0 || fstat (tfd, &sb) < 0)
    return error_set (err, errno, "open /dev/console");
  if (S_ISLNK (sb.st_mode))
    return error_set (err, 0, "/dev/console in the rootfs is a symlink");
  if (S_ISDIR (sb.st_mode))
    return error_set (err, 0, "/dev/console in the rootfs is a directory");

  /* Mount the pty we hold, not whatever a path names now. */
  _cleanup_close_ int tree = open_tree (pty_slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                                                         | AT_EMPTY_PATH);
  if (tree >= 0)
    {
      if (move_mount (tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return error_set (err, errno, "mount pty on /dev/console");
      return 0;
    }
  if (mount_bind_fd (pty_slave, tfd, false) < 0)
    return error_set (err, errno, "mount pty on /dev/console");
  return 0;
}
