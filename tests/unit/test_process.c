/* process.c / process_sched.c against the real kernel: each check that changes
 * process state runs in a forked child, which reports its CHECK counts back. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "unit_child.h"
#include "libcontainer/process.h"

static char tmpdir[] = "/tmp/capsa-test-process-XXXXXX";
static void
write_file (const char *path, const char *data, mode_t mode)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0 || write (fd, data, strlen (data)) < 0)
    perror (path);
  if (fd >= 0)
    close (fd);
  chmod (path, mode);
}

/* ---- resolve_exec ---- */

static char *
resolve (const char *arg0, const char *path_env, const char *cwd, struct error **err)
{
  char env_buf[512];
  char *env[2] = { NULL, NULL };
  char *args[1] = { (char *) arg0 };
  struct spec_process p = { .args = args, .args_len = 1, .cwd = (char *) cwd };
  if (path_env)
    {
      snprintf (env_buf, sizeof env_buf, "PATH=%s", path_env);
      env[0] = env_buf;
      p.env = env;
      p.env_len = 1;
    }
  return process_resolve_exec (&p, err);
}

static void
test_resolve_exec (void)
{
  char bin[128], bin2[128], tool[256], plain[256], path[600];
  snprintf (bin, sizeof bin, "%s/bin", tmpdir);
  snprintf (bin2, sizeof bin2, "%s/bin2", tmpdir);
  mkdir (bin, 0755);
  mkdir (bin2, 0755);
  snprintf (tool, sizeof tool, "%s/tool", bin2);
  write_file (tool, "#!/bin/sh\n", 0755);
  snprintf (plain, sizeof plain, "%s/tool", bin);
  write_file (plain, "not executable\n", 0644); /* shadows bin2/tool but is not executable */
  char sub[256];
  snprintf (sub, sizeof sub, "%s/bin/subdir", tmpdir);
  mkdir (sub, 0755);

  struct error *err = NULL;
  snprintf (path, sizeof path, "relative:%s:%s", bin, bin2);
  char *r = resolve ("tool", path, "/", &err);
  CHECK_STR (r, tool);
  free (r);

  r = resolve ("nosuchbin", path, "/", &err);
  CHECK (r == NULL);
  CHECK_STR (err ? err->msg : NULL, "exec: \"nosuchbin\": executable file not found in $PATH");
  error_free (&err);

  /* A directory on PATH with the name is skipped, not returned. */
  r = resolve ("subdir", bin, "/", &err);
  CHECK (r == NULL);
  error_free (&err);

  r = resolve ("/bin/nope-capsa", path, "/", &err);
  CHECK (r == NULL);
  CHECK_CONTAINS (err ? err->msg : NULL, "exec: \"/bin/nope-capsa\": stat /bin/nope-capsa: No such file");
  error_free (&err);

  r = resolve (plain, NULL, "/", &err);
  CHECK (r == NULL);
  CHECK_CONTAINS (err ? err->msg : NULL, "Permission denied");
  error_free (&err);

  r = resolve (sub, NULL, "/", &err);
  CHECK (r == NULL);
  CHECK_CONTAINS (err ? err->msg : NULL, "Is a directory");
  error_free (&err);

  /* Relative with a slash: relative to process.cwd. */
  r = resolve ("./tool", NULL, bin2, &err);
  CHECK (r != NULL && access (r, X_OK) == 0);
  CHECK_CONTAINS (r, "/bin2/./tool");
  free (r);

  /* No PATH in env: the default PATH, where /bin/sh lives on Debian. */
  r = resolve ("sh", NULL, "/", &err);
  CHECK (r != NULL && r[0] == '/');
  CHECK_CONTAINS (r, "/sh");
  free (r);
  error_free (&err);

  struct spec_process empty = { 0 };
  CHECK (process_resolve_exec (&empty, &err) == NULL);
  CHECK_CONTAINS (err ? err->msg : NULL, "process.args");
  error_free (&err);
}

/* ---- close_fds ---- */

static bool
fd_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0;
}

static bool
fd_cloexec (int fd)
{
  int fl = fcntl (fd, F_GETFD);
  return fl >= 0 && (fl & FD_CLOEXEC);
}

static void
child_close_fds (void)
{
  /* Move the report pipe out of the way of the fds under test. */
  unit_report_fd = fcntl (unit_report_fd, F_DUPFD_CLOEXEC, 200);
  int base = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  /* 3,4 preserved (3 starts CLOEXEC), 9 kept for the runtime, the rest closed. */
  for (int fd = 3; fd <= 12; fd++)
    if (fd != base)
      dup2 (base, fd);
  dup3 (base, 3, O_CLOEXEC);
  dup2 (base, 100);
  int keep[] = { 9, unit_report_fd };
  struct error *err = NULL;
  CHECK (process_close_fds (2, keep, 2, &err) == 0);
  CHECK (fd_open (0) && fd_open (1) && fd_open (2));
  CHECK (fd_open (3) && !fd_cloexec (3));
  CHECK (fd_open (4) && !fd_cloexec (4));
  CHECK (fd_open (9) && fd_cloexec (9));
  for (int fd = 5; fd <= 12; fd++)
    if (fd != 9)
      CHECK (!fd_open (fd));
  CHECK (!fd_open (100));
  error_free (&err);

  /* Preserving more fds than exist is not an error: nothing to hand over. */
  dup3 (9, 8, O_CLOEXEC);
  CHECK (process_close_fds (10, &unit_report_fd, 1, &err) == 0);
  CHECK (fd_open (8) && !fd_cloexec (8) && fd_open (9) && !fd_cloexec (9));
  CHECK (fd_open (unit_report_fd) && fd_cloexec (unit_report_fd));
  CHECK (process_close_fds (-1, NULL, 0, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "preserve-fds");
  error_free (&err);
}

/* ---- parent side: rlimits and oom_score_adj on another pid ---- */

static void
test_parent_side (void)
{
  int p[2];
  if (pipe (p) < 0)
    return;
  pid_t pid = fork ();
  if (pid == 0)
    {
      char c;
      close (p[1]);
      if (read (p[0], &c, 1) < 0)
        _exit (1);
      _exit (0);
    }
  close (p[0]);

  struct spec_rlimit lims[2] = {
    { .type = "RLIMIT_NOFILE", .soft = 100, .hard = 200 },
    { .type = "RLIMIT_CORE", .soft = 0, .hard = RLIM_INFINITY },
  };
  struct spec_process proc = { .rlimits = lims, .rlimits_len = 2, .oom_score_adj = 500,
                               .has_oom_score_adj = true };
  struct error *err = NULL;
  CHECK (process_apply_parent_side (&proc, pid, &err) == 0);
  if (err)
    fprintf (stderr, "%s\n", err->msg);
  error_free (&err);
  struct rlimit got;
  CHECK (prlimit (pid, RLIMIT_NOFILE, NULL, &got) == 0 && got.rlim_cur == 100 && got.rlim_max == 200);
  CHECK (prlimit (pid, RLIMIT_CORE, NULL, &got) == 0 && got.rlim_cur == 0
         && got.rlim_max == RLIM_INFINITY);
  char path[64], buf[32] = "";
  snprintf (path, sizeof path, "/proc/%d/oom_score_adj", pid);
  int fd = open (path, O_RDONLY);
  CHECK (fd >= 0 && read (fd, buf, sizeof buf - 1) > 0);
  close (fd);
  CHECK_STR (buf, "500\n");

  /* Beyond fs.nr_open no one may raise RLIMIT_NOFILE: the error names the entry. */
  unsigned long nr_open = 1048576;
  FILE *f = fopen ("/proc/sys/fs/nr_open", "r");
  if (f)
    {
      if (fscanf (f, "%lu", &nr_open) != 1)
        nr_open = 1048576;
      fclose (f);
    }
  lims[1] = (struct spec_rlimit){ .type = "RLIMIT_NOFILE", .soft = nr_open + 64, .hard = nr_open + 64 };
  proc.has_oom_score_adj = false;
  CHECK (process_apply_parent_side (&proc, pid, &err) < 0);
  CHECK_STR (err ? err->msg : NULL,
             "process.rlimits[1]: setrlimit RLIMIT_NOFILE: Operation not permitted");
  error_free (&err);

  lims[1].type = "RLIMIT_BOGUS";
  CHECK (process_apply_parent_side (&proc, pid, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "process.rlimits[1].type: unknown rlimit \"RLIMIT_BOGUS\"");
  error_free (&err);

  proc.rlimits_len = 0;
  proc.has_oom_score_adj = true;
  proc.oom_score_adj = 5000; /* outside -1000..1000: the kernel refuses */
  CHECK (process_apply_parent_side (&proc, pid, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "process.oomScoreAdj: write 5000 to /proc/");
  error_free (&err);

  close (p[1]);
  waitpid (pid, NULL, 0);
  CHECK (process_rlimit_from_name ("RLIMIT_RTTIME") == RLIMIT_RTTIME);
  CHECK (process_rlimit_from_name ("RLIMIT_CPU") == RLIMIT_CPU);
  CHECK (process_rlimit_from_name ("nofile") == -1);
}

/* ---- cwd ---- */

static void
child_cwd_create (void)
{
  char want[PATH_MAX], got[PATH_MAX];
  snprintf (want, sizeof want, "%s/work/a/b", tmpdir);
  struct spec_process p = { .cwd = want };
  struct error *err = NULL;
  CHECK (process_set_cwd (&p, &err) == 0);
  CHECK (getcwd (got, sizeof got) != NULL);
  CHECK_STR (got, want);
  error_free (&err);

  char file[PATH_MAX];
  snprintf (file, sizeof file, "%s/work/file", tmpdir);
  write_file (file, "x", 0644);
  p.cwd = file;
  CHECK (process_set_cwd (&p, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "process.cwd: chdir");
  CHECK_CONTAINS (err ? err->msg : NULL, "Not a directory");
  error_free (&err);
}

/* CVE-2024-21626: a cwd reached through an fd that points outside the root. */
static void
child_cwd_outside_root (void)
{
  char root[PATH_MAX], procdir[PATH_MAX];
  snprintf (root, sizeof root, "%s/root", tmpdir);
  snprintf (procdir, sizeof procdir, "%s/root/proc", tmpdir);
  mkdir (root, 0755);
  mkdir (procdir, 0755);
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
      || mount ("proc", procdir, "proc", 0, NULL) < 0)
    {
      printf ("skip cwd-outside-root: cannot make a mount namespace with proc (%s)\n",
              strerror (errno));
      return;
    }
  int outside = open (tmpdir, O_RDONLY | O_DIRECTORY); /* deliberately leaked, not CLOEXEC */
  if (chroot (root) < 0 || chdir ("/") < 0)
    {
      printf ("skip cwd-outside-root: chroot: %s\n", strerror (errno));
      return;
    }
  char cwd[64];
  snprintf (cwd, sizeof cwd, "/proc/self/fd/%d", outside);
  struct spec_process p = { .cwd = cwd };
  struct error *err = NULL;
  CHECK (process_set_cwd (&p, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "is outside the container root");
  error_free (&err);
  p.cwd = "/proc";
  CHECK (process_set_cwd (&p, &err) == 0);
}

static void
child_umask (void)
{
  struct spec_process p = { 0 };
  process_set_umask (&p);
  CHECK (umask (0) == 0022);
  p.user.has_umask = true;
  p.user.umask = 077;
  process_set_umask (&p);
  CHECK (umask (0) == 077);
}

/* ---- user ---- */

static void
child_set_user (void)
{
  uint32_t extra[] = { 1234, 5678 };
  struct spec_process p = { .user = { .uid = 8765, .gid = 4321, .additional_gids = extra,
                                      .additional_gids_len = 2 } };
  struct error *err = NULL;
  CHECK (process_set_user (&p, &err) == 0);
  if (err)
    fprintf (stderr, "%s\n", err->msg);
  error_free (&err);
  uid_t r, e, s;
  gid_t gr, ge, gs;
  CHECK (getresuid (&r, &e, &s) == 0 && r == 8765 && e == 8765 && s == 8765);
  CHECK (getresgid (&gr, &ge, &gs) == 0 && gr == 4321 && ge == 4321 && gs == 4321);
  gid_t groups[8];
  int n = getgroups (8, groups);
  CHECK (n == 2 && groups[0] == 1234 && groups[1] == 5678);

  /* No longer privileged: the error names the ids. */
  CHECK (process_set_user (&p, &err) < 0);
  CHECK_STR (err ? err->msg : NULL,
             "process.user.additionalGids: setgroups [1234 5678]: Operation not permitted");
  error_free (&err);
}

static void
child_set_user_no_groups (void)
{
  gid_t g = 99;
  setgroups (1, &g);
  struct spec_process p = { .user = { .uid = 0, .gid = 0 } };
  struct error *err = NULL;
  CHECK (process_set_user (&p, &err) == 0);
  CHECK (getgroups (0, NULL) == 0);
  error_free (&err);
}

/* ---- scheduling ---- */

static void
child_sched (void)
{
  struct spec_scheduler s = { .policy = "SCHED_BATCH", .nice = 5, .has_nice = true };
  struct spec_process p = { .scheduler = &s };
  struct error *err = NULL;
  CHECK (process_set_scheduler (&p, &err) == 0);
  if (err)
    fprintf (stderr, "%s\n", err->msg);
  error_free (&err);
  CHECK (sched_getscheduler (0) == SCHED_BATCH);
  errno = 0;
  CHECK (getpriority (PRIO_PROCESS, 0) == 5 && errno == 0);

  s.policy = "SCHED_NOPE";
  CHECK (process_set_scheduler (&p, &err) < 0);
  CHECK_STR (err ? err->msg : NULL, "process.scheduler.policy: unknown policy \"SCHED_NOPE\"");
  error_free (&err);

  /* SCHED_DEADLINE with runtime > deadline is invalid: the kernel says EINVAL. */
  s = (struct spec_scheduler){ .policy = "SCHED_DEADLINE", .runtime = 20000000, .has_runtime = true,
                               .deadline = 10000000, .has_deadline = true, .period = 30000000,
                               .has_period = true };
  CHECK (process_set_scheduler (&p, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "process.scheduler: sched_setattr policy SCHED_DEADLINE");
  error_free (&err);

  char *flags[] = { "SCHED_FLAG_WHATEVER" };
  s = (struct spec_scheduler){ .policy = "SCHED_OTHER", .flags = flags, .flags_len = 1 };
  CHECK (process_set_scheduler (&p, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "process.scheduler.flags[0]: unknown flag");
  error_free (&err);

  struct spec_io_priority io = { .class_ = "IOPRIO_CLASS_BE", .priority = 3 };
  p.io_priority = &io;
  CHECK (process_set_io_priority (&p, &err) == 0);
  error_free (&err);
  CHECK (syscall (SYS_ioprio_get, 1, 0) == ((2 << 13) | 3));
  io.priority = 9;
  CHECK (process_set_io_priority (&p, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "process.ioPriority.priority: 9");
  error_free (&err);
  io = (struct spec_io_priority){ .class_ = "IOPRIO_CLASS_X", .priority = 1 };
  CHECK (process_set_io_priority (&p, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "process.ioPriority.class");
  error_free (&err);

  struct spec_cpu_affinity aff = { .initial = "0", .final = "0" };
  p.exec_cpu_affinity = &aff;
  CHECK (process_set_cpu_affinity_initial (&p, getpid (), &err) == 0);
  CHECK (process_set_cpu_affinity_final (&p, &err) == 0);
  cpu_set_t set;
  CHECK (sched_getaffinity (0, sizeof set, &set) == 0 && CPU_COUNT (&set) == 1 && CPU_ISSET (0, &set));
  aff.final = "0-";
  CHECK (process_set_cpu_affinity_final (&p, &err) < 0);
  CHECK_STR (err ? err->msg : NULL, "process.execCPUAffinity.final: invalid CPU list \"0-\"");
  error_free (&err);
  aff.final = "4000"; /* no such CPU */
  CHECK (process_set_cpu_affinity_final (&p, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "process.execCPUAffinity.final: sched_setaffinity \"4000\"");
  error_free (&err);
}

static void
child_personality_mempolicy (void)
{
  struct spec_personality pe = { .domain = "LINUX32" };
  struct spec_linux l = { .personality = &pe };
  struct error *err = NULL;
  CHECK (process_set_personality (&l, &err) == 0);
  CHECK ((personality (0xffffffff) & PER_MASK) == PER_LINUX32);
  pe.domain = "BSD";
  CHECK (process_set_personality (&l, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "linux.personality.domain");
  error_free (&err);

  struct spec_memory_policy mp = { .mode = "MPOL_BIND", .nodes = "0" };
  l.memory_policy = &mp;
  if (process_set_memory_policy (&l, &err) < 0 && err && err->errnum == ENOSYS)
    printf ("skip memory policy: kernel without NUMA (%s)\n", err->msg);
  else
    {
      CHECK (err == NULL);
      int mode = -1;
      CHECK (syscall (SYS_get_mempolicy, &mode, NULL, 0, NULL, 0) == 0 && mode == 2);
    }
  error_free (&err);
  mp.mode = "MPOL_FOO";
  CHECK (process_set_memory_policy (&l, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "linux.memoryPolicy.mode: unknown mode \"MPOL_FOO\"");
  error_free (&err);
  mp = (struct spec_memory_policy){ .mode = "MPOL_BIND", .nodes = "a" };
  CHECK (process_set_memory_policy (&l, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "linux.memoryPolicy.nodes: invalid node list");
  error_free (&err);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  test_resolve_exec ();
  unit_in_child ("close_fds", child_close_fds);
  unit_in_child ("cwd", child_cwd_create);
  unit_in_child ("umask", child_umask);
  unit_in_child ("scheduling", child_sched);
  unit_in_child ("personality", child_personality_mempolicy);
  if (geteuid () == 0)
    {
      test_parent_side ();
      unit_in_child ("cwd outside root", child_cwd_outside_root);
      unit_in_child ("set_user", child_set_user);
      unit_in_child ("set_user without groups", child_set_user_no_groups);
    }
  else
    printf ("skip rlimits/oom, set_user, cwd-outside-root: need root\n");

  char cmd[PATH_MAX + 16];
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", tmpdir);
  return unit_finish ("test_process");
}
