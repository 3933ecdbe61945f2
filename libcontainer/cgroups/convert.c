/* Value conversions between cgroup v1 knobs (what the OCI spec speaks) and v2. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "cgroup_internal.h"
#include "spec/util/cleanup.h"

uint64_t
cg_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
cg_blkio_to_io_weight (uint64_t weight)
{
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + ((weight - 10) * 9999) / 990;
}

int
cg_swap_to_v2 (int64_t memsw, bool has_memsw, int64_t limit, bool has_limit, int64_t *out,
               const char **why)
{
  if (!has_memsw || memsw == 0)
    {
      /* An unlimited memory with swap unset means both unlimited (as on v1). */
      *out = has_limit && limit == -1 ? -1 : 0;
      return 0;
    }
  if (memsw == -1)
    {
      *out = -1;
      return 0;
    }
  if (!has_limit || limit == 0 || limit == -1)
    {
      *why = "a swap limit needs a memory limit";
      return -1;
    }
  if (memsw < limit)
    {
      *why = "memory+swap limit must be >= memory limit";
      return -1;
    }
  *out = memsw - limit;
  return 0;
}

bool
cg_cpu_max (const struct spec_cpu *cpu, char *buf, size_t len)
{
  bool q = cpu->has_quota && cpu->quota != 0, p = cpu->has_period && cpu->period != 0;
  if (!q && !p)
    return false;
  int o;
  if (q && cpu->quota > 0)
    o = snprintf (buf, len, "%" PRId64, cpu->quota);
  else
    o = snprintf (buf, len, "max");
  if (p && o > 0 && (size_t) o < len)
    snprintf (buf + o, len - (size_t) o, " %" PRIu64, cpu->period);
  return true;
}

static int
push (struct cg_dev_rule **v, size_t *n, bool allow, char type, int64_t major, int64_t minor,
      const char *access)
{
  struct cg_dev_rule *g = realloc (*v, (*n + 1) * sizeof **v);
  if (g == NULL)
    return -1;
  *v = g;
  struct cg_dev_rule *d = &g[(*n)++];
  d->allow = allow;
  d->type = type ? type : 'a';
  d->major = d->type == 'a' ? -1 : major;
  d->minor = d->type == 'a' ? -1 : minor;
  size_t k = 0;
  const char *acc = access && *access ? access : "rwm";
  for (const char *c = "rwm"; *c; c++)
    if (strchr (acc, *c))
      d->access[k++] = *c;
  d->access[k] = '\0';
  return 0;
}

int
cg_device_rules (const struct spec_resources *r, struct cg_dev_rule **out, size_t *n)
{
  struct cg_dev_rule *v = NULL;
  size_t len = 0;
  /* runc's specconv.AllowedDevices: mknod of anything, and the nodes every
   * container has (null zero full random urandom tty console ptmx pts). */
  static const struct { char type; int64_t major, minor; const char *access; } always[] = {
    { 'c', -1, -1, "m" }, { 'b', -1, -1, "m" },
    { 'c', 1, 3, "rwm" }, { 'c', 1, 5, "rwm" }, { 'c', 1, 7, "rwm" }, { 'c', 1, 8, "rwm" },
    { 'c', 1, 9, "rwm" }, { 'c', 5, 0, "rwm" }, { 'c', 5, 1, "rwm" }, { 'c', 5, 2, "rwm" },
    { 'c', 136, -1, "rwm" },
  };

  /* linux.devices add no rule of their own: a node the config creates is
   * reachable only as far as linux.resources.devices allows it (Docker's
   * --device /dev/fuse:/dev/f:r is a node plus an "r" rule). */
  for (size_t i = 0; r && i < r->devices_len; i++)
    {
      const struct spec_device_cgroup *d = &r->devices[i];
      if (push (&v, &len, d->allow, d->type, d->major, d->minor, d->access) < 0)
        goto oom;
    }
  for (size_t i = 0; i < ARRAY_SIZE (always); i++)
    if (push (&v, &len, true, always[i].type, always[i].major, always[i].minor, always[i].access) < 0)
      goto oom;
  *out = v;
  *n = len;
  return 0;
oom:
  free (v);
  return -1;
}

void
cg_dev_rule_format (const struct cg_dev_rule *d, char *buf, size_t len)
{
  char maj[24] = "*", min[24] = "*";
  if (d->major >= 0)
    snprintf (maj, sizeof maj, "%" PRId64, d->major);
  if (d->minor >= 0)
    snprintf (min, sizeof min, "%" PRId64, d->minor);
  snprintf (buf, len, "%c %s:%s %s", d->type, maj, min, d->access);
}

bool
cg_dev_rules_allow (const struct cg_dev_rule *rules, size_t n, char type, int64_t major,
                    int64_t minor, char acc)
{
  for (size_t i = n; i-- > 0;)
    {
      const struct cg_dev_rule *d = &rules[i];
      if (d->type != 'a' && d->type != type)
        continue;
      if (!strchr (d->access, acc))
        continue;
      if (d->major >= 0 && d->major != major)
        continue;
      if (d->minor >= 0 && d->minor != minor)
        continue;
      return d->allow;
    }
  return false;
}

/* ---- the rules as systemd's DeviceAllow list ---- */

static void
access_union (char *acc, const char *add)
{
  char out[4];
  size_t k = 0;
  for (const char *c = "rwm"; *c; c++)
    if (strchr (acc, *c) || strchr (add, *c))
      out[k++] = *c;
  out[k] = '\0';
  memcpy (acc, out, k + 1);
}

static void
access_remove (char *acc, const char *drop)
{
  size_t k = 0;
  for (const char *c = acc; *c; c++)
    if (!strchr (drop, *c))
      acc[k++] = *c;
  acc[k] = '\0';
}

static bool
num_overlap (int64_t a, int64_t b)
{
  return a < 0 || b < 0 || a == b;
}

/* Every device of e is also one of d. */
static bool
dev_covers (const struct cg_dev_rule *d, const struct cg_dev_allow *e)
{
  return (d->type == 'a' || d->type == e->type) && (d->major < 0 || d->major == e->major)
         && (d->minor < 0 || d->minor == e->minor);
}

static int
allow_add (struct cg_dev_allow **v, size_t *n, char type, int64_t major, int64_t minor,
           const char *access, bool *exact)
{
  /* systemd has no "*:N" form: allow the whole type (both filters apply, so a
   * wider systemd entry takes nothing away from the rules). */
  if (major < 0 && minor >= 0)
    {
      minor = -1;
      *exact = false;
    }
  for (size_t i = 0; i < *n; i++)
    if ((*v)[i].type == type && (*v)[i].major == major && (*v)[i].minor == minor)
      {
        access_union ((*v)[i].access, access);
        return 0;
      }
  struct cg_dev_allow *g = realloc (*v, (*n + 1) * sizeof **v);
  if (g == NULL)
    return -1;
  *v = g;
  g[*n] = (struct cg_dev_allow) { .type = type, .major = major, .minor = minor };
  access_union (g[*n].access, access);
  (*n)++;
  return 0;
}

int
cg_dev_allow_list (const struct cg_dev_rule *rules, size_t n, struct cg_dev_allow **out,
                   size_t *len, bool *exact)
{
  struct cg_dev_allow *v = NULL;
  size_t k = 0;
  *exact = true;
  /* Forward over the rules from "nothing allowed": an allow adds its devices and
   * access, a deny takes its access away from the entries it covers whole. */
  for (size_t i = 0; i < n; i++)
    {
      const struct cg_dev_rule *d = &rules[i];
      if (d->allow)
        {
          if ((d->type != 'b' && allow_add (&v, &k, 'c', d->major, d->minor, d->access, exact) < 0)
              || (d->type != 'c' && allow_add (&v, &k, 'b', d->major, d->minor, d->access, exact) < 0))
            {
              free (v);
              return -1;
            }
          continue;
        }
      for (size_t j = 0; j < k;)
        {
          struct cg_dev_allow *e = &v[j];
          bool hit = (d->type == 'a' || d->type == e->type) && num_overlap (d->major, e->major)
                     && num_overlap (d->minor, e->minor) && strpbrk (e->access, d->access);
          if (hit && !dev_covers (d, e))
            *exact = false; /* a hole in a wider entry: systemd cannot say it */
          else if (hit)
            {
              access_remove (e->access, d->access);
              if (e->access[0] == '\0')
                {
                  memmove (e, e + 1, (k - j - 1) * sizeof *e);
                  k--;
                  continue;
                }
            }
          j++;
        }
    }
  *out = v;
  *len = k;
  return 0;
}

bool
cg_dev_allow_list_allows (const struct cg_dev_allow *a, size_t n, char type, int64_t major,
                          int64_t minor, char acc)
{
  for (size_t i = 0; i < n; i++)
    if (a[i].type == type && (a[i].major < 0 || a[i].major == major)
        && (a[i].minor < 0 || a[i].minor == minor) && strchr (a[i].access, acc))
      return true;
  return false;
}

void
cg_dev_allow_path (const struct cg_dev_allow *a, char *buf, size_t len)
{
  const char *group = a->type == 'b' ? "block" : "char";
  if (a->major < 0)
    snprintf (buf, len, "%s-*", group);
  else if (a->minor < 0)
    snprintf (buf, len, "%s-%" PRId64, group, a->major);
  else
    snprintf (buf, len, "/dev/%s/%" PRId64 ":%" PRId64, group, a->major, a->minor);
}
