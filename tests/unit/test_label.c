/* MAC labels and the private procfs handle: LSM availability errors like runc's,
 * procfs files opened through our own instance even when the /proc path lies. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apparmor.h"
#include "security.h"
#include "selinux.h"
#include "util/procfs.h"
#include "unit.h"

static void
test_lsm_checks (void)
{
  struct error *err = NULL;
  CHECK (selinux_check_process_label (NULL, &err) == 0);
  CHECK (apparmor_check_profile ("", &err) == 0);
  if (!selinux_enabled ())
    {
      CHECK (selinux_check_process_label ("system_u:system_r:container_t:s0", &err) < 0);
      CHECK_STR (err ? err->msg : NULL,
                 "selinux label is specified in config, but selinux is disabled or not supported");
      error_free (&err);
      struct spec_linux l = { .mount_label = "system_u:object_r:container_file_t:s0" };
      struct spec_config c = { .linux_ = &l };
      CHECK (security_mount_label (&c) == NULL);
    }
  else
    printf ("SKIP selinux-disabled checks: SELinux is enabled here\n");
  if (!apparmor_enabled ())
    {
      CHECK (apparmor_check_profile ("myprof", &err) < 0);
      CHECK_STR (err ? err->msg : NULL,
                 "apparmor profile \"myprof\" specified but AppArmor is not enabled on this system");
      error_free (&err);
    }
  else
    printf ("SKIP apparmor-disabled checks: AppArmor is enabled here\n");
}

static void
test_procfs_basic (void)
{
  struct error *err = NULL;
  char buf[256] = { 0 };
  int fd = procfs_open ("self/status", O_RDONLY, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    {
      CHECK (read (fd, buf, sizeof buf - 1) > 0);
      CHECK_CONTAINS (buf, "Name:");
      CHECK (fcntl (fd, F_GETFD) & FD_CLOEXEC);
      close (fd);
    }
  fd = procfs_open ("thread-self/attr/current", O_RDONLY, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    close (fd);
  /* No way out of the instance, and no symlinks followed. */
  CHECK (procfs_open ("../etc/passwd", O_RDONLY, &err) < 0);
  error_free (&err);
  CHECK (procfs_open ("mounts", O_RDONLY, &err) < 0);   /* a symlink to self/mounts */
  error_free (&err);
  /* A non-proc fd is refused by the check. */
  int tfd = open ("/", O_PATH | O_CLOEXEC);
  CHECK (procfs_check_fd (tfd, "/", &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "is not on procfs");
  error_free (&err);
  close (tfd);
}

/* In a private mount namespace with a tmpfs over /proc (the malicious-volume case),
 * procfs_open still reaches the real attr/exec. */
static void
test_procfs_over_mounted (void)
{
  if (geteuid () != 0)
    {
      printf ("SKIP over-mounted /proc: needs root\n");
      return;
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      struct error *err = NULL;
      procfs_reset ();
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
          || mount ("fake", "/proc", "tmpfs", 0, NULL) < 0)
        _exit (10);
      /* The attacker's /proc: a plain file where attr/exec should be. A write by
       * path (what setexeccon does) would succeed silently and confine nothing. */
      if (mkdir ("/proc/thread-self", 0755) < 0 || mkdir ("/proc/thread-self/attr", 0755) < 0)
        _exit (13);
      int fake = open ("/proc/thread-self/attr/exec", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fake < 0 || write (fake, "x", 1) != 1)
        _exit (14);
      close (fake);
      int fd = procfs_open ("thread-self/attr/exec", O_WRONLY, &err);
      if (fd < 0)
        {
          fprintf (stderr, "child: %s\n", err->msg);
          _exit (11);
        }
      close (fd);
      /* Writing a label lands on procfs: with no LSM the kernel says EINVAL, with
       * one it accepts or refuses the label; never a silent write to the tmpfs. */
      int r = procfs_write ("thread-self/attr/exec", "x", 1, &err);
      if (r == 0 || (err && (err->errnum == EINVAL || err->errnum == EACCES)))
        _exit (0);
      _exit (12);
    }
  int st;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

/* After setuid to an unprivileged user (the point security_after_user writes the
 * labels), the cached handle still opens our attr/exec. */
static void
test_procfs_after_setuid (void)
{
  if (geteuid () != 0)
    return;
  pid_t pid = fork ();
  if (pid == 0)
    {
      struct error *err = NULL;
      procfs_reset ();
      if (procfs_root (&err) < 0)
        _exit (10);
      if (setresgid (1000, 1000, 1000) < 0 || setresuid (1000, 1000, 1000) < 0)
        _exit (11);
      int fd = procfs_open ("thread-self/attr/exec", O_WRONLY, &err);
      if (fd < 0)
        {
          fprintf (stderr, "child: %s\n", err->msg);
          _exit (12);
        }
      _exit (0);
    }
  int st;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

int
main (void)
{
  test_lsm_checks ();
  test_procfs_basic ();
  test_procfs_over_mounted ();
  test_procfs_after_setuid ();
  return unit_finish ("test_label");
}
