/* Seccomp filters built from config structs, loaded in forked children: the
 * configured errno comes back, argument conditions match, a NOTIFY rule reaches
 * a listener through seccomp_send_listener. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp_filter.h"
#include "unit.h"

static void
test_names (void)
{
  uint32_t a;
  CHECK (seccomp_action_from_name ("SCMP_ACT_ERRNO", true, 42, &a) == 0 && a == SCMP_ACT_ERRNO (42));
  CHECK (seccomp_action_from_name ("SCMP_ACT_ERRNO", false, 0, &a) == 0 && a == SCMP_ACT_ERRNO (EPERM));
  CHECK (seccomp_action_from_name ("SCMP_ACT_KILL", false, 0, &a) == 0 && a == SCMP_ACT_KILL_THREAD);
  CHECK (seccomp_action_from_name ("SCMP_ACT_KILL_PROCESS", false, 0, &a) == 0 && a == SCMP_ACT_KILL_PROCESS);
  CHECK (seccomp_action_from_name ("SCMP_ACT_TRACE", true, 7, &a) == 0 && a == SCMP_ACT_TRACE (7));
  CHECK (seccomp_action_from_name ("SCMP_ACT_NOTIFY", false, 0, &a) == 0 && a == SCMP_ACT_NOTIFY);
  CHECK (seccomp_action_from_name ("SCMP_ACT_LOG", false, 0, &a) == 0 && a == SCMP_ACT_LOG);
  CHECK (seccomp_action_from_name ("SCMP_ACT_BOGUS", false, 0, &a) < 0);
  CHECK (seccomp_op_from_name ("SCMP_CMP_MASKED_EQ") == SCMP_CMP_MASKED_EQ);
  CHECK (seccomp_op_from_name ("SCMP_CMP_NE") == SCMP_CMP_NE);
  CHECK (seccomp_op_from_name ("EQ") < 0);
  CHECK (seccomp_arch_from_name ("SCMP_ARCH_X86_64") == SCMP_ARCH_X86_64);
  CHECK (seccomp_arch_from_name ("SCMP_ARCH_X86") == SCMP_ARCH_X86);
  CHECK (seccomp_arch_from_name ("SCMP_ARCH_AARCH64") == SCMP_ARCH_AARCH64);
  CHECK (seccomp_arch_from_name ("SCMP_ARCH_PPC64LE") == SCMP_ARCH_PPC64LE);
  CHECK (seccomp_arch_from_name ("SCMP_ARCH_VAX") == 0);
  CHECK (seccomp_arch_from_name ("x86_64") == 0);
}

static char *
compile_error (struct spec_seccomp *s)
{
  static char buf[512];
  struct seccomp_plan *p = NULL;
  struct error *err = NULL;
  if (seccomp_plan_compile (s, &p, &err) == 0)
    {
      seccomp_plan_free (p);
      return NULL;
    }
  snprintf (buf, sizeof buf, "%s", err->msg);
  error_free (&err);
  return buf;
}

static void
test_compile_errors (void)
{
  char *names[] = { "getpid" };
  char *bad_arch[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_VAX" };
  char *flag_unknown[] = { "SECCOMP_FILTER_FLAG_BOGUS" };
  char *flag_waitkill[] = { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" };
  char *flag_ok[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                      "SECCOMP_FILTER_FLAG_TSYNC" };
  struct spec_seccomp_arg badop = { .index = 0, .value = 1, .op = "SCMP_CMP_ALMOST" };
  struct spec_seccomp_syscall sc[2] = {
    { .names = names, .names_len = 1, .action = "SCMP_ACT_ERRNO" },
    { .names = names, .names_len = 1, .action = "SCMP_ACT_NOPE" },
  };
  struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOWED" };
  CHECK_STR (compile_error (&s), "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_ALLOWED\"");
  s.default_action = "SCMP_ACT_ALLOW";
  CHECK (compile_error (&s) == NULL);
  s.architectures = bad_arch, s.architectures_len = 2;
  CHECK_STR (compile_error (&s), "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
  s.architectures_len = 1;
  s.syscalls = sc, s.syscalls_len = 2;
  CHECK_STR (compile_error (&s), "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_NOPE\"");
  s.syscalls_len = 1;
  sc[0].args = &badop, sc[0].args_len = 1;
  CHECK_STR (compile_error (&s), "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ALMOST\"");
  sc[0].args_len = 0;
  s.flags = flag_unknown, s.flags_len = 1;
  CHECK_STR (compile_error (&s), "linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_BOGUS\"");
  s.flags = flag_waitkill;
  char *m = compile_error (&s);
#if SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6
  CHECK_CONTAINS (m, "needs libseccomp >= 2.6");
#else
  (void) m;
#endif
  s.flags = flag_ok, s.flags_len = 3;
  CHECK (compile_error (&s) == NULL);
  s.flags_len = 0;
  sc[0].action = "SCMP_ACT_NOTIFY";
  CHECK_STR (compile_error (&s), "linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY");
  char *write_name[] = { "write" };
  sc[0].names = write_name;
  s.listener_path = "/tmp/x.sock";
  CHECK_CONTAINS (compile_error (&s), "cannot be used for the write syscall");
}

/* Fork; the child loads the filter and runs `probe`, whose exit code is checked. */
static int
run_filtered (struct spec_seccomp *s, int (*probe) (void))
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      struct seccomp_plan *p = NULL;
      struct error *err = NULL;
      if (seccomp_plan_compile (s, &p, &err) < 0 || seccomp_plan_load (p, &err) < 0)
        {
          fprintf (stderr, "child: %s\n", err->msg);
          _exit (100);
        }
      _exit (probe ());
    }
  int st;
  waitpid (pid, &st, 0);
  if (WIFSIGNALED (st))
    return 200 + WTERMSIG (st);
  return WEXITSTATUS (st);
}

static int
probe_errno (void)
{
  /* chdir("/") must fail with the configured errno; getpid stays allowed. */
  if (chdir ("/") == 0)
    return 1;
  return errno == 42 ? 0 : 2;
}

static int
probe_masked (void)
{
  /* umask(0777): low 3 bits all set -> rule matches -> ERRNO 77; umask(022) passes. */
  long r = syscall (SYS_umask, 0777);
  if (r != -1 || errno != 77)
    return 1;
  if (syscall (SYS_umask, 022) < 0)
    return 2;
  return 0;
}

static int
probe_default_errno (void)
{
  /* Default ERRNO(38): anything not allowed fails with it. */
  if (syscall (SYS_getppid) != -1 || errno != 38)
    return 1;
  return 0;
}

static int
probe_enosys_stub (void)
{
  /* futex (202) is the newest syscall named: getppid (110) gets the default EPERM,
   * close_range (436) and faccessat2 (439) answer ENOSYS, so glibc falls back. */
  if (syscall (SYS_getppid) != -1 || errno != EPERM)
    return 1;
  if (syscall (436 /* close_range */, 1000000U, 1000001U, 0) != -1 || errno != ENOSYS)
    return 2;
  if (syscall (439 /* faccessat2 */, AT_FDCWD, "/", F_OK, 0) != -1 || errno != ENOSYS)
    return 3;
  /* Numbers libseccomp 2.5 has no name for: fchmodat2 (452), none yet (1000). */
  if (syscall (452, AT_FDCWD, "/nonexistent-capsa", 0, 0) != -1 || errno != ENOSYS)
    return 4;
  if (syscall (1000) != -1 || errno != ENOSYS)
    return 5;
  return 0;
}

static int
probe_enosys_new_only (void)
{
  if (syscall (436 /* close_range */, 1000000U, 1000001U, 0) != -1 || errno != ENOSYS)
    return 1;
  return 0;
}

static int
probe_kill (void)
{
  syscall (SYS_getppid);
  return 0;   /* must not be reached */
}

static void
test_load (void)
{
  if (geteuid () != 0)
    {
      printf ("SKIP load: needs root (filters loaded without no_new_privs)\n");
      return;
    }
  char *chdir_names[] = { "chdir", "no_such_syscall_capsa" };
  struct spec_seccomp_syscall sc = { .names = chdir_names, .names_len = 2,
                                     .action = "SCMP_ACT_ERRNO", .errno_ret = 42,
                                     .has_errno_ret = true };
  char *arch[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32" };
  struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .architectures = arch,
                            .architectures_len = 3, .syscalls = &sc, .syscalls_len = 1 };
  CHECK (run_filtered (&s, probe_errno) == 0);

  char *umask_names[] = { "umask" };
  struct spec_seccomp_arg masked = { .index = 0, .op = "SCMP_CMP_MASKED_EQ", .value = 07,
                                     .value_two = 07 };
  struct spec_seccomp_syscall sc2 = { .names = umask_names, .names_len = 1,
                                      .action = "SCMP_ACT_ERRNO", .errno_ret = 77,
                                      .has_errno_ret = true, .args = &masked, .args_len = 1 };
  struct spec_seccomp s2 = { .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc2, .syscalls_len = 1 };
  CHECK (run_filtered (&s2, probe_masked) == 0);

  /* Allow-list with a default errno: the child needs exit_group and friends. */
  /* (plus what the sanitizers' runtime calls on its own in a sanitized build) */
  char *allowed[] = { "exit_group", "exit", "write", "rt_sigreturn", "sigaltstack", "mmap",
                      "munmap", "madvise", "rt_sigprocmask", "rt_sigaction", "getpid", "gettid",
                      "futex", "prctl", "sched_yield" };
  struct spec_seccomp_syscall sc3 = { .names = allowed, .names_len = sizeof allowed / sizeof allowed[0],
                                      .action = "SCMP_ACT_ALLOW" };
  struct spec_seccomp s3 = { .default_action = "SCMP_ACT_ERRNO", .default_errno_ret = 38,
                             .has_default_errno_ret = true, .syscalls = &sc3, .syscalls_len = 1 };
  CHECK (run_filtered (&s3, probe_default_errno) == 0);

  /* Default EPERM: syscalls newer than the profile's newest answer ENOSYS. */
  struct spec_seccomp s3b = { .default_action = "SCMP_ACT_ERRNO", .syscalls = &sc3,
                              .syscalls_len = 1 };
  CHECK (run_filtered (&s3b, probe_enosys_stub) == 0);

  /* Also under a kill default (as runc): a new syscall answers ENOSYS, no SIGSYS. */
  struct spec_seccomp s3c = { .default_action = "SCMP_ACT_KILL_PROCESS", .syscalls = &sc3,
                              .syscalls_len = 1 };
  CHECK (run_filtered (&s3c, probe_enosys_new_only) == 0);

  char *ppid[] = { "getppid" };
  struct spec_seccomp_syscall sc4 = { .names = ppid, .names_len = 1, .action = "SCMP_ACT_KILL_PROCESS" };
  struct spec_seccomp s4 = { .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc4, .syscalls_len = 1 };
  CHECK (run_filtered (&s4, probe_kill) == 200 + SIGSYS);
}

/* NOTIFY: the child loads the filter, sends its listener fd with the state JSON to
 * our unix socket, then calls getppid(); we answer 4242 for it. */
static void
test_notify (void)
{
  if (geteuid () != 0 || seccomp_api_get () < 5)
    {
      printf ("SKIP notify: needs root and seccomp API level >= 5\n");
      return;
    }
  char path[] = "/tmp/capsa-test-seccomp-XXXXXX";
  CHECK (mkdtemp (path) != NULL);
  char sock_path[128];
  snprintf (sock_path, sizeof sock_path, "%s/listener.sock", path);
  int lsock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  strcpy (addr.sun_path, sock_path);
  CHECK (bind (lsock, (struct sockaddr *) &addr, sizeof addr) == 0);
  CHECK (listen (lsock, 1) == 0);

  pid_t pid = fork ();
  if (pid == 0)
    {
      char *names[] = { "getppid" };
      struct spec_seccomp_syscall sc = { .names = names, .names_len = 1, .action = "SCMP_ACT_NOTIFY" };
      struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = &sc,
                                .syscalls_len = 1, .listener_path = sock_path };
      struct spec_state st = { .id = "ctr1", .status = "creating", .pid = getpid (),
                               .bundle = "/b" };
      struct seccomp_plan *p = NULL;
      struct error *err = NULL;
      if (seccomp_plan_compile (&s, &p, &err) < 0 || seccomp_plan_load (p, &err) < 0
          || seccomp_send_listener (sock_path, seccomp_plan_listener_fd (p), &st, "meta=1", &err) < 0)
        {
          fprintf (stderr, "child: %s\n", err->msg);
          _exit (100);
        }
      _exit (syscall (SYS_getppid) == 4242 ? 0 : 1);
    }
  int conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
  char buf[4096] = { 0 };
  union { char b[CMSG_SPACE (sizeof (int))]; struct cmsghdr a; } ctl;
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                        .msg_controllen = sizeof ctl.b };
  CHECK (recvmsg (conn, &msg, 0) > 0);
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  int nfd = -1;
  if (c && c->cmsg_type == SCM_RIGHTS)
    memcpy (&nfd, CMSG_DATA (c), sizeof nfd);
  CHECK (nfd >= 0);
  CHECK_CONTAINS (buf, "\"fds\":[\"seccompFd\"]");
  CHECK_CONTAINS (buf, "\"metadata\":\"meta=1\"");
  CHECK_CONTAINS (buf, "\"state\":{");
  CHECK_CONTAINS (buf, "\"id\":\"ctr1\"");
  char pidstr[32];
  snprintf (pidstr, sizeof pidstr, "\"pid\":%d", (int) pid);
  CHECK_CONTAINS (buf, pidstr);

  if (nfd >= 0)
    {
      struct seccomp_notif *req = NULL;
      struct seccomp_notif_resp *resp = NULL;
      CHECK (seccomp_notify_alloc (&req, &resp) == 0);
      CHECK (seccomp_notify_receive (nfd, req) == 0);
      CHECK (req->pid == (uint32_t) pid);
      CHECK (req->data.nr == SYS_getppid);
      resp->id = req->id;
      resp->val = 4242;
      resp->error = 0;
      resp->flags = 0;
      CHECK (seccomp_notify_respond (nfd, resp) == 0);
      seccomp_notify_free (req, resp);
      close (nfd);
    }
  int st;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  close (conn);
  close (lsock);
  unlink (sock_path);
  rmdir (path);
}

int
main (void)
{
  test_names ();
  test_compile_errors ();
  test_load ();
  test_notify ();
  return unit_finish ("test_seccomp");
}
