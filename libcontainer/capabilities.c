/* Capabilities: validated names -> bit sets, applied in the order the kernel
 * needs around setuid. Inheritable is exactly what the config lists, never more
 * (CVE-2022-27650). */
#define _GNU_SOURCE
#include "capabilities.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "spec/util/cleanup.h"

#define BIT(c) (UINT64_C (1) << (c))

/* libcap strings must go back through cap_free(), not free(). */
static void cap_freep (char **p) { if (*p) cap_free (*p); }
#define _cleanup_cap_str_ __attribute__ ((cleanup (cap_freep)))

int
caps_from_name (const char *name)
{
  cap_value_t v;
  if (name == NULL || strncmp (name, "CAP_", 4) != 0 || name[4] == '\0')
    return -1;
  for (const char *s = name + 4; *s; s++)
    if (!(isupper ((unsigned char) *s) || isdigit ((unsigned char) *s) || *s == '_'))
      return -1;
  if (cap_from_name (name, &v) < 0 || v < 0 || v >= 64)
    return -1;
  return v;
}

int
caps_kernel_count (void)
{
  static int count;
  if (count == 0)
    {
      count = cap_max_bits ();
      if (count <= 0 || count > 64)
        count = CAP_LAST_CAP + 1;
    }
  return count;
}

int
caps_grantable (uint64_t *out, struct error **err)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
  if (capget (&h, d) < 0)
    return error_set (err, errno, "capget");
  *out = (uint64_t) d[0].permitted | (uint64_t) d[1].permitted << 32;
  return 0;
}

/* The five sets in the order their JSON paths are reported. */
struct caps_set
{
  const char *name;
  char **names;
  size_t len;
  uint64_t *bits;
};

/* Whether names[s][i] already came up in an earlier entry, so that each skipped
 * name is warned about once, however many sets list it. */
static bool
seen_before (const struct caps_set *sets, size_t s, size_t i)
{
  for (size_t t = 0; t <= s; t++)
    for (size_t j = 0; j < (t == s ? i : sets[t].len); j++)
      if (strcmp (sets[t].names[j], sets[s].names[i]) == 0)
        return true;
  return false;
}

/* A name from the config as it may appear in one log line: at most 64 bytes,
 * control and non-ASCII bytes shown as '?', so a name cannot forge lines. */
static void
printable_name (const char *name, char out[static 68])
{
  size_t n = 0;
  for (; name[n] && n < 64; n++)
    out[n] = name[n] >= 0x20 && name[n] < 0x7f ? name[n] : '?';
  strcpy (out + n, name[n] ? "..." : "");
}

void
caps_plan_build (const struct spec_capabilities *c, uint64_t grantable, struct caps_plan *out)
{
  memset (out, 0, sizeof *out);
  if (c == NULL)
    return;
  struct caps_set sets[] = {
    { "bounding", c->bounding, c->bounding_len, &out->bounding },
    { "effective", c->effective, c->effective_len, &out->effective },
    { "inheritable", c->inheritable, c->inheritable_len, &out->inheritable },
    { "permitted", c->permitted, c->permitted_len, &out->permitted },
    { "ambient", c->ambient, c->ambient_len, &out->ambient },
  };
  int kernel = caps_kernel_count ();
  for (size_t s = 0; s < ARRAY_SIZE (sets); s++)
    for (size_t i = 0; i < sets[s].len; i++)
      {
        const char *name = sets[s].names[i];
        int v = caps_from_name (name);
        if (v >= 0 && v < kernel && (grantable & BIT (v)))
          {
            *sets[s].bits |= BIT (v);
            continue;
          }
        if (seen_before (sets, s, i))
          continue;
        if (v < 0)
          {
            char shown[68];
            printable_name (name, shown);
            log_warn ("process.capabilities.%s[%zu]: unknown capability \"%s\", ignoring it",
                      sets[s].name, i, shown);
          }
        else if (v >= kernel)
          log_warn ("process.capabilities.%s[%zu]: capability \"%s\" is not known to the "
                    "running kernel, ignoring it", sets[s].name, i, name);
        else
          log_warn ("process.capabilities.%s[%zu]: capability \"%s\" cannot be granted "
                    "(the runtime does not hold it), ignoring it", sets[s].name, i, name);
      }
}

int
caps_plan_from_spec (const struct spec_capabilities *c, struct caps_plan *out,
                     struct error **err)
{
  uint64_t grantable = 0;
  memset (out, 0, sizeof *out);
  if (c == NULL)
    return 0;
  if (caps_grantable (&grantable, err) < 0)
    return -1;
  caps_plan_build (c, grantable, out);
  return 0;
}

int
caps_apply_bounding (const struct caps_plan *p, struct error **err)
{
  int kernel = caps_kernel_count ();
  for (int c = 0; c < kernel; c++)
    {
      if (p->bounding & BIT (c))
        continue;
      /* No PR_CAPBSET_READ first: the init and exec'd processes are forks of a
       * full-capability capsa, so every cap is still there and reading would
       * only double the syscalls. Dropping an absent cap succeeds. */
      if (prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
        {
          if (errno == EINVAL)
            continue; /* beyond what this kernel knows */
          _cleanup_cap_str_ char *name = cap_to_name (c);
          int saved = errno;
          error_set (err, saved, "drop %s from the bounding set", name ? name : "capability");
          return -1;
        }
    }
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return error_set (err, errno, "prctl(PR_SET_KEEPCAPS, 1)");
  return 0;
}

static int
fill_flag (cap_t caps, cap_flag_t flag, uint64_t bits, int kernel)
{
  cap_value_t list[64];
  int n = 0;
  for (int c = 0; c < kernel; c++)
    if (bits & BIT (c))
      list[n++] = c;
  if (n == 0)
    return 0;
  return cap_set_flag (caps, flag, n, list, CAP_SET);
}

int
caps_apply_sets (const struct caps_plan *p, struct error **err)
{
  int kernel = caps_kernel_count ();
  cap_t caps = cap_init ();   /* all clear */
  if (caps == NULL)
    return error_set (err, errno, "cap_init");
  if (fill_flag (caps, CAP_EFFECTIVE, p->effective, kernel) < 0
      || fill_flag (caps, CAP_PERMITTED, p->permitted, kernel) < 0
      || fill_flag (caps, CAP_INHERITABLE, p->inheritable, kernel) < 0)
    {
      int saved = errno;
      cap_free (caps);
      return error_set (err, saved, "build capability sets");
    }
  if (cap_set_proc (caps) < 0)
    {
      int saved = errno;
      cap_free (caps);
      return error_set (err, saved, "set effective/permitted/inheritable capabilities");
    }
  cap_free (caps);

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return error_set (err, errno, "clear the ambient capabilities");
  for (int c = 0; c < kernel; c++)
    {
      if (!(p->ambient & BIT (c)))
        continue;
      /* The kernel takes an ambient cap only if it is permitted and inheritable.
       * runc's own default spec asks for ambient caps without inheritable ones, and
       * runc stays silent: a debug message, not a failure. */
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
        {
          _cleanup_cap_str_ char *name = cap_to_name (c);
          log_debug ("cannot raise ambient capability %s: %s", name ? name : "?",
                     strerror (errno));
        }
    }
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return error_set (err, errno, "prctl(PR_SET_KEEPCAPS, 0)");
  return 0;
}

bool
caps_have_effective (int cap)
{
  cap_t caps = cap_get_proc ();
  cap_flag_value_t v = CAP_CLEAR;
  if (caps)
    {
      cap_get_flag (caps, (cap_value_t) cap, CAP_EFFECTIVE, &v);
      cap_free (caps);
    }
  return v == CAP_SET;
}
