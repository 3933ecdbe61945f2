/* Small cgroupfs file helpers: cgroup knobs are written in place (never created,
 * truncated or renamed), and errors name the full path. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "spec/util/cleanup.h"

void
cg_sleep_ms (unsigned ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

int
cg_write (const char *dir, const char *file, const char *value, struct error **err)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_close_ int fd = -1;
  size_t len = strlen (value);

  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return error_set (err, ENOMEM, "write %s/%s", dir, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "open %s", path);
  ssize_t w;
  do
    w = write (fd, value, len);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return error_set (err, errno, "write \"%s\" to %s", value, path);
  if ((size_t) w != len)
    return error_set (err, EIO, "short write of \"%s\" to %s", value, path);
  return 0;
}

int
cg_writef (const char *dir, const char *file, struct error **err, const char *fmt, ...)
{
  _cleanup_free_ char *value = NULL;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&value, fmt, ap);
  va_end (ap);
  if (r < 0)
    return error_set (err, ENOMEM, "write %s/%s", dir, file);
  return cg_write (dir, file, value, err);
}

int
cg_read (const char *dir, const char *file, char **out, struct error **err)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_close_ int fd = -1;
  _cleanup_free_ char *buf = NULL;
  size_t len = 0, cap = 0;

  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return error_set (err, ENOMEM, "read %s/%s", dir, file);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "open %s", path);
  for (;;)
    {
      if (cap - len < 4096)
        {
          char *grown = realloc (buf, cap + 8192);
          if (grown == NULL)
            return error_set (err, ENOMEM, "read %s", path);
          buf = grown;
          cap += 8192;
        }
      ssize_t r = read (fd, buf + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return error_set (err, errno, "read %s", path);
      if (r == 0)
        break;
      len += (size_t) r;
    }
  buf[len] = '\0';
  *out = steal_pointer (&buf);
  return 0;
}

bool
cg_file_exists (const char *dir, const char *file)
{
  _cleanup_free_ char *path = NULL;
  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return false;
  return access (path, F_OK) == 0;
}

int
cg_mkdir_p (const char *path, struct error **err)
{
  _cleanup_free_ char *copy = strdup (path);
  if (copy == NULL)
    return error_set (err, ENOMEM, "mkdir %s", path);
  for (char *p = copy + 1;; p++)
    {
      p = strchrnul (p, '/');
      char saved = *p;
      *p = '\0';
      if (mkdir (copy, 0755) < 0 && errno != EEXIST)
        return error_set (err, errno, "mkdir %s", copy);
      *p = saved;
      if (saved == '\0')
        break;
    }
  return 0;
}

static int
rmdir_retry (const char *path, struct error **err)
{
  /* A cgroup stays busy for a moment after its last task exits. */
  for (int i = 0; i < 100; i++)
    {
      if (rmdir (path) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        break;
      cg_sleep_ms (i < 10 ? 1 : 10);
    }
  return error_set (err, errno, "rmdir %s", path);
}

int
cg_rmdir_tree (const char *path, struct error **err)
{
  _cleanup_closedir_ DIR *d = opendir (path);
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return error_set (err, errno, "open %s", path);
    }
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      _cleanup_free_ char *child = NULL;
      if (asprintf (&child, "%s/%s", path, de->d_name) < 0)
        return error_set (err, ENOMEM, "rmdir %s", path);
      if (cg_rmdir_tree (child, err) < 0)
        return -1;
    }
  return rmdir_retry (path, err);
}

static int
append_pid (pid_t **pids, size_t *n, pid_t pid)
{
  for (size_t i = 0; i < *n; i++)
    if ((*pids)[i] == pid)
      return 0;
  pid_t *grown = realloc (*pids, (*n + 1) * sizeof **pids);
  if (grown == NULL)
    return -1;
  *pids = grown;
  (*pids)[(*n)++] = pid;
  return 0;
}

int
cg_read_procs (const char *dir, bool recursive, pid_t **pids, size_t *n, struct error **err)
{
  _cleanup_free_ char *data = NULL;
  if (cg_read (dir, "cgroup.procs", &data, err) < 0)
    return -1;
  for (char *p = data; *p;)
    {
      char *end;
      long v = strtol (p, &end, 10);
      if (end == p)
        break;
      if (v > 0 && append_pid (pids, n, (pid_t) v) < 0)
        return error_set (err, ENOMEM, "read %s/cgroup.procs", dir);
      p = end;
      while (*p == '\n' || *p == ' ')
        p++;
    }
  if (!recursive)
    return 0;

  _cleanup_closedir_ DIR *d = opendir (dir);
  if (d == NULL)
    return error_set (err, errno, "open %s", dir);
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      _cleanup_free_ char *child = NULL;
      if (asprintf (&child, "%s/%s", dir, de->d_name) < 0)
        return error_set (err, ENOMEM, "read %s", dir);
      struct error *e = NULL;
      if (cg_read_procs (child, true, pids, n, &e) < 0)
        {
          if (e->errnum != ENOENT)
            {
              error_propagate (err, &e);
              return -1;
            }
          error_free (&e); /* removed concurrently */
        }
    }
  return 0;
}
