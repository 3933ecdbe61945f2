/* runc's `events --stats` data object (types/events.go). Go's encoder drops
 * fields tagged omitempty when zero, except struct-typed ones, which it always
 * writes: mirrored field by field here so the output compares with runc's. */
#define _GNU_SOURCE
#include <stdio.h>

#include "cgroup_internal.h"
#include "spec/util/json.h"

static void
u64_opt (struct json_writer *w, const char *key, uint64_t v)
{
  if (v == 0)
    return;
  json_w_key (w, key);
  json_w_uint (w, v);
}

static void
u64 (struct json_writer *w, const char *key, uint64_t v)
{
  json_w_key (w, key);
  json_w_uint (w, v);
}

static void
u64_list_opt (struct json_writer *w, const char *key, const uint64_t *v, size_t n)
{
  if (n == 0)
    return;
  json_w_key (w, key);
  json_w_begin_array (w);
  for (size_t i = 0; i < n; i++)
    json_w_uint (w, v[i]);
  json_w_end_array (w);
}

static void
u16_list_opt (struct json_writer *w, const char *key, const uint16_t *v, size_t n)
{
  if (n == 0)
    return;
  json_w_key (w, key);
  json_w_begin_array (w);
  for (size_t i = 0; i < n; i++)
    json_w_uint (w, v[i]);
  json_w_end_array (w);
}

static void
mem_entry (struct json_writer *w, const char *key, const struct cgroup_mem_entry *e)
{
  json_w_key (w, key);
  json_w_begin_object (w);
  u64 (w, "limit", e->limit);
  u64_opt (w, "usage", e->usage);
  u64_opt (w, "max", e->max);
  u64 (w, "failcnt", e->failcnt);
  json_w_end_object (w);
}

static void
blkio_list (struct json_writer *w, const char *key, const struct cgroup_blkio_entry *e, size_t n)
{
  if (n == 0)
    return;
  json_w_key (w, key);
  json_w_begin_array (w);
  for (size_t i = 0; i < n; i++)
    {
      json_w_begin_object (w);
      u64_opt (w, "major", e[i].major);
      u64_opt (w, "minor", e[i].minor);
      if (e[i].op[0])
        {
          json_w_key (w, "op");
          json_w_string (w, e[i].op);
        }
      u64_opt (w, "value", e[i].value);
      json_w_end_object (w);
    }
  json_w_end_array (w);
}

void
cgroup_stats_write_json (struct json_writer *w, const struct cgroup_stats *s)
{
  json_w_begin_object (w);

  json_w_key (w, "cpu");
  json_w_begin_object (w);
  json_w_key (w, "usage");
  json_w_begin_object (w);
  u64_opt (w, "total", s->cpu.total);
  u64_list_opt (w, "percpu", s->cpu.percpu, s->cpu.npercpu);
  u64_list_opt (w, "percpu_kernel", s->cpu.percpu_kernel, s->cpu.npercpu_kernel);
  u64_list_opt (w, "percpu_user", s->cpu.percpu_user, s->cpu.npercpu_user);
  u64 (w, "kernel", s->cpu.kernel);
  u64 (w, "user", s->cpu.user);
  json_w_end_object (w);
  json_w_key (w, "throttling");
  json_w_begin_object (w);
  u64_opt (w, "periods", s->cpu.periods);
  u64_opt (w, "throttledPeriods", s->cpu.throttled_periods);
  u64_opt (w, "throttledTime", s->cpu.throttled_time);
  json_w_end_object (w);
  json_w_end_object (w);

  json_w_key (w, "cpuset");
  json_w_begin_object (w);
  u16_list_opt (w, "cpus", s->cpuset.cpus, s->cpuset.ncpus);
  u64 (w, "cpu_exclusive", s->cpuset.cpu_exclusive);
  u16_list_opt (w, "mems", s->cpuset.mems, s->cpuset.nmems);
  u64 (w, "mem_hardwall", s->cpuset.mem_hardwall);
  u64 (w, "mem_exclusive", s->cpuset.mem_exclusive);
  u64 (w, "memory_migrate", s->cpuset.memory_migrate);
  u64 (w, "memory_spread_page", s->cpuset.memory_spread_page);
  u64 (w, "memory_spread_slab", s->cpuset.memory_spread_slab);
  u64 (w, "memory_pressure", s->cpuset.memory_pressure);
  u64 (w, "sched_load_balance", s->cpuset.sched_load_balance);
  json_w_key (w, "sched_relax_domain_level");
  json_w_int (w, s->cpuset.sched_relax_domain_level);
  json_w_end_object (w);

  json_w_key (w, "memory");
  json_w_begin_object (w);
  u64_opt (w, "cache", s->memory.cache);
  mem_entry (w, "usage", &s->memory.usage);
  mem_entry (w, "swap", &s->memory.swap);
  mem_entry (w, "kernel", &s->memory.kernel);
  mem_entry (w, "kernelTCP", &s->memory.kernel_tcp);
  if (s->memory.nraw)
    {
      json_w_key (w, "raw");
      json_w_begin_object (w);
      for (size_t i = 0; i < s->memory.nraw; i++)
        u64 (w, s->memory.raw[i].key, s->memory.raw[i].value);
      json_w_end_object (w);
    }
  json_w_end_object (w);

  json_w_key (w, "pids");
  json_w_begin_object (w);
  u64_opt (w, "current", s->pids.current);
  u64_opt (w, "limit", s->pids.limit);
  json_w_end_object (w);

  static const char *const blkio_keys[CG_BLKIO_KINDS] = {
    "ioServiceBytesRecursive", "ioServicedRecursive", "ioQueueRecursive",
    "ioServiceTimeRecursive", "ioWaitTimeRecursive", "ioMergedRecursive",
    "ioTimeRecursive", "sectorsRecursive",
  };
  json_w_key (w, "blkio");
  json_w_begin_object (w);
  for (size_t k = 0; k < CG_BLKIO_KINDS; k++)
    blkio_list (w, blkio_keys[k], s->blkio[k], s->nblkio[k]);
  json_w_end_object (w);

  json_w_key (w, "hugetlb");
  json_w_begin_object (w);
  for (size_t i = 0; i < s->nhugetlb; i++)
    {
      json_w_key (w, s->hugetlb[i].page_size);
      json_w_begin_object (w);
      u64_opt (w, "usage", s->hugetlb[i].usage);
      u64_opt (w, "max", s->hugetlb[i].max);
      u64 (w, "failcnt", s->hugetlb[i].failcnt);
      json_w_end_object (w);
    }
  json_w_end_object (w);

  json_w_key (w, "intel_rdt");
  json_w_begin_object (w);
  json_w_end_object (w);
  json_w_key (w, "network_interfaces");
  json_w_null (w);

  json_w_end_object (w);
}
