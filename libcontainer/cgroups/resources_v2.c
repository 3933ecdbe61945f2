/* linux.resources on cgroup v2, with the v1 -> v2 conversions of convert.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resources.h"
#include "spec/util/cleanup.h"

static const char *
fmt_max (int64_t v, char *buf, size_t len)
{
  if (v < 0)
    return "max";
  snprintf (buf, len, "%" PRId64, v);
  return buf;
}

int
cg_v2_memory_values (const char *dir, const struct spec_memory *mem, struct cg_v2_memory *out,
                     struct error **err)
{
  int64_t limit = cg_mem_value (mem->has_limit, mem->limit);
  int64_t memsw = cg_mem_value (mem->has_swap, mem->swap);
  int64_t cur_max = -1, cur_swap;
  bool in_force = dir && cg_get_i64 (dir, "memory.max", &cur_max) == 0;
  *out = (struct cg_v2_memory) { .max = limit, .low = cg_mem_value (mem->has_reservation, mem->reservation) };
  if (memsw == 0 && limit > 0 && in_force && cg_get_i64 (dir, "memory.swap.max", &cur_swap) == 0)
    {
      /* A new memory limit alone keeps memory + swap as they were (v1's memsw). */
      memsw = cur_max + cur_swap;
      if (limit > memsw)
        return error_set (err, 0,
                          "linux.resources.memory.limit: %" PRId64 " is above the memory+swap limit in "
                          "force (%" PRId64 "): set the swap limit too", limit, memsw);
    }
  if (memsw > 0 && limit == 0)
    limit = cur_max; /* only to convert memory+swap: memory.max stays */
  const char *why = NULL;
  if (cg_swap_to_v2 (memsw, memsw != 0, limit, limit != 0, &out->swap, &why) < 0)
    return error_set (err, 0, "linux.resources.memory.swap: %s", why);
  out->swap_set = out->swap != 0 || memsw > 0;
  return 0;
}

int
cg_v2_memory (const char *dir, const struct spec_memory *mem, struct error **err)
{
  char b[32];
  struct cg_v2_memory v;
  if (mem->has_kernel && mem->kernel)
    log_warn ("linux.resources.memory.kernel is ignored (not supported by the kernel)");
  if (mem->has_kernel_tcp && mem->kernel_tcp)
    log_warn ("linux.resources.memory.kernelTCP is ignored on cgroup v2");
  if (mem->has_swappiness)
    log_warn ("linux.resources.memory.swappiness is ignored on cgroup v2");
  if (mem->has_disable_oom_killer && mem->disable_oom_killer)
    log_warn ("linux.resources.memory.disableOOMKiller is ignored on cgroup v2");
  if (cg_v2_memory_values (dir, mem, &v, err) < 0)
    return -1;
  /* No order to keep: v2 limits memory and swap each on its own. */
  if (v.swap_set)
    {
      struct error *e = NULL;
      if (cg_set (dir, "memory.swap.max", "linux.resources.memory.swap", &e, "%s",
                  fmt_max (v.swap, b, sizeof b)) < 0)
        {
          if (e->errnum != ENOENT || v.swap != -1)
            return error_propagate (err, &e);
          error_free (&e); /* no swap accounting: unlimited is what we have */
        }
    }
  if (v.max != 0
      && cg_set (dir, "memory.max", "linux.resources.memory.limit", err, "%s",
                 fmt_max (v.max, b, sizeof b)) < 0)
    return -1;
  if (v.low != 0
      && cg_set (dir, "memory.low", "linux.resources.memory.reservation", err, "%s",
                 fmt_max (v.low, b, sizeof b)) < 0)
    return -1;
  return 0;
}

int
cg_v2_cpu (const char *dir, const struct spec_cpu *cpu, struct error **err)
{
  char buf[64];
  struct spec_cpu c;
  if ((cpu->has_realtime_runtime && cpu->realtime_runtime)
      || (cpu->has_realtime_period && cpu->realtime_period))
    return error_set (err, 0, "linux.resources.cpu.realtimeRuntime/realtimePeriod: not supported on cgroup v2");
  if (cpu->has_shares && cpu->shares
      && cg_set (dir, "cpu.weight", "linux.resources.cpu.shares", err, "%" PRIu64,
                 cg_shares_to_weight (cpu->shares)) < 0)
    return -1;
  cg_cpu_in_force (dir, true, cpu, &c);
  if (cg_cpu_max (&c, buf, sizeof buf)
      && cg_set (dir, "cpu.max", "linux.resources.cpu.quota", err, "%s", buf) < 0)
    return -1;
  if (cpu->has_burst
      && cg_set (dir, "cpu.max.burst", "linux.resources.cpu.burst", err, "%" PRIu64, cpu->burst) < 0)
    return -1;
  if (cpu->has_idle
      && cg_set (dir, "cpu.idle", "linux.resources.cpu.idle", err, "%" PRId64, cpu->idle) < 0)
    return -1;
  return 0;
}

static int
io_max (const char *dir, const char *key, const char *jpath, const struct spec_throttle_device *d,
        size_t n, struct error **err)
{
  for (size_t i = 0; i < n; i++)
    if (cg_set (dir, "io.max", jpath, err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d[i].major,
                d[i].minor, key, d[i].rate) < 0)
      return -1;
  return 0;
}

int
cg_v2_io (const char *dir, const struct spec_blkio *b, struct error **err)
{
  /* BFQ takes the v1 range as is; io.weight needs the conversion. */
  bool bfq = cg_file_exists (dir, "io.bfq.weight");
  if (b->has_leaf_weight && b->leaf_weight)
    log_warn ("linux.resources.blockIO.leafWeight is ignored on cgroup v2");
  if (b->has_weight && b->weight)
    {
      if (bfq ? cg_set (dir, "io.bfq.weight", "linux.resources.blockIO.weight", err, "%u", b->weight)
              : cg_set (dir, "io.weight", "linux.resources.blockIO.weight", err, "default %" PRIu64,
                        cg_blkio_to_io_weight (b->weight)) < 0)
        return -1;
    }
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const struct spec_weight_device *w = &b->weight_device[i];
      if (!w->has_weight)
        continue;
      if (bfq ? cg_set (dir, "io.bfq.weight", "linux.resources.blockIO.weightDevice", err,
                        "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight)
              : cg_set (dir, "io.weight", "linux.resources.blockIO.weightDevice", err,
                        "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                        cg_blkio_to_io_weight (w->weight)) < 0)
        return -1;
    }
  if (io_max (dir, "rbps", "linux.resources.blockIO.throttleReadBpsDevice", b->throttle_read_bps,
              b->throttle_read_bps_len, err) < 0
      || io_max (dir, "wbps", "linux.resources.blockIO.throttleWriteBpsDevice", b->throttle_write_bps,
                 b->throttle_write_bps_len, err) < 0
      || io_max (dir, "riops", "linux.resources.blockIO.throttleReadIOPSDevice", b->throttle_read_iops,
                 b->throttle_read_iops_len, err) < 0
      || io_max (dir, "wiops", "linux.resources.blockIO.throttleWriteIOPSDevice",
                 b->throttle_write_iops, b->throttle_write_iops_len, err) < 0)
    return -1;
  return 0;
}

int
cg_v2_unified (const char *dir, const struct spec_resources *r, struct error **err)
{
  for (size_t i = 0; i < r->unified_len; i++)
    {
      const char *k = r->unified[i].key;
      if (*k == '\0' || strchr (k, '/') || strcmp (k, ".") == 0 || strcmp (k, "..") == 0)
        return error_set (err, 0, "linux.resources.unified: invalid key \"%s\"", k);
      if (cg_write (dir, k, r->unified[i].value, err) < 0)
        return error_wrap (err, "linux.resources.unified[\"%s\"]", k);
    }
  return 0;
}
