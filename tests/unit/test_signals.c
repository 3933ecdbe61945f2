/* runtime/signals.c: the names `capsa kill` accepts, as runc does. */
#define _GNU_SOURCE
#include <signal.h>

#include "unit.h"
#include "signals.c"  /* runtime/ is not a library; compile the unit in */

int
main (void)
{
  /* runc's forms: bare, SIG-prefixed, any case, numeric. */
  CHECK (signal_parse ("KILL") == SIGKILL);
  CHECK (signal_parse ("SIGKILL") == SIGKILL);
  CHECK (signal_parse ("sigkill") == SIGKILL);
  CHECK (signal_parse ("kill") == SIGKILL);
  CHECK (signal_parse ("9") == 9);
  CHECK (signal_parse ("0") == 0);
  CHECK (signal_parse ("TERM") == SIGTERM);
  CHECK (signal_parse ("SIGUSR1") == SIGUSR1);
  CHECK (signal_parse ("usr2") == SIGUSR2);
  CHECK (signal_parse ("WINCH") == SIGWINCH);
  CHECK (signal_parse ("SIGCHLD") == SIGCHLD);
  CHECK (signal_parse ("CLD") == SIGCHLD);
  CHECK (signal_parse ("IOT") == SIGABRT);
  CHECK (signal_parse ("SIGPWR") == SIGPWR);
  CHECK (signal_parse ("SIGSYS") == SIGSYS);
  /* real-time signals */
  CHECK (signal_parse ("SIGRTMIN") == SIGRTMIN);
  CHECK (signal_parse ("RTMIN+3") == SIGRTMIN + 3);
  CHECK (signal_parse ("sigrtmin+3") == SIGRTMIN + 3);
  CHECK (signal_parse ("SIGRTMAX") == SIGRTMAX);
  CHECK (signal_parse ("RTMAX-2") == SIGRTMAX - 2);
  CHECK (signal_parse (NULL) == -1);
  CHECK (signal_parse ("") == -1);
  CHECK (signal_parse ("FOO") == -1);
  CHECK (signal_parse ("SIG") == -1);
  CHECK (signal_parse ("SIGKILLX") == -1);
  CHECK (signal_parse ("9x") == -1);
  CHECK (signal_parse ("-1") == -1);
  CHECK (signal_parse ("65") == -1);
  CHECK (signal_parse ("RTMIN-1") == -1);
  CHECK (signal_parse ("RTMAX+1") == -1);
  CHECK (signal_parse ("RTMIN+") == -1);
  CHECK (signal_parse ("RTMIN+100") == -1);
  /* Found by tests/fuzz/fuzz_signal_names: SIGRTMIN + LONG_MAX overflowed
   * (undefined behaviour, caught by the ASan+UBSan unit run). */
  CHECK (signal_parse ("RTMIN+9223372036854775807") == -1);
  CHECK (signal_parse ("SIGRTMIN+9223372036854775774") == -1);

  CHECK_STR (signal_name (SIGKILL), "SIGKILL");
  CHECK_STR (signal_name (SIGCHLD), "SIGCHLD");
  CHECK_STR (signal_name (SIGABRT), "SIGABRT");
  CHECK_STR (signal_name (SIGRTMIN), "SIGRTMIN");
  CHECK_STR (signal_name (SIGRTMIN + 3), "SIGRTMIN+3");
  CHECK_STR (signal_name (SIGRTMAX - 1), "SIGRTMAX-1");
  CHECK (signal_name (0) == NULL);
  CHECK (signal_name (1000) == NULL);

  /* every name round-trips */
  for (int s = 1; s <= SIGRTMAX; s++)
    {
      const char *n = signal_name (s);
      if (n)
        CHECK (signal_parse (n) == s);
    }
  return unit_finish ("test_signals");
}
