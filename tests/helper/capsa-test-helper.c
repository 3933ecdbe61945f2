/* capsa-test-helper: a tiny static program put into test rootfs as /bin/capsa-test-helper.
 * Each subcommand reports one group of facts from inside the container, one per line as
 * key=value, so integration tests parse facts instead of busybox output.  Raw dumps
 * (mounts, cgroup, env, read) are copied verbatim.  Several subcommands can be chained
 * with a "--" argument between them.
 *
 * On failure a subcommand prints error=<op>, errno=<n> and errno_name=<E...> on stdout
 * (and a sentence on stderr) and the program exits 1. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int
fail (const char *op, const char *obj)
{
  int e = errno;
  const char *name = strerrorname_np (e);
  printf ("error=%s\nerrno=%d\nerrno_name=%s\n", op, e, name ? name : "?");
  fflush (stdout);
  fprintf (stderr, "capsa-test-helper: %s \"%s\": %s\n", op, obj ? obj : "", strerror (e));
  return 1;
}

static int
usage (const char *msg)
{
  fprintf (stderr, "capsa-test-helper: %s\n", msg);
  return 2;
}

/* Copy a whole file to stdout. */
static int
cat_file (const char *path)
{
  char buf[8192];
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail ("open", path);
  fflush (stdout);
  while ((n = read (fd, buf, sizeof buf)) > 0)
    if (fwrite (buf, 1, n, stdout) != (size_t) n)
      break;
  if (n < 0)
    {
      int r = fail ("read", path);
      close (fd);
      return r;
    }
  close (fd);
  return 0;
}

static int
cmd_ids (void)
{
  gid_t groups[NGROUPS_MAX];
  int n = getgroups (NGROUPS_MAX, groups);
  if (n < 0)
    return fail ("getgroups", NULL);
  printf ("uid=%u\ngid=%u\neuid=%u\negid=%u\ngroups=", getuid (), getgid (), geteuid (),
          getegid ());
  for (int i = 0; i < n; i++)
    printf ("%s%u", i ? "," : "", groups[i]);
  printf ("\n");
  return 0;
}

/* Print "Name=value" for /proc/self/status lines whose name starts with prefix
 * (exact match when exact is set).  Returns the number of lines printed. */
static int
status_lines (const char *prefix, int exact)
{
  char line[4096];
  int found = 0;
  FILE *f = fopen ("/proc/self/status", "re");
  if (!f)
    return -1;
  while (fgets (line, sizeof line, f))
    {
      char *colon = strchr (line, ':');
      if (!colon)
        continue;
      *colon = '\0';
      if (exact ? strcmp (line, prefix) != 0 : strncmp (line, prefix, strlen (prefix)) != 0)
        continue;
      char *v = colon + 1;
      v += strspn (v, " \t");
      v[strcspn (v, "\n")] = '\0';
      printf ("%s=%s\n", line, v);
      found++;
    }
  fclose (f);
  return found;
}

static int
cmd_caps (void)
{
  if (status_lines ("Cap", 0) < 0)
    return fail ("open", "/proc/self/status");
  return 0;
}

static int
cmd_status_field (const char *name)
{
  int n = status_lines (name, 1);
  if (n < 0)
    return fail ("open", "/proc/self/status");
  if (n == 0)
    {
      errno = ENOENT;
      return fail ("status-field", name);
    }
  return 0;
}

static int
cmd_cwd (void)
{
  char buf[PATH_MAX];
  if (!getcwd (buf, sizeof buf))
    return fail ("getcwd", NULL);
  printf ("cwd=%s\n", buf);
  return 0;
}

static int
cmd_fds (void)
{
  int dfd = open ("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return fail ("open", "/proc/self/fd");
  DIR *d = fdopendir (dfd);
  if (!d)
    {
      int r = fail ("fdopendir", "/proc/self/fd");
      close (dfd);
      return r;
    }
  int fds[4096], n = 0;
  struct dirent *de;
  while ((de = readdir (d)) && n < 4096)
    {
      if (de->d_name[0] == '.')
        continue;
      int fd = atoi (de->d_name);
      if (fd != dfd)
        fds[n++] = fd;
    }
  /* readdir order is the kernel's; sort so the output is stable. */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--)
      {
        int t = fds[j];
        fds[j] = fds[j - 1];
        fds[j - 1] = t;
      }
  printf ("fds=");
  for (int i = 0; i < n; i++)
    printf ("%s%d", i ? "," : "", fds[i]);
  printf ("\n");
  for (int i = 0; i < n; i++)
    {
      char name[32], target[PATH_MAX];
      snprintf (name, sizeof name, "%d", fds[i]);
      ssize_t len = readlinkat (dfd, name, target, sizeof target - 1);
      if (len < 0)
        continue;
      target[len] = '\0';
      printf ("fd.%d=%s\n", fds[i], target);
    }
  closedir (d);
  return 0;
}

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

static void
print_limit (rlim_t v)
{
  if (v == RLIM_INFINITY)
    printf ("unlimited");
  else
    printf ("%llu", (unsigned long long) v);
}

static int
cmd_rlimits (void)
{
  for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
    {
      struct rlimit rl;
      if (getrlimit (rlimit_names[i].resource, &rl) < 0)
        return fail ("getrlimit", rlimit_names[i].name);
      printf ("%s=", rlimit_names[i].name);
      print_limit (rl.rlim_cur);
      printf (" ");
      print_limit (rl.rlim_max);
      printf ("\n");
    }
  return 0;
}

static int
cmd_ns (void)
{
  DIR *d = opendir ("/proc/self/ns");
  struct dirent *de;
  if (!d)
    return fail ("opendir", "/proc/self/ns");
  while ((de = readdir (d)))
    {
      struct stat st;
      if (de->d_name[0] == '.')
        continue;
      if (fstatat (dirfd (d), de->d_name, &st, 0) < 0)
        continue; /* e.g. a *_for_children entry before any child exists */
      printf ("%s=%llu\n", de->d_name, (unsigned long long) st.st_ino);
    }
  closedir (d);
  return 0;
}

static int
cmd_attr (void)
{
  char buf[4096];
  ssize_t n;
  int fd = open ("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail ("open", "/proc/self/attr/current");
  n = read (fd, buf, sizeof buf - 1);
  if (n < 0)
    {
      int r = fail ("read", "/proc/self/attr/current");
      close (fd);
      return r;
    }
  close (fd);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
    n--;
  buf[n] = '\0';
  printf ("attr=%s\n", buf);
  return 0;
}

static int
cmd_hostname (void)
{
  struct utsname u;
  if (uname (&u) < 0)
    return fail ("uname", NULL);
  printf ("hostname=%s\ndomainname=%s\n", u.nodename, u.domainname);
  return 0;
}

static int
cmd_umask (void)
{
  mode_t m = umask (0);
  umask (m);
  printf ("umask=%04o\n", (unsigned) m);
  return 0;
}

static int
cmd_env (void)
{
  for (char **e = environ; *e; e++)
    printf ("%s\n", *e);
  return 0;
}

static int
cmd_sleep (const char *arg)
{
  double secs = strtod (arg, NULL);
  struct timespec ts = { (time_t) secs, (long) ((secs - (time_t) secs) * 1e9) };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
  return 0;
}

static int
parse_signal (const char *s)
{
  if (s[0] >= '0' && s[0] <= '9')
    return atoi (s);
  if (strncmp (s, "SIG", 3) == 0)
    s += 3;
  for (int i = 1; i < NSIG; i++)
    {
      const char *abbrev = sigabbrev_np (i);
      if (abbrev && strcmp (abbrev, s) == 0)
        return i;
    }
  return -1;
}

static int
cmd_kill_self (const char *arg)
{
  int sig = parse_signal (arg);
  if (sig <= 0)
    return usage ("kill-self: unknown signal");
  fflush (stdout);
  if (kill (getpid (), sig) < 0)
    return fail ("kill", arg);
  /* Still here: the signal is ignored, blocked or handled. */
  printf ("survived=%d\n", sig);
  return 0;
}

static int
cmd_write (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return fail ("open", path);
  size_t len = strlen (text);
  if (write (fd, text, len) != (ssize_t) len)
    {
      int r = fail ("write", path);
      close (fd);
      return r;
    }
  if (close (fd) < 0)
    return fail ("close", path);
  printf ("written=%zu\n", len);
  return 0;
}

static const char *
file_type (mode_t m)
{
  switch (m & S_IFMT)
    {
    case S_IFREG: return "file";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "symlink";
    case S_IFCHR: return "char";
    case S_IFBLK: return "block";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
    default: return "unknown";
    }
}

static int
cmd_stat (const char *path)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    return fail ("lstat", path);
  printf ("type=%s\nmode=%04o\nrdev=%u:%u\nuid=%u\ngid=%u\nsize=%lld\ndev=%u:%u\nino=%llu\n",
          file_type (st.st_mode), (unsigned) (st.st_mode & 07777), major (st.st_rdev),
          minor (st.st_rdev), st.st_uid, st.st_gid, (long long) st.st_size,
          major (st.st_dev), minor (st.st_dev), (unsigned long long) st.st_ino);
  if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlink (path, target, sizeof target - 1);
      if (n >= 0)
        {
          target[n] = '\0';
          printf ("target=%s\n", target);
        }
    }
  return 0;
}

/* Raw syscalls, not glibc wrappers: glibc's mkdir() is really mkdirat(), and a seccomp
 * rule names the syscall the kernel sees.  Arguments are harmless or deliberately
 * invalid; what matters is whether the filter lets the call reach the kernel. */
static long
try_syscall (const char *name, int *known)
{
  *known = 1;
  if (strcmp (name, "getcwd") == 0)
    {
      char buf[PATH_MAX];
      return syscall (SYS_getcwd, buf, sizeof buf);
    }
  if (strcmp (name, "getpid") == 0)
    return syscall (SYS_getpid);
  if (strcmp (name, "getppid") == 0)
    return syscall (SYS_getppid);
  if (strcmp (name, "mkdir") == 0 || strcmp (name, "rmdir") == 0)
    {
      long r = syscall (SYS_mkdir, "/tmp/.capsa-syscall-probe", 0700);
      if (r == 0 || strcmp (name, "rmdir") == 0)
        {
          long r2 = syscall (SYS_rmdir, "/tmp/.capsa-syscall-probe");
          if (strcmp (name, "rmdir") == 0)
            return r2;
        }
      return r;
    }
  if (strcmp (name, "mkdirat") == 0)
    {
      long r = syscall (SYS_mkdirat, AT_FDCWD, "/tmp/.capsa-syscall-probe", 0700);
      if (r == 0)
        syscall (SYS_rmdir, "/tmp/.capsa-syscall-probe");
      return r;
    }
  if (strcmp (name, "chmod") == 0)
    return syscall (SYS_chmod, "/", 0755);
  if (strcmp (name, "fchmodat") == 0)
    return syscall (SYS_fchmodat, AT_FDCWD, "/", 0755);
  if (strcmp (name, "chown") == 0)
    return syscall (SYS_chown, "/", -1, -1);
  if (strcmp (name, "getuid") == 0)
    return syscall (SYS_getuid);
  if (strcmp (name, "uname") == 0)
    {
      struct utsname u;
      return syscall (SYS_uname, &u);
    }
  if (strcmp (name, "socket") == 0)
    {
      long r = syscall (SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (r >= 0)
        close ((int) r);
      return r;
    }
  if (strcmp (name, "personality") == 0)
    return syscall (SYS_personality, 0xffffffff);
  if (strcmp (name, "unshare") == 0)
    return syscall (SYS_unshare, 0);
  if (strcmp (name, "setns") == 0)
    return syscall (SYS_setns, -1, 0);
  if (strcmp (name, "mount") == 0)
    return syscall (SYS_mount, "none", "/nonexistent-capsa", "tmpfs", 0, NULL);
  if (strcmp (name, "umount2") == 0)
    return syscall (SYS_umount2, "/nonexistent-capsa", 0);
  if (strcmp (name, "sethostname") == 0)
    {
      struct utsname u;
      if (uname (&u) < 0)
        return -1;
      return syscall (SYS_sethostname, u.nodename, strlen (u.nodename));
    }
  if (strcmp (name, "ptrace") == 0)
    return syscall (SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
  if (strcmp (name, "keyctl") == 0)
    return syscall (SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
  if (strcmp (name, "kill") == 0)
    return syscall (SYS_kill, getpid (), 0);
  if (strcmp (name, "clock_settime") == 0)
    {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      return syscall (SYS_clock_settime, CLOCK_REALTIME, &ts);
    }
  if (strcmp (name, "open") == 0)
    {
      long r = syscall (SYS_open, "/", O_RDONLY | O_CLOEXEC);
      if (r >= 0)
        close ((int) r);
      return r;
    }
  if (strcmp (name, "openat") == 0)
    {
      long r = syscall (SYS_openat, AT_FDCWD, "/", O_RDONLY | O_CLOEXEC);
      if (r >= 0)
        close ((int) r);
      return r;
    }
  *known = 0;
  return -1;
}

static int
cmd_syscall_errno (const char *name)
{
  int known;
  errno = 0;
  long r = try_syscall (name, &known);
  int e = errno;
  if (!known)
    return usage ("syscall-errno: unknown syscall name");
  const char *ename = r < 0 ? strerrorname_np (e) : "0";
  printf ("syscall=%s\nret=%ld\nerrno=%d\nerrno_name=%s\n", name, r < 0 ? -1L : r,
          r < 0 ? e : 0, ename ? ename : "?");
  return 0;
}

/* Fork up to n children that wait to be killed; report how many forks succeeded and
 * why the first failure happened (the pids limit shows as EAGAIN). */
static int
cmd_fork_bomb (const char *arg)
{
  long n = atol (arg);
  pid_t *pids = calloc (n > 0 ? n : 1, sizeof *pids);
  long forked = 0;
  int err = 0;
  if (!pids)
    return fail ("calloc", NULL);
  fflush (stdout);
  for (; forked < n; forked++)
    {
      pid_t p = fork ();
      if (p < 0)
        {
          err = errno;
          break;
        }
      if (p == 0)
        {
          for (;;)
            pause ();
        }
      pids[forked] = p;
    }
  for (long i = 0; i < forked; i++)
    kill (pids[i], SIGKILL);
  for (long i = 0; i < forked; i++)
    waitpid (pids[i], NULL, 0);
  free (pids);
  const char *ename = err ? strerrorname_np (err) : "0";
  printf ("forked=%ld\nerrno=%d\nerrno_name=%s\n", forked, err, ename ? ename : "?");
  return 0;
}

/* Allocate and touch mb megabytes; the memory limit shows as an OOM kill (SIGKILL). */
static int
cmd_memhog (const char *arg)
{
  long mb = atol (arg);
  const size_t chunk = 1024 * 1024;
  long page = sysconf (_SC_PAGESIZE);
  for (long i = 0; i < mb; i++)
    {
      char *p = mmap (NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED)
        {
          printf ("allocated=%ld\n", i);
          return fail ("mmap", NULL);
        }
      for (size_t off = 0; off < chunk; off += page)
        p[off] = 1;
    }
  printf ("allocated=%ld\n", mb);
  return 0;
}

static int
cmd_isatty (void)
{
  for (int fd = 0; fd <= 2; fd++)
    {
      static const char *names[] = { "stdin", "stdout", "stderr" };
      char *tty = isatty (fd) ? ttyname (fd) : NULL;
      printf ("%s=%d\n", names[fd], isatty (fd));
      if (tty)
        printf ("%s_tty=%s\n", names[fd], tty);
    }
  return 0;
}

static int
cmd_nnp (void)
{
  int r = prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  if (r < 0)
    return fail ("prctl", "PR_GET_NO_NEW_PRIVS");
  printf ("nnp=%d\n", r);
  return 0;
}

static int
cmd_pid (void)
{
  printf ("pid=%d\nppid=%d\nsid=%d\npgid=%d\n", getpid (), getppid (), getsid (0),
          getpgid (0));
  return 0;
}

/* ---- device access (tests/integration/test_device_rules.py) ---- */

/* open PATH r|w|rw: only the open, which is where the device cgroup decides;
 * nothing is read from or written to the device. */
static int
cmd_open (const char *path, const char *mode)
{
  int flags = strcmp (mode, "r") == 0 ? O_RDONLY : strcmp (mode, "w") == 0 ? O_WRONLY
            : strcmp (mode, "rw") == 0 ? O_RDWR : -1;
  if (flags < 0)
    return usage ("open: mode is r, w or rw");
  int fd = open (path, flags | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return fail ("open", path);
  close (fd);
  printf ("opened=%s\n", mode);
  return 0;
}

/* ---- flip A B MS (host side, tests/integration/test_escape_mounts.py): swap two
 * paths with renameat2(RENAME_EXCHANGE) as fast as possible for MS milliseconds,
 * standing in for a second container that races the runtime. */
static int
cmd_flip (const char *a, const char *b, const char *ms)
{
  struct timespec now, end;
  long n = 0;
  clock_gettime (CLOCK_MONOTONIC, &end);
  end.tv_sec += atol (ms) / 1000;
  end.tv_nsec += (atol (ms) % 1000) * 1000000L;
  if (end.tv_nsec >= 1000000000L)
    {
      end.tv_sec++;
      end.tv_nsec -= 1000000000L;
    }
  do
    {
      for (int i = 0; i < 256; i++)
        if (syscall (SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */) == 0)
          n++;
      clock_gettime (CLOCK_MONOTONIC, &now);
    }
  while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
  printf ("flips=%ld\n", n);
  return 0;
}

static const char usage_text[] =
  "usage: capsa-test-helper COMMAND [ARGS] [-- COMMAND [ARGS]]...\n"
  "commands: ids caps status-field NAME cwd fds rlimits ns mounts attr cgroup hostname\n"
  "          umask env pid sleep SECS exit N kill-self SIG write PATH TEXT read PATH\n"
  "          stat PATH syscall-errno NAME fork-bomb N memhog MB isatty nnp\n"
  "          open PATH r|w|rw flip A B MS\n";

/* Run one subcommand from argv[0] with argc arguments (argc counts argv[0]). */
static int
run_one (int argc, char **argv)
{
  const char *c = argv[0];
#define NEED(n)                                                                     \
  do {                                                                              \
    if (argc != (n) + 1)                                                            \
      return usage (usage_text);                                                    \
  } while (0)
  if (strcmp (c, "ids") == 0) { NEED (0); return cmd_ids (); }
  if (strcmp (c, "caps") == 0) { NEED (0); return cmd_caps (); }
  if (strcmp (c, "status-field") == 0) { NEED (1); return cmd_status_field (argv[1]); }
  if (strcmp (c, "cwd") == 0) { NEED (0); return cmd_cwd (); }
  if (strcmp (c, "fds") == 0) { NEED (0); return cmd_fds (); }
  if (strcmp (c, "rlimits") == 0) { NEED (0); return cmd_rlimits (); }
  if (strcmp (c, "ns") == 0) { NEED (0); return cmd_ns (); }
  if (strcmp (c, "mounts") == 0) { NEED (0); return cat_file ("/proc/self/mountinfo"); }
  if (strcmp (c, "attr") == 0) { NEED (0); return cmd_attr (); }
  if (strcmp (c, "cgroup") == 0) { NEED (0); return cat_file ("/proc/self/cgroup"); }
  if (strcmp (c, "hostname") == 0) { NEED (0); return cmd_hostname (); }
  if (strcmp (c, "umask") == 0) { NEED (0); return cmd_umask (); }
  if (strcmp (c, "env") == 0) { NEED (0); return cmd_env (); }
  if (strcmp (c, "pid") == 0) { NEED (0); return cmd_pid (); }
  if (strcmp (c, "sleep") == 0) { NEED (1); return cmd_sleep (argv[1]); }
  if (strcmp (c, "exit") == 0) { NEED (1); fflush (stdout); _exit (atoi (argv[1])); }
  if (strcmp (c, "kill-self") == 0) { NEED (1); return cmd_kill_self (argv[1]); }
  if (strcmp (c, "write") == 0) { NEED (2); return cmd_write (argv[1], argv[2]); }
  if (strcmp (c, "read") == 0) { NEED (1); return cat_file (argv[1]); }
  if (strcmp (c, "stat") == 0) { NEED (1); return cmd_stat (argv[1]); }
  if (strcmp (c, "syscall-errno") == 0) { NEED (1); return cmd_syscall_errno (argv[1]); }
  if (strcmp (c, "fork-bomb") == 0) { NEED (1); return cmd_fork_bomb (argv[1]); }
  if (strcmp (c, "memhog") == 0) { NEED (1); return cmd_memhog (argv[1]); }
  if (strcmp (c, "isatty") == 0) { NEED (0); return cmd_isatty (); }
  if (strcmp (c, "nnp") == 0) { NEED (0); return cmd_nnp (); }
  if (strcmp (c, "open") == 0) { NEED (2); return cmd_open (argv[1], argv[2]); }
  if (strcmp (c, "flip") == 0) { NEED (3); return cmd_flip (argv[1], argv[2], argv[3]); }
#undef NEED
  return usage (usage_text);
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    return usage (usage_text);
  /* Line-buffer nothing: facts go out in order even when mixed with raw copies. */
  int start = 1;
  for (int i = 1; i <= argc; i++)
    if (i == argc || strcmp (argv[i], "--") == 0)
      {
        if (i == start)
          return usage (usage_text);
        int r = run_one (i - start, argv + start);
        fflush (stdout);
        if (r != 0)
          return r;
        start = i + 1;
      }
  return 0;
}
