#define _GNU_SOURCE
#include "foreground.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec/util/error.h"
#include "terminal.h"

static int forward_pidfd = -1;
static volatile int child_exited;

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
