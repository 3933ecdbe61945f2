/* config.json "linux" object -> struct spec_linux (resources: parse_resources.c). */
#define _GNU_SOURCE
#include "parse_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
parse_namespace (struct pctx *p, const struct json_value *v, struct spec_namespace *ns)
{
  char *type = NULL;
  if (p_required (p, p_string (p, v, "type", &type), "type") < 0)
    return -1;
  int t = spec_ns_type_from_name (type);
  if (t < 0)
    {
      pfail_key (p, "type", "unknown namespace type \"%s\"", type);
      free (type);
      return -1;
    }
  free (type);
  ns->type = (enum spec_ns_type) t;
  P_TRY (p_string (p, v, "path", &ns->path));
  return 0;
}

static int
parse_time_offset (struct pctx *p, const struct json_value *v, struct spec_time_offset *o)
{
  P_TRY (pv_expect (p, v, JSON_OBJECT));
  P_TRY (p_i64 (p, v, "secs", &o->secs));
  P_TRY (p_u32 (p, v, "nanosecs", &o->nanosecs));
  if (o->nanosecs >= 1000000000u)
    return pfail_key (p, "nanosecs", "must be less than 1000000000, got %u", o->nanosecs);
  o->present = true;
  return 0;
}

static int
parse_time_offsets (struct pctx *p, const struct json_value *obj, struct spec_linux *l)
{
  const struct json_value *map;
  int rc = p_child (p, obj, "timeOffsets", JSON_OBJECT, &map);
  if (rc <= 0)
    return rc;
  size_t saved = pctx_push_key (p, "timeOffsets");
  for (size_t i = 0; i < json_object_len (map); i++)
    {
      const char *clock = json_object_key (map, i);
      const struct json_value *v = json_object_value (map, i);
      struct spec_time_offset *o;
      if (strcmp (clock, "monotonic") == 0)
        o = &l->time_monotonic;
      else if (strcmp (clock, "boottime") == 0)
        o = &l->time_boottime;
      else
        return pfail_key (p, clock, "unknown clock (want monotonic or boottime)");
      if (json_type_of (v) == JSON_NULL)
        continue;
      size_t s2 = pctx_push_key (p, clock);
      *o = (struct spec_time_offset) { 0 };
      P_TRY (parse_time_offset (p, v, o));
      pctx_pop (p, s2);
    }
  pctx_pop (p, saved);
  return 1;
}

static int
parse_device (struct pctx *p, const struct json_value *v, struct spec_device *d)
{
  char *type = NULL;
  if (p_required (p, p_string (p, v, "type", &type), "type") < 0)
    return -1;
  bool ok = strlen (type) == 1 && strchr ("cbup", type[0]) != NULL;
  if (!ok)
    pfail_key (p, "type", "unknown device type \"%s\" (want c, b, u or p)", type);
  else
    d->type = type[0];
  free (type);
  if (!ok)
    return -1;
  P_TRY (p_required (p, p_string (p, v, "path", &d->path), "path"));
  P_OPT (p_i64 (p, v, "major", &d->major), d->has_major);
  P_OPT (p_i64 (p, v, "minor", &d->minor), d->has_minor);
  P_OPT (p_u32 (p, v, "fileMode", &d->file_mode), d->has_file_mode);
  P_OPT (p_u32 (p, v, "uid", &d->uid), d->has_uid);
  P_OPT (p_u32 (p, v, "gid", &d->gid), d->has_gid);
  return 0;
}

static int
parse_net_devices (struct pctx *p, const struct json_value *obj, struct spec_linux *l)
{
  const struct json_value *map;
  int rc = p_child (p, obj, "netDevices", JSON_OBJECT, &map);
  if (rc <= 0)
    return rc;
  size_t n = json_object_len (map);
  l->net_devices = p_calloc (p, n, sizeof *l->net_devices);
  if (l->net_devices == NULL)
    return -1;
  l->net_devices_len = n;
  size_t saved = pctx_push_key (p, "netDevices");
  for (size_t i = 0; i < n; i++)
    {
      const struct json_value *v = json_object_value (map, i);
      struct spec_net_device *d = &l->net_devices[i];
      size_t s2 = pctx_push_map_key (p, json_object_key (map, i));
      d->host_name = strdup (json_object_key (map, i));
      if (d->host_name == NULL)
        return error_set (p->err, ENOMEM, "%s: %s", p->name, p->path);
      P_TRY (pv_expect (p, v, JSON_OBJECT));
      P_TRY (p_string (p, v, "name", &d->name));
      pctx_pop (p, s2);
    }
  pctx_pop (p, saved);
  return 1;
}

static int
parse_intel_rdt (struct pctx *p, const struct json_value *v, struct spec_intel_rdt *r)
{
  P_TRY (p_string (p, v, "closID", &r->clos_id));
  P_TRY (p_string (p, v, "l3CacheSchema", &r->l3_cache_schema));
  P_TRY (p_string (p, v, "memBwSchema", &r->mem_bw_schema));
  P_TRY (p_strv (p, v, "schemata", &r->schemata, &r->schemata_len));
  P_TRY (p_bool (p, v, "enableMonitoring", &r->enable_monitoring));
  P_TRY (p_bool (p, v, "enableCMT", &r->enable_cmt));
  P_TRY (p_bool (p, v, "enableMBM", &r->enable_mbm));
  return 0;
}

static int
parse_memory_policy (struct pctx *p, const struct json_value *v, struct spec_memory_policy *m)
{
  P_TRY (p_required (p, p_string (p, v, "mode", &m->mode), "mode"));
  P_TRY (p_string (p, v, "nodes", &m->nodes));
  P_TRY (p_strv (p, v, "flags", &m->flags, &m->flags_len));
  return 0;
}

static int
parse_personality (struct pctx *p, const struct json_value *v, struct spec_personality *pe)
{
  P_TRY (p_required (p, p_string (p, v, "domain", &pe->domain), "domain"));
  P_TRY (p_strv (p, v, "flags", &pe->flags, &pe->flags_len));
  return 0;
}

static int
parse_seccomp_arg (struct pctx *p, const struct json_value *v, struct spec_seccomp_arg *a)
{
  P_TRY (p_required (p, p_u32 (p, v, "index", &a->index), "index"));
  P_TRY (p_required (p, p_u64 (p, v, "value", &a->value), "value"));
  P_TRY (p_u64 (p, v, "valueTwo", &a->value_two));
  P_TRY (p_required (p, p_string (p, v, "op", &a->op), "op"));
  return 0;
}

static int
parse_seccomp_syscall (struct pctx *p, const struct json_value *v, struct spec_seccomp_syscall *s)
{
  P_TRY (p_required (p, p_strv (p, v, "names", &s->names, &s->names_len), "names"));
  P_TRY (p_required (p, p_string (p, v, "action", &s->action), "action"));
  P_OPT (p_u32 (p, v, "errnoRet", &s->errno_ret), s->has_errno_ret);
  P_TRY (P_ARRAY_OF (p, v, "args", s->args, s->args_len, parse_seccomp_arg));
  return 0;
}

int
parse_seccomp (struct pctx *p, const struct json_value *v, struct spec_seccomp *s)
{
  P_TRY (p_required (p, p_string (p, v, "defaultAction", &s->default_action), "defaultAction"));
  P_OPT (p_u32 (p, v, "defaultErrnoRet", &s->default_errno_ret), s->has_default_errno_ret);
  P_TRY (p_strv (p, v, "architectures", &s->architectures, &s->architectures_len));
  P_TRY (p_strv (p, v, "flags", &s->flags, &s->flags_len));
  P_TRY (p_string (p, v, "listenerPath", &s->listener_path));
  P_TRY (p_string (p, v, "listenerMetadata", &s->listener_metadata));
  P_TRY (P_ARRAY_OF (p, v, "syscalls", s->syscalls, s->syscalls_len, parse_seccomp_syscall));
  return 0;
}

int
parse_linux (struct pctx *p, const struct json_value *v, struct spec_linux *l)
{
  P_TRY (P_ARRAY_OF (p, v, "namespaces", l->namespaces, l->namespaces_len, parse_namespace));
  P_TRY (p_id_mappings (p, v, "uidMappings", &l->uid_mappings, &l->uid_mappings_len));
  P_TRY (p_id_mappings (p, v, "gidMappings", &l->gid_mappings, &l->gid_mappings_len));
  P_TRY (parse_time_offsets (p, v, l));
  P_TRY (P_ARRAY_OF (p, v, "devices", l->devices, l->devices_len, parse_device));
  P_TRY (parse_net_devices (p, v, l));
  P_TRY (p_string (p, v, "cgroupsPath", &l->cgroups_path));
  P_TRY (P_SUBOBJECT (p, v, "resources", l->resources, parse_resources));
  P_TRY (p_string (p, v, "rootfsPropagation", &l->rootfs_propagation));
  P_TRY (P_SUBOBJECT (p, v, "seccomp", l->seccomp, parse_seccomp));
  P_TRY (p_kv (p, v, "sysctl", &l->sysctl, &l->sysctl_len));
  P_OPT (p_strv (p, v, "maskedPaths", &l->masked_paths, &l->masked_paths_len),
         l->has_masked_paths);
  P_OPT (p_strv (p, v, "readonlyPaths", &l->readonly_paths, &l->readonly_paths_len),
         l->has_readonly_paths);
  P_TRY (p_string (p, v, "mountLabel", &l->mount_label));
  P_TRY (P_SUBOBJECT (p, v, "intelRdt", l->intel_rdt, parse_intel_rdt));
  P_TRY (P_SUBOBJECT (p, v, "memoryPolicy", l->memory_policy, parse_memory_policy));
  P_TRY (P_SUBOBJECT (p, v, "personality", l->personality, parse_personality));
  return 0;
}
