/* Pseudo-terminals: a pty from the container's own devpts, the console socket
 * protocol (one SCM_RIGHTS message carrying the master, payload = its name), the
 * controlling-terminal setup of the container process, and the foreground copy
 * loop of `capsa run` with a terminal. */
#define _GNU_SOURCE
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "util/fs.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

/* ---- console socket ---- */

int
terminal_connect_socket (const char *path, struct error **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  _cleanup_close_ int path_fd = -1;
  const char *target = path;
  char proc_path[64];

  /* sun_path holds 108 bytes: reach longer paths through an O_PATH fd. */
  if (strlen (path) >= sizeof addr.sun_path)
    {
      path_fd = open (path, O_PATH | O_CLOEXEC);
      if (path_fd < 0)
        return error_set (err, errno, "open console socket \"%s\"", path);
      snprintf (proc_path, sizeof proc_path, "/proc/self/fd/%d", path_fd);
      target = proc_path;
    }
  strcpy (addr.sun_path, target);

  _cleanup_close_ int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return error_set (err, errno, "console socket \"%s\": socket", path);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return error_set (err, errno, "connect to console socket \"%s\"", path);
  return steal_fd (&fd);
}

int
terminal_send_fd (int sock, int fd, const char *name, struct error **err)
{
  /* A stream socket drops ancillary data sent with an empty payload. */
  if (name == NULL || name[0] == '\0')
    name = "/dev/ptmx";
  struct iovec iov = { .iov_base = (void *) name, .iov_len = strlen (name) };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf,
  };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof fd);

  ssize_t n;
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return error_set (err, errno, "send terminal fd over the console socket");
  return 0;
}

int
terminal_recv_fd (int sock, struct error **err)
{
  char name[PATH_MAX];
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name - 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * 4)];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf,
  };
  ssize_t n;
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return error_set (err, errno, "receive terminal fd");

  int fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      size_t count = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < count; i++)
        {
          int got;
          memcpy (&got, CMSG_DATA (c) + i * sizeof (int), sizeof got);
          if (fd < 0)
            fd = got;
          else
            close (got); /* one fd is the protocol; never leak extras */
        }
    }
  if (fd < 0)
    {
      if (n == 0)
        return error_set (err, 0, "receive terminal fd: peer closed without sending one");
      return error_set (err, 0, "receive terminal fd: message carried no file descriptor%s",
                        (msg.msg_flags & MSG_CTRUNC) ? " (control data truncated)" : "");
    }
  return fd;
}

/* ---- stdio ownership ---- */

int
terminal_own_stdio (uid_t uid, struct error **err)
{
  for (int fd = 0; fd <= 2; fd++)
    {
      struct stat st;
      if (fstat (fd, &st) < 0)
        {
          if (errno == EBADF)
            continue;
          return error_set (err, errno, "fstat stdio fd %d", fd);
        }
      /* /dev/null by its numbers: the container's /dev is not looked at. */
      bool dev_null = S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3);
      if (dev_null || st.st_uid == uid)
        continue;
      if (fchown (fd, uid, (gid_t) -1) < 0 && errno != EINVAL && errno != EPERM
          && errno != EROFS)
        return error_set (err, errno, "chown stdio fd %d to uid %u", fd, (unsigned) uid);
    }
  return 0;
}

/* ---- pty ---- */

/* dev/ptmx of the container, resolved inside its root: a symlink to pts/ptmx is
 * the usual layout, so the final component is followed, but never out of the
 * rootfs. Without openat2 fs.c walks the path itself; a plain openat here would
 * follow an image's absolute symlink to a host node (before pivot_root). */
static int
open_in_root (int rootfs_fd, const char *path, int flags)
{
  return fs_open_in_root (rootfs_fd, path, flags, 0, NULL);
}

static int pty_open_peer (int master, int dirfd, const char *pts, unsigned rows, unsigned cols,
                          int *slave, struct error **err);

int
terminal_new_pty (int rootfs_fd, unsigned rows, unsigned cols, int *slave, struct error **err)
{
  const int oflags = O_RDWR | O_NOCTTY | O_CLOEXEC;
  int master
      = rootfs_fd >= 0 ? open_in_root (rootfs_fd, "dev/ptmx", oflags) : open ("/dev/ptmx", oflags);
  if (master < 0)
    return error_set (err, errno, "open /dev/ptmx of the container");
  return pty_open_peer (master, rootfs_fd, rootfs_fd >= 0 ? "dev/pts/" : "/dev/pts/", rows, cols,
                        slave, err);
}

int
terminal_new_pty_at (int dirfd, const char *ptmx, unsigned rows, unsigned cols, int *slave,
                     struct error **err)
{
  int master = open_in_root (dirfd, ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return error_set (err, errno, "open %s of a devpts instance", ptmx);
  return pty_open_peer (master, dirfd, "", rows, cols, slave, err);
}

/* Takes master: checks it is the multiplexer, unlocks it and opens its peer
 * (by path, <dirfd>/<pts>N, only on kernels without TIOCGPTPEER); returns
 * master (or -1, master closed). */
static int
pty_open_peer (int master_fd, int dirfd, const char *pts, unsigned rows, unsigned cols,
               int *slave, struct error **err)
{
  const int oflags = O_RDWR | O_NOCTTY | O_CLOEXEC;
  _cleanup_close_ int master = master_fd;
  struct stat st;
  if (fstat (master, &st) < 0)
    return error_set (err, errno, "stat /dev/ptmx");
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) != 5 || minor (st.st_rdev) != 2)
    return error_set (err, 0, "/dev/ptmx of the container is not the pty multiplexer (5:2)");

  int unlock = 0;
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return error_set (err, errno, "unlockpt");

  /* TIOCGPTPEER opens the peer through the master itself, so no path (that
   * the container could replace with a symlink) is involved. */
  _cleanup_close_ int peer = ioctl (master, TIOCGPTPEER, oflags);
  if (peer < 0)
    {
      if (errno != EINVAL && errno != ENOTTY)
        return error_set (err, errno, "open pty peer (TIOCGPTPEER)");
      unsigned n;
      if (ioctl (master, TIOCGPTN, &n) < 0)
        return error_set (err, errno, "get pty number (TIOCGPTN)");
      char path[64];
      snprintf (path, sizeof path, "%s%u", pts, n);
      peer = dirfd >= 0 ? open_in_root (dirfd, path, oflags) : open (path, oflags);
      if (peer < 0)
        return error_set (err, errno, "open pty peer %s", path);
    }

  if (rows > 0 && cols > 0)
    {
      struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
      if (ioctl (master, TIOCSWINSZ, &ws) < 0)
        return error_set (err, errno, "set terminal size %ux%u", cols, rows);
    }
  *slave = steal_fd (&peer);
  return steal_fd (&master);
}

int
terminal_pty_number (int fd, struct error **err)
{
  unsigned n;
  if (ioctl (fd, TIOCGPTN, &n) == 0)
    return (int) n;
  /* A slave: devpts numbers its nodes with majors 136-143, 256 minors each. */
  struct stat st;
  if (fstat (fd, &st) == 0 && S_ISCHR (st.st_mode) && major (st.st_rdev) >= 136
      && major (st.st_rdev) <= 143)
    return (int) ((major (st.st_rdev) - 136) * 256 + minor (st.st_rdev));
  return error_set (err, ENOTTY, "get pty number");
}

int
terminal_host_check (const char *what, const char *remedy, struct error **err)
{
  if (isatty (STDERR_FILENO) || isatty (STDOUT_FILENO) || isatty (STDIN_FILENO))
    return 0;
  int fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0)
    {
      close (fd);
      return 0;
    }
  return error_set (err, 0, "%s: the input device is not a TTY (stdin, stdout and stderr are no "
                    "terminals, and open /dev/tty: %s): %s", what, strerror (errno), remedy);
}

int
terminal_make_controlling (int slave, struct error **err)
{
  if (setsid () < 0 && getsid (0) != getpid ())
    return error_set (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return error_set (err, errno, "make the pty the controlling terminal (TIOCSCTTY)");
  for (int i = 0; i <= 2; i++)
    if (slave != i && dup2 (slave, i) < 0)
      return error_set (err, errno, "dup2 pty onto fd %d", i);
  /* fd 0-2 may be the slave itself: dup2 would not clear its close-on-exec. */
  for (int i = 0; i <= 2; i++)
    {
      int fl = fcntl (i, F_GETFD);
      if (fl >= 0 && (fl & FD_CLOEXEC))
        fcntl (i, F_SETFD, fl & ~FD_CLOEXEC);
    }
  return 0;
}
