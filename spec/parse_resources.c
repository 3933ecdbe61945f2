/* linux.resources -> struct spec_resources. Also the whole document of
 * `capsa update --resources`, so the format checks that need no other part of
 * the config (device rule type and access) are made here. */
#define _GNU_SOURCE
#include "parse_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* -1 (or absent) is the wildcard; any other negative or a number beyond the
 * kernel's dev_t would be truncated by the device filter into another rule. */
static int
check_rule_number (struct pctx *p, const char *key, int64_t n, int64_t max)
{
  if (n >= -1 && n <= max)
    return 0;
  return pfail_key (p, key, "value %" PRId64 " out of range (-1 for any, 0 to %" PRId64 ")", n,
                    max);
}

static int
parse_device_rule (struct pctx *p, const struct json_value *v, struct spec_device_cgroup *d)
{
  char *type = NULL;
  d->major = d->minor = -1;
  P_TRY (p_required (p, p_bool (p, v, "allow", &d->allow), "allow"));
  int rc = p_string (p, v, "type", &type);
  if (rc < 0)
    return -1;
  if (rc > 0)
    {
      bool ok = strlen (type) == 1 && strchr ("abc", type[0]) != NULL;
      if (ok)
        d->type = type[0];
      else
        pfail_key (p, "type", "unknown device type \"%s\" (want a, b or c)", type);
      free (type);
      if (!ok)
        return -1;
    }
  P_TRY (p_i64 (p, v, "major", &d->major));
  P_TRY (p_i64 (p, v, "minor", &d->minor));
  P_TRY (check_rule_number (p, "major", d->major, SPEC_DEV_MAJOR_MAX));
  P_TRY (check_rule_number (p, "minor", d->minor, SPEC_DEV_MINOR_MAX));
  P_TRY (p_string (p, v, "access", &d->access));
  if (d->access != NULL)
    for (const char *c = d->access; *c; c++)
      if (strchr ("rwm", *c) == NULL)
        return pfail_key (p, "access", "invalid access \"%s\" (want a subset of \"rwm\")",
                          d->access);
  return 0;
}

static int
parse_memory (struct pctx *p, const struct json_value *v, struct spec_memory *m)
{
  P_OPT (p_i64 (p, v, "limit", &m->limit), m->has_limit);
  P_OPT (p_i64 (p, v, "reservation", &m->reservation), m->has_reservation);
  P_OPT (p_i64 (p, v, "swap", &m->swap), m->has_swap);
  P_OPT (p_i64 (p, v, "kernel", &m->kernel), m->has_kernel);
  P_OPT (p_i64 (p, v, "kernelTCP", &m->kernel_tcp), m->has_kernel_tcp);
  P_OPT (p_u64 (p, v, "swappiness", &m->swappiness), m->has_swappiness);
  P_OPT (p_bool (p, v, "disableOOMKiller", &m->disable_oom_killer), m->has_disable_oom_killer);
  P_OPT (p_bool (p, v, "useHierarchy", &m->use_hierarchy), m->has_use_hierarchy);
  P_OPT (p_bool (p, v, "checkBeforeUpdate", &m->check_before_update),
         m->has_check_before_update);
  return 0;
}

static int
parse_cpu (struct pctx *p, const struct json_value *v, struct spec_cpu *c)
{
  P_OPT (p_u64 (p, v, "shares", &c->shares), c->has_shares);
  P_OPT (p_i64 (p, v, "quota", &c->quota), c->has_quota);
  P_OPT (p_u64 (p, v, "burst", &c->burst), c->has_burst);
  P_OPT (p_u64 (p, v, "period", &c->period), c->has_period);
  P_OPT (p_i64 (p, v, "realtimeRuntime", &c->realtime_runtime), c->has_realtime_runtime);
  P_OPT (p_u64 (p, v, "realtimePeriod", &c->realtime_period), c->has_realtime_period);
  P_TRY (p_string (p, v, "cpus", &c->cpus));
  P_TRY (p_string (p, v, "mems", &c->mems));
  P_OPT (p_i64 (p, v, "idle", &c->idle), c->has_idle);
  return 0;
}

static int
parse_weight_device (struct pctx *p, const struct json_value *v, struct spec_weight_device *d)
{
  P_TRY (p_required (p, p_i64 (p, v, "major", &d->major), "major"));
  P_TRY (p_required (p, p_i64 (p, v, "minor", &d->minor), "minor"));
  P_OPT (p_u16 (p, v, "weight", &d->weight), d->has_weight);
  P_OPT (p_u16 (p, v, "leafWeight", &d->leaf_weight), d->has_leaf_weight);
  return 0;
}

static int
parse_throttle_device (struct pctx *p, const struct json_value *v, struct spec_throttle_device *d)
{
  P_TRY (p_required (p, p_i64 (p, v, "major", &d->major), "major"));
  P_TRY (p_required (p, p_i64 (p, v, "minor", &d->minor), "minor"));
  P_TRY (p_required (p, p_u64 (p, v, "rate", &d->rate), "rate"));
  return 0;
}

static int
parse_blkio (struct pctx *p, const struct json_value *v, struct spec_blkio *b)
{
  P_OPT (p_u16 (p, v, "weight", &b->weight), b->has_weight);
  P_OPT (p_u16 (p, v, "leafWeight", &b->leaf_weight), b->has_leaf_weight);
  P_TRY (P_ARRAY_OF (p, v, "weightDevice", b->weight_device, b->weight_device_len,
                     parse_weight_device));
  P_TRY (P_ARRAY_OF (p, v, "throttleReadBpsDevice", b->throttle_read_bps,
                     b->throttle_read_bps_len, parse_throttle_device));
  P_TRY (P_ARRAY_OF (p, v, "throttleWriteBpsDevice", b->throttle_write_bps,
                     b->throttle_write_bps_len, parse_throttle_device));
  P_TRY (P_ARRAY_OF (p, v, "throttleReadIOPSDevice", b->throttle_read_iops,
                     b->throttle_read_iops_len, parse_throttle_device));
  P_TRY (P_ARRAY_OF (p, v, "throttleWriteIOPSDevice", b->throttle_write_iops,
                     b->throttle_write_iops_len, parse_throttle_device));
  return 0;
}

static int
parse_hugepage_limit (struct pctx *p, const struct json_value *v, struct spec_hugepage_limit *h)
{
  P_TRY (p_required (p, p_string (p, v, "pageSize", &h->page_size), "pageSize"));
  P_TRY (p_required (p, p_u64 (p, v, "limit", &h->limit), "limit"));
  return 0;
}

static int
parse_net_priority (struct pctx *p, const struct json_value *v, struct spec_net_priority *np)
{
  P_TRY (p_required (p, p_string (p, v, "name", &np->name), "name"));
  P_TRY (p_required (p, p_u32 (p, v, "priority", &np->priority), "priority"));
  return 0;
}

static int
parse_network (struct pctx *p, const struct json_value *v, struct spec_network *n)
{
  P_OPT (p_u32 (p, v, "classID", &n->class_id), n->has_class_id);
  P_TRY (P_ARRAY_OF (p, v, "priorities", n->priorities, n->priorities_len, parse_net_priority));
  return 0;
}

static int
parse_pids (struct pctx *p, const struct json_value *v, struct spec_resources *r)
{
  /* runtime-spec 1.3 made the limit optional: no limit, no pids setting. */
  P_OPT (p_i64 (p, v, "limit", &r->pids_limit), r->has_pids);
  return 0;
}

static int
parse_rdma (struct pctx *p, const struct json_value *obj, struct spec_resources *r)
{
  const struct json_value *map;
  int rc = p_child (p, obj, "rdma", JSON_OBJECT, &map);
  if (rc <= 0)
    return rc;
  size_t n = json_object_len (map);
  r->rdma = p_calloc (p, n, sizeof *r->rdma);
  if (r->rdma == NULL)
    return -1;
  r->rdma_len = n;
  size_t saved = pctx_push_key (p, "rdma");
  for (size_t i = 0; i < n; i++)
    {
      const struct json_value *v = json_object_value (map, i);
      struct spec_rdma *d = &r->rdma[i];
      size_t s2 = pctx_push_key (p, json_object_key (map, i));
      d->device = strdup (json_object_key (map, i));
      if (d->device == NULL)
        return error_set (p->err, ENOMEM, "%s: %s", p->name, p->path);
      P_TRY (pv_expect (p, v, JSON_OBJECT));
      P_OPT (p_u32 (p, v, "hcaHandles", &d->hca_handles), d->has_hca_handles);
      P_OPT (p_u32 (p, v, "hcaObjects", &d->hca_objects), d->has_hca_objects);
      pctx_pop (p, s2);
    }
  pctx_pop (p, saved);
  return 1;
}

int
parse_resources (struct pctx *p, const struct json_value *v, struct spec_resources *r)
{
  const struct json_value *sub;
  int rc;
  P_TRY (P_ARRAY_OF (p, v, "devices", r->devices, r->devices_len, parse_device_rule));
  P_TRY (P_SUBOBJECT (p, v, "memory", r->memory, parse_memory));
  P_TRY (P_SUBOBJECT (p, v, "cpu", r->cpu, parse_cpu));
  rc = p_child (p, v, "pids", JSON_OBJECT, &sub);
  if (rc < 0)
    return -1;
  if (rc > 0)
    {
      size_t saved = pctx_push_key (p, "pids");
      P_TRY (parse_pids (p, sub, r));
      pctx_pop (p, saved);
    }
  P_TRY (P_SUBOBJECT (p, v, "blockIO", r->block_io, parse_blkio));
  P_TRY (P_ARRAY_OF (p, v, "hugepageLimits", r->hugepage_limits, r->hugepage_limits_len,
                     parse_hugepage_limit));
  P_TRY (P_SUBOBJECT (p, v, "network", r->network, parse_network));
  P_TRY (parse_rdma (p, v, r));
  P_TRY (p_kv (p, v, "unified", &r->unified, &r->unified_len));
  return 0;
}
