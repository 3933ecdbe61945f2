/* `capsa kill ID SIGNAL`: signal_parse takes names with or without SIG, any
 * case, numbers and real-time names. Whatever it accepts is a real signal
 * number, and the canonical name of that number parses back to it; a plain
 * decimal is taken at its value or refused. The first four bytes also probe
 * signal_name with an arbitrary int. Seeds: corpus/signal_names/. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>

#include "fuzz_common.h"
#include "runtime/signals.h"

static void
check_name (int signo)
{
  const char *name = signal_name (signo);
  if (name == NULL)
    return;
  FUZZ_ASSERT (signo > 0 && signo <= SIGRTMAX);
  FUZZ_ASSERT (strncmp (name, "SIG", 3) == 0);
  FUZZ_ASSERT (signal_parse (name) == signo);
  FUZZ_ASSERT (signal_parse (name + 3) == signo);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *s = fuzz_cstr (data, size);
  int n = signal_parse (s);
  FUZZ_ASSERT (n >= -1 && n <= SIGRTMAX);
  if (n > 0)
    check_name (n);

  /* Decimal (with a sign, as Go's Atoi): its value when 0..SIGRTMAX. */
  const char *d = s + (*s == '+' || *s == '-');
  bool decimal = *d != '\0';
  for (const char *c = d; *c; c++)
    decimal = decimal && isdigit ((unsigned char) *c);
  if (decimal)
    {
      errno = 0;
      long v = strtol (s, NULL, 10);
      bool in_range = errno == 0 && v >= 0 && v <= SIGRTMAX;
      FUZZ_ASSERT (n == (in_range ? (int) v : -1));
    }

  struct fuzz_bytes b = { data, size };
  check_name ((int) (uint32_t) fuzz_take (&b, 4));
  free (s);
  return 0;
}
