/* Container status from facts (container_state.c, pid_identity.c): a real
 * child stands in for the init, a temporary directory for its state dir. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "unit_child.h"
#include "cgroups/cgroup.h"
#include "container_state.h"
#include "pid_identity.h"
#include "spec/util/cleanup.h"

static pid_t
sleeper (void)
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      pause ();
      _exit (0);
    }
  return pid;
}

/* Kill pid and wait until it is a zombie, without reaping it. */
static void
make_zombie (pid_t pid)
{
  int fd = (int) syscall (SYS_pidfd_open, pid, 0);
  kill (pid, SIGKILL);
  struct pollfd p = { .fd = fd, .events = POLLIN };
  CHECK (fd >= 0 && poll (&p, 1, 5000) == 1);
  close (fd);
}

static void
test_identity (void)
{
  CHECK (pidfd_identity (-1) == 0);
  int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  CHECK (pidfd_identity (null) == 0); /* not a pidfd */
  close (null);
  CHECK (pid_has_identity (0, 1) == 0);
  CHECK (pid_has_identity (getpid (), 0) == 0);

  pid_t child = sleeper ();
  int fd = (int) syscall (SYS_pidfd_open, child, 0);
  uint64_t id = pidfd_identity (fd);
  close (fd);
  if (id == 0)
    {
      printf ("SKIP identity checks: pidfds are not on pidfs here (kernel < 6.9)\n");
      kill (child, SIGKILL);
      waitpid (child, NULL, 0);
      return;
    }
  printf ("child %d has pidfs identity %llu\n", (int) child, (unsigned long long) id);
  CHECK (pid_has_identity (child, id) == 1);
  CHECK (pid_has_identity (child, id + 1) == 0);
  CHECK (pid_has_identity (getpid (), id) == 0);

  /* Another process never gets the same identity, even one pidfd later. */
  pid_t other = sleeper ();
  int ofd = (int) syscall (SYS_pidfd_open, other, 0);
  uint64_t oid = pidfd_identity (ofd);
  close (ofd);
  CHECK (oid != 0 && oid != id);
  kill (other, SIGKILL);
  waitpid (other, NULL, 0);

  make_zombie (child);
  CHECK (pid_has_identity (child, id) == 0); /* a zombie is not alive */
  waitpid (child, NULL, 0);
  CHECK (pid_has_identity (child, id) == 0);
}

/* A state dir in /tmp with exec.fifo, as create leaves it. */
static int
state_dir (char *dir)
{
  strcpy (dir, "/tmp/capsa-unit-status-XXXXXX");
  if (mkdtemp (dir) == NULL)
    return -1;
  int fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  CHECK (mkfifoat (fd, "exec.fifo", 0600) == 0);
  return fd;
}

static void
remove_dir (int fd, const char *dir)
{
  unlinkat (fd, "exec.fifo", 0);
  unlinkat (fd, "state.json", 0);
  unlinkat (fd, "state.json.tmp", 0);
  unlinkat (fd, "cgroup", 0);
  close (fd);
  CHECK (rmdir (dir) == 0);
}

static void
test_status (void)
{
  char dir[64];
  int dfd = state_dir (dir);
  CHECK (dfd >= 0);
  if (dfd < 0)
    return;
  pid_t child = sleeper ();
  int pfd = (int) syscall (SYS_pidfd_open, child, 0);
  struct lc_record r = {
    .id = "c1", .pid = child, .pid_start = proc_start_time (child, NULL),
    .pid_identity = pidfd_identity (pfd), .bundle = "/b", .rootfs = "/b/rootfs",
    .created = "2026-01-01T00:00:00Z", .owner = "",
    .cgroup = "capsa-cgroup 1\nv2 0 c1\n/c1\n1\t\t/sys/fs/cgroup\t/c1\n",
  };
  close (pfd);
  CHECK (r.pid_start != 0);
  struct error *err = NULL;
  CHECK (record_write (dfd, &r, &err) == 0);

  /* The saved cgroup lives beside state.json: record_read loads it, the list
   * path (record_read_in) does not parse it. */
  struct lc_record back;
  CHECK (record_read (dfd, &back, &err) == 0);
  CHECK_STR (back.cgroup, r.cgroup);
  CHECK (back.freezer == NULL);
  CHECK (back.pid == child && back.pid_start == r.pid_start && back.pid_identity == r.pid_identity);
  CHECK (record_status (dfd, &back) == LC_CREATED);
  record_clear (&back);
  CHECK (record_read_in (dfd, NULL, &back, &err) == 0);
  CHECK (back.cgroup == NULL);
  CHECK_STR (back.id, "c1");
  /* ... until a command that needs the manager asks for it. */
  CHECK (record_read_cgroup (dfd, &back, &err) == 0);
  CHECK_STR (back.cgroup, r.cgroup);
  record_clear (&back);

  /* Both witnesses: the pidfs identity, and the start time when there is none. */
  CHECK (record_status (dfd, &r) == LC_CREATED);
  /* On a pidfd the caller already holds. */
  int held = (int) syscall (SYS_pidfd_open, child, 0);
  CHECK (record_pidfd_alive (&r, held));
  if (r.pid_identity)
    {
      struct lc_record other = r;
      other.pid_identity++;
      CHECK (!record_pidfd_alive (&other, held));
    }
  struct lc_record by_start = r;
  by_start.pid_identity = 0;
  CHECK (record_status (dfd, &by_start) == LC_CREATED);
  CHECK (record_pid_alive (&r) && record_pid_alive (&by_start));

  /* No exec.fifo: started. */
  CHECK (unlinkat (dfd, "exec.fifo", 0) == 0);
  CHECK (record_status (dfd, &r) == LC_RUNNING);
  CHECK (record_status (dfd, &by_start) == LC_RUNNING);

  /* The same pid number with another identity or start time is another process. */
  struct lc_record reused = r;
  if (r.pid_identity)
    {
      reused.pid_identity = r.pid_identity + 1;
      CHECK (record_status (dfd, &reused) == LC_STOPPED);
      CHECK (!record_pid_alive (&reused));
    }
  reused = by_start;
  reused.pid_start = r.pid_start + 1;
  CHECK (record_status (dfd, &reused) == LC_STOPPED);

  /* A missing freezer file is not "paused". */
  struct lc_record fz = r;
  fz.freezer = "/nonexistent/cgroup.freeze";
  CHECK (record_status (dfd, &fz) == LC_RUNNING);

  /* Exited but not reaped: stopped, by either witness. */
  make_zombie (child);
  CHECK (!record_pidfd_alive (&r, held));
  close (held);
  CHECK (record_status (dfd, &r) == LC_STOPPED);
  CHECK (record_status (dfd, &by_start) == LC_STOPPED);
  CHECK (!record_pid_alive (&r) && !record_pid_alive (&by_start));
  waitpid (child, NULL, 0);
  CHECK (record_status (dfd, &r) == LC_STOPPED);

  struct lc_record none = r;
  none.pid = 0;
  CHECK (record_status (dfd, &none) == LC_CREATING);
  remove_dir (dfd, dir);
}

/* Where pidfd_open is refused (an older seccomp profile around a nested capsa),
 * the status still comes right, from /proc. Runs in a child: the filter stays. */
static void
status_without_pidfd_open (void)
{
  char dir[64];
  int dfd = state_dir (dir);
  CHECK (dfd >= 0);
  if (dfd < 0)
    return;
  pid_t child = sleeper ();
  int pfd = (int) syscall (SYS_pidfd_open, child, 0);
  struct lc_record r = { .id = "c2", .pid = child, .pid_start = proc_start_time (child, NULL),
                         .pid_identity = pidfd_identity (pfd) };
  close (pfd);
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  CHECK (ctx && seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (pidfd_open), 0) == 0);
  CHECK (seccomp_load (ctx) == 0);
  seccomp_release (ctx);
  CHECK (syscall (SYS_pidfd_open, child, 0) < 0 && errno == EPERM);
  if (r.pid_identity)
    CHECK (pid_has_identity (child, r.pid_identity) == -1);
  CHECK (record_status (dfd, &r) == LC_CREATED);
  CHECK (record_pid_alive (&r));
  CHECK (unlinkat (dfd, "exec.fifo", 0) == 0);
  CHECK (record_status (dfd, &r) == LC_RUNNING);
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  CHECK (record_status (dfd, &r) == LC_STOPPED);
  CHECK (!record_pid_alive (&r));
  remove_dir (dfd, dir);
}

/* A state.json written before the saved cgroup moved to its own file. */
static void
test_legacy_record (void)
{
  char dir[64];
  int dfd = state_dir (dir);
  CHECK (dfd >= 0);
  if (dfd < 0)
    return;
  static const char legacy[]
      = "{\"id\":\"old\",\"pid\":0,\"pid_start\":0,\"bundle\":\"/b\",\"rootfs\":\"/b/r\","
        "\"created\":\"2026-01-01T00:00:00Z\",\"owner\":\"\",\"cgroup\":\"capsa-cgroup 1\\n"
        "hybrid 0 old\\n/capsa/old\\n0\\tfreezer\\t/sys/fs/cgroup/freezer\\t/capsa/old\\n"
        "1\\t\\t/sys/fs/cgroup/unified\\t/capsa/old\\n\",\"poststart\":false,"
        "\"poststop\":false,\"annotations\":{}}";
  int fd = openat (dfd, "state.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  CHECK (fd >= 0 && write (fd, legacy, sizeof legacy - 1) == (ssize_t) sizeof legacy - 1);
  close (fd);
  struct lc_record r;
  struct error *err = NULL;
  CHECK (record_read (dfd, &r, &err) == 0);
  CHECK_CONTAINS (r.cgroup, "/sys/fs/cgroup/freezer\t/capsa/old");
  CHECK_STR (r.freezer, "/sys/fs/cgroup/freezer/capsa/old/freezer.state");
  record_clear (&r);
  CHECK (record_read_in (dfd, NULL, &r, &err) == 0);
  CHECK_STR (r.freezer, "/sys/fs/cgroup/freezer/capsa/old/freezer.state");
  record_clear (&r);
  remove_dir (dfd, dir);
}

/* A container without a cgroup (rootless) has no `cgroup` file. */
static void
test_record_without_cgroup (void)
{
  char dir[64];
  int dfd = state_dir (dir);
  CHECK (dfd >= 0);
  if (dfd < 0)
    return;
  struct lc_record r = { .id = "nocg", .pid = 1, .bundle = "/b", .rootfs = "/b/r",
                         .created = "2026-01-01T00:00:00Z", .owner = "" };
  struct error *err = NULL;
  CHECK (record_write (dfd, &r, &err) == 0);
  CHECK (faccessat (dfd, "cgroup", F_OK, 0) < 0 && errno == ENOENT);
  struct lc_record back;
  CHECK (record_read (dfd, &back, &err) == 0);
  CHECK (back.cgroup == NULL && back.freezer == NULL);
  CHECK (record_read_cgroup (dfd, &back, &err) == 0 && back.cgroup == NULL);
  record_clear (&back);
  remove_dir (dfd, dir);
}

static void
test_freezer_file (void)
{
  CHECK (cgroup_freezer_file_frozen (NULL) == -1);
  CHECK (cgroup_freezer_file_frozen ("freezer.state") == -1);
  CHECK (cgroup_freezer_file_frozen ("/nonexistent/freezer.state") == -1);
  CHECK (cgroup_freezer_file_is_v1 ("/sys/fs/cgroup/freezer/x/freezer.state"));
  CHECK (!cgroup_freezer_file_is_v1 ("/sys/fs/cgroup/x/cgroup.freeze"));
  CHECK (!cgroup_freezer_file_is_v1 (NULL));

  /* Read from real files: the v1 and v2 spellings. */
  char dir[64];
  int dfd = state_dir (dir);
  CHECK (dfd >= 0);
  if (dfd < 0)
    return;
  char path[128];
  struct
  {
    const char *name, *data;
    int frozen;
  } cases[] = {
    { "freezer.state", "THAWED\n", 0 },  { "freezer.state", "FROZEN\n", 1 },
    { "freezer.state", "FREEZING\n", 1 }, { "cgroup.freeze", "0\n", 0 },
    { "cgroup.freeze", "1\n", 1 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      int fd = openat (dfd, cases[i].name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      CHECK (fd >= 0 && write (fd, cases[i].data, strlen (cases[i].data)) > 0);
      close (fd);
      snprintf (path, sizeof path, "%s/%s", dir, cases[i].name);
      CHECK (cgroup_freezer_file_frozen (path) == cases[i].frozen);
      unlinkat (dfd, cases[i].name, 0);
    }
  remove_dir (dfd, dir);
}

int
main (void)
{
  test_identity ();
  test_status ();
  test_freezer_file ();
  test_legacy_record ();
  test_record_without_cgroup ();
  fflush (stdout);
  unit_in_child ("status without pidfd_open", status_without_pidfd_open);
  return unit_finish ("test_container_status");
}
