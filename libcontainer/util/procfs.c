/* A private procfs handle: a fresh proc instance from the new mount API (or a
 * non-recursive clone of /proc, which carries no attacker over-mounts), verified
 * to be a procfs root, then every file below it opened without following any
 * symlink and checked to be on procfs again.  CVE-2019-16884, CVE-2025-52881. */
#define _GNU_SOURCE
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spec/util/cleanup.h"

#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
#ifndef FSCONFIG_CMD_CREATE
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

/* The root inode of every procfs instance. */
#define PROC_ROOT_INO 1

static int procfs_root_fd = -1;
static int have_openat2 = 1;

int
procfs_check_fd (int fd, const char *what, struct error **err)
{
  struct statfs sfs;
  if (fstatfs (fd, &sfs) < 0)
    return error_set (err, errno, "fstatfs \"%s\"", what);
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return error_set (err, 0, "\"%s\" is not on procfs (filesystem type 0x%lx)", what,
                      (unsigned long) sfs.f_type);
  return 0;
}

static int
check_root (int fd, const char *how, struct error **err)
{
  struct stat st;
  if (procfs_check_fd (fd, how, err) < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return error_set (err, errno, "fstat \"%s\"", how);
  if (st.st_ino != PROC_ROOT_INO || !S_ISDIR (st.st_mode))
    return error_set (err, 0, "\"%s\" is not the root of a procfs instance", how);
  return 0;
}

static int
open_fresh_instance (void)
{
  _cleanup_close_ int fsfd = syscall (SYS_fsopen, "proc", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return -1;
  if (syscall (SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  return syscall (SYS_fsmount, fsfd, FSMOUNT_CLOEXEC,
                  MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

int
procfs_root (struct error **err)
{
  if (procfs_root_fd >= 0)
    return procfs_root_fd;

  /* A fresh instance needs mount rights over the current pid namespace; a clone of
   * the (host's, pre-pivot) /proc is the fallback, e.g. in a user namespace that
   * does not own the pid namespace. Without AT_RECURSIVE the clone drops every
   * mount stacked on /proc or below it. */
  int fd = open_fresh_instance ();
  const char *how = "fsopen(proc)";
  if (fd < 0)
    {
      fd = syscall (SYS_open_tree, AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
      how = "open_tree(/proc)";
    }
  if (fd < 0)
    {
      /* Last resort without mount rights: the plain directory, still verified. */
      fd = open ("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      how = "/proc";
    }
  if (fd < 0)
    return error_set (err, errno, "open a procfs instance");
  if (check_root (fd, how, err) < 0)
    {
      close (fd);
      return -1;
    }
  procfs_root_fd = fd;
  return fd;
}

void
procfs_reset (void)
{
  if (procfs_root_fd >= 0)
    close (procfs_root_fd);
  procfs_root_fd = -1;
}

/* "self/x" and "thread-self/x" go through kernel-made symlinks: read them on our
 * trusted instance (the answer is in that instance's pid numbering) and splice
 * the numeric path in, so the open itself can refuse every symlink. */
static int
resolve_self (int root, const char *subpath, char *buf, size_t size, struct error **err)
{
  const char *link = NULL, *rest = NULL;
  if (strncmp (subpath, "self/", 5) == 0 || strcmp (subpath, "self") == 0)
    link = "self", rest = subpath + 4;
  else if (strncmp (subpath, "thread-self/", 12) == 0 || strcmp (subpath, "thread-self") == 0)
    link = "thread-self", rest = subpath + 11;
  if (link == NULL)
    {
      if ((size_t) snprintf (buf, size, "%s", subpath) >= size)
        return error_set (err, ENAMETOOLONG, "procfs path \"%s\"", subpath);
      return 0;
    }
  char target[64];
  ssize_t n = readlinkat (root, link, target, sizeof target - 1);
  if (n < 0)
    return error_set (err, errno, "readlink procfs \"%s\"", link);
  target[n] = '\0';
  if ((size_t) snprintf (buf, size, "%s%s", target, rest) >= size)
    return error_set (err, ENAMETOOLONG, "procfs path \"%s\"", subpath);
  return 0;
}

int
procfs_open (const char *subpath, int flags, struct error **err)
{
  char path[4096];
  int root = procfs_root (err);
  if (root < 0)
    return -1;
  while (*subpath == '/')
    subpath++;
  if (resolve_self (root, subpath, path, sizeof path, err) < 0)
    return -1;

  int fd = -1;
  if (have_openat2)
    {
      struct open_how how = {
        .flags = flags | O_CLOEXEC | O_NOFOLLOW,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
      };
      fd = syscall (SYS_openat2, root, path, &how, sizeof how);
      if (fd < 0 && errno == ENOSYS)
        have_openat2 = 0;
    }
  if (!have_openat2)
    {
      /* Pre-5.6 kernels: our instance has no mounts on it and we never start from a
       * symlink; O_NOFOLLOW guards the last component, fstatfs the result. */
      if (strstr (path, "..") != NULL)
        return error_set (err, EINVAL, "procfs path \"%s\"", subpath);
      fd = openat (root, path, flags | O_CLOEXEC | O_NOFOLLOW);
    }
  if (fd < 0)
    return error_set (err, errno, "open procfs \"%s\"", subpath);
  if (procfs_check_fd (fd, subpath, err) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

int
procfs_write (const char *subpath, const char *data, size_t len, struct error **err)
{
  _cleanup_close_ int fd = procfs_open (subpath, O_WRONLY, err);
  if (fd < 0)
    return -1;
  /* attr files and sysctls take one write: a short write is an error, not a retry. */
  ssize_t n = write (fd, data, len);
  if (n < 0)
    return error_set (err, errno, "write procfs \"%s\"", subpath);
  if ((size_t) n != len)
    return error_set (err, EIO, "short write to procfs \"%s\"", subpath);
  return 0;
}
