#define _GNU_SOURCE
#include "passwd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/util/cleanup.h"

bool
passwd_name_of (uid_t uid, char *buf, size_t size)
{
  _cleanup_fclose_ FILE *f = fopen ("/etc/passwd", "re");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (f && size > 0 && getline (&line, &cap, f) > 0)
    {
      /* name:password:uid:... */
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      char *end;
      if (c2 == NULL)
        continue;
      unsigned long v = strtoul (c2 + 1, &end, 10);
      if (end == c2 + 1 || *end != ':' || v != uid)
        continue;
      size_t n = (size_t) (c1 - line) < size - 1 ? (size_t) (c1 - line) : size - 1;
      memcpy (buf, line, n);
      buf[n] = '\0';
      return true;
    }
  return false;
}
