/* Mount destinations in /proc: see proc_mount_check.h. */
#define _GNU_SOURCE
#include "proc_mount_check.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

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

int
proc_mount_check (const char *dest, const char *type, const char *bind_source,
                  struct error **err)
{
  if (dest == NULL)
    return 0;
  _cleanup_free_ char *d = clean_path (dest);
  if (d == NULL)
    return error_set (err, ENOMEM, "mount \"%s\"", dest);
  if (strcmp (d, "/proc") == 0)
    {
      if ((type && strcmp (type, "proc") == 0 && bind_source == NULL) || on_procfs (bind_source))
        return 0;
      return error_set (err, 0, "mount \"%s\": \"/proc\" cannot be mounted because it "
                        "is not of type proc", dest);
    }
  if (strncmp (d, "/proc/", 6) != 0)
    return 0;
  for (size_t i = 0; i < ARRAY_SIZE (replaceable); i++)
    if (strcmp (d, replaceable[i]) == 0)
      return 0;
  return error_set (err, 0, "mount \"%s\": \"%s\" cannot be mounted because it is "
                    "inside /proc", dest, d);
}
