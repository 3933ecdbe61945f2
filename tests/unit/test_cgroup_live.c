/* The cgroup manager on this host's real cgroups (root only): create, enter a
 * forked child, list, refuse reuse, freeze/thaw, kill_all, save/load, destroy. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "cgroups/cgroup.h"
#include "spec/config.h"

static bool
is_dir (const char *p)
{
  struct stat st;
  return stat (p, &st) == 0 && S_ISDIR (st.st_mode);
}

static bool
has_pid (pid_t *pids, size_t n, pid_t pid)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

static char
proc_state (pid_t pid)
{
  char path[64], buf[512];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return '?';
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  char *p = strrchr (buf, ')');
  return p && p[1] ? p[2] : '?';
}

static void
print_err (struct error **e)
{
  if (*e)
    fprintf (stderr, "error: %s\n", (*e)->msg);
  error_free (e);
}

int
main (void)
{
  if (geteuid () != 0)
    {
      printf ("SKIP: test_cgroup_live needs root\n");
      return unit_finish ("test_cgroup_live");
    }
  char base[64], path[96];
  snprintf (base, sizeof base, "/capsa-unit-%d", (int) getpid ());
  snprintf (path, sizeof path, "%s/c1", base);
  struct spec_linux lin = { .cgroups_path = path };
  struct spec_config cfg = { .linux_ = &lin };
  struct cgroup_manager *m = NULL;
  struct error *err = NULL;

  printf ("layout: %s\n", cgroup_layout_name (cgroup_detect_layout ()));
  CHECK (cgroup_manager_new (&cfg, "c1", false, &m, &err) == 0);
  print_err (&err);
  if (m == NULL)
    return unit_finish ("test_cgroup_live");
  CHECK_STR (cgroup_path (m), path);
  CHECK (cgroup_create (m, &err) == 0);
  print_err (&err);

  const char *ctrls[32], *dirs[32];
  size_t nh = cgroup_hierarchies (m, ctrls, dirs, 32);
  CHECK (nh > 0);
  for (size_t i = 0; i < nh && i < 32; i++)
    {
      printf ("  [%s] %s\n", ctrls[i], dirs[i]);
      CHECK (is_dir (dirs[i]));
    }
  int cfd = cgroup_clone_into_fd (m);
  CHECK ((cgroup_detect_layout () == CGROUP_LAYOUT_V2) == (cfd >= 0));

  /* A child that forks a grandchild; the grandchild goes to a sub-cgroup. */
  pid_t child = fork ();
  if (child == 0)
    {
      for (;;)
        pause ();
    }
  CHECK (cgroup_enter (m, child, &err) == 0);
  print_err (&err);

  pid_t *pids = NULL;
  size_t n = 0;
  CHECK (cgroup_pids (m, &pids, &n, &err) == 0);
  print_err (&err);
  CHECK (n == 1 && has_pid (pids, n, child));
  free (pids);

  /* /proc/<child>/cgroup names our path */
  char pc[64], *cgdata = NULL;
  size_t cap = 0;
  snprintf (pc, sizeof pc, "/proc/%d/cgroup", (int) child);
  FILE *f = fopen (pc, "re");
  if (f)
    {
      ssize_t len = getdelim (&cgdata, &cap, '\0', f);
      (void) len;
      fclose (f);
    }
  CHECK_CONTAINS (cgdata, path);
  free (cgdata);

  /* A second process in a sub-cgroup is found by the recursive listing. */
  pid_t child2 = fork ();
  if (child2 == 0)
    {
      for (;;)
        pause ();
    }
  const char *pdir = NULL;
  for (size_t i = 0; i < nh && i < 32; i++)
    if (strstr (ctrls[i], "pids") || (cgroup_detect_layout () == CGROUP_LAYOUT_V2))
      pdir = dirs[i];
  char sub[512];
  snprintf (sub, sizeof sub, "%s/sub", pdir ? pdir : dirs[0]);
  CHECK (mkdir (sub, 0755) == 0);
  CHECK (cgroup_enter (m, child2, &err) == 0);
  print_err (&err);
  char procs[600];
  snprintf (procs, sizeof procs, "%s/cgroup.procs", sub);
  f = fopen (procs, "we");
  if (f)
    {
      fprintf (f, "%d\n", (int) child2);
      CHECK (fclose (f) == 0);
    }
  CHECK (cgroup_pids (m, &pids, &n, &err) == 0);
  print_err (&err);
  CHECK (n == 2 && has_pid (pids, n, child) && has_pid (pids, n, child2));
  free (pids);

  /* Reuse of a populated cgroup is refused. */
  struct cgroup_manager *m2 = NULL;
  CHECK (cgroup_manager_new (&cfg, "c1", false, &m2, &err) == 0);
  CHECK (m2 && cgroup_create (m2, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "already has processes");
  error_free (&err);
  cgroup_manager_free (m2);

  /* Freeze / thaw */
  CHECK (cgroup_is_frozen (m) == 0);
  CHECK (cgroup_freeze (m, true, &err) == 0);
  print_err (&err);
  CHECK (cgroup_is_frozen (m) == 1);
  char st = proc_state (child);
  printf ("frozen child state: %c\n", st);
  CHECK (st == 'D' || st == 'S');
  /* save/load round trip; the loaded manager sees the same state */
  char *saved = cgroup_manager_save (m);
  CHECK (saved != NULL);
  struct cgroup_manager *l = NULL;
  CHECK (cgroup_manager_load (saved, &l, &err) == 0);
  print_err (&err);
  free (saved);
  CHECK (l && strcmp (cgroup_path (l), path) == 0);
  CHECK (l && cgroup_is_frozen (l) == 1);
  CHECK (cgroup_freeze (l, false, &err) == 0);
  print_err (&err);
  CHECK (cgroup_is_frozen (m) == 0);

  /* kill_all of a frozen cgroup still kills everything */
  CHECK (cgroup_freeze (m, true, &err) == 0);
  print_err (&err);
  CHECK (cgroup_kill_all (l, SIGKILL, &err) == 0);
  print_err (&err);
  CHECK (cgroup_pids (l, &pids, &n, &err) == 0 && n == 0);
  free (pids);
  int status = 0;
  CHECK (waitpid (child, &status, 0) == child && WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  CHECK (waitpid (child2, &status, 0) == child2 && WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

  /* destroy removes the leaf and its children everywhere; twice is fine */
  CHECK (cgroup_destroy (l, &err) == 0);
  print_err (&err);
  CHECK (cgroup_destroy (l, &err) == 0);
  print_err (&err);
  for (size_t i = 0; i < nh && i < 32; i++)
    {
      CHECK (!is_dir (dirs[i]));
      /* the test's own parent directory: removed by the test */
      char parent[512];
      snprintf (parent, sizeof parent, "%s", dirs[i]);
      char *slash = strrchr (parent, '/');
      if (slash)
        *slash = '\0';
      if (rmdir (parent) < 0 && errno != ENOENT)
        {
          fprintf (stderr, "rmdir %s: %s\n", parent, strerror (errno));
          CHECK (0);
        }
    }
  cgroup_manager_free (l);
  cgroup_manager_free (m);
  return unit_finish ("test_cgroup_live");
}
