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

static int
parse_set (const char *set, char **names, size_t len, uint64_t *out, struct error **err)
{
  int kernel = caps_kernel_count ();
  *out = 0;
  for (size_t i = 0; i < len; i++)
    {
      int v = caps_from_name (names[i]);
      if (v < 0)
        return error_set (err, 0, "process.capabilities.%s[%zu]: unknown capability \"%s\"",
                          set, i, names[i]);
      if (v >= kernel)
        {
          log_warn ("process.capabilities.%s[%zu]: capability \"%s\" is not known to the "
                    "running kernel, ignoring it", set, i, names[i]);
          continue;
        }
      *out |= BIT (v);
    }
  return 0;
}

int
caps_plan_from_spec (const struct spec_capabilities *c, struct caps_plan *out,
                     struct error **err)
{
  memset (out, 0, sizeof *out);
  if (c == NULL)
    return 0;
  if (parse_set ("bounding", c->bounding, c->bounding_len, &out->bounding, err) < 0
      || parse_set ("effective", c->effective, c->effective_len, &out->effective, err) < 0
      || parse_set ("inheritable", c->inheritable, c->inheritable_len, &out->inheritable, err) < 0
      || parse_set ("permitted", c->permitted, c->permitted_len, &out->permitted, err) < 0
      || parse_set ("ambient", c->ambient, c->ambient_len, &out->ambient, err) < 0)
    return -1;
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
