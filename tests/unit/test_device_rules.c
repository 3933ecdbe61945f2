/* The effective device rules (convert.c): a linux.devices node adds no rule, and
 * the rules as systemd's DevicePolicy=strict + DeviceAllow list allow exactly
 * what the eBPF program allows where systemd can say it, and never less. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/convert.h"
#include "unit.h"

#define DENY_ALL { .allow = false, .major = -1, .minor = -1, .access = "rwm" }

/* Compare the list with the rules over a grid of devices and accesses: equal
 * when exact, a superset otherwise. */
static void
check_grid (int line, const struct cg_dev_rule *d, size_t n, const struct cg_dev_allow *a,
            size_t len, bool exact)
{
  static const int64_t majors[] = { 1, 5, 7, 8, 10, 136, 4095 };
  static const int64_t minors[] = { 0, 1, 2, 3, 5, 11, 200, 229 };
  int bad = 0;
  for (const char *t = "cb"; *t; t++)
    for (size_t i = 0; i < sizeof majors / sizeof *majors; i++)
      for (size_t j = 0; j < sizeof minors / sizeof *minors; j++)
        for (const char *acc = "rwm"; *acc; acc++)
          {
            bool want = cg_dev_rules_allow (d, n, *t, majors[i], minors[j], *acc);
            bool got = cg_dev_allow_list_allows (a, len, *t, majors[i], minors[j], *acc);
            if (exact ? want != got : want && !got)
              {
                if (bad++ < 3)
                  fprintf (stderr, "%s:%d: %c %lld:%lld %c: rules %d, DeviceAllow %d\n", __FILE__,
                           line, *t, (long long) majors[i], (long long) minors[j], *acc, want, got);
              }
          }
  if (bad)
    unit_failed++;
  else
    unit_passed++;
}

/* The DeviceAllow list of these linux.resources.devices (plus the defaults) as
 * "path access;..." and whether it is exact. */
static char *
allow_text (int line, const struct spec_device_cgroup *rules, size_t nrules, bool *exact)
{
  struct spec_resources r = { .devices = (struct spec_device_cgroup *) rules,
                              .devices_len = nrules };
  struct cg_dev_rule *d = NULL;
  struct cg_dev_allow *a = NULL;
  size_t n = 0, len = 0;
  char *out = calloc (1, 4096);
  CHECK (cg_device_rules (&r, &d, &n) == 0);
  CHECK (cg_dev_allow_list (d, n, &a, &len, exact) == 0);
  for (size_t i = 0; i < len; i++)
    {
      char path[64];
      cg_dev_allow_path (&a[i], path, sizeof path);
      snprintf (out + strlen (out), 4096 - strlen (out), "%s%s %s", i ? ";" : "", path,
                a[i].access);
    }
  check_grid (line, d, n, a, len, *exact);
  free (a);
  free (d);
  return out;
}

#define DEFAULTS                                                                       \
  "char-* m;block-* m;/dev/char/1:3 rwm;/dev/char/1:5 rwm;/dev/char/1:7 rwm;"          \
  "/dev/char/1:8 rwm;/dev/char/1:9 rwm;/dev/char/5:0 rwm;/dev/char/5:1 rwm;"           \
  "/dev/char/5:2 rwm;char-136 rwm"

static void
expect_allow (int line, const struct spec_device_cgroup *rules, size_t n, const char *want,
              bool want_exact)
{
  bool exact = !want_exact;
  char *got = allow_text (line, rules, n, &exact);
  if (strcmp (got, want) == 0 && exact == want_exact)
    unit_passed++;
  else
    {
      unit_failed++;
      fprintf (stderr, "%s:%d: expected \"%s\" (%s), got \"%s\" (%s)\n", __FILE__, line, want,
               want_exact ? "exact" : "wider", got, exact ? "exact" : "wider");
    }
  free (got);
}
#define EXPECT_ALLOW(rules, want, exact) \
  expect_allow (__LINE__, rules, sizeof rules / sizeof *rules, want, exact)

static void
test_allow_lists (void)
{
  /* runc spec's deny-all: only the defaults */
  const struct spec_device_cgroup deny[] = { DENY_ALL };
  EXPECT_ALLOW (deny, DEFAULTS, true);

  /* Docker's --device /dev/fuse:/dev/f:r */
  const struct spec_device_cgroup fuse_r[] = {
    DENY_ALL, { .allow = true, .type = 'c', .major = 10, .minor = 229, .access = "r" },
  };
  EXPECT_ALLOW (fuse_r, "/dev/char/10:229 r;" DEFAULTS, true);

  /* privileged: everything */
  const struct spec_device_cgroup all[] = { { .allow = true, .major = -1, .minor = -1 } };
  EXPECT_ALLOW (all, "char-* rwm;block-* rwm;/dev/char/1:3 rwm;/dev/char/1:5 rwm;"
                     "/dev/char/1:7 rwm;/dev/char/1:8 rwm;/dev/char/1:9 rwm;/dev/char/5:0 rwm;"
                     "/dev/char/5:1 rwm;/dev/char/5:2 rwm;char-136 rwm", true);

  /* a deny of a whole entry's devices takes its access away */
  const struct spec_device_cgroup cut[] = {
    DENY_ALL,
    { .allow = true, .type = 'c', .major = 10, .minor = 229, .access = "rwm" },
    { .allow = true, .type = 'b', .major = 8, .minor = -1, .access = "rw" },
    { .allow = false, .type = 'c', .major = 10, .minor = -1, .access = "w" },
    { .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "r" },
  };
  EXPECT_ALLOW (cut, "/dev/char/10:229 m;block-8 w;" DEFAULTS, true);

  /* a deny with no access in common changes nothing */
  const struct spec_device_cgroup other[] = {
    DENY_ALL, { .allow = true, .type = 'c', .major = 10, .minor = -1, .access = "r" },
    { .allow = false, .type = 'c', .major = 10, .minor = 229, .access = "w" },
  };
  EXPECT_ALLOW (other, "char-10 r;" DEFAULTS, true);

  /* a hole in a wider allow: systemd keeps the wider allow, our filter the hole */
  const struct spec_device_cgroup hole[] = {
    { .allow = true, .type = 'c', .major = 1, .minor = -1, .access = "rw" },
    { .allow = false, .type = 'c', .major = 1, .minor = 11, .access = "w" },
  };
  EXPECT_ALLOW (hole, "char-1 rw;" DEFAULTS, false);

  /* systemd has no "*:N": the whole type */
  const struct spec_device_cgroup star_n[] = {
    DENY_ALL, { .allow = true, .type = 'b', .major = -1, .minor = 3, .access = "r" },
  };
  EXPECT_ALLOW (star_n, "block-* rm;" "char-* m;/dev/char/1:3 rwm;/dev/char/1:5 rwm;"
                        "/dev/char/1:7 rwm;/dev/char/1:8 rwm;/dev/char/1:9 rwm;"
                        "/dev/char/5:0 rwm;/dev/char/5:1 rwm;/dev/char/5:2 rwm;char-136 rwm",
                false);
}

/* linux.devices never reach the rules: cg_device_rules sees only the resources. */
static void
test_rules_are_the_configs (void)
{
  const struct spec_device_cgroup fuse_r[] = {
    DENY_ALL, { .allow = true, .type = 'c', .major = 10, .minor = 229, .access = "r" },
  };
  struct spec_resources r = { .devices = (struct spec_device_cgroup *) fuse_r, .devices_len = 2 };
  struct cg_dev_rule *d = NULL;
  size_t n = 0;
  CHECK (cg_device_rules (&r, &d, &n) == 0);
  CHECK (n == 2 + 11);
  CHECK (cg_dev_rules_allow (d, n, 'c', 10, 229, 'r'));
  CHECK (!cg_dev_rules_allow (d, n, 'c', 10, 229, 'w'));
  CHECK (cg_dev_rules_allow (d, n, 'c', 10, 229, 'm'));  /* mknod of anything, as runc */
  CHECK (!cg_dev_rules_allow (d, n, 'c', 1, 11, 'w'));   /* kmsg */
  CHECK (cg_dev_rules_allow (d, n, 'c', 1, 3, 'w'));     /* null */
  free (d);
  CHECK (cg_device_rules (NULL, &d, &n) == 0);
  CHECK (n == 11 && !cg_dev_rules_allow (d, n, 'c', 1, 11, 'r'));
  free (d);
}

int
main (void)
{
  test_rules_are_the_configs ();
  test_allow_lists ();
  return unit_finish ("test_device_rules");
}
