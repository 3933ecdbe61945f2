/* `capsa ps ID [--] [ps options]`: ps's argv, "ps" then the options ("-ef" when there
 * are none, as runc), a "--" before them dropped, NULL-terminated for execvp. */
#define _GNU_SOURCE
#include "ps_argv.h"

#include <stdlib.h>
#include <string.h>

/* NULL when out of memory; the strings are borrowed: free the array only. */
char **
ps_argv_build (char **opts, int nopts)
{
  if (nopts > 0 && strcmp (opts[0], "--") == 0)
    opts++, nopts--;
  /* "ps", the options or "-ef", and the NULL */
  char **argv = calloc ((size_t) (nopts > 0 ? nopts : 1) + 2, sizeof *argv);
  if (argv == NULL)
    return NULL;
  argv[0] = (char *) "ps";
  if (nopts == 0)
    argv[1] = (char *) "-ef";
  for (int i = 0; i < nopts; i++)
    argv[1 + i] = opts[i];
  return argv;
}
