/* OOM-kill notifications for `events`. The wake-up comes from the kernel (v1: an
 * eventfd registered on memory.oom_control through cgroup.event_control; v2:
 * inotify on memory.events, which the kernel marks modified on every change);
 * the count comes from the oom_kill counter both files carry, so spurious
 * wake-ups (limit reached without a kill, cgroup removal) count nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "spec/util/cleanup.h"

struct cgroup_oom_watch
{
  char *dir;
  bool v2;
  int fd;           /* eventfd (v1) or inotify (v2) */
  int ctl;          /* v1: memory.oom_control; closing it early loses the
                       notifications (seen on 6.18), as runc also keeps it */
  bool has_counter; /* v1 kernels before 4.13 have no oom_kill line */
  uint64_t last;
};

static bool
oom_kills (struct cgroup_oom_watch *w, uint64_t *out)
{
  _cleanup_free_ char *data = NULL;
  if (cg_read (w->dir, w->v2 ? "memory.events" : "memory.oom_control", &data, NULL) < 0)
    return false;
  const char *p = strstr (data, "oom_kill ");
  if (p == NULL)
    return false;
  *out = strtoull (p + 9, NULL, 10);
  return true;
}

void
cgroup_oom_watch_free (struct cgroup_oom_watch *w)
{
  if (w == NULL)
    return;
  if (w->fd >= 0)
    close (w->fd);
  if (w->ctl >= 0)
    close (w->ctl);
  free (w->dir);
  free (w);
}

int
cgroup_oom_watch (struct cgroup_manager *m, struct cgroup_oom_watch **out, struct error **err)
{
  struct cg_hier *h = cg_find (m, "memory");
  if (h == NULL)
    return error_set (err, ENOTSUP, "cgroup \"%s\": no memory controller for OOM events", m->path);
  struct cgroup_oom_watch *w = calloc (1, sizeof *w);
  if (w == NULL || (w->dir = strdup (h->dir)) == NULL)
    {
      cgroup_oom_watch_free (w);
      return error_set (err, ENOMEM, "OOM watch");
    }
  w->v2 = h->v2;
  w->fd = w->ctl = -1;
  w->has_counter = oom_kills (w, &w->last);
  if (w->v2)
    {
      _cleanup_free_ char *path = NULL;
      w->fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      if (w->fd < 0 || asprintf (&path, "%s/memory.events", w->dir) < 0)
        goto fail;
      if (inotify_add_watch (w->fd, path, IN_MODIFY) < 0)
        goto fail;
    }
  else
    {
      _cleanup_free_ char *path = NULL;
      if (asprintf (&path, "%s/memory.oom_control", w->dir) < 0)
        goto fail;
      w->ctl = open (path, O_RDONLY | O_CLOEXEC);
      if (w->ctl < 0)
        goto fail;
      w->fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (w->fd < 0)
        goto fail;
      if (cg_writef (w->dir, "cgroup.event_control", err, "%d %d", w->fd, w->ctl) < 0)
        {
          cgroup_oom_watch_free (w);
          return -1;
        }
    }
  *out = w;
  return 0;

fail:
  error_set (err, errno, "OOM watch of %s", w->dir);
  cgroup_oom_watch_free (w);
  return -1;
}

int
cgroup_oom_fd (struct cgroup_oom_watch *w)
{
  return w->fd;
}

int
cgroup_oom_read (struct cgroup_oom_watch *w, struct error **err)
{
  uint64_t events = 0;
  if (w->v2)
    {
      char buf[4096];
      while (read (w->fd, buf, sizeof buf) > 0)
        ;
    }
  else if (read (w->fd, &events, sizeof events) < 0 && errno != EAGAIN)
    return error_set (err, errno, "read OOM eventfd of %s", w->dir);

  uint64_t now;
  if (w->has_counter)
    {
      if (!oom_kills (w, &now))
        return 0; /* the cgroup is gone */
      int n = now > w->last ? (int) (now - w->last) : 0;
      w->last = now;
      return n;
    }
  /* No counter: one notification per OOM, unless the wake-up was the removal. */
  if (events == 0 || !cg_file_exists (w->dir, "memory.oom_control"))
    return 0;
  return (int) events;
}
