/* libcontainer/util/id_list.c: "0-3,7" CPU and NUMA node lists. */
#include <stdlib.h>

#include "unit.h"
#include "util/id_list.h"

static int
has (const unsigned long *bits, size_t i)
{
  return (bits[i / (8 * sizeof *bits)] >> (i % (8 * sizeof *bits))) & 1;
}

int
main (void)
{
  unsigned long *bits = NULL;
  size_t nbits = 0;
  CHECK (id_list_parse ("0-2,5,64", &bits, &nbits) == 0);
  CHECK (nbits == 65);
  CHECK (bits && has (bits, 0) && has (bits, 1) && has (bits, 2) && !has (bits, 3));
  CHECK (bits && has (bits, 5) && has (bits, 64) && !has (bits, 63));
  free (bits);
  CHECK (id_list_parse ("", &bits, &nbits) == 0 && bits == NULL && nbits == 0);
  CHECK (id_list_parse ("65535", &bits, &nbits) == 0 && nbits == 65536);
  free (bits);
  /* Malformed lists are errors, never CPU 0 (systemd's AllowedCPUs took
   * "abc" as CPU 0 before it used this parser). */
  const char *bad[] = { "abc", "1-", "-1", ",", "1,", "3-1", "65536", "1 2", "0x1", NULL };
  for (const char **b = bad; *b; b++)
    {
      bits = NULL;
      int r = id_list_parse (*b, &bits, &nbits);
      if (r != -1)
        fprintf (stderr, "accepted \"%s\"\n", *b);
      CHECK (r == -1 && bits == NULL);
    }
  return unit_finish ("test_id_list");
}
