/* `capsa exec --user uid[:gid]` and `--additional-gids` (lc_parse_user,
 * lc_parse_additional_gids): strict decimal, each id at most 4294967294
 * ((uid_t)-1 means "unchanged" to the kernel). Checked against a model written
 * with strtoull, plus a print-and-parse round trip. The first line is the
 * --user value, the others the gid list. Seeds: corpus/user_spec/. */
#include <inttypes.h>

#include "fuzz_common.h"
#include "libcontainer/container.h"

/* The model: 1-10 digits, value below UINT32_MAX. */
static bool
model_id (const char *s, size_t len, uint32_t *out)
{
  if (len == 0 || len > 10)
    return false;
  for (size_t i = 0; i < len; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  char buf[11];
  memcpy (buf, s, len);
  buf[len] = '\0';
  unsigned long long v = strtoull (buf, NULL, 10);
  if (v >= UINT32_MAX)
    return false;
  *out = (uint32_t) v;
  return true;
}

static void
check_user (const char *spec)
{
  uint32_t uid = 7, gid = 7, muid = 0, mgid = 0;
  bool has_gid = true;
  struct error *e = NULL;
  int rc = lc_parse_user (spec, &uid, &gid, &has_gid, &e);
  fuzz_check_outcome (rc == 0, e);
  error_free (&e);

  const char *colon = strchr (spec, ':');
  bool ok = colon ? model_id (spec, (size_t) (colon - spec), &muid)
                        && model_id (colon + 1, strlen (colon + 1), &mgid)
                  : model_id (spec, strlen (spec), &muid);
  FUZZ_ASSERT ((rc == 0) == ok);
  if (!ok)
    return;
  FUZZ_ASSERT (uid == muid && has_gid == (colon != NULL) && (!colon || gid == mgid));

  char again[32];
  uint32_t uid2, gid2 = 0;
  bool has2;
  if (colon)
    snprintf (again, sizeof again, "%" PRIu32 ":%" PRIu32, uid, gid);
  else
    snprintf (again, sizeof again, "%" PRIu32, uid);
  FUZZ_ASSERT (lc_parse_user (again, &uid2, &gid2, &has2, NULL) == 0);
  FUZZ_ASSERT (uid2 == uid && has2 == has_gid && (!has2 || gid2 == gid));
}

static void
check_gids (char **list, size_t n)
{
  uint32_t *gids = NULL;
  struct error *e = NULL;
  int rc = lc_parse_additional_gids (list, n, &gids, &e);
  fuzz_check_outcome (rc == 0, e);
  error_free (&e);
  bool ok = true;
  for (size_t i = 0; i < n && ok; i++)
    {
      uint32_t g;
      ok = model_id (list[i], strlen (list[i]), &g);
      FUZZ_ASSERT (!ok || rc < 0 || gids[i] == g);
    }
  FUZZ_ASSERT ((rc == 0) == ok);
  FUZZ_ASSERT (rc < 0 ? gids == NULL : (n == 0) == (gids == NULL));
  free (gids);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = fuzz_cstr (data, size);
  char *nl = strchr (text, '\n');
  if (nl)
    *nl = '\0';
  check_user (text);

  size_t n = 0;
  char *list[64];
  for (char *line = nl ? nl + 1 : NULL; line && n < 64; line = nl ? nl + 1 : NULL)
    {
      nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      list[n++] = line;
    }
  check_gids (list, n);
  free (text);
  return 0;
}
