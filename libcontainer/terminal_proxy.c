/* The foreground copy loop between the caller's stdio and a pty master.
 * Every fd in the loop is non-blocking and each direction has its own buffer, so
 * a stalled reader on one side neither loses bytes nor blocks the other side
 * (crun had both bugs). */
#define _GNU_SOURCE
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "spec/util/clock.h"

#define PROXY_BUF_SIZE (64 * 1024)
/* Once the process has ended, the master is read until every slave end is closed
 * (EIO), which for a container's init comes as soon as its pid namespace is gone.
 * Another process may hold a slave (an exec's background job): then stop when the
 * master has been quiet this long, or has been drained this long in all. */
#define DRAIN_IDLE_MS 100
#define DRAIN_MAX_MS 2000

struct proxy_buf
{
  size_t start, end;
  char data[PROXY_BUF_SIZE];
};

static size_t buf_len (const struct proxy_buf *b) { return b->end - b->start; }

static size_t
buf_space (struct proxy_buf *b)
{
  if (b->start == b->end)
    b->start = b->end = 0;
  else if (b->start > 0 && b->end == sizeof b->data)
    {
      memmove (b->data, b->data + b->start, b->end - b->start);
      b->end -= b->start;
      b->start = 0;
    }
  return sizeof b->data - b->end;
}

/* Read what is available into b: >0 bytes read, 0 EOF, -1 error (errno),
 * -2 nothing available now. */
static ssize_t
buf_fill (struct proxy_buf *b, int fd)
{
  size_t space = buf_space (b);
  if (space == 0)
    return -2;
  ssize_t n = read (fd, b->data + b->end, space);
  if (n < 0)
    return (errno == EAGAIN || errno == EINTR) ? -2 : -1;
  b->end += (size_t) n;
  return n;
}

/* Write what b holds: 0 ok (maybe partly), -1 error (errno). */
static int
buf_flush (struct proxy_buf *b, int fd)
{
  while (buf_len (b) > 0)
    {
      ssize_t n = write (fd, b->data + b->start, buf_len (b));
      if (n < 0)
        return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
      b->start += (size_t) n;
    }
  return 0;
}

static void
copy_winsize (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

struct proxy_state
{
  int master;
  int stdout_flags, master_flags;
  bool stdin_tty;
  struct termios saved_termios;
  sigset_t saved_mask;
  int sigfd;
};

static int
set_nonblock (int fd, int *saved)
{
  int fl = fcntl (fd, F_GETFL);
  *saved = fl;
  if (fl < 0)
    return -1;
  return (fl & O_NONBLOCK) ? 0 : fcntl (fd, F_SETFL, fl | O_NONBLOCK);
}

static void
proxy_restore (struct proxy_state *s)
{
  if (s->stdin_tty)
    tcsetattr (STDIN_FILENO, TCSANOW, &s->saved_termios);
  if (s->stdout_flags >= 0)
    fcntl (STDOUT_FILENO, F_SETFL, s->stdout_flags);
  if (s->master_flags >= 0)
    fcntl (s->master, F_SETFL, s->master_flags);
  if (s->sigfd >= 0)
    close (s->sigfd);
  /* A SIGPIPE raised by writing to a closed stdout was blocked: swallow it
   * before unblocking, it is reported as the end of output, not a crash. */
  sigset_t pipe_set;
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  struct timespec zero = { 0, 0 };
  while (sigtimedwait (&pipe_set, NULL, &zero) > 0)
    ;
  sigprocmask (SIG_SETMASK, &s->saved_mask, NULL);
}

int
terminal_proxy (int master, volatile int *stop, struct error **err)
{
  struct proxy_state s = { .master = master, .stdout_flags = -1,
                           .master_flags = -1, .sigfd = -1 };
  static struct proxy_buf in, out; /* static: 128 KiB is too much for a small stack */
  in.start = in.end = out.start = out.end = 0;

  sigset_t block;
  sigemptyset (&block);
  sigaddset (&block, SIGWINCH);
  sigaddset (&block, SIGPIPE);
  if (sigprocmask (SIG_BLOCK, &block, &s.saved_mask) < 0)
    return error_set (err, errno, "terminal proxy: block SIGWINCH");
  sigset_t winch;
  sigemptyset (&winch);
  sigaddset (&winch, SIGWINCH);
  s.sigfd = signalfd (-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s.sigfd < 0)
    {
      int e = errno;
      proxy_restore (&s);
      return error_set (err, e, "terminal proxy: signalfd");
    }

  bool stdin_open = fcntl (STDIN_FILENO, F_GETFL) >= 0;
  bool stdout_ok = fcntl (STDOUT_FILENO, F_GETFL) >= 0;
  if (set_nonblock (master, &s.master_flags) < 0)
    {
      int e = errno;
      proxy_restore (&s);
      return error_set (err, e, "terminal proxy: make the pty master non-blocking");
    }
  /* stdin stays blocking: it is read only after poll() reports data, and its
   * file description is usually shared with the calling shell. */
  if (stdout_ok)
    set_nonblock (STDOUT_FILENO, &s.stdout_flags);

  if (stdin_open && isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &s.saved_termios) == 0)
    {
      struct termios raw = s.saved_termios;
      cfmakeraw (&raw);
      if (tcsetattr (STDIN_FILENO, TCSANOW, &raw) == 0)
        s.stdin_tty = true;
      copy_winsize (STDIN_FILENO, master);
    }
  else if (stdout_ok && isatty (STDOUT_FILENO))
    copy_winsize (STDOUT_FILENO, master);

  bool master_hup = false, master_done = false, draining = false;
  int64_t drain_end = 0;
  int ret = 0, saved_errno = 0;
  const char *what = NULL;

  for (;;)
    {
      /* The process ended: what it wrote may still sit in the pty, or in `out`
       * half written. Keep copying, but nothing goes to it any more. */
      if (!draining && stop && *stop)
        {
          draining = true;
          drain_end = clock_monotonic_ms () + DRAIN_MAX_MS;
          stdin_open = false;
          in.start = in.end = 0;
        }
      /* After a hang-up the master is read until empty, without poll (which would
       * report POLLHUP forever); the loop ends once everything read is written. */
      if (master_hup && !master_done && buf_space (&out) > 0)
        {
          ssize_t n = buf_fill (&out, master);
          if (n == 0 || n == -1 || n == -2)
            master_done = true;
        }
      if (!stdout_ok)
        out.start = out.end = 0;
      /* Someone else keeps the slave open and writing: read no more of it, only
       * write out what we have. */
      if (draining && !master_done && clock_monotonic_ms () >= drain_end)
        master_hup = master_done = true;
      if (master_done && buf_len (&out) == 0)
        break;

      struct pollfd pfd[4];
      int n = 0, i_in = -1, i_master = -1, i_out = -1;
      if (stdin_open && !master_hup && buf_space (&in) > 0)
        {
          i_in = n;
          pfd[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
        }
      if (!master_hup)
        {
          short ev = (buf_space (&out) > 0 ? POLLIN : 0) | (buf_len (&in) > 0 ? POLLOUT : 0);
          if (ev)
            {
              i_master = n;
              pfd[n++] = (struct pollfd){ .fd = master, .events = ev };
            }
        }
      if (stdout_ok && buf_len (&out) > 0)
        {
          i_out = n;
          pfd[n++] = (struct pollfd){ .fd = STDOUT_FILENO, .events = POLLOUT };
        }
      int i_sig = n;
      pfd[n++] = (struct pollfd){ .fd = s.sigfd, .events = POLLIN };

      /* A bounded wait only when a stop flag has to be watched, or while draining
       * a master that has nothing left to write out. */
      int timeout = -1;
      if (draining)
        timeout = buf_len (&out) > 0 ? -1 : DRAIN_IDLE_MS;
      else if (stop)
        timeout = 200;
      int r = poll (pfd, n, timeout);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          saved_errno = errno;
          what = "poll";
          ret = -1;
          break;
        }
      if (r == 0 && draining && buf_len (&out) == 0)
        break; /* quiet: the slave is held by another process */

      if (i_in >= 0 && pfd[i_in].revents)
        {
          ssize_t got = buf_fill (&in, STDIN_FILENO);
          if (got == 0 || got == -1)
            stdin_open = false; /* EOF or error: stop reading; the container keeps its pty */
        }
      if (i_master >= 0 && pfd[i_master].revents)
        {
          short rev = pfd[i_master].revents;
          if (rev & POLLIN)
            {
              ssize_t got = buf_fill (&out, master);
              if (got == 0 || (got == -1 && errno == EIO))
                master_hup = true;
              else if (got == -1)
                {
                  saved_errno = errno;
                  what = "read from the pty";
                  ret = -1;
                  break;
                }
            }
          if ((rev & POLLOUT) && buf_flush (&in, master) < 0)
            {
              if (errno != EIO)
                {
                  saved_errno = errno;
                  what = "write to the pty";
                  ret = -1;
                  break;
                }
              master_hup = true;
            }
          if (rev & (POLLHUP | POLLERR))
            master_hup = true;
        }
      if (i_out >= 0 && pfd[i_out].revents && buf_flush (&out, STDOUT_FILENO) < 0)
        stdout_ok = false; /* reader went away: keep draining the pty, drop output */
      if (pfd[i_sig].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (s.sigfd, &si, sizeof si) == sizeof si)
            ;
          copy_winsize (s.stdin_tty ? STDIN_FILENO : STDOUT_FILENO, master);
        }
    }

  proxy_restore (&s);
  if (ret < 0)
    return error_set (err, saved_errno, "terminal proxy: %s", what);
  return 0;
}
