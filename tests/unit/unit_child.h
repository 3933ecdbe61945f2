/* Checks that change process state (credentials, fds, the controlling
 * terminal) run in a forked child, so the test binary itself stays clean; the
 * child's CHECK counts are added to the parent's. */
#ifndef CAPSA_UNIT_CHILD_H
#define CAPSA_UNIT_CHILD_H

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

/* In the child: the pipe its counts go back through. A check that closes or
 * moves fds must keep this one (and may move it: it is read at the end). */
static int unit_report_fd = -1;

/* Run fn in a child; a child that cannot report (crashed, killed by the
 * 20 s alarm, exited non-zero) counts as one failure. */
static inline void
unit_in_child (const char *what, void (*fn) (void))
{
  int p[2];
  if (pipe (p) < 0)
    {
      CHECK (!"pipe");
      return;
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (p[0]);
      unit_report_fd = p[1];
      alarm (20);
      unit_passed = unit_failed = 0;
      fn ();
      int counts[2] = { unit_passed, unit_failed };
      fflush (stdout);
      if (write (unit_report_fd, counts, sizeof counts) < 0)
        _exit (2);
      _exit (0);
    }
  close (p[1]);
  int counts[2] = { 0, 0 };
  ssize_t n = read (p[0], counts, sizeof counts);
  close (p[0]);
  int status;
  waitpid (pid, &status, 0);
  if (n != sizeof counts || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      fprintf (stderr, "child for %s died (status %#x)\n", what, status);
      unit_failed++;
      return;
    }
  unit_passed += counts[0];
  unit_failed += counts[1];
}

#endif
