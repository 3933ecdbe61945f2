/* linux.resources dispatch: each controller goes to the tree that hosts it (a
 * v1 hierarchy, or cgroup2 on v2 and for what hybrid's unified tree carries). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices_bpf.h"
#include "resources.h"
#include "spec/util/cleanup.h"

static int
missing (const char *jpath, const char *controller, struct error **err)
{
  return error_set (err, 0, "%s: the host has no %s cgroup controller", jpath, controller);
}

/* The predicates skip what runc reads as "unset": 0 for every limit and weight
 * (Docker's update sends 0 for each value the user left out). */
static bool
memory_set (const struct spec_memory *m)
{
  return m && ((m->has_limit && m->limit) || (m->has_reservation && m->reservation)
               || (m->has_swap && m->swap) || (m->has_kernel && m->kernel)
               || (m->has_kernel_tcp && m->kernel_tcp) || m->has_swappiness
               || (m->has_disable_oom_killer && m->disable_oom_killer) || m->has_use_hierarchy);
}

static bool
cpu_set (const struct spec_cpu *c)
{
  return c && ((c->has_shares && c->shares) || (c->has_quota && c->quota) || (c->has_period && c->period)
               || c->has_burst || (c->has_realtime_period && c->realtime_period)
               || (c->has_realtime_runtime && c->realtime_runtime) || c->has_idle);
}

static bool
blkio_set (const struct spec_blkio *b)
{
  return b && ((b->has_weight && b->weight) || (b->has_leaf_weight && b->leaf_weight)
               || b->weight_device_len || b->throttle_read_bps_len || b->throttle_write_bps_len
               || b->throttle_read_iops_len || b->throttle_write_iops_len);
}

void
cg_cpu_in_force (const char *dir, bool v2, const struct spec_cpu *cpu, struct spec_cpu *out)
{
  bool quota = cpu->has_quota && cpu->quota, period = cpu->has_period && cpu->period;
  int64_t q = -1, p = 0;
  *out = *cpu;
  if (quota == period || dir == NULL)
    return;
  if (v2)
    {
      _cleanup_free_ char *line = NULL;
      char *rest;
      if (cg_read (dir, "cpu.max", &line, NULL) == 0)
        {
          /* "max 100000" or "50000 100000" */
          if (strncmp (line, "max", 3) == 0)
            rest = line + 3;
          else
            q = strtoll (line, &rest, 10);
          p = strtoll (rest, NULL, 10);
        }
    }
  else
    {
      cg_get_i64 (dir, "cpu.cfs_quota_us", &q);
      cg_get_i64 (dir, "cpu.cfs_period_us", &p);
    }
  if (!quota)
    {
      out->has_quota = true;
      out->quota = q;
    }
  else if (p > 0)
    {
      out->has_period = true;
      out->period = (uint64_t) p;
    }
}

static int
apply_devices (struct cgroup_manager *m, const struct spec_resources *r, struct error **err)
{
  _cleanup_free_ struct cg_dev_rule *rules = NULL;
  size_t n = 0;
  struct cg_hier *h = cg_find (m, "devices");
  if (h == NULL)
    {
      if (r->devices_len)
        return missing ("linux.resources.devices", "devices", err);
      return 0;
    }
  if (cg_device_rules (r, &rules, &n) < 0)
    return error_set (err, ENOMEM, "linux.resources.devices");
  if (!h->v2)
    return cg_v1_devices (h->dir, rules, n, err);
  int fd = cgroup_clone_into_fd (m);
  if (fd < 0)
    return error_set (err, errno, "linux.resources.devices: open %s", h->dir);
  return cg_bpf_attach_devices (fd, h->dir, rules, n, err);
}

/* hugepageLimits: one knob per page size, named alike on v1 and cgroup2 but
 * for the suffix. */
static int
apply_hugetlb (const struct cg_hier *h, const struct spec_resources *r, struct error **err)
{
  const char *suffix = h->v2 ? "max" : "limit_in_bytes";
  for (size_t i = 0; i < r->hugepage_limits_len; i++)
    {
      _cleanup_free_ char *file = NULL;
      if (asprintf (&file, "hugetlb.%s.%s", r->hugepage_limits[i].page_size, suffix) < 0)
        return error_set (err, ENOMEM, "hugepageLimits");
      if (cg_set (h->dir, file, "linux.resources.hugepageLimits", err, "%" PRIu64,
                  r->hugepage_limits[i].limit) < 0)
        return -1;
    }
  return 0;
}

static int
apply_rdma (struct cg_hier *h, const struct spec_resources *r, struct error **err)
{
  for (size_t i = 0; i < r->rdma_len; i++)
    {
      const struct spec_rdma *d = &r->rdma[i];
      char handles[40] = "", objects[40] = "";
      if (!d->has_hca_handles && !d->has_hca_objects)
        continue;
      if (d->has_hca_handles)
        snprintf (handles, sizeof handles, " hca_handle=%" PRIu32, d->hca_handles);
      if (d->has_hca_objects)
        snprintf (objects, sizeof objects, " hca_object=%" PRIu32, d->hca_objects);
      if (cg_set (h->dir, "rdma.max", "linux.resources.rdma", err, "%s%s%s", d->device, handles, objects) < 0)
        return -1;
    }
  return 0;
}

static int
apply_network (struct cgroup_manager *m, const struct spec_network *net, struct error **err)
{
  if (!net->has_class_id && net->priorities_len == 0)
    return 0;
  if (m->layout == CGROUP_LAYOUT_V2)
    return error_set (err, 0, "linux.resources.network: not supported on cgroup v2 (no net_cls/net_prio)");
  if (net->has_class_id)
    {
      struct cg_hier *h = cg_find (m, "net_cls");
      if (h == NULL || h->v2)
        return missing ("linux.resources.network.classID", "net_cls", err);
      if (cg_set (h->dir, "net_cls.classid", "linux.resources.network.classID", err, "%" PRIu32,
                  net->class_id) < 0)
        return -1;
    }
  if (net->priorities_len)
    {
      struct cg_hier *h = cg_find (m, "net_prio");
      if (h == NULL || h->v2)
        return missing ("linux.resources.network.priorities", "net_prio", err);
      for (size_t i = 0; i < net->priorities_len; i++)
        if (cg_set (h->dir, "net_prio.ifpriomap", "linux.resources.network.priorities", err,
                    "%s %" PRIu32, net->priorities[i].name, net->priorities[i].priority) < 0)
          return -1;
    }
  return 0;
}

int
cg_apply_resources (struct cgroup_manager *m, const struct spec_resources *r, bool with_devices,
                    struct error **err)
{
  struct cg_hier *h;

  if (r->unified_len && m->layout != CGROUP_LAYOUT_V2)
    return error_set (err, 0, "linux.resources.unified: requires cgroup v2 (this host has %s)",
                      cgroup_layout_name (m->layout));

  if (memory_set (r->memory))
    {
      if ((h = cg_find (m, "memory")) == NULL)
        return missing ("linux.resources.memory", "memory", err);
      if ((h->v2 ? cg_v2_memory : cg_v1_memory) (h->dir, r->memory, err) < 0)
        return -1;
    }
  if (cpu_set (r->cpu))
    {
      if ((h = cg_find (m, "cpu")) == NULL)
        return missing ("linux.resources.cpu", "cpu", err);
      if ((h->v2 ? cg_v2_cpu : cg_v1_cpu) (h->dir, r->cpu, err) < 0)
        return -1;
    }
  if (r->cpu && ((r->cpu->cpus && *r->cpu->cpus) || (r->cpu->mems && *r->cpu->mems)))
    {
      if ((h = cg_find (m, "cpuset")) == NULL)
        return missing ("linux.resources.cpu.cpus", "cpuset", err);
      if (r->cpu->cpus && *r->cpu->cpus
          && cg_set (h->dir, "cpuset.cpus", "linux.resources.cpu.cpus", err, "%s", r->cpu->cpus) < 0)
        return -1;
      if (r->cpu->mems && *r->cpu->mems
          && cg_set (h->dir, "cpuset.mems", "linux.resources.cpu.mems", err, "%s", r->cpu->mems) < 0)
        return -1;
    }
  if (r->has_pids && r->pids_limit != 0) /* 0: unchanged, as in runc */
    {
      if ((h = cg_find (m, "pids")) == NULL)
        return missing ("linux.resources.pids", "pids", err);
      int r2 = r->pids_limit > 0
                   ? cg_set (h->dir, "pids.max", "linux.resources.pids.limit", err, "%" PRId64, r->pids_limit)
                   : cg_set (h->dir, "pids.max", "linux.resources.pids.limit", err, "max");
      if (r2 < 0)
        return -1;
    }
  if (blkio_set (r->block_io))
    {
      h = cg_find (m, "blkio");
      if (h == NULL && m->layout == CGROUP_LAYOUT_V2)
        h = cg_find (m, "io");
      if (h == NULL)
        return missing ("linux.resources.blockIO", "blkio/io", err);
      if ((h->v2 ? cg_v2_io : cg_v1_blkio) (h->dir, r->block_io, err) < 0)
        return -1;
    }
  if (r->hugepage_limits_len)
    {
      if ((h = cg_find (m, "hugetlb")) == NULL)
        return missing ("linux.resources.hugepageLimits", "hugetlb", err);
      if (apply_hugetlb (h, r, err) < 0)
        return -1;
    }
  if (r->network && apply_network (m, r->network, err) < 0)
    return -1;
  if (r->rdma_len)
    {
      if ((h = cg_find (m, "rdma")) == NULL)
        return missing ("linux.resources.rdma", "rdma", err);
      if (apply_rdma (h, r, err) < 0)
        return -1;
    }
  if (r->unified_len && cg_v2_unified (cg_unified (m)->dir, r, err) < 0)
    return -1;
  return with_devices ? apply_devices (m, r, err) : 0;
}
