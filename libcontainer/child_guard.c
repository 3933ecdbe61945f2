#define _GNU_SOURCE
#include "child_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "process.h"
#include "sync.h"
#include "util/fs.h"
#include "util/procfs.h"

bool
guard_parent_before_clone (bool parent_writes_maps)
{
  /* An unprivileged parent can open /proc/<child>/uid_map only while the child
   * is dumpable (otherwise the file belongs to root). Nothing but the parent
   * can see the child then: it is alone in its new pid namespace, or it is the
   * intermediate child, outside any namespace it joins for its children. */
  if (parent_writes_maps && geteuid () != 0)
    return false;
  return prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
}

int
guard_nondumpable (struct error **err)
{
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return error_set (err, errno, "prctl(PR_SET_DUMPABLE, 0)");
  return 0;
}

void
guard_die_with_parent (int sync_fd)
{
  struct pollfd p = { .fd = sync_fd, .events = POLLIN };
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* The parent closes its files before the kernel sends the signal to its
   * children: a hang-up seen now means the signal came before our prctl. */
  if (poll (&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))
    _exit (1);
}

void
guard_outlive_parent (int sync_fd)
{
  struct sync_msg m;
  if (sync_expect (sync_fd, SYNC_READY_ACK, &m, NULL, NULL) < 0)
    _exit (1);
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
}

static int log_sock = -1;

/* Log lines of a child travel to the parent, which writes them to --log. */
static void
forward_log (enum log_level lvl, const char *msg)
{
  if (log_sock >= 0)
    sync_send (log_sock, SYNC_LOG, (int32_t) lvl, msg, -1, NULL);
}

void
guard_child_log_off (void)
{
  log_sock = -1;
  log_set_sink (forward_log, log_max_level);
}

/* Fields 48-51 of /proc/self/stat: arg_start arg_end env_start env_end. */
void
guard_caller_find (struct guard_caller *g)
{
  char buf[2048];
  unsigned long v[4];
  memset (g, 0, sizeof *g);
  int fd = open ("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return;
  buf[n] = '\0';
  char *p = strrchr (buf, ')'); /* the command name may hold spaces */
  if (p == NULL)
    return;
  p++; /* " field3 field4 ..." */
  for (int field = 3; field < 48; field++)
    if ((p = strchr (p + 1, ' ')) == NULL)
      return;
  if (sscanf (p, " %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3]) != 4 || v[0] >= v[1]
      || v[2] > v[3])
    return;
  g->args = (char *) v[0];
  g->args_end = (char *) v[1];
  g->env = (char *) v[2];
  g->env_end = (char *) v[3];
}

static bool
in_caller_memory (const struct guard_caller *g, const char *s)
{
  return s && ((s >= g->args && s < g->args_end) || (s >= g->env && s < g->env_end));
}

void
guard_keep_string (const struct guard_caller *g, char **s)
{
  if (in_caller_memory (g, *s))
    {
      char *copy = strdup (*s);
      if (copy)
        *s = copy;
    }
}

void
guard_keep_strv (const struct guard_caller *g, char **v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    guard_keep_string (g, &v[i]);
}

static void
wipe_memory (const struct guard_caller *g, const char *title)
{
  if (g->args)
    {
      size_t len = (size_t) (g->args_end - g->args);
      size_t tlen = strlen (title);
      memset (g->args, 0, len);
      if (tlen >= len)
        tlen = len - 1;
      memcpy (g->args, title, tlen);
      for (size_t i = 0; i < tlen; i++)
        if (g->args[i] == ' ')
          g->args[i] = '\0';
    }
  if (g->env)
    memset (g->env, 0, (size_t) (g->env_end - g->env));
}

void
guard_caller_wipe (const struct guard_caller *g, const char *title)
{
  wipe_memory (g, title);
  /* environ pointed into what we just wiped: nothing of it is ours to pass on
   * (hooks run from here get only their config env). */
  clearenv ();
}

int
guard_caller_hide_for_clone (const struct guard_caller *g, const char *title,
                             struct guard_saved *s, struct error **err)
{
  memset (s, 0, sizeof *s);
  s->g = *g;
  size_t alen = g->args ? (size_t) (g->args_end - g->args) : 0;
  size_t elen = g->env ? (size_t) (g->env_end - g->env) : 0;
  s->args = alen ? malloc (alen) : NULL;
  s->env = elen ? malloc (elen) : NULL;
  if ((alen && s->args == NULL) || (elen && s->env == NULL))
    {
      free (s->args);
      free (s->env);
      s->args = s->env = NULL;
      return error_set (err, ENOMEM, "hide the command line");
    }
  if (alen)
    memcpy (s->args, g->args, alen);
  if (elen)
    memcpy (s->env, g->env, elen);
  /* Our environ array stays (clearenv might free it): its strings read "" in
   * the child until the child clears it at its first step. */
  wipe_memory (g, title);
  return 0;
}

void
guard_caller_restore (struct guard_saved *s)
{
  if (s->args)
    memcpy (s->g.args, s->args, (size_t) (s->g.args_end - s->g.args));
  if (s->env)
    memcpy (s->g.env, s->env, (size_t) (s->g.env_end - s->g.env));
  free (s->args);
  free (s->env);
  s->args = s->env = NULL;
}

int
guard_child_start (int sync_fd, int preserve_fds, const int *keep, size_t nkeep,
                   bool defer_dumpable, struct error **err)
{
  if (!defer_dumpable && guard_nondumpable (err) < 0)
    return -1;
  /* Settle what we read from the environment before it is wiped. */
  fs_openat2_settle ();
  /* A procfs fd inherited from the parent would be a view of the host's pid
   * namespace: drop it (it is reopened in ours when needed). */
  procfs_reset ();
  log_sock = sync_fd;
  log_set_sink (forward_log, log_max_level);

  int keep_all[nkeep + 1];
  for (size_t i = 0; i < nkeep; i++)
    keep_all[i] = keep[i];
  keep_all[nkeep] = sync_fd;
  return process_close_fds (preserve_fds, keep_all, nkeep + 1, err);
}
