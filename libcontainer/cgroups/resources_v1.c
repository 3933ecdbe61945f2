/* linux.resources on cgroup v1 hierarchies. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resources.h"
#include "spec/util/cleanup.h"

int
cg_set (const char *dir, const char *file, const char *jpath, struct error **err,
        const char *fmt, ...)
{
  _cleanup_free_ char *value = NULL;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&value, fmt, ap);
  va_end (ap);
  if (r < 0)
    return error_set (err, ENOMEM, "%s", jpath);
  if (cg_write (dir, file, value, err) < 0)
    return error_wrap (err, "%s", jpath);
  return 0;
}

int
cg_get_i64 (const char *dir, const char *file, int64_t *out)
{
  _cleanup_free_ char *data = NULL;
  char *end;
  if (cg_read (dir, file, &data, NULL) < 0)
    return -1;
  errno = 0;
  long long v = strtoll (data, &end, 10);
  if (errno || end == data || (*end != '\0' && *end != '\n' && *end != ' '))
    return -1; /* "max", or not a number */
  *out = v;
  return 0;
}

int
cg_v1_memory (const char *dir, const struct spec_memory *mem, struct error **err)
{
  int64_t limit = cg_mem_value (mem->has_limit, mem->limit);
  int64_t swap = cg_mem_value (mem->has_swap, mem->swap);
  if (mem->has_kernel && mem->kernel)
    log_warn ("linux.resources.memory.kernel is ignored (not supported by the kernel)");
  /* Unlimited memory with the swap left alone means both unlimited, as in runc:
   * memsw may never be below the memory limit. */
  if (limit == -1 && swap == 0 && cg_file_exists (dir, "memory.memsw.limit_in_bytes"))
    swap = -1;
  /* memsw must stay >= memory at every step: memsw first when it ends above the
   * memory limit in force (both raised), else memory first (both lowered). */
  bool swap_first = false;
  if (limit != 0 && swap != 0)
    {
      int64_t cur;
      swap_first = swap == -1 || (cg_get_i64 (dir, "memory.limit_in_bytes", &cur) == 0 && cur < swap);
    }
  if (swap_first && cg_set (dir, "memory.memsw.limit_in_bytes", "linux.resources.memory.swap", err,
                            "%" PRId64, swap) < 0)
    return -1;
  if (limit != 0 && cg_set (dir, "memory.limit_in_bytes", "linux.resources.memory.limit", err,
                            "%" PRId64, limit) < 0)
    return -1;
  if (swap != 0 && !swap_first
      && cg_set (dir, "memory.memsw.limit_in_bytes", "linux.resources.memory.swap", err,
                 "%" PRId64, swap) < 0)
    return -1;
  if (mem->has_reservation && mem->reservation
      && cg_set (dir, "memory.soft_limit_in_bytes", "linux.resources.memory.reservation", err,
                 "%" PRId64, mem->reservation) < 0)
    return -1;
  if (mem->has_kernel_tcp && mem->kernel_tcp
      && cg_set (dir, "memory.kmem.tcp.limit_in_bytes", "linux.resources.memory.kernelTCP", err,
                 "%" PRId64, mem->kernel_tcp) < 0)
    return -1;
  if (mem->has_swappiness
      && cg_set (dir, "memory.swappiness", "linux.resources.memory.swappiness", err,
                 "%" PRIu64, mem->swappiness) < 0)
    return -1;
  if (mem->has_disable_oom_killer && mem->disable_oom_killer
      && cg_set (dir, "memory.oom_control", "linux.resources.memory.disableOOMKiller", err, "1") < 0)
    return -1;
  if (mem->has_use_hierarchy
      && cg_set (dir, "memory.use_hierarchy", "linux.resources.memory.useHierarchy", err, "%d",
                 mem->use_hierarchy ? 1 : 0) < 0)
    return -1;
  return 0;
}

int
cg_v1_cpu (const char *dir, const struct spec_cpu *cpu, struct error **err)
{
  bool quota = cpu->has_quota && cpu->quota, period_after_quota = false;
  if (cpu->has_shares && cpu->shares
      && cg_set (dir, "cpu.shares", "linux.resources.cpu.shares", err, "%" PRIu64, cpu->shares) < 0)
    return -1;
  /* The period first: a quota is checked against the current period. But a
   * shorter period with the old quota can exceed the parent's quota (EINVAL):
   * then the new quota first and the period after it, as runc retries. */
  if (cpu->has_period && cpu->period)
    {
      struct error *e = NULL;
      if (cg_set (dir, "cpu.cfs_period_us", "linux.resources.cpu.period", &e, "%" PRIu64,
                  cpu->period) < 0)
        {
          if (e->errnum != EINVAL || !quota)
            return error_propagate (err, &e);
          error_free (&e);
          period_after_quota = true;
        }
    }
  if (quota
      && cg_set (dir, "cpu.cfs_quota_us", "linux.resources.cpu.quota", err, "%" PRId64,
                 cpu->quota) < 0)
    return -1;
  if (period_after_quota
      && cg_set (dir, "cpu.cfs_period_us", "linux.resources.cpu.period", err, "%" PRIu64,
                 cpu->period) < 0)
    return -1;
  if (cpu->has_burst
      && cg_set (dir, "cpu.cfs_burst_us", "linux.resources.cpu.burst", err, "%" PRIu64, cpu->burst) < 0)
    return -1;
  if (cpu->has_realtime_period && cpu->realtime_period
      && cg_set (dir, "cpu.rt_period_us", "linux.resources.cpu.realtimePeriod", err, "%" PRIu64,
                 cpu->realtime_period) < 0)
    return -1;
  if (cpu->has_realtime_runtime && cpu->realtime_runtime
      && cg_set (dir, "cpu.rt_runtime_us", "linux.resources.cpu.realtimeRuntime", err, "%" PRId64,
                 cpu->realtime_runtime) < 0)
    return -1;
  if (cpu->has_idle
      && cg_set (dir, "cpu.idle", "linux.resources.cpu.idle", err, "%" PRId64, cpu->idle) < 0)
    return -1;
  return 0;
}

static int
devices (const char *dir, const char *file, const char *jpath, const struct spec_throttle_device *d,
         size_t n, struct error **err)
{
  for (size_t i = 0; i < n; i++)
    if (cg_set (dir, file, jpath, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major, d[i].minor,
                d[i].rate) < 0)
      return -1;
  return 0;
}

int
cg_v1_blkio (const char *dir, const struct spec_blkio *b, struct error **err)
{
  /* CFQ's blkio.weight is gone from new kernels; BFQ's file takes the same range. */
  const char *wfile = !cg_file_exists (dir, "blkio.weight") && cg_file_exists (dir, "blkio.bfq.weight")
                          ? "blkio.bfq.weight" : "blkio.weight";
  const char *wdev = strcmp (wfile, "blkio.weight") == 0 ? "blkio.weight_device" : "blkio.bfq.weight_device";
  if (b->has_weight && b->weight
      && cg_set (dir, wfile, "linux.resources.blockIO.weight", err, "%u", b->weight) < 0)
    return -1;
  if (b->has_leaf_weight && b->leaf_weight
      && cg_set (dir, "blkio.leaf_weight", "linux.resources.blockIO.leafWeight", err, "%u",
                 b->leaf_weight) < 0)
    return -1;
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const struct spec_weight_device *w = &b->weight_device[i];
      if (w->has_weight && w->weight
          && cg_set (dir, wdev, "linux.resources.blockIO.weightDevice", err,
                     "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight) < 0)
        return -1;
      if (w->has_leaf_weight && w->leaf_weight
          && cg_set (dir, "blkio.leaf_weight_device", "linux.resources.blockIO.weightDevice", err,
                     "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->leaf_weight) < 0)
        return -1;
    }
  if (devices (dir, "blkio.throttle.read_bps_device", "linux.resources.blockIO.throttleReadBpsDevice",
               b->throttle_read_bps, b->throttle_read_bps_len, err) < 0
      || devices (dir, "blkio.throttle.write_bps_device", "linux.resources.blockIO.throttleWriteBpsDevice",
                  b->throttle_write_bps, b->throttle_write_bps_len, err) < 0
      || devices (dir, "blkio.throttle.read_iops_device", "linux.resources.blockIO.throttleReadIOPSDevice",
                  b->throttle_read_iops, b->throttle_read_iops_len, err) < 0
      || devices (dir, "blkio.throttle.write_iops_device", "linux.resources.blockIO.throttleWriteIOPSDevice",
                  b->throttle_write_iops, b->throttle_write_iops_len, err) < 0)
    return -1;
  return 0;
}

int
cg_v1_devices (const char *dir, const struct cg_dev_rule *rules, size_t n, struct error **err)
{
  /* Start from nothing allowed; then the rules in order. */
  if (cg_set (dir, "devices.deny", "linux.resources.devices", err, "a") < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      char line[64];
      cg_dev_rule_format (&rules[i], line, sizeof line);
      if (cg_set (dir, rules[i].allow ? "devices.allow" : "devices.deny", "linux.resources.devices",
                  err, "%s", line) < 0)
        return -1;
    }
  return 0;
}
