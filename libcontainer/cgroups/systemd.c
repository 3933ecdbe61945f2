/* The systemd cgroup driver: the container's cgroup is a transient scope that
 * systemd creates (StartTransientUnit over sd-bus) with the container's init as
 * its first process, Delegate=yes so the subtree is ours, and the resources as
 * unit properties (so systemd keeps them across daemon-reloads). The same values
 * are then also written to the cgroup files, like runc and crun do, for what
 * systemd has no property for. Device rules are our eBPF program / v1 files, and
 * on v2 also DevicePolicy=strict + DeviceAllow (append_devices). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/id_list.h"
#include "cgroup_internal.h"
#include "convert.h"
#include "resources.h"
#include "spec/util/cleanup.h"

#ifdef HAVE_LIBSYSTEMD
#include "sdbus_dl.h"

#define SCOPE_WAIT_MS 10000

/* "a/b/x.scope" -> unit "x.scope", slice "b" ("-.slice" at the root). */
static int
unit_names (struct cgroup_manager *m, char **unit, char **slice, struct error **err)
{
  const char *last = strrchr (m->path, '/');
  if (last == NULL || last[1] == '\0')
    return error_set (err, EINVAL, "systemd cgroup driver: no unit in \"%s\"", m->path);
  size_t l = strlen (last + 1);
  if (l < 7 || strcmp (last + 1 + l - 6, ".scope") != 0)
    return error_set (err, ENOTSUP,
                      "systemd cgroup driver: \"%s\" is not a scope (a .slice as the "
                      "container's own unit is not supported)", m->path);
  *unit = strdup (last + 1);
  if (last == m->path)
    *slice = strdup ("-.slice");
  else
    {
      const char *prev = last - 1;
      while (prev > m->path && *prev != '/')
        prev--;
      *slice = strndup (prev + 1, (size_t) (last - prev - 1));
    }
  if (*unit == NULL || *slice == NULL)
    return error_set (err, ENOMEM, "systemd unit name");
  return 0;
}

static int
bus_fail (struct error **err, int r, const sd_bus_error *e, const char *what, const char *unit)
{
  if (e && sd_bus_error_is_set (e))
    return error_set (err, -r, "systemd: %s %s: %s", what, unit, e->message ? e->message : e->name);
  return error_set (err, -r, "systemd: %s %s", what, unit);
}

static int
open_bus (sd_bus **bus, struct error **err)
{
  if (sdbus_load (err) < 0)
    return -1;
  int r = sd_bus_open_system (bus);
  if (r < 0)
    return error_set (err, -r, "systemd cgroup driver: connect to the system bus");
  return 0;
}

/* "0-2,5" -> a little-endian CPU bitmask as systemd's AllowedCPUs takes it:
 * bit i of byte i/8. A malformed list is an error (not CPU 0). */
static int
cpu_mask (const char *list, uint8_t **out, size_t *n)
{
  _cleanup_free_ unsigned long *bits = NULL;
  size_t nbits = 0;
  const size_t per = 8 * sizeof *bits;
  *out = NULL;
  *n = 0;
  if (id_list_parse (list, &bits, &nbits) < 0)
    return -1;
  if (nbits == 0)
    return 0;
  *n = (nbits + 7) / 8;
  *out = calloc (*n, 1);
  if (*out == NULL)
    return -1;
  for (size_t i = 0; i < nbits; i++)
    if (bits[i / per] & (1ul << (i % per)))
      (*out)[i / 8] |= (uint8_t) (1u << (i % 8));
  return 0;
}

#define TRY(x)                                                                    \
  do                                                                              \
    {                                                                             \
      int r_ = (x);                                                               \
      if (r_ < 0)                                                                 \
        return r_;                                                                \
    }                                                                             \
  while (0)

static int
append_mask (sd_bus_message *msg, const char *name, const char *list)
{
  _cleanup_free_ uint8_t *mask = NULL;
  size_t n = 0;
  if (cpu_mask (list, &mask, &n) < 0)
    return -EINVAL;
  TRY (sd_bus_message_open_container (msg, 'r', "sv"));
  TRY (sd_bus_message_append (msg, "s", name));
  TRY (sd_bus_message_open_container (msg, 'v', "ay"));
  TRY (sd_bus_message_append_array (msg, 'y', mask, n));
  TRY (sd_bus_message_close_container (msg));
  return sd_bus_message_close_container (msg);
}

static uint64_t
limit_value (int64_t v)
{
  return v < 0 ? UINT64_MAX : (uint64_t) v; /* -1: "infinity" */
}

/* linux.resources as the unit sees them: r, with the values runc would take from
 * its saved config taken from the cgroup as it is (resources.h), prepared
 * before the message is built. */
struct unit_res
{
  const struct spec_resources *r;
  bool v2;
  struct cg_v2_memory mem; /* v2 */
  struct spec_cpu cpu;     /* when r->cpu */
};

static int
unit_res_prepare (struct cgroup_manager *m, const struct spec_resources *r, struct unit_res *u,
                  struct error **err)
{
  struct cg_hier *h;
  memset (u, 0, sizeof *u);
  u->r = r;
  u->v2 = m->layout == CGROUP_LAYOUT_V2;
  if (r && r->memory && u->v2)
    {
      h = cg_find (m, "memory");
      if (cg_v2_memory_values (h ? h->dir : NULL, r->memory, &u->mem, err) < 0)
        return -1;
    }
  if (r && r->cpu)
    {
      h = cg_find (m, "cpu");
      cg_cpu_in_force (h ? h->dir : NULL, h && h->v2, r->cpu, &u->cpu);
    }
  return 0;
}

/* The resource properties (v2 semantics, systemd's names). 0 is "unchanged" for
 * every value, as in runc: never MemoryMax=0, never a quota dropped because
 * Docker's update sent quota and period 0. */
static int
append_resources (sd_bus_message *msg, const struct unit_res *u)
{
  const struct spec_resources *r = u->r;
  if (r == NULL)
    return 0;
  const struct spec_memory *mem = r->memory;
  if (u->v2)
    {
      if (u->mem.max)
        TRY (sd_bus_message_append (msg, "(sv)", "MemoryMax", "t", limit_value (u->mem.max)));
      if (u->mem.low)
        TRY (sd_bus_message_append (msg, "(sv)", "MemoryLow", "t", limit_value (u->mem.low)));
      if (u->mem.swap_set)
        TRY (sd_bus_message_append (msg, "(sv)", "MemorySwapMax", "t", limit_value (u->mem.swap)));
    }
  else if (mem && mem->has_limit && mem->limit)
    TRY (sd_bus_message_append (msg, "(sv)", "MemoryLimit", "t", limit_value (mem->limit)));
  if (r->has_pids && r->pids_limit)
    TRY (sd_bus_message_append (msg, "(sv)", "TasksMax", "t", limit_value (r->pids_limit)));
  const struct spec_cpu *cpu = r->cpu ? &u->cpu : NULL;
  if (cpu && cpu->has_shares && cpu->shares)
    {
      if (u->v2)
        TRY (sd_bus_message_append (msg, "(sv)", "CPUWeight", "t", cg_shares_to_weight (cpu->shares)));
      else
        TRY (sd_bus_message_append (msg, "(sv)", "CPUShares", "t", cpu->shares));
    }
  if (cpu && cpu->has_period && cpu->period)
    TRY (sd_bus_message_append (msg, "(sv)", "CPUQuotaPeriodUSec", "t", cpu->period));
  if (cpu && cpu->has_quota && cpu->quota)
    {
      uint64_t period = cpu->has_period && cpu->period ? cpu->period : 100000;
      uint64_t per_sec = UINT64_MAX;
      if (cpu->quota > 0)
        {
          /* systemd keeps CPU quota in 10 ms steps per second: round up like runc */
          per_sec = (uint64_t) cpu->quota * 1000000 / period;
          if (per_sec % 10000)
            per_sec = (per_sec / 10000 + 1) * 10000;
        }
      TRY (sd_bus_message_append (msg, "(sv)", "CPUQuotaPerSecUSec", "t", per_sec));
    }
  if (cpu && cpu->cpus && *cpu->cpus)
    TRY (append_mask (msg, "AllowedCPUs", cpu->cpus));
  if (cpu && cpu->mems && *cpu->mems)
    TRY (append_mask (msg, "AllowedMemoryNodes", cpu->mems));
  if (r->block_io && r->block_io->has_weight && r->block_io->weight && u->v2)
    TRY (sd_bus_message_append (msg, "(sv)", "IOWeight", "t",
                                cg_blkio_to_io_weight (r->block_io->weight)));
  return 0;
}

/* DevicePolicy=strict and a DeviceAllow entry per allowed device, like runc:
 * what systemd shows, and attaches again on a daemon-reload or set-property,
 * is the same as our own filter (both apply: never narrower than it). Only on
 * v2, where the programs stack; on v1 systemd would overwrite devices.allow
 * with what it can express, which may be wider, so there the rules stay ours.
 * reset: empty the list first (SetUnitProperties appends to it). */
static int
append_devices (sd_bus_message *msg, const struct spec_resources *r, bool reset)
{
  _cleanup_free_ struct cg_dev_rule *rules = NULL;
  _cleanup_free_ struct cg_dev_allow *allow = NULL;
  size_t n = 0, len = 0;
  bool exact;
  if (cg_device_rules (r, &rules, &n) < 0 || cg_dev_allow_list (rules, n, &allow, &len, &exact) < 0)
    return -ENOMEM;
  TRY (sd_bus_message_append (msg, "(sv)", "DevicePolicy", "s", "strict"));
  if (reset)
    TRY (sd_bus_message_append (msg, "(sv)", "DeviceAllow", "a(ss)", 0));
  TRY (sd_bus_message_open_container (msg, 'r', "sv"));
  TRY (sd_bus_message_append (msg, "s", "DeviceAllow"));
  TRY (sd_bus_message_open_container (msg, 'v', "a(ss)"));
  TRY (sd_bus_message_open_container (msg, 'a', "(ss)"));
  for (size_t i = 0; i < len; i++)
    {
      char path[64];
      cg_dev_allow_path (&allow[i], path, sizeof path);
      TRY (sd_bus_message_append (msg, "(ss)", path, allow[i].access));
    }
  TRY (sd_bus_message_close_container (msg));
  TRY (sd_bus_message_close_container (msg));
  return sd_bus_message_close_container (msg);
}

static bool
pid_in_scope (pid_t pid, const char *rel)
{
  char path[64];
  _cleanup_free_ char *data = NULL;
  snprintf (path, sizeof path, "/proc/%d", (int) pid);
  if (cg_read (path, "cgroup", &data, NULL) < 0)
    return false;
  size_t l = strlen (rel);
  for (char *p = data; (p = strstr (p, rel)); p += l)
    if (p > data && p[-1] == ':' && (p[l] == '\n' || p[l] == '\0'))
      return true;
  return false;
}

int
cg_systemd_start (struct cgroup_manager *m, pid_t pid, struct error **err)
{
  _cleanup_free_ char *unit = NULL, *slice = NULL, *desc = NULL;
  sd_bus *bus = NULL;
  sd_bus_message *msg = NULL, *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  struct unit_res u;
  int ret = -1, r;

  if (unit_names (m, &unit, &slice, err) < 0 || unit_res_prepare (m, m->res, &u, err) < 0
      || open_bus (&bus, err) < 0)
    return -1;
  if (asprintf (&desc, "capsa container %s", m->id) < 0)
    desc = NULL;
  r = sd_bus_message_new_method_call (bus, &msg, "org.freedesktop.systemd1",
                                      "/org/freedesktop/systemd1",
                                      "org.freedesktop.systemd1.Manager", "StartTransientUnit");
  if (r >= 0)
    r = sd_bus_message_append (msg, "ss", unit, "fail");
  if (r >= 0)
    r = sd_bus_message_open_container (msg, 'a', "(sv)");
  if (r >= 0)
    r = sd_bus_message_append (msg, "(sv)(sv)(sv)(sv)", "Description", "s",
                               desc ? desc : "capsa container", "Slice", "s", slice, "Delegate",
                               "b", 1, "DefaultDependencies", "b", 0);
  if (r >= 0)
    r = sd_bus_message_append (msg, "(sv)", "PIDs", "au", 1, (uint32_t) pid);
  if (r >= 0)
    r = append_resources (msg, &u);
  if (r >= 0 && m->layout == CGROUP_LAYOUT_V2)
    r = append_devices (msg, m->res, false);
  if (r >= 0)
    r = sd_bus_message_close_container (msg);
  if (r >= 0)
    r = sd_bus_message_append (msg, "a(sa(sv))", 0);
  if (r < 0)
    {
      bus_fail (err, r, NULL, "build StartTransientUnit for", unit);
      goto out;
    }
  r = sd_bus_call (bus, msg, 0, &e, &reply);
  if (r < 0)
    {
      bus_fail (err, r, &e, "start transient unit", unit);
      goto out;
    }
  /* The job runs asynchronously: the scope exists once the pid moved into it. */
  struct cg_hier *p = cg_primary (m);
  for (unsigned waited = 0;; waited++)
    {
      if (p == NULL || pid_in_scope (pid, p->rel))
        break;
      if (waited >= SCOPE_WAIT_MS)
        {
          error_set (err, ETIMEDOUT, "systemd: unit %s did not take pid %d", unit, (int) pid);
          goto out;
        }
      cg_sleep_ms (1);
    }
  ret = 0;
out:
  sd_bus_error_free (&e);
  sd_bus_message_unref (msg);
  sd_bus_message_unref (reply);
  sd_bus_flush_close_unref (bus);
  return ret;
}

int
cg_systemd_set_properties (struct cgroup_manager *m, const struct spec_resources *res,
                           struct error **err)
{
  _cleanup_free_ char *unit = NULL, *slice = NULL;
  sd_bus *bus = NULL;
  sd_bus_message *msg = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  struct unit_res u;
  int r;

  if (unit_names (m, &unit, &slice, err) < 0 || unit_res_prepare (m, res, &u, err) < 0
      || open_bus (&bus, err) < 0)
    return -1;
  r = sd_bus_message_new_method_call (bus, &msg, "org.freedesktop.systemd1",
                                      "/org/freedesktop/systemd1",
                                      "org.freedesktop.systemd1.Manager", "SetUnitProperties");
  if (r >= 0)
    r = sd_bus_message_append (msg, "sb", unit, 1); /* runtime: not persisted */
  if (r >= 0)
    r = sd_bus_message_open_container (msg, 'a', "(sv)");
  if (r >= 0)
    r = append_resources (msg, &u);
  if (r >= 0 && m->layout == CGROUP_LAYOUT_V2 && res->devices_len > 0)
    r = append_devices (msg, res, true);
  if (r >= 0)
    r = sd_bus_message_close_container (msg);
  if (r >= 0)
    r = sd_bus_call (bus, msg, 0, &e, NULL);
  int ret = r < 0 ? bus_fail (err, r, &e, "set properties of", unit) : 0;
  sd_bus_error_free (&e);
  sd_bus_message_unref (msg);
  sd_bus_flush_close_unref (bus);
  return ret;
}

int
cg_systemd_stop (struct cgroup_manager *m, struct error **err)
{
  _cleanup_free_ char *unit = NULL, *slice = NULL;
  sd_bus *bus = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int ret = 0;

  if (unit_names (m, &unit, &slice, err) < 0 || open_bus (&bus, err) < 0)
    return -1;
  int r = sd_bus_call_method (bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                              "org.freedesktop.systemd1.Manager", "StopUnit", &e, NULL, "ss",
                              unit, "replace");
  /* Already gone (the scope stops by itself once empty): fine. */
  if (r < 0 && !sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
    ret = bus_fail (err, r, &e, "stop unit", unit);
  sd_bus_error_free (&e);
  /* A scope that failed stays listed as failed; forget it. */
  sd_bus_call_method (bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                      "org.freedesktop.systemd1.Manager", "ResetFailedUnit", &e, NULL, "s", unit);
  sd_bus_error_free (&e);
  sd_bus_flush_close_unref (bus);
  return ret;
}

#else /* !HAVE_LIBSYSTEMD */

static int
no_systemd (struct error **err)
{
  return error_set (err, ENOTSUP, "systemd cgroup driver: capsa was built without libsystemd");
}

int
cg_systemd_start (struct cgroup_manager *m, pid_t pid, struct error **err)
{
  (void) m;
  (void) pid;
  return no_systemd (err);
}

int
cg_systemd_set_properties (struct cgroup_manager *m, const struct spec_resources *res,
                           struct error **err)
{
  (void) m;
  (void) res;
  return no_systemd (err);
}

int
cg_systemd_stop (struct cgroup_manager *m, struct error **err)
{
  (void) m;
  return no_systemd (err);
}

#endif
