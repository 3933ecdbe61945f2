/* peakrss: run a command and print the peak RSS (KiB) of it and its reaped descendants.
 *
 *   peakrss OUTFILE PROG [ARGS...]
 *
 * Built static and tiny on purpose: at execve the kernel folds the old image's high-water
 * RSS into the process's maxrss, so a child forked from a big driver (python) would report
 * the driver's size instead of the runtime's. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: peakrss OUTFILE PROG [ARGS...]\n");
      return 2;
    }
  pid_t pid = fork ();
  if (pid < 0)
    return 125;
  if (pid == 0)
    {
      execvp (argv[2], argv + 2);
      _exit (127);
    }
  int status;
  struct rusage ru;
  if (wait4 (pid, &status, 0, &ru) < 0)
    return 125;
  FILE *f = fopen (argv[1], "we");
  if (f)
    {
      fprintf (f, "%ld\n", ru.ru_maxrss);
      fclose (f);
    }
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
