/* Placement on cgroup v1 without the parent's write. A parent writing the
 * child's pid into a v1 cgroup.procs moves a whole thread group: the kernel
 * takes cgroup_threadgroup_rwsem for writing, which waits for an RCU grace
 * period (~10-16 ms without favordynmods), once per start. A thread that moves
 * itself by writing "0" to a hierarchy's `tasks` file moves one thread and
 * skips that lock; the child is single-threaded, so that moves the process.
 * The parent opens the files (the kernel checks the opener's credentials), the
 * child writes and closes them at once, the parent checks and completes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "spec/util/cleanup.h"

bool
cgroup_self_attach_enabled (void)
{
  /* The test switch forces the parent's write (the fallback). */
  static int off = -1;
  if (off < 0)
    {
      const char *e = getenv ("CAPSA_TEST_NO_SELF_ATTACH");
      off = e && strcmp (e, "1") == 0;
    }
  return !off;
}

static bool
self_attach_wanted (struct cgroup_manager *m)
{
  /* systemd moves the first process into the scope it makes for it; v2 is
   * born in place (clone3). */
  if (m->systemd || m->layout == CGROUP_LAYOUT_V2)
    return false;
  return cgroup_self_attach_enabled ();
}

int
cgroup_self_attach_open (struct cgroup_manager *m, struct cgroup_self_attach *sa,
                         struct error **err)
{
  sa->fds = NULL;
  sa->n = 0;
  if (!self_attach_wanted (m))
    return 0;
  sa->fds = calloc (m->n ? m->n : 1, sizeof *sa->fds);
  if (sa->fds == NULL)
    return error_set (err, ENOMEM, "cgroup self-attach");
  for (size_t i = 0; i < m->n; i++)
    {
      const struct cg_hier *h = &m->h[i];
      if (h->v2)
        continue;
      _cleanup_free_ char *path = NULL;
      if (asprintf (&path, "%s/tasks", h->dir) < 0)
        {
          cgroup_self_attach_close (sa);
          return error_set (err, ENOMEM, "cgroup self-attach");
        }
      int fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        {
          /* The parent's write (cgroup_enter_some) reports what is wrong. */
          log_debug ("cgroup: self-attach off, open %s: %s", path, strerror (errno));
          cgroup_self_attach_close (sa);
          return 0;
        }
      sa->fds[sa->n++] = fd;
    }
  return 0;
}

void
cgroup_self_attach_close (struct cgroup_self_attach *sa)
{
  for (size_t i = 0; i < sa->n; i++)
    if (sa->fds[i] >= 0)
      close (sa->fds[i]);
  free (sa->fds);
  sa->fds = NULL;
  sa->n = 0;
}

int
cgroup_self_attach_run (int *fds, size_t n)
{
  int failed = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (fds[i] < 0)
        continue;
      while (write (fds[i], "0", 1) < 0)
        if (errno != EINTR)
          {
            log_debug ("cgroup: self-attach write: %s", strerror (errno));
            failed++;
            break;
          }
      /* A host cgroup file: gone before anything else happens. */
      close (fds[i]);
      fds[i] = -1;
    }
  return failed;
}

/* The hierarchy's line of /proc/<pid>/cgroup: "ID:controllers:path". */
static const char *
path_in (const char *lines, const struct cg_hier *h, size_t *len)
{
  for (const char *l = lines; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    {
      const char *c = strchr (l, ':');
      const char *p = c ? strchr (c + 1, ':') : NULL;
      if (p == NULL)
        return NULL;
      size_t clen = (size_t) (p - c - 1);
      bool match = h->v2 ? clen == 0
                         : clen == strlen (h->controllers) && strncmp (c + 1, h->controllers, clen) == 0;
      if (match)
        {
          const char *end = strchr (p + 1, '\n');
          *len = end ? (size_t) (end - p - 1) : strlen (p + 1);
          return p + 1;
        }
    }
  return NULL;
}

int
cgroup_check_placed (struct cgroup_manager *m, pid_t pid, struct error **err)
{
  char file[64];
  _cleanup_free_ char *lines = NULL;
  snprintf (file, sizeof file, "%d/cgroup", (int) pid);
  if (cg_read ("/proc", file, &lines, err) < 0)
    return -1;
  for (size_t i = 0; i < m->n; i++)
    {
      const struct cg_hier *h = &m->h[i];
      size_t len = 0;
      const char *p = path_in (lines, h, &len);
      if (h->v2 && m->layout == CGROUP_LAYOUT_HYBRID)
        continue; /* optional there (cgroup_enter_some) */
      if (p == NULL || len != strlen (h->rel) || strncmp (p, h->rel, len) != 0)
        return error_set (err, 0, "cgroup: process %d is not in %s (it is in %.*s)", (int) pid,
                          h->dir, p ? (int) len : 1, p ? p : "?");
    }
  return 0;
}
