/* pause, resume, update, ps, stats and events: the operations that act on a
 * running container through its cgroup manager (saved in the state record). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "container.h"
#include "container_ops.h"
#include "container_state.h"
#include "spec/util/cleanup.h"
#include "spec/util/clock.h"
#include "spec/util/json.h"
#include "test_stop.h"
#include "vm/vm.h"

/* A container opened for a cgroup operation: its record, status and manager. */
struct cg_container
{
  int dirfd;
  struct lc_record rec;
  enum lc_status status;
  struct cgroup_manager *m;
};

static void
cg_container_close (struct cg_container *c)
{
  if (c->dirfd >= 0)
    close (c->dirfd);
  c->dirfd = -1;
  record_clear (&c->rec);
  cgroup_manager_free (c->m);
  c->m = NULL;
}

static int
cg_container_open (const struct lc_context *ctx, const char *id, bool lock,
                   struct cg_container *c, struct error **err)
{
  memset (c, 0, sizeof *c);
  c->dirfd = -1;
  if (lc_validate_id (id, err) < 0)
    return -1;
  c->dirfd = statedir_open (ctx->root, id, lock, err);
  if (c->dirfd < 0)
    return -1;
  if (record_read (c->dirfd, &c->rec, err) < 0)
    {
      if (statedir_deleting (c->dirfd, NULL))
        {
          error_free (err);
          lc_error_not_exist (err);
        }
      goto fail;
    }
  c->status = record_status (c->dirfd, &c->rec);
  if (c->rec.cgroup == NULL || c->rec.cgroup[0] == '\0')
    {
      error_set (err, ENOTSUP, "container %s has no cgroup", id);
      goto fail;
    }
  if (cgroup_manager_load (c->rec.cgroup, &c->m, err) < 0)
    goto fail;
  return 0;
fail:
  cg_container_close (c);
  return -1;
}

int
lc_pause (const struct lc_context *ctx, const char *id, struct error **err)
{
  struct cg_container c;
  if (cg_container_open (ctx, id, true, &c, err) < 0)
    return -1;
  int ret = -1;
  test_stop_at ("pause:locked");
  if (c.status != LC_RUNNING && c.status != LC_CREATED)
    error_set (err, 0, "container not running");
  else if (vm_container_at (c.dirfd))
    ret = vm_pause (c.dirfd, id, true, err); /* its cgroup in the guest, not the VM */
  else
    ret = cgroup_freeze (c.m, true, err);
  cg_container_close (&c);
  return ret;
}

int
lc_resume (const struct lc_context *ctx, const char *id, struct error **err)
{
  struct cg_container c;
  if (cg_container_open (ctx, id, true, &c, err) < 0)
    return -1;
  int ret = -1;
  if (c.status != LC_PAUSED)
    error_set (err, 0, "container not paused");
  else if (vm_container_at (c.dirfd))
    ret = vm_pause (c.dirfd, id, false, err);
  else
    ret = cgroup_freeze (c.m, false, err);
  cg_container_close (&c);
  return ret;
}

int
lc_update (const struct lc_context *ctx, const char *id, const struct spec_resources *r,
           struct error **err)
{
  struct cg_container c;
  if (cg_container_open (ctx, id, true, &c, err) < 0)
    return -1;
  int ret = -1;
  test_stop_at ("update:locked");
  if (c.status == LC_STOPPED)
    error_set (err, 0, "container not running");
  else if (vm_container_at (c.dirfd))
    ret = vm_update (c.dirfd, id, r, err); /* the host cgroup stays qemu's size */
  else
    ret = cgroup_update (c.m, r, err);
  cg_container_close (&c);
  return ret;
}

int
lc_ps (const struct lc_context *ctx, const char *id, pid_t **pids, size_t *n,
       struct error **err)
{
  struct cg_container c;
  *pids = NULL;
  *n = 0;
  if (cg_container_open (ctx, id, false, &c, err) < 0)
    return -1;
  int ret = c.status == LC_STOPPED ? 0
            : vm_container_at (c.dirfd) ? vm_ps (c.dirfd, id, pids, n, NULL, err)
                                        : cgroup_pids (c.m, pids, n, err);
  cg_container_close (&c);
  return ret;
}

int
lc_ps_vm_table (const struct lc_context *ctx, const char *id, char **table, struct error **err)
{
  struct cg_container c;
  *table = NULL;
  if (cg_container_open (ctx, id, false, &c, err) < 0)
    return -1;
  int ret = 0;
  if (vm_container_at (c.dirfd))
    {
      _cleanup_free_ pid_t *pids = NULL;
      size_t n = 0;
      if (c.status == LC_STOPPED)
        *table = strdup ("    PID CMD\n");
      else
        ret = vm_ps (c.dirfd, id, &pids, &n, table, err);
      if (ret == 0 && *table == NULL)
        ret = error_set (err, ENOMEM, "ps");
    }
  cg_container_close (&c);
  return ret;
}

void
lc_stats_clear (struct lc_stats *s)
{
  if (s->cgroup)
    cgroup_stats_clear (s->cgroup);
  free (s->cgroup);
  s->cgroup = NULL;
}

static int
stats_of (struct cgroup_manager *m, struct lc_stats *out, struct error **err)
{
  out->cgroup = calloc (1, sizeof *out->cgroup);
  if (out->cgroup == NULL)
    return error_set (err, ENOMEM, "stats");
  if (cgroup_stats (m, out->cgroup, err) < 0)
    {
      free (out->cgroup);
      out->cgroup = NULL;
      return -1;
    }
  return 0;
}

int
lc_stats (const struct lc_context *ctx, const char *id, struct lc_stats *out, struct error **err)
{
  struct cg_container c;
  out->cgroup = NULL;
  if (cg_container_open (ctx, id, false, &c, err) < 0)
    return -1;
  int ret = -1;
  if (c.status == LC_STOPPED)
    error_set (err, 0, "container with id %s is not running", id);
  else
    ret = stats_of (c.m, out, err);
  cg_container_close (&c);
  return ret;
}

/* {"type":TYPE,"id":ID[,"data":...]} as runc's types.Event. */
static char *
event_json (const char *type, const char *id, const struct lc_stats *s)
{
  struct json_writer *w = json_writer_new (false);
  char *out = NULL;
  size_t len;
  if (w == NULL)
    return NULL;
  json_w_begin_object (w);
  json_w_key (w, "type");
  json_w_string (w, type);
  json_w_key (w, "id");
  json_w_string (w, id);
  if (s && s->cgroup)
    {
      json_w_key (w, "data");
      cgroup_stats_write_json (w, s->cgroup);
    }
  json_w_end_object (w);
  if (json_writer_finish (w, &out, &len) < 0)
    return NULL;
  return out;
}

char *
lc_stats_event_json (const char *id, const struct lc_stats *s)
{
  return event_json ("stats", id, s);
}

char *
lc_oom_event_json (const char *id)
{
  return event_json ("oom", id, NULL);
}

struct lc_events
{
  struct cg_container c;
  struct cgroup_oom_watch *oom; /* NULL when the host has no memory controller */
};

void
lc_events_close (struct lc_events *ev)
{
  if (ev == NULL)
    return;
  cgroup_oom_watch_free (ev->oom);
  cg_container_close (&ev->c);
  free (ev);
}

int
lc_events_open (const struct lc_context *ctx, const char *id, struct lc_events **out,
                struct error **err)
{
  struct lc_events *ev = calloc (1, sizeof *ev);
  if (ev == NULL)
    return error_set (err, ENOMEM, "events");
  if (cg_container_open (ctx, id, false, &ev->c, err) < 0)
    {
      free (ev);
      return -1;
    }
  if (ev->c.status == LC_STOPPED)
    {
      lc_events_close (ev);
      return error_set (err, 0, "container with id %s is not running", id);
    }
  struct error *e = NULL;
  if (cgroup_oom_watch (ev->c.m, &ev->oom, &e) < 0)
    {
      log_warn ("events: no OOM notifications: %s", e->msg);
      error_free (&e);
      ev->oom = NULL;
    }
  *out = ev;
  return 0;
}

int
lc_events_wait (struct lc_events *ev, int timeout_ms, bool *stopped, struct error **err)
{
  long deadline = timeout_ms < 0 ? -1 : clock_monotonic_ms () + timeout_ms;
  *stopped = false;
  for (;;)
    {
      /* Wake at least every 200 ms to notice the container's end and OOM kills. */
      long left = deadline < 0 ? 200 : deadline - clock_monotonic_ms ();
      int slice = left < 0 ? 0 : left > 200 ? 200 : (int) left;
      if (ev->oom)
        {
          struct pollfd p = { .fd = cgroup_oom_fd (ev->oom), .events = POLLIN };
          int r = poll (&p, 1, slice);
          if (r < 0 && errno != EINTR)
            return error_set (err, errno, "events: poll");
          /* Read the counter on every wake-up, not only on POLLIN: the v1
           * eventfd misses some OOM kills (seen on 6.18), the counter does not. */
          int n = cgroup_oom_read (ev->oom, err);
          if (n != 0)
            return n;
        }
      else
        usleep ((useconds_t) slice * 1000);
      if (!record_pid_alive (&ev->c.rec))
        {
          /* A kill may have been counted just before the end. */
          int n = ev->oom ? cgroup_oom_read (ev->oom, NULL) : 0;
          *stopped = true;
          return n > 0 ? n : 0;
        }
      if (deadline >= 0 && clock_monotonic_ms () >= deadline)
        return 0;
    }
}

int
lc_events_stats (struct lc_events *ev, struct lc_stats *out, struct error **err)
{
  out->cgroup = NULL;
  return stats_of (ev->c.m, out, err);
}
