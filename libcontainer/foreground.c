#define _GNU_SOURCE
#include "foreground.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec/util/error.h"
#include "terminal.h"

static int forward_pidfd = -1;
static int signal_fd = -1;
static volatile int child_exited;

/* Signals a process can get asynchronously: the ones we forward. Faults are
 * ours, not the container's; SIGKILL and SIGSTOP cannot be caught. */
static bool
forwardable (int s)
{
  return s != SIGKILL && s != SIGSTOP && s != SIGSEGV && s != SIGBUS && s != SIGILL
         && s != SIGFPE && s != SIGABRT && s != SIGTRAP && s != SIGSYS;
}

static void
forward_signal (int signo)
{
  if (forward_pidfd >= 0)
    syscall (SYS_pidfd_send_signal, forward_pidfd, signo, NULL, 0);
}

static void
on_sigchld (int signo)
{
  (void) signo;
  child_exited = 1;
}

void
foreground_forward_signals (int pidfd, bool tty)
{
  struct sigaction sa;
  forward_pidfd = pidfd;
  if (!tty)
    {
      /* Without a terminal to proxy: block them all and read them from a
       * signalfd in foreground_wait (two syscalls instead of one sigaction per
       * signal). Children we fork later (hooks) reset their mask. */
      sigset_t set;
      sigemptyset (&set);
      for (int s = 1; s < SIGRTMIN; s++)
        if (forwardable (s))
          sigaddset (&set, s);
      for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
        sigaddset (&set, s);
      if (sigprocmask (SIG_BLOCK, &set, NULL) == 0
          && (signal_fd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) >= 0)
        return;
      sigprocmask (SIG_UNBLOCK, &set, NULL);
    }
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  sigemptyset (&sa.sa_mask);
  for (int s = 1; s < NSIG; s++)
    {
      if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || (tty && s == SIGWINCH))
        continue;
      /* Faults are ours, not the container's. */
      if (s == SIGSEGV || s == SIGBUS || s == SIGILL || s == SIGFPE || s == SIGABRT || s == SIGTRAP
          || s == SIGSYS)
        continue;
      sigaction (s, &sa, NULL);
    }
  sa.sa_handler = on_sigchld;
  sigaction (SIGCHLD, &sa, NULL);
}

void
foreground_reset_child_flag (void)
{
  child_exited = 0;
}

int
foreground_wait (pid_t pid, int pty_master)
{
  int status = 0;
  if (pty_master >= 0)
    {
      struct error *err = NULL;
      if (terminal_proxy (pty_master, &child_exited, &err) < 0)
        log_warn ("terminal: %s", err->msg);
      error_free (&err);
    }
  else if (signal_fd >= 0 && forward_pidfd >= 0)
    {
      struct pollfd fds[2] = { { .fd = signal_fd, .events = POLLIN },
                               { .fd = forward_pidfd, .events = POLLIN } };
      for (;;)
        {
          if (poll (fds, 2, -1) < 0 && errno != EINTR)
            break;
          if (fds[0].revents & POLLIN)
            {
              struct signalfd_siginfo si;
              while (read (signal_fd, &si, sizeof si) == sizeof si)
                if (si.ssi_signo != SIGCHLD)
                  syscall (SYS_pidfd_send_signal, forward_pidfd, si.ssi_signo, NULL, 0);
            }
          if (fds[1].revents)
            break;
        }
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return 255;
  forward_pidfd = -1;
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}
