/* The cgroup manager on this host's real cgroups (root only): create, enter a
 * forked child, list, refuse reuse, freeze/thaw, kill_all, save/load, destroy. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
cg_exists (const char *dir, const char *file)
{
  char p[600];
  snprintf (p, sizeof p, "%s/%s", dir, file);
  return access (p, F_OK) == 0;
}

static void print_err (struct error **e);

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

static char *
slurp (const char *dir, const char *file)
{
  char p[600];
  static char buf[256];
  snprintf (p, sizeof p, "%s/%s", dir, file);
  FILE *f = fopen (p, "re");
  if (f == NULL)
    return NULL;
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
  return buf;
}

static void
rmdir_everywhere (const char *base)
{
  const char *roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/memory",
                          "/sys/fs/cgroup/pids", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuacct",
                          "/sys/fs/cgroup/cpuset", "/sys/fs/cgroup/blkio", "/sys/fs/cgroup/devices",
                          "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/systemd" };
  for (size_t i = 0; i < sizeof roots / sizeof *roots; i++)
    {
      char p[256];
      snprintf (p, sizeof p, "%s%s", roots[i], base);
      rmdir (p);
      CHECK (!is_dir (p));
    }
}

/* Resources land in the right files; a denied device cannot be opened. */
static void
test_resources (const char *base)
{
  bool v2 = cgroup_detect_layout () == CGROUP_LAYOUT_V2;
  char path[128];
  snprintf (path, sizeof path, "%s/res", base);
  struct spec_memory mem = { .limit = 64 << 20, .has_limit = true, .swap = 128 << 20, .has_swap = true };
  struct spec_cpu cpu = { .shares = 1024, .has_shares = true, .quota = 50000, .has_quota = true,
                          .period = 100000, .has_period = true };
  struct spec_device_cgroup dev[] = { { .allow = false, .major = -1, .minor = -1, .access = "rwm" } };
  struct spec_resources res = { .memory = &mem, .cpu = &cpu, .pids_limit = 42, .has_pids = true,
                                .devices = dev, .devices_len = 1 };
  struct spec_linux lin = { .cgroups_path = path, .resources = &res };
  struct spec_config cfg = { .linux_ = &lin };
  struct cgroup_manager *m = NULL;
  struct error *err = NULL;

  CHECK (cgroup_manager_new (&cfg, "res", false, &m, &err) == 0);
  print_err (&err);
  if (m == NULL)
    return;
  CHECK (cgroup_create (m, &err) == 0);
  print_err (&err);
  const char *md = cgroup_controller_dir (m, "memory"), *cd = cgroup_controller_dir (m, "cpu"),
             *pd = cgroup_controller_dir (m, "pids");
  CHECK (md && cd && pd);
  if (md && cd && pd)
    {
      CHECK_STR (slurp (md, v2 ? "memory.max" : "memory.limit_in_bytes"), "67108864");
      if (v2)
        {
          CHECK_STR (slurp (md, "memory.swap.max"), "67108864");
          CHECK_STR (slurp (cd, "cpu.weight"), "39");
          CHECK_STR (slurp (cd, "cpu.max"), "50000 100000");
        }
      else
        {
          CHECK_STR (slurp (md, "memory.memsw.limit_in_bytes"), "134217728");
          CHECK_STR (slurp (cd, "cpu.shares"), "1024");
          CHECK_STR (slurp (cd, "cpu.cfs_quota_us"), "50000");
        }
      CHECK_STR (slurp (pd, "pids.max"), "42");
    }

  /* update: raise the limit and the pids */
  mem.limit = 96 << 20;
  mem.swap = 256 << 20;
  res.pids_limit = -1;
  CHECK (cgroup_update (m, &res, &err) == 0);
  print_err (&err);
  if (md && pd)
    {
      CHECK_STR (slurp (md, v2 ? "memory.max" : "memory.limit_in_bytes"), "100663296");
      CHECK_STR (slurp (pd, "pids.max"), "max");
    }

  /* devices: /dev/null (default allow) opens, /dev/kmsg (denied) does not */
  int pfd[2];
  if (pipe (pfd) == 0)
    {
      pid_t c = fork ();
      if (c == 0)
        {
          char go;
          close (pfd[1]);
          if (read (pfd[0], &go, 1) != 1)
            _exit (10);
          int a = open ("/dev/null", O_RDWR | O_CLOEXEC);
          int b = open ("/dev/kmsg", O_RDONLY | O_CLOEXEC);
          _exit ((a >= 0 ? 0 : 1) | (b < 0 && errno == EPERM ? 0 : 2));
        }
      close (pfd[0]);
      CHECK (cgroup_enter (m, c, &err) == 0);
      print_err (&err);
      CHECK (write (pfd[1], "g", 1) == 1);
      close (pfd[1]);
      int st = -1;
      CHECK (waitpid (c, &st, 0) == c);
      printf ("device child exit: %d\n", WIFEXITED (st) ? WEXITSTATUS (st) : -1);
      CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
    }

  /* A knob the host lacks, or a v2-only key on v1, is a clear error. */
  struct spec_kv kv = { .key = "memory.high", .value = "max" };
  struct spec_resources bad = { .unified = &kv, .unified_len = 1 };
  if (v2)
    {
      CHECK (cgroup_update (m, &bad, &err) == 0);
      print_err (&err);
      kv.key = "no.such.file";
      CHECK (cgroup_update (m, &bad, &err) < 0);
      CHECK_CONTAINS (err ? err->msg : NULL, "linux.resources.unified[\"no.such.file\"]: open ");
      print_err (&err);
    }
  else
    {
      CHECK (cgroup_update (m, &bad, &err) < 0);
      CHECK_CONTAINS (err ? err->msg : NULL, "linux.resources.unified: requires cgroup v2");
      print_err (&err);
    }
  struct spec_blkio bio = { .weight = 500, .has_weight = true };
  struct spec_resources wres = { .block_io = &bio };
  const char *bd = cgroup_controller_dir (m, v2 ? "io" : "blkio");
  if (bd && !cg_exists (bd, v2 ? "io.weight" : "blkio.weight") && !cg_exists (bd, v2 ? "io.bfq.weight" : "blkio.bfq.weight"))
    {
      CHECK (cgroup_update (m, &wres, &err) < 0);
      CHECK_CONTAINS (err ? err->msg : NULL, "linux.resources.blockIO.weight: open ");
      CHECK_CONTAINS (err ? err->msg : NULL, ": No such file or directory");
      print_err (&err);
    }
  CHECK (cgroup_destroy (m, &err) == 0);
  print_err (&err);
  cgroup_manager_free (m);
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

  /* Freeze / thaw; the freezer file the state record keeps says the same. */
  char *ff = cgroup_freezer_file (m);
  CHECK (ff != NULL);
  printf ("freezer file: %s\n", ff ? ff : "(none)");
  CHECK (cgroup_is_frozen (m) == 0);
  CHECK (cgroup_freezer_file_frozen (ff) == 0);
  CHECK (cgroup_freeze (m, true, &err) == 0);
  print_err (&err);
  CHECK (cgroup_is_frozen (m) == 1);
  CHECK (cgroup_freezer_file_frozen (ff) == 1);
  free (ff);
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
  test_resources (base);
  rmdir_everywhere (base);
  return unit_finish ("test_cgroup_live");
}
