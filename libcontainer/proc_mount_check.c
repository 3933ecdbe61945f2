/* Mount destinations in /proc: see proc_mount_check.h. */
#define _GNU_SOURCE
#include "proc_mount_check.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "spec/util/cleanup.h"

/* Files below /proc that runc lets a mount replace (lxcfs and friends). */
static const char *const replaceable[] = {
  "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
  "/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev",
  "/proc/sys/kernel/ns_last_pid",
};

/* Lexical clean of an absolute path: "//", "/./" and ".." (never above "/"). */
static char *
clean_path (const char *path)
{
  size_t len = strlen (path);
  char *out = malloc (len + 2);
  if (out == NULL)
    return NULL;
  size_t n = 0;
  const char *p = path;
  while (*p)
    {
      while (*p == '/')
        p++;
      const char *e = strchrnul (p, '/');
      size_t l = e - p;
      if (l == 0 || (l == 1 && p[0] == '.'))
        ;
      else if (l == 2 && p[0] == '.' && p[1] == '.')
        {
          while (n > 0 && out[n - 1] != '/')
            n--;
          if (n > 0)
            n--;
        }
      else
        {
          out[n++] = '/';
          memcpy (out + n, p, l);
          n += l;
        }
      p = e;
    }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
  return out;
}

static bool
on_procfs (const char *path)
{
  struct statfs sf;
  return path && statfs (path, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

/* `shown` names the mount in messages; `d` is the cleaned path checked. */
static int
check_clean (const char *shown, const char *d, const char *type, const char *bind_source,
             struct error **err)
{
  if (strcmp (d, "/proc") == 0)
    {
      if ((type && strcmp (type, "proc") == 0 && bind_source == NULL) || on_procfs (bind_source))
        return 0;
      return error_set (err, 0, "mount \"%s\": \"/proc\" cannot be mounted because it "
                        "is not of type proc", shown);
    }
  if (strncmp (d, "/proc/", 6) != 0)
    return 0;
  for (size_t i = 0; i < ARRAY_SIZE (replaceable); i++)
    if (strcmp (d, replaceable[i]) == 0)
      return 0;
  return error_set (err, 0, "mount \"%s\": \"%s\" cannot be mounted because it is "
                    "inside /proc", shown, d);
}

int
proc_mount_check (const char *dest, const char *type, const char *bind_source,
                  struct error **err)
{
  if (dest == NULL)
    return 0;
  _cleanup_free_ char *d = clean_path (dest);
  if (d == NULL)
    return error_set (err, ENOMEM, "mount \"%s\"", dest);
  return check_clean (dest, d, type, bind_source, err);
}

static int
fd_path (int fd, char buf[PATH_MAX])
{
  char link[64];
  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t l = readlink (link, buf, PATH_MAX - 1);
  if (l < 0)
    return -1;
  if (l >= PATH_MAX - 1)
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  buf[l] = '\0';
  return 0;
}

int
proc_mount_check_at (int rootfs_fd, int target_fd, const char *dest, const char *type,
                     const char *bind_source, struct error **err)
{
  char root[PATH_MAX], target[PATH_MAX];
  if (fd_path (rootfs_fd, root) < 0 || fd_path (target_fd, target) < 0)
    return error_set (err, errno, "mount \"%s\": find where the destination resolved to", dest);
  size_t l = strcmp (root, "/") == 0 ? 0 : strlen (root);
  if (strncmp (target, root, l) != 0 || (target[l] != '/' && target[l] != '\0'))
    return error_set (err, 0, "mount \"%s\": the destination resolved to \"%s\", outside "
                      "the rootfs \"%s\"", dest, target, root);
  const char *rel = target[l] ? target + l : "/";
  _cleanup_free_ char *shown = NULL;
  if (asprintf (&shown, "%s\" resolved to \"%s", dest, rel) < 0)
    return error_set (err, ENOMEM, "mount \"%s\"", dest);
  return check_clean (shown, rel, type, bind_source, err);
}
