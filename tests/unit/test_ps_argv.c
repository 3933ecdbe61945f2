/* runtime/ps_argv.c: what `capsa ps` runs. Without options the vector was one slot
 * short (no NULL after "-ef"): execvp read past the allocation (valgrind; ASan
 * reports the walk below as a heap-buffer-overflow). */
#define _GNU_SOURCE
#include <stdlib.h>

#include "unit.h"
#include "ps_argv.c"  /* runtime/ is not a library; compile the unit in */

/* The vector as one string, walked up to its NULL as execvp does. */
static void
check_argv (char **opts, int nopts, const char *want)
{
  char **argv = ps_argv_build (opts, nopts);
  char got[256] = "";
  CHECK (argv != NULL);
  for (size_t i = 0; argv && argv[i]; i++)
    {
      if (i)
        strcat (got, " ");
      strcat (got, argv[i]);
    }
  CHECK_STR (got, want);
  free (argv);
}

int
main (void)
{
  check_argv (NULL, 0, "ps -ef");
  char *aux[] = { "aux" };
  check_argv (aux, 1, "ps aux");
  char *dashdash[] = { "--", "-o", "pid,comm" };
  check_argv (dashdash, 3, "ps -o pid,comm");
  char *only_dashdash[] = { "--" };
  check_argv (only_dashdash, 1, "ps -ef");
  return unit_finish ("test_ps_argv");
}
