/* `exec --user uid[:gid]` and `exec --additional-gids`: strict decimal ids.
 * Pure string parsing, apart from exec.c so the fuzzer links it alone. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"

/* Decimal digits only, within uint32 (CVE-2026-30892 was a lax parser turning
 * "1" into 0). */
static int
parse_id (const char *s, size_t len, uint32_t *out)
{
  uint64_t v = 0;
  if (len == 0 || len > 10)
    return -1;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return -1;
      v = v * 10 + (uint64_t) (s[i] - '0');
    }
  if (v > UINT32_MAX - 1) /* (uid_t)-1 means "unchanged" to the kernel */
    return -1;
  *out = (uint32_t) v;
  return 0;
}

int
lc_parse_user (const char *spec, uint32_t *uid, uint32_t *gid, bool *has_gid, struct error **err)
{
  const char *colon = strchr (spec, ':');
  size_t ulen = colon ? (size_t) (colon - spec) : strlen (spec);
  *has_gid = false;
  if (parse_id (spec, ulen, uid) < 0)
    return error_set (err, EINVAL, "invalid --user \"%s\": expected uid[:gid] in decimal", spec);
  if (colon)
    {
      if (parse_id (colon + 1, strlen (colon + 1), gid) < 0)
        return error_set (err, EINVAL, "invalid --user \"%s\": expected uid[:gid] in decimal",
                          spec);
      *has_gid = true;
    }
  return 0;
}

int
lc_parse_additional_gids (char *const *strs, size_t n, uint32_t **out, struct error **err)
{
  *out = NULL;
  if (n == 0)
    return 0;
  uint32_t *gids = calloc (n, sizeof *gids);
  if (gids == NULL)
    return error_set (err, ENOMEM, "--additional-gids");
  for (size_t i = 0; i < n; i++)
    if (parse_id (strs[i], strlen (strs[i]), &gids[i]) < 0)
      {
        free (gids);
        return error_set (err, EINVAL, "invalid --additional-gids \"%s\"", strs[i]);
      }
  *out = gids;
  return 0;
}
