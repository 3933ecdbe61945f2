/* "0-3,7" lists of CPUs or NUMA nodes (process.execCPUAffinity,
 * linux.memoryPolicy, cpuset limits through systemd). */
#define _GNU_SOURCE
#include "id_list.h"

#include <stdbool.h>
#include <stdlib.h>

#include "spec/util/cleanup.h"

int
id_list_parse (const char *s, unsigned long **out, size_t *nbits)
{
  *out = NULL;
  *nbits = 0;
  size_t words = MAX_LIST_ID / (8 * sizeof (unsigned long)) + 1;
  _cleanup_free_ unsigned long *bits = calloc (words, sizeof *bits);
  if (bits == NULL)
    return -1;
  size_t highest = 0;
  bool any = false;
  const char *p = s;
  while (*p)
    {
      char *end;
      if (*p < '0' || *p > '9')
        return -1;
      unsigned long a = strtoul (p, &end, 10), b = a;
      p = end;
      if (*p == '-')
        {
          p++;
          if (*p < '0' || *p > '9')
            return -1;
          b = strtoul (p, &end, 10);
          p = end;
        }
      if (a > b || b > MAX_LIST_ID)
        return -1;
      for (unsigned long i = a; i <= b; i++)
        bits[i / (8 * sizeof (unsigned long))] |= 1ul << (i % (8 * sizeof (unsigned long)));
      if (b + 1 > highest)
        highest = b + 1;
      any = true;
      if (*p == ',')
        {
          p++;
          if (*p == '\0')
            return -1;
        }
      else if (*p != '\0')
        return -1;
    }
  if (any)
    {
      *out = steal_pointer (&bits);
      *nbits = highest;
    }
  return 0;
}
