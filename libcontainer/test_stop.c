#define _GNU_SOURCE
#include "test_stop.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

void
test_stop_at (const char *point)
{
  static const char *want;
  static int read_env;
  if (!read_env)
    {
      want = getenv (TEST_STOP_ENV);
      read_env = 1;
    }
  if (want && strcmp (want, point) == 0)
    raise (SIGSTOP);
}
