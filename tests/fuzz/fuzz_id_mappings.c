/* linux.uidMappings / gidMappings (and a bind mount's idmap mappings) with
 * numbers at and beyond every boundary, written into an otherwise valid
 * config.json. Checked against a model: a number outside 0..4294967295 or not
 * an integer is refused, never truncated; a user namespace of our own needs
 * both lists and none without one; a linux mapping of size 0 is refused; what
 * parses holds exactly the numbers written. Seeds: corpus/id_mappings/
 * (structured bytes, see next_number). */
#include <inttypes.h>

#include "fuzz_common.h"
#include "spec/config.h"

#define MAX_MAPS 3

struct num
{
  char text[32];
  bool valid;     /* an integer in 0..UINT32_MAX */
  uint32_t value;
};

/* One byte picks the kind of number, then its bytes follow. */
static void
next_number (struct fuzz_bytes *b, struct num *n)
{
  static const char *const odd[] = { "-1", "4294967296", "18446744073709551616",
                                     "-9223372036854775808", "1.5", "1e3", "0.0", "-0",
                                     "99999999999999999999999", "4294967295.0" };
  unsigned kind = (unsigned) fuzz_take (b, 1);
  uint64_t v;
  switch (kind % 6)
    {
    case 0: v = fuzz_take (b, 1); break;                 /* small */
    case 1: v = 65536 * fuzz_take (b, 1); break;         /* typical subuid ranges */
    case 2: v = UINT32_MAX - fuzz_take (b, 1); break;    /* top of the range */
    case 3: v = fuzz_take (b, 4); break;
    case 4: v = fuzz_take (b, 8); break;                 /* mostly above the range */
    default:
      snprintf (n->text, sizeof n->text, "%s", odd[fuzz_take (b, 1) % (sizeof odd / sizeof odd[0])]);
      /* Out of range, fractions, exponents, a sign: all refused (as Go's
       * ParseUint refuses them for runc). */
      n->valid = false;
      n->value = 0;
      return;
    }
  snprintf (n->text, sizeof n->text, "%" PRIu64, v);
  n->valid = v <= UINT32_MAX;
  n->value = (uint32_t) v;
}

struct maps
{
  size_t len;
  struct num m[MAX_MAPS][3]; /* containerID, hostID, size */
};

static void
next_maps (struct fuzz_bytes *b, struct maps *m)
{
  m->len = fuzz_take (b, 1) % (MAX_MAPS + 1);
  for (size_t i = 0; i < m->len; i++)
    for (int k = 0; k < 3; k++)
      next_number (b, &m->m[i][k]);
}

static void
append (char **buf, size_t *len, size_t *cap, const char *s)
{
  size_t add = strlen (s);
  if (*len + add + 1 > *cap)
    {
      *cap = (*len + add + 1) * 2;
      *buf = realloc (*buf, *cap);
      FUZZ_ASSERT (*buf != NULL);
    }
  memcpy (*buf + *len, s, add + 1);
  *len += add;
}

static void
write_maps (char **buf, size_t *len, size_t *cap, const char *key, const struct maps *m)
{
  char item[160];
  append (buf, len, cap, ",\"");
  append (buf, len, cap, key);
  append (buf, len, cap, "\":[");
  for (size_t i = 0; i < m->len; i++)
    {
      snprintf (item, sizeof item, "%s{\"containerID\":%s,\"hostID\":%s,\"size\":%s}",
                i ? "," : "", m->m[i][0].text, m->m[i][1].text, m->m[i][2].text);
      append (buf, len, cap, item);
    }
  append (buf, len, cap, "]");
}

static bool
maps_valid (const struct maps *m, bool size_nonzero)
{
  for (size_t i = 0; i < m->len; i++)
    for (int k = 0; k < 3; k++)
      if (!m->m[i][k].valid || (k == 2 && size_nonzero && m->m[i][k].value == 0))
        return false;
  return true;
}

static void
check_parsed (const struct spec_id_mapping *got, size_t got_len, const struct maps *m)
{
  FUZZ_ASSERT (got_len == m->len);
  for (size_t i = 0; i < m->len; i++)
    FUZZ_ASSERT (got[i].container_id == m->m[i][0].value && got[i].host_id == m->m[i][1].value
                 && got[i].size == m->m[i][2].value);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct fuzz_bytes b = { data, size };
  unsigned shape = (unsigned) fuzz_take (&b, 1);
  bool userns = shape & 1, joined = shape & 2, mount_maps = shape & 4;
  struct maps uid, gid, muid, mgid;
  next_maps (&b, &uid);
  next_maps (&b, &gid);
  next_maps (&b, &muid);
  next_maps (&b, &mgid);

  char *json = NULL;
  size_t len = 0, cap = 0;
  append (&json, &len, &cap,
          "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
          "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}}");
  if (mount_maps)
    {
      append (&json, &len, &cap, ",\"mounts\":[{\"destination\":\"/m\",\"type\":\"bind\","
                                 "\"source\":\"/src\",\"options\":[\"rbind\",\"idmap\"]");
      write_maps (&json, &len, &cap, "uidMappings", &muid);
      write_maps (&json, &len, &cap, "gidMappings", &mgid);
      append (&json, &len, &cap, "}]");
    }
  append (&json, &len, &cap, ",\"linux\":{\"namespaces\":[{\"type\":\"mount\"}");
  if (userns)
    append (&json, &len, &cap, joined ? ",{\"type\":\"user\",\"path\":\"/proc/1/ns/user\"}"
                                      : ",{\"type\":\"user\"}");
  append (&json, &len, &cap, "]");
  write_maps (&json, &len, &cap, "uidMappings", &uid);
  write_maps (&json, &len, &cap, "gidMappings", &gid);
  append (&json, &len, &cap, "}}");

  bool numbers_ok = maps_valid (&uid, false) && maps_valid (&gid, false)
                    && (!mount_maps || (maps_valid (&muid, false) && maps_valid (&mgid, false)));
  bool ns_ok = userns ? joined || (uid.len > 0 && gid.len > 0) : uid.len == 0 && gid.len == 0;
  bool expect_ok = numbers_ok && ns_ok && maps_valid (&uid, true) && maps_valid (&gid, true);

  struct error *e = NULL;
  struct spec_config *c = spec_config_parse_data (json, len, "config.json", &e);
  fuzz_check_outcome (c != NULL, e);
  if ((c != NULL) != expect_ok)
    fprintf (stderr, "%s\n%s\n", json, e ? e->msg : "accepted");
  FUZZ_ASSERT ((c != NULL) == expect_ok);
  if (c)
    {
      check_parsed (c->linux_->uid_mappings, c->linux_->uid_mappings_len, &uid);
      check_parsed (c->linux_->gid_mappings, c->linux_->gid_mappings_len, &gid);
      if (mount_maps)
        {
          check_parsed (c->mounts[0].uid_mappings, c->mounts[0].uid_mappings_len, &muid);
          check_parsed (c->mounts[0].gid_mappings, c->mounts[0].gid_mappings_len, &mgid);
        }
    }
  spec_config_free (c);
  error_free (&e);
  free (json);
  return 0;
}
