/* Freezing, thawing and signalling every process of a cgroup. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "spec/util/cleanup.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define FREEZE_TIMEOUT_MS 5000
#define KILL_TIMEOUT_MS 5000

/* The tree that freezes: v1 freezer, else cgroup2's cgroup.freeze (pure v2 only:
 * a hybrid unified tree may lack the container's processes). */
static struct cg_hier *
freezer_of (struct cgroup_manager *m, bool *v2)
{
  for (size_t i = 0; i < m->n; i++)
    if (!m->h[i].v2 && cg_list_has (m->h[i].controllers, "freezer"))
      {
        *v2 = false;
        return &m->h[i];
      }
  if (m->layout == CGROUP_LAYOUT_V2 && (*v2 = true))
    return cg_unified (m);
  return NULL;
}

/* 1 when the observed state is the wanted one. */
static int
reached (struct cg_hier *h, bool v2, bool frozen, struct error **err)
{
  _cleanup_free_ char *data = NULL;
  if (!v2)
    {
      if (cg_read (h->dir, "freezer.state", &data, err) < 0)
        return -1;
      return strncmp (data, frozen ? "FROZEN" : "THAWED", 6) == 0;
    }
  if (cg_read (h->dir, "cgroup.events", &data, err) < 0)
    return -1;
  char *p = strstr (data, "frozen ");
  if (p == NULL)
    return error_set (err, ENOTSUP, "read %s/cgroup.events: no \"frozen\" key", h->dir);
  return (p[7] == '1') == frozen;
}

static int
request (struct cg_hier *h, bool v2, bool frozen, struct error **err)
{
  if (v2)
    return cg_write (h->dir, "cgroup.freeze", frozen ? "1" : "0", err);
  return cg_write (h->dir, "freezer.state", frozen ? "FROZEN" : "THAWED", err);
}

int
cgroup_freeze (struct cgroup_manager *m, bool frozen, struct error **err)
{
  bool v2 = false;
  struct cg_hier *h = freezer_of (m, &v2);
  if (h == NULL)
    return error_set (err, ENOTSUP, "cgroup \"%s\": no freezer controller on this host", m->path);
  if (request (h, v2, frozen, err) < 0)
    return -1;
  for (unsigned waited = 0; waited < FREEZE_TIMEOUT_MS;)
    {
      int r = reached (h, v2, frozen, err);
      if (r < 0)
        return -1;
      if (r == 1)
        return 0;
      unsigned step = waited < 20 ? 1 : 10;
      cg_sleep_ms (step);
      waited += step;
      /* A v1 freeze can stall in FREEZING when a task forks meanwhile; asking
       * again makes the kernel retry. */
      if (!v2 && waited % 100 == 0 && request (h, v2, frozen, err) < 0)
        return -1;
    }
  if (frozen)
    {
      struct error *e = NULL;
      request (h, v2, false, &e); /* never leave a half-frozen container behind */
      error_free (&e);
    }
  return error_set (err, ETIMEDOUT, "cgroup \"%s\": %s", m->path, frozen ? "freeze" : "thaw");
}

char *
cgroup_freezer_file (struct cgroup_manager *m)
{
  bool v2 = false;
  struct cg_hier *h = freezer_of (m, &v2);
  char *file = NULL;
  if (h == NULL || asprintf (&file, "%s/%s", h->dir, v2 ? "cgroup.freeze" : "freezer.state") < 0)
    return NULL;
  return file;
}

bool
cgroup_freezer_file_is_v1 (const char *file)
{
  const char *base = file ? strrchr (file, '/') : NULL;
  return base && strcmp (base, "/freezer.state") == 0;
}

int
cgroup_freezer_file_frozen (const char *file)
{
  /* list and state ask this of every running container: one small read. */
  char data[32];
  _cleanup_close_ int fd = file && file[0] == '/' ? open (file, O_RDONLY | O_CLOEXEC) : -1;
  ssize_t n = fd >= 0 ? read (fd, data, sizeof data - 1) : -1;
  if (n <= 0)
    return -1;
  data[n] = '\0';
  if (!cgroup_freezer_file_is_v1 (file))
    return data[0] == '1';
  /* FREEZING counts as frozen: a freeze was asked for and is not undone. */
  return strncmp (data, "THAWED", 6) != 0;
}

int
cgroup_is_frozen (struct cgroup_manager *m)
{
  _cleanup_free_ char *file = cgroup_freezer_file (m);
  return file ? cgroup_freezer_file_frozen (file) : -1;
}

static void
signal_pid (pid_t pid, int signo)
{
  int fd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (fd >= 0)
    {
      syscall (SYS_pidfd_send_signal, fd, signo, NULL, 0);
      close (fd);
    }
  else if (errno == ENOSYS)
    kill (pid, signo);
}

static int
signal_listed (struct cgroup_manager *m, int signo, size_t *count, struct error **err)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (cgroup_pids (m, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    signal_pid (pids[i], signo);
  *count = n;
  return 0;
}

int
cgroup_kill_all (struct cgroup_manager *m, int signo, struct error **err)
{
  bool v2 = false;
  struct cg_hier *fz = freezer_of (m, &v2);
  struct error *e = NULL;
  size_t n = 0;

  if (signo == SIGKILL && m->layout == CGROUP_LAYOUT_V2)
    {
      struct cg_hier *u = cg_unified (m);
      if (u && cg_file_exists (u->dir, "cgroup.kill"))
        {
          struct error *ke = NULL;
          if (cg_write (u->dir, "cgroup.kill", "1", &ke) < 0)
            {
              bool gone = ke->errnum == ENOENT; /* emptied and removed meanwhile */
              if (!gone)
                return error_propagate (err, &ke);
              error_free (&ke);
            }
          fz = NULL; /* cgroup.kill kills frozen tasks too */
          goto wait_empty;
        }
    }

  /* Freeze so that nothing forks between listing and signalling, signal, thaw:
   * the signals are delivered on thaw (a frozen v1 task cannot even die). */
  if (fz && request (fz, v2, true, &e) == 0)
    {
      for (unsigned waited = 0; waited < 1000; waited += 5)
        {
          int r = reached (fz, v2, true, NULL);
          if (r != 0)
            break;
          cg_sleep_ms (5);
        }
    }
  error_free (&e);
  int r = signal_listed (m, signo, &n, err);
  if (fz && cgroup_freeze (m, false, r < 0 ? NULL : err) < 0 && r == 0)
    return -1;
  if (r < 0)
    return -1;
  if (signo != SIGKILL)
    return 0;

wait_empty:
  for (unsigned waited = 0; waited < KILL_TIMEOUT_MS;)
    {
      _cleanup_free_ pid_t *pids = NULL;
      if (cgroup_pids (m, &pids, &n, err) < 0)
        return -1;
      if (n == 0)
        return 0;
      for (size_t i = 0; i < n; i++)
        signal_pid (pids[i], SIGKILL); /* also reaches children forked before the kill */
      unsigned step = waited < 20 ? 1 : 10;
      cg_sleep_ms (step);
      waited += step;
    }
  return error_set (err, ETIMEDOUT, "cgroup \"%s\": %zu processes left after SIGKILL", m->path, n);
}
