/* terminal.c / terminal_proxy.c with real ptys: SCM_RIGHTS round trip, a pty
 * from a private devpts instance, the controlling terminal, and the proxy with a
 * slow reader. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "unit_child.h"
#include "libcontainer/terminal.h"

static char tmpdir[] = "/tmp/capsa-test-terminal-XXXXXX";
static bool
same_file (int a, int b)
{
  struct stat sa, sb;
  return fstat (a, &sa) == 0 && fstat (b, &sb) == 0 && sa.st_dev == sb.st_dev
         && sa.st_ino == sb.st_ino && sa.st_rdev == sb.st_rdev;
}

static void
test_pty_and_fd_passing (void)
{
  struct error *err = NULL;
  int slave = -1;
  int master = terminal_new_pty (-1, 24, 80, &slave, &err);
  if (master < 0)
    {
      printf ("skip pty tests: %s\n", err ? err->msg : "?");
      error_free (&err);
      return;
    }
  CHECK (slave >= 0);
  CHECK (fcntl (master, F_GETFD) & FD_CLOEXEC);
  CHECK (fcntl (slave, F_GETFD) & FD_CLOEXEC);
  struct winsize ws;
  CHECK (ioctl (slave, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 24 && ws.ws_col == 80);
  int n_master = terminal_pty_number (master, &err), n_slave = terminal_pty_number (slave, &err);
  CHECK (n_master >= 0 && n_master == n_slave);
  int devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  CHECK (terminal_pty_number (devnull, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "get pty number");
  error_free (&err);
  close (devnull);

  int sp[2];
  CHECK (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
  CHECK (terminal_send_fd (sp[0], master, "/dev/ptmx", &err) == 0);
  int got = terminal_recv_fd (sp[1], &err);
  CHECK (got >= 0 && got != master);
  CHECK (same_file (got, master));
  CHECK (fcntl (got, F_GETFD) & FD_CLOEXEC);

  /* Bytes written on the slave come out of the received master. */
  struct termios t;
  tcgetattr (slave, &t);
  cfmakeraw (&t);
  tcsetattr (slave, TCSANOW, &t);
  CHECK (write (slave, "ping", 4) == 4);
  char buf[16] = "";
  CHECK (read (got, buf, sizeof buf - 1) == 4);
  CHECK_STR (buf, "ping");
  close (got);

  /* The payload is the name, as runc sends it. */
  CHECK (terminal_send_fd (sp[0], master, NULL, &err) == 0);
  char name[64] = "";
  union
  {
    char b[CMSG_SPACE (sizeof (int))];
    struct cmsghdr a;
  } ctl;
  struct iovec iov = { name, sizeof name - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                        .msg_controllen = sizeof ctl.b };
  CHECK (recvmsg (sp[1], &msg, MSG_CMSG_CLOEXEC) == 9);
  CHECK_STR (name, "/dev/ptmx");
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  CHECK (c && c->cmsg_type == SCM_RIGHTS);
  if (c)
    {
      int fd;
      memcpy (&fd, CMSG_DATA (c), sizeof fd);
      CHECK (same_file (fd, master));
      close (fd);
    }

  /* A message without an fd is an error, and so is a closed peer. */
  CHECK (write (sp[0], "x", 1) == 1);
  CHECK (terminal_recv_fd (sp[1], &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "carried no file descriptor");
  error_free (&err);
  close (sp[0]);
  CHECK (terminal_recv_fd (sp[1], &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "peer closed");
  error_free (&err);
  close (sp[1]);
  close (master);
  close (slave);
}

/* The console socket: a listener on a path (longer than sun_path, too). */
static void
test_console_socket (void)
{
  char dir[256], path[512];
  snprintf (dir, sizeof dir, "%s/%0120d", tmpdir, 0);
  mkdir (dir, 0700);
  snprintf (path, sizeof path, "%s/console.sock", dir);
  struct error *err = NULL;

  int l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* bind through a short relative name: cwd = dir */
  char old[PATH_MAX];
  if (getcwd (old, sizeof old) == NULL || chdir (dir) < 0)
    return;
  struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "console.sock" };
  CHECK (bind (l, (struct sockaddr *) &a, sizeof a) == 0 && listen (l, 1) == 0);
  if (chdir (old) < 0)
    return;

  int s = terminal_connect_socket (path, &err);
  CHECK (s >= 0);
  if (err)
    fprintf (stderr, "%s\n", err->msg);
  error_free (&err);
  int conn = accept4 (l, NULL, NULL, SOCK_CLOEXEC);
  CHECK (conn >= 0);
  int devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  CHECK (terminal_send_fd (s, devnull, "/dev/ptmx", &err) == 0);
  int got = terminal_recv_fd (conn, &err);
  CHECK (got >= 0 && same_file (got, devnull));
  close (got);
  close (devnull);
  close (conn);
  close (s);
  close (l);

  CHECK (terminal_connect_socket ("/nonexistent/capsa.sock", &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "connect to console socket \"/nonexistent/capsa.sock\"");
  error_free (&err);
}

/* A private devpts on a temp "rootfs": the pty comes from that instance. */
static void
child_private_devpts (void)
{
  char root[128], pts[128], ptmx[128];
  snprintf (root, sizeof root, "%s/rootfs", tmpdir);
  snprintf (pts, sizeof pts, "%s/rootfs/dev/pts", tmpdir);
  snprintf (ptmx, sizeof ptmx, "%s/rootfs/dev/ptmx", tmpdir);
  mkdir (root, 0755);
  snprintf (ptmx, sizeof ptmx, "%s/rootfs/dev", tmpdir);
  mkdir (ptmx, 0755);
  mkdir (pts, 0755);
  snprintf (ptmx, sizeof ptmx, "%s/rootfs/dev/ptmx", tmpdir);
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
      || mount ("devpts", pts, "devpts", 0, "newinstance,ptmxmode=0666,mode=0620") < 0)
    {
      printf ("skip private devpts: %s\n", strerror (errno));
      return;
    }
  CHECK (symlink ("pts/ptmx", ptmx) == 0);
  int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct error *err = NULL;
  int slave = -1;
  int master = terminal_new_pty (rootfd, 0, 0, &slave, &err);
  CHECK (master >= 0);
  if (err)
    fprintf (stderr, "%s\n", err->msg);
  error_free (&err);
  /* The first pty of a fresh instance is number 0, and /dev/pts/0 exists there. */
  CHECK (terminal_pty_number (master, &err) == 0);
  char p0[PATH_MAX];
  snprintf (p0, sizeof p0, "%s/0", pts);
  struct stat st, sl;
  CHECK (stat (p0, &st) == 0 && fstat (slave, &sl) == 0 && st.st_rdev == sl.st_rdev);
  close (master);
  close (slave);

  /* A rootfs whose dev/ptmx is not the multiplexer is refused. */
  unlink (ptmx);
  CHECK (symlink ("/dev/null", ptmx) == 0); /* absolute: resolved inside the root */
  master = terminal_new_pty (rootfd, 0, 0, &slave, &err);
  CHECK (master < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "open /dev/ptmx of the container");
  error_free (&err);
  unlink (ptmx);
  int devnull_fd = open (ptmx, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  close (devnull_fd);
  master = terminal_new_pty (rootfd, 0, 0, &slave, &err);
  CHECK (master < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "not the pty multiplexer");
  error_free (&err);
  close (rootfd);
}

static void
child_make_controlling (void)
{
  struct error *err = NULL;
  int slave = -1;
  int master = terminal_new_pty (-1, 0, 0, &slave, &err);
  if (master < 0)
    return;
  signal (SIGHUP, SIG_IGN); /* closing the master hangs up our session */
  /* Keep the report pipe away from 0-2, which the slave takes over. */
  unit_report_fd = fcntl (unit_report_fd, F_DUPFD_CLOEXEC, 10);
  int saved_err = fcntl (2, F_DUPFD_CLOEXEC, 10);
  CHECK (terminal_make_controlling (slave, &err) == 0);
  bool ok = isatty (0) && isatty (1) && isatty (2) && tcgetsid (0) == getpid ()
            && getsid (0) == getpid ();
  bool nocloexec = !(fcntl (0, F_GETFD) & FD_CLOEXEC) && !(fcntl (1, F_GETFD) & FD_CLOEXEC);
  dup2 (saved_err, 2);
  CHECK (ok);
  CHECK (nocloexec);
  close (master);
}

/* The proxy: stdin "hello\n" reaches the pty; 200 KB written by the pty side
 * reach stdout in full although the reader stalls for a while, and the proxy
 * returns once the pty side has closed. */
#define BULK (200 * 1024)

static void
test_proxy (void)
{
  struct error *err = NULL;
  int slave = -1;
  int master = terminal_new_pty (-1, 0, 0, &slave, &err);
  if (master < 0)
    {
      error_free (&err);
      return;
    }
  struct termios t;
  tcgetattr (slave, &t);
  cfmakeraw (&t);
  tcsetattr (slave, TCSANOW, &t);

  int in[2], out[2];
  if (pipe (in) < 0 || pipe (out) < 0)
    return;

  pid_t writer = fork ();
  if (writer == 0)
    {
      alarm (20);
      close (master);
      char line[64];
      size_t n = 0;
      while (n < sizeof line - 1 && read (slave, line + n, 1) == 1 && line[n] != '\n')
        n++;
      line[n] = '\0';
      char msg[128];
      int len = snprintf (msg, sizeof msg, "got:%s;", line);
      if (write (slave, msg, len) != len)
        _exit (3);
      static char bulk[BULK];
      for (size_t i = 0; i < BULK; i++)
        bulk[i] = 'a' + i % 26;
      for (size_t off = 0; off < BULK;)
        {
          ssize_t w = write (slave, bulk + off, BULK - off);
          if (w <= 0)
            _exit (4);
          off += (size_t) w;
        }
      tcdrain (slave);
      _exit (0);
    }

  pid_t proxy = fork ();
  if (proxy == 0)
    {
      alarm (20);
      close (slave);
      dup2 (in[0], 0);
      dup2 (out[1], 1);
      close (in[0]);
      close (in[1]);
      close (out[0]);
      close (out[1]);
      struct error *e = NULL;
      int r = terminal_proxy (master, NULL, &e);
      if (r < 0)
        fprintf (stderr, "proxy: %s\n", e->msg);
      _exit (r == 0 ? 0 : 1);
    }
  close (slave);
  close (master);
  close (in[0]);
  close (out[1]);
  CHECK (write (in[1], "hello\n", 6) == 6);

  usleep (300 * 1000); /* a stalled reader */
  static char got[BULK + 256];
  size_t total = 0;
  ssize_t n;
  while ((n = read (out[0], got + total, sizeof got - 1 - total)) > 0)
    total += (size_t) n;
  got[total] = '\0';
  close (out[0]);
  close (in[1]);

  int st_w, st_p;
  waitpid (writer, &st_w, 0);
  waitpid (proxy, &st_p, 0);
  CHECK (WIFEXITED (st_w) && WEXITSTATUS (st_w) == 0);
  CHECK (WIFEXITED (st_p) && WEXITSTATUS (st_p) == 0);
  CHECK (strncmp (got, "got:hello;", 10) == 0);
  CHECK (total == 10 + BULK);
  bool intact = total == 10 + BULK;
  for (size_t i = 0; intact && i < BULK; i++)
    intact = got[10 + i] == 'a' + (char) (i % 26);
  CHECK (intact);
  if (total != 10 + BULK)
    fprintf (stderr, "proxy copied %zu bytes, want %d\n", total, 10 + BULK);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  signal (SIGPIPE, SIG_IGN);
  test_pty_and_fd_passing ();
  test_console_socket ();
  unit_in_child ("make_controlling", child_make_controlling);
  test_proxy ();
  if (geteuid () == 0)
    unit_in_child ("private devpts", child_private_devpts);
  else
    printf ("skip private devpts: needs root\n");
  char cmd[PATH_MAX + 16];
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", tmpdir);
  return unit_finish ("test_terminal");
}
