/* capsa-attacker: a static program that a test copies into a container's rootfs, where
 * it plays the hostile container (tests/integration/test_attacker.py).  It runs as
 * root with the default capabilities and, for a bounded time, keeps scanning every
 * process it can see for a way out to the host:
 *
 *   - /proc/PID/{fd/N,cwd,root}: opened (O_PATH, else O_RDONLY|O_DIRECTORY); from a
 *     directory it walks ".." up to the top, looking in every directory for the host
 *     marker file the test planted (reading it is a hit) and, where it finds one,
 *     creating a scratch file next to it (a host write); a regular file is read
 *     and searched for the secret;
 *   - /proc/PID/{environ,cmdline}: searched for the secret.
 *
 * The secret is anything containing "capsasecret": the test puts such strings in
 * capsa's environment, argv, the marker files and the configs on the host; nothing
 * inside a container should ever see one.  The attacker knows only that prefix.
 *
 *   capsa-attacker --marker NAME [--seconds S] [--stop-file PATH] [--workers N]
 *
 * Output, one line each, written as it happens:
 *   ready=1                              after the first full scan
 *   hit=KIND PATH DETAIL                 KIND: marker scratch secret-environ
 *                                        secret-cmdline secret-file
 *   summary=worker W rounds=R pids=P handles=H dirs=D files=F environs=E hits=N
 * Exit status 3 when anything was hit, 0 otherwise.  It ends after S seconds, when
 * PATH exists, or on SIGTERM/SIGINT. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NEEDLE "capsasecret"
#define MAX_WALK 64
#define READ_MAX 65536
#define PID_BITS (1u << 22) /* pid_max's upper bound */

static const char *marker_name;
static char scratch_name[256];
static volatile sig_atomic_t stop_requested;
static unsigned char seen[PID_BITS / 8];

static struct
{
  unsigned long rounds, pids, handles, dirs, files, environs, hits;
} st;

static pid_t self_pids[64]; /* our own workers: nothing to learn from them */
static int n_self_pids;

static void
say (const char *fmt, ...)
{
  char line[1024];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (line, sizeof line - 1, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if ((size_t) n > sizeof line - 2)
    n = sizeof line - 2;
  line[n++] = '\n';
  /* One write per line: workers share stdout. */
  if (write (STDOUT_FILENO, line, n) < 0)
    return;
}

/* A printable excerpt around the needle (NULs and newlines become spaces). */
static void
excerpt (const char *buf, size_t len, const char *at, char *out, size_t outlen)
{
  size_t start = (size_t) (at - buf), n = 0;
  while (start > 0 && at - buf - (long) start < 24)
    start--;
  for (size_t i = start; i < len && n + 1 < outlen && n < 96; i++)
    out[n++] = (buf[i] >= 0x21 && buf[i] < 0x7f) ? buf[i] : ' ';
  out[n] = '\0';
}

static unsigned long
hash_str (unsigned long h, const char *s)
{
  for (; s && *s; s++)
    h = h * 131 + (unsigned char) *s;
  return h;
}

/* Every hit counts; a line is printed once per kind, path and detail. */
static void
hit (const char *kind, const char *path, const char *detail)
{
  static unsigned long printed[256];
  static unsigned n_printed;
  unsigned long h = hash_str (hash_str (hash_str (7, kind), path), detail);
  st.hits++;
  for (unsigned i = 0; i < n_printed && i < 256; i++)
    if (printed[i] == h)
      return;
  printed[n_printed++ % 256] = h;
  say ("hit=%s %s %s", kind, path, detail ? detail : "");
}

/* Search up to READ_MAX bytes of an open fd for the needle. */
static void
search_fd (int fd, const char *kind, const char *path)
{
  static char buf[READ_MAX];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof buf && (n = read (fd, buf + len, sizeof buf - len)) > 0)
    len += (size_t) n;
  const char *at = memmem (buf, len, NEEDLE, sizeof NEEDLE - 1);
  if (at)
    {
      char ex[128];
      excerpt (buf, len, at, ex, sizeof ex);
      hit (kind, path, ex);
    }
}

static void
search_file (const char *path, const char *kind)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return;
  if (strcmp (kind, "secret-environ") == 0)
    st.environs++;
  search_fd (fd, kind, path);
  close (fd);
}

/* In a directory reached from another process's handle: the host marker there is a
 * host read, a scratch file we manage to create next to it a host write. */
static void
look_for_marker (int dir, const char *how)
{
  int fd = openat (dir, marker_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return;
  char content[128] = "";
  ssize_t n = read (fd, content, sizeof content - 1);
  close (fd);
  content[n > 0 ? n : 0] = '\0';
  content[strcspn (content, "\n")] = '\0';
  hit ("marker", how, content);
  fd = openat (dir, scratch_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd >= 0)
    {
      if (write (fd, "written from a container\n", 25) == 25)
        hit ("scratch", how, scratch_name);
      close (fd);
    }
}

/* Walk ".." from a directory handle up to where ".." stays put. */
static void
walk_up (int start, const char *path)
{
  struct stat cur, up;
  char how[PATH_MAX];
  int d = dup (start);
  if (d < 0 || fstat (d, &cur) < 0)
    {
      if (d >= 0)
        close (d);
      return;
    }
  st.dirs++;
  for (int depth = 0; depth < MAX_WALK; depth++)
    {
      snprintf (how, sizeof how, "%s/..x%d", path, depth); /* up depth levels */
      look_for_marker (d, how);
      int u = openat (d, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (u < 0 || fstat (u, &up) < 0)
        {
          if (u >= 0)
            close (u);
          break;
        }
      close (d);
      d = u;
      if (up.st_dev == cur.st_dev && up.st_ino == cur.st_ino)
        break;
      cur = up;
    }
  close (d);
}

/* A magic link of another process: what is behind it, and where it leads. */
static void
probe_link (const char *path)
{
  struct stat s;
  int fd = open (path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return;
  st.handles++;
  if (fstat (fd, &s) == 0)
    {
      if (S_ISDIR (s.st_mode))
        walk_up (fd, path);
      else if (S_ISREG (s.st_mode))
        {
          /* Regular files only: opening a fifo (exec.fifo) would start a container. */
          char self[64];
          snprintf (self, sizeof self, "/proc/self/fd/%d", fd);
          int r = open (self, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
          if (r >= 0)
            {
              st.files++;
              search_fd (r, "secret-file", path);
              close (r);
            }
        }
    }
  close (fd);
}

static bool
is_self (pid_t pid)
{
  for (int i = 0; i < n_self_pids; i++)
    if (self_pids[i] == pid)
      return true;
  return pid == getpid ();
}

static void
probe_pid (pid_t pid)
{
  char path[64];
  if ((unsigned) pid < PID_BITS && !(seen[pid / 8] & (1u << (pid % 8))))
    {
      seen[pid / 8] |= 1u << (pid % 8);
      st.pids++;
    }
  snprintf (path, sizeof path, "/proc/%d/fd", pid);
  int dfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      char buf[4096];
      long n;
      while ((n = syscall (SYS_getdents64, dfd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;)
          {
            struct dirent64 *e = (struct dirent64 *) (buf + off);
            off += e->d_reclen;
            if (e->d_name[0] < '0' || e->d_name[0] > '9')
              continue;
            char link[300];
            snprintf (link, sizeof link, "/proc/%d/fd/%s", pid, e->d_name);
            probe_link (link);
          }
      close (dfd);
    }
  snprintf (path, sizeof path, "/proc/%d/cwd", pid);
  probe_link (path);
  snprintf (path, sizeof path, "/proc/%d/root", pid);
  probe_link (path);
  snprintf (path, sizeof path, "/proc/%d/environ", pid);
  search_file (path, "secret-environ");
  snprintf (path, sizeof path, "/proc/%d/cmdline", pid);
  search_file (path, "secret-cmdline");
}

static void
scan_once (int proc)
{
  char buf[8192];
  long n;
  lseek (proc, 0, SEEK_SET);
  while ((n = syscall (SYS_getdents64, proc, buf, sizeof buf)) > 0)
    for (long off = 0; off < n;)
      {
        struct dirent64 *e = (struct dirent64 *) (buf + off);
        off += e->d_reclen;
        char *end;
        long pid = strtol (e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0 || is_self ((pid_t) pid))
          continue;
        probe_pid ((pid_t) pid);
      }
  st.rounds++;
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_stop (int sig)
{
  (void) sig;
  stop_requested = 1;
}

static int
scan_loop (int worker, double seconds, const char *stop_file)
{
  int proc = open ("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0)
    {
      say ("error=open /proc: %s", strerror (errno));
      return 1;
    }
  double deadline = now () + seconds, checked = 0;
  for (unsigned long i = 0; !stop_requested; i++)
    {
      scan_once (proc);
      if (i == 0 && worker == 0)
        say ("ready=1");
      /* The stop file every 50 ms, not every round: a round is a few syscalls. */
      double t = now ();
      if (t > deadline)
        break;
      if (t - checked > 0.05)
        {
          checked = t;
          if (stop_file && access (stop_file, F_OK) == 0)
            break;
        }
    }
  close (proc);
  say ("summary=worker %d rounds=%lu pids=%lu handles=%lu dirs=%lu files=%lu environs=%lu "
       "hits=%lu",
       worker, st.rounds, st.pids, st.handles, st.dirs, st.files, st.environs, st.hits);
  return st.hits ? 3 : 0;
}

int
main (int argc, char **argv)
{
  double seconds = 30;
  const char *stop_file = NULL;
  int workers = 1;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--marker") == 0 && i + 1 < argc)
        marker_name = argv[++i];
      else if (strcmp (argv[i], "--seconds") == 0 && i + 1 < argc)
        seconds = atof (argv[++i]);
      else if (strcmp (argv[i], "--stop-file") == 0 && i + 1 < argc)
        stop_file = argv[++i];
      else if (strcmp (argv[i], "--workers") == 0 && i + 1 < argc)
        workers = atoi (argv[++i]);
      else
        {
          fprintf (stderr, "usage: capsa-attacker --marker NAME [--seconds S] "
                           "[--stop-file PATH] [--workers N]\n");
          return 2;
        }
    }
  if (marker_name == NULL || strchr (marker_name, '/') || workers < 1
      || workers > (int) (sizeof self_pids / sizeof self_pids[0]))
    {
      fprintf (stderr, "capsa-attacker: --marker NAME (no slash) and 1..64 workers\n");
      return 2;
    }
  snprintf (scratch_name, sizeof scratch_name, "%s.scratch", marker_name);
  struct sigaction sa = { .sa_handler = on_stop };
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  /* The test signals the container (capsa kill) with these: survive them. */
  signal (SIGUSR1, SIG_IGN);
  signal (SIGUSR2, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  signal (SIGPIPE, SIG_IGN);

  /* Workers scan in parallel (a window may last microseconds); none probes itself. */
  self_pids[n_self_pids++] = getpid ();
  for (int w = 1; w < workers; w++)
    {
      pid_t pid = fork ();
      if (pid < 0)
        break;
      if (pid == 0)
        {
          self_pids[n_self_pids++] = getpid ();
          _exit (scan_loop (w, seconds, stop_file));
        }
      self_pids[n_self_pids++] = pid;
    }
  int rc = scan_loop (0, seconds, stop_file);
  for (int i = 1; i < n_self_pids; i++)
    {
      int status;
      while (waitpid (self_pids[i], &status, 0) < 0 && errno == EINTR)
        ;
      if (WIFEXITED (status) && WEXITSTATUS (status) == 3)
        rc = 3;
    }
  return rc;
}
