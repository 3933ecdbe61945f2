#define _GNU_SOURCE
/* Paths inside an untrusted rootfs are resolved by the kernel (openat2 with
 * RESOLVE_IN_ROOT) or, where that syscall is missing, by a component walk that
 * reads every symlink itself and clamps ".." and absolute targets at the root,
 * so nothing in the image can send an open, mkdir or mount outside of it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/mount_api.h"
#include "spec/util/cleanup.h"

#define MAX_SYMLINKS 40

static int openat2_state; /* 0 unknown, 1 usable, -1 disabled or missing */

void
fs_set_openat2_disabled (bool disabled)
{
  openat2_state = disabled ? -1 : 1;
}

static bool
openat2_usable (void)
{
  if (openat2_state == 0)
    {
      const char *e = getenv ("CAPSA_TEST_NO_OPENAT2");
      openat2_state = (e && strcmp (e, "1") == 0) ? -1 : 1;
    }
  return openat2_state > 0;
}

void
fs_openat2_settle (void)
{
  openat2_usable ();
}

/* Stack of O_PATH directory fds from the root down to the current directory;
 * ".." pops, but never below the root. */
struct dir_stack
{
  int fds[PATH_MAX / 2];
  size_t n;
};

static void
stack_reset (struct dir_stack *s)
{
  while (s->n > 1)
    close (s->fds[--s->n]);
}

static void
stack_free (struct dir_stack *s)
{
  stack_reset (s);
  if (s->n == 1)
    close (s->fds[0]);
  s->n = 0;
}

/* Replace *rest by target + "/" + after (the unresolved remainder). */
static int
splice_link (char **rest, const char *target, const char *after)
{
  char *n = NULL;
  if (asprintf (&n, "%s/%s", target, after) < 0)
    return -1;
  free (*rest);
  *rest = n;
  return 0;
}

static int
read_link_fd (int fd, char *buf, size_t size)
{
  ssize_t l = readlinkat (fd, "", buf, size - 1);
  if (l < 0)
    return -1;
  if ((size_t) l >= size - 1)
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  buf[l] = '\0';
  return 0;
}

static int
open_fallback (int rootfs_fd, const char *path, int flags, mode_t mode)
{
  static __thread struct dir_stack st;
  _cleanup_free_ char *rest = strdup (path);
  char target[PATH_MAX];
  int links = 0, ret = -1;

  if (rest == NULL)
    return -1;
  st.n = 0;
  st.fds[0] = fcntl (rootfs_fd, F_DUPFD_CLOEXEC, 3);
  if (st.fds[0] < 0)
    return -1;
  st.n = 1;

  for (;;)
    {
      char *comp = rest;
      while (*comp == '/')
        comp++;
      if (*comp == '\0')
        {
          /* Everything resolved: the target is the current directory. */
          ret = openat (st.fds[st.n - 1], ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC, mode);
          break;
        }
      char *slash = strchr (comp, '/');
      const char *after = "";
      if (slash)
        {
          *slash = '\0';
          after = slash + 1;
        }
      bool last = after[strspn (after, "/")] == '\0';
      int top = st.fds[st.n - 1];

      if (strcmp (comp, ".") == 0 || strcmp (comp, "..") == 0)
        {
          if (comp[1] == '.' && st.n > 1)
            close (st.fds[--st.n]);
          memmove (rest, after, strlen (after) + 1);
          continue;
        }

      int fd = openat (top, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        {
          if (last && errno == ENOENT && (flags & O_CREAT))
            ret = openat (top, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
          break;
        }
      struct stat sb;
      if (fstat (fd, &sb) < 0)
        {
          close (fd);
          break;
        }
      if (S_ISLNK (sb.st_mode) && !(last && (flags & O_NOFOLLOW)))
        {
          int r = read_link_fd (fd, target, sizeof target);
          close (fd);
          if (r < 0)
            break;
          if (++links > MAX_SYMLINKS)
            {
              errno = ELOOP;
              break;
            }
          /* An absolute target restarts at the root of the container. */
          if (target[0] == '/')
            stack_reset (&st);
          if (splice_link (&rest, target, after) < 0)
            break;
          continue;
        }
      if (last)
        {
          if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
            {
              close (fd);
              errno = EEXIST;
              break;
            }
          if ((flags & O_PATH) && !(flags & O_DIRECTORY))
            ret = fd; /* the probe already is what the caller asked for */
          else
            {
              close (fd);
              /* O_NOFOLLOW: if the entry turned into a symlink since the probe,
               * fail rather than follow it. */
              ret = openat (top, comp, (flags & ~O_CREAT) | O_NOFOLLOW | O_CLOEXEC, mode);
            }
          break;
        }
      if (!S_ISDIR (sb.st_mode))
        {
          close (fd);
          errno = ENOTDIR;
          break;
        }
      if (st.n >= ARRAY_SIZE (st.fds))
        {
          close (fd);
          errno = ENAMETOOLONG;
          break;
        }
      st.fds[st.n++] = fd;
      memmove (rest, after, strlen (after) + 1);
    }

  int saved = errno;
  stack_free (&st);
  errno = saved;
  return ret;
}

/* Returns an fd or -1 with errno; no error object (callers word the message). */
static int
open_in_root_raw (int rootfs_fd, const char *path, int flags, mode_t mode)
{
  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";

  if (openat2_usable ())
    {
      struct open_how how = {
        .flags = (uint64_t) (flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
      };
      if (flags & (O_CREAT | __O_TMPFILE))
        how.mode = mode;
      for (int tries = 0; tries < 64; tries++)
        {
          int fd = sys_openat2 (rootfs_fd, path, &how);
          if (fd >= 0)
            return fd;
          /* EAGAIN: a rename raced with the ".." check; just retry. */
          if (errno == EAGAIN)
            continue;
          if (errno != ENOSYS)
            return -1;
          openat2_state = -1;
          break;
        }
      if (openat2_state > 0)
        return -1;
    }
  return open_fallback (rootfs_fd, path, flags, mode);
}

int
fs_open_in_root (int rootfs_fd, const char *path, int flags, mode_t mode, struct error **err)
{
  int fd = open_in_root_raw (rootfs_fd, path, flags, mode);
  if (fd < 0)
    return error_set (err, errno, "open \"%s\" in the rootfs", path);
  return fd;
}

/* A dangling symlink met while creating a path in the rootfs: the path to
 * create instead, its target (relative to the symlink's directory `dir`, or to
 * the root when absolute) followed by what came after it. Resolving again from
 * the root keeps every step inside it. NULL when it is no symlink. */
static char *
through_dangling_link (int dirfd, const char *dir, const char *name, const char *rest)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (dirfd, name, target, sizeof target - 1);
  if (n <= 0)
    return NULL;
  target[n] = '\0';
  char *out = NULL;
  bool more = rest && rest[0];
  if (asprintf (&out, "%s/%s%s%s", target[0] == '/' ? "" : dir, target, more ? "/" : "",
                more ? rest : "") < 0)
    return NULL;
  return out;
}

static int
mkdir_p_in_root (int rootfs_fd, const char *path, mode_t mode, int links_left, struct error **err)
{
  _cleanup_free_ char *copy = strdup (path);
  _cleanup_free_ char *prefix = calloc (1, strlen (path) + 2);
  if (copy == NULL || prefix == NULL)
    return error_set (err, ENOMEM, "mkdir \"%s\" in the rootfs", path);

  _cleanup_close_ int cur = open_in_root_raw (rootfs_fd, "/", O_PATH | O_DIRECTORY, 0);
  if (cur < 0)
    return error_set (err, errno, "open the rootfs");

  char *save = NULL;
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      size_t parent_len = strlen (prefix);
      strcat (prefix, "/");
      strcat (prefix, c);
      /* Resolve the whole prefix from the root each time, so a symlink at any
       * level is followed inside the rootfs, never outside. */
      int fd = open_in_root_raw (rootfs_fd, prefix, O_PATH | O_DIRECTORY, 0);
      if (fd < 0 && errno == ENOENT)
        {
          if (mkdirat (cur, c, mode) < 0 && errno != EEXIST)
            return error_set (err, errno, "mkdir \"%s\" in the rootfs", prefix);
          fd = open_in_root_raw (rootfs_fd, prefix, O_PATH | O_DIRECTORY, 0);
          /* Still missing: a symlink that points nowhere yet. Create where it
           * points, inside the root, as runc does (an image's /etc/x ->
           * ../data/x for a volume). */
          if (fd < 0 && errno == ENOENT && links_left > 0)
            {
              prefix[parent_len] = '\0';
              _cleanup_free_ char *next = through_dangling_link (cur, prefix, c, save);
              if (next)
                return mkdir_p_in_root (rootfs_fd, next, mode, links_left - 1, err);
              strcat (prefix, "/");
              strcat (prefix, c);
              errno = ENOENT;
            }
        }
      if (fd < 0)
        return error_set (err, errno == ENOENT && links_left == 0 ? ELOOP : errno,
                          "mkdir \"%s\" in the rootfs", prefix);
      close (cur);
      cur = fd;
    }
  return steal_fd (&cur);
}

int
fs_mkdir_p_in_root (int rootfs_fd, const char *path, mode_t mode, struct error **err)
{
  return mkdir_p_in_root (rootfs_fd, path, mode, MAX_SYMLINKS, err);
}

/* The final component is followed when it is a symlink, but only inside the
 * rootfs (images have /var/run -> /run and the like). Callers that must refuse a
 * symlink (proc, sysfs, dest-nofollow) check with O_PATH|O_NOFOLLOW first. */
static int
make_mount_target (int rootfs_fd, const char *path, bool dir, int links_left, struct error **err)
{
  if (dir)
    return mkdir_p_in_root (rootfs_fd, path, 0755, links_left, err);

  int fd = open_in_root_raw (rootfs_fd, path, O_PATH, 0);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return error_set (err, errno, "open mount target \"%s\" in the rootfs", path);

  _cleanup_free_ char *copy = strdup (path);
  if (copy == NULL)
    return error_set (err, ENOMEM, "mount target \"%s\"", path);
  size_t l = strlen (copy);
  while (l > 1 && copy[l - 1] == '/')
    copy[--l] = '\0';
  char *slash = strrchr (copy, '/');
  const char *base = copy;
  const char *parent = "/";
  if (slash)
    {
      *slash = '\0';
      base = slash + 1;
      parent = copy[0] ? copy : "/";
    }
  _cleanup_close_ int pfd = fs_mkdir_p_in_root (rootfs_fd, parent, 0755, err);
  if (pfd < 0)
    return -1;
  int nfd = openat (pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (nfd < 0 && errno != EEXIST)
    return error_set (err, errno, "create mount target \"%s\" in the rootfs", path);
  if (nfd >= 0)
    close (nfd);
  fd = open_in_root_raw (rootfs_fd, path, O_PATH, 0);
  if (fd < 0 && errno == ENOENT && links_left > 0)
    {
      /* A dangling symlink: create its target, inside the root. */
      _cleanup_free_ char *next = through_dangling_link (pfd, parent, base, NULL);
      if (next)
        return make_mount_target (rootfs_fd, next, false, links_left - 1, err);
      errno = ENOENT;
    }
  if (fd < 0)
    return error_set (err, errno, "open mount target \"%s\" in the rootfs", path);
  return fd;
}

int
fs_make_mount_target (int rootfs_fd, const char *path, bool dir, struct error **err)
{
  return make_mount_target (rootfs_fd, path, dir, MAX_SYMLINKS, err);
}

static int
write_all (int fd, const char *data, size_t len)
{
  while (len > 0)
    {
      ssize_t w = write (fd, data, len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      data += w;
      len -= (size_t) w;
    }
  return 0;
}

int
fs_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode,
                      struct error **err)
{
  _cleanup_free_ char *dir = strdup (path);
  if (dir == NULL)
    return error_set (err, ENOMEM, "write \"%s\"", path);
  char *slash = strrchr (dir, '/');
  const char *base = path;
  if (slash)
    {
      base = path + (slash - dir) + 1;
      if (slash == dir)
        slash[1] = '\0';
      else
        *slash = '\0';
    }
  else
    strcpy (dir, ".");

  _cleanup_free_ char *tmp = NULL;
  if (asprintf (&tmp, "%s/.%s.XXXXXX", dir, base) < 0)
    return error_set (err, ENOMEM, "write \"%s\"", path);
  _cleanup_close_ int fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "create temporary file for \"%s\"", path);
  if (write_all (fd, data, len) < 0 || fchmod (fd, mode) < 0 || fsync (fd) < 0)
    {
      int e = errno;
      unlink (tmp);
      return error_set (err, e, "write \"%s\"", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return error_set (err, e, "rename \"%s\" to \"%s\"", tmp, path);
    }
  /* Make the rename itself durable. */
  _cleanup_close_ int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    fsync (dfd);
  return 0;
}

static int
write_existing (int dirfd, const char *name, const char *data, size_t len, struct error **err)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0 && errno == EINVAL)
    fd = openat (dirfd, name, O_WRONLY | O_CLOEXEC); /* some kernel files refuse O_TRUNC */
  if (fd < 0)
    return error_set (err, errno, "open \"%s\"", name);
  if (write_all (fd, data, len) < 0)
    return error_set (err, errno, "write \"%s\"", name);
  return 0;
}

int
fs_write_file (const char *path, const char *data, size_t len, struct error **err)
{
  return write_existing (AT_FDCWD, path, data, len, err);
}

int
fs_write_file_at (int dirfd, const char *name, const char *data, size_t len, struct error **err)
{
  return write_existing (dirfd, name, data, len, err);
}

int
fs_read_file_at (int dirfd, const char *name, char **out, size_t *len, struct error **err)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "open \"%s\"", name);
  size_t cap = 4096, used = 0;
  _cleanup_free_ char *buf = malloc (cap);
  if (buf == NULL)
    return error_set (err, ENOMEM, "read \"%s\"", name);
  for (;;)
    {
      if (cap - used < 2)
        {
          char *n = realloc (buf, cap * 2);
          if (n == NULL)
            return error_set (err, ENOMEM, "read \"%s\"", name);
          buf = n;
          cap *= 2;
        }
      /* procfs and cgroupfs report size 0: read until EOF. */
      ssize_t r = read (fd, buf + used, cap - used - 1);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return error_set (err, errno, "read \"%s\"", name);
        }
      if (r == 0)
        break;
      used += (size_t) r;
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_pointer (&buf);
  return 0;
}

int
fs_read_file (const char *path, char **out, size_t *len, struct error **err)
{
  return fs_read_file_at (AT_FDCWD, path, out, len, err);
}

static int
remove_at (int dfd, const char *name, const char *top, struct error **err)
{
  if (unlinkat (dfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return error_set (err, errno, "remove \"%s\" under \"%s\"", name, top);

  /* O_NOFOLLOW: a symlink to a directory is removed, never descended into. */
  int fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "open \"%s\" under \"%s\"", name, top);
  _cleanup_closedir_ DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return error_set (err, errno, "read directory \"%s\"", name);
    }
  struct dirent *de;
  while ((errno = 0, de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (remove_at (dirfd (d), de->d_name, top, err) < 0)
        return -1;
    }
  if (unlinkat (dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return error_set (err, errno, "remove directory \"%s\" under \"%s\"", name, top);
  return 0;
}

int
fs_remove_tree (const char *path, struct error **err)
{
  return remove_at (AT_FDCWD, path, path, err);
}

int
fs_mkdir_all (const char *path, mode_t mode)
{
  _cleanup_free_ char *copy = strdup (path);
  if (copy == NULL)
    return -1;
  for (char *p = copy + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (copy, mode) < 0 && errno != EEXIST)
          return -1;
        *p = '/';
      }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return -1;
  return 0;
}

int
fs_write_file_new_at (int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                      struct error **err)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return error_set (err, errno, "create \"%s\"", name);
  if (write_all (fd, data, len) < 0)
    return error_set (err, errno, "write \"%s\"", name);
  return 0;
}

int
fs_read_small_file_at (int dirfd, const char *name, char **out, size_t *len, struct error **err)
{
  char buf[8192];
  _cleanup_close_ int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "open \"%s\"", name);
  ssize_t n;
  do
    n = read (fd, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return error_set (err, errno, "read \"%s\"", name);
  if ((size_t) n == sizeof buf)
    return fs_read_file_at (dirfd, name, out, len, err);
  *out = malloc (n + 1);
  if (*out == NULL)
    return error_set (err, ENOMEM, "read \"%s\"", name);
  memcpy (*out, buf, n);
  (*out)[n] = '\0';
  *len = (size_t) n;
  return 0;
}
