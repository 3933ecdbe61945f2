/* Freeing the config model. Every free accepts partially filled structs (the
 * parser publishes arrays before filling them), so error paths can free. */
#include <stdlib.h>

#include "parse_util.h"

void
spec_strv_free (char **v, size_t len)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < len; i++)
    free (v[i]);
  free (v);
}

void
spec_kv_free (struct spec_kv *kv, size_t len)
{
  if (kv == NULL)
    return;
  for (size_t i = 0; i < len; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

static void
mounts_free (struct spec_mount *m, size_t len)
{
  if (m == NULL)
    return;
  for (size_t i = 0; i < len; i++)
    {
      free (m[i].destination);
      free (m[i].source);
      free (m[i].type);
      spec_strv_free (m[i].options, m[i].options_len);
      free (m[i].uid_mappings);
      free (m[i].gid_mappings);
    }
  free (m);
}

static void
capabilities_free (struct spec_capabilities *c)
{
  if (c == NULL)
    return;
  spec_strv_free (c->bounding, c->bounding_len);
  spec_strv_free (c->effective, c->effective_len);
  spec_strv_free (c->inheritable, c->inheritable_len);
  spec_strv_free (c->permitted, c->permitted_len);
  spec_strv_free (c->ambient, c->ambient_len);
  free (c);
}

void
spec_process_free (struct spec_process *p)
{
  if (p == NULL)
    return;
  free (p->user.additional_gids);
  free (p->user.username);
  spec_strv_free (p->args, p->args_len);
  free (p->command_line);
  spec_strv_free (p->env, p->env_len);
  free (p->cwd);
  capabilities_free (p->capabilities);
  if (p->rlimits)
    for (size_t i = 0; i < p->rlimits_len; i++)
      free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  if (p->scheduler)
    {
      free (p->scheduler->policy);
      spec_strv_free (p->scheduler->flags, p->scheduler->flags_len);
      free (p->scheduler);
    }
  free (p->selinux_label);
  if (p->io_priority)
    free (p->io_priority->class_);
  free (p->io_priority);
  if (p->exec_cpu_affinity)
    {
      free (p->exec_cpu_affinity->initial);
      free (p->exec_cpu_affinity->final);
      free (p->exec_cpu_affinity);
    }
  free (p);
}

static void
hooks_free (struct spec_hooks *h)
{
  for (int k = 0; k < HOOK_KIND_COUNT; k++)
    {
      if (h->list[k] == NULL)
        continue;
      for (size_t i = 0; i < h->len[k]; i++)
        {
          free (h->list[k][i].path);
          spec_strv_free (h->list[k][i].args, h->list[k][i].args_len);
          spec_strv_free (h->list[k][i].env, h->list[k][i].env_len);
        }
      free (h->list[k]);
    }
}

void
spec_resources_free (struct spec_resources *r)
{
  if (r == NULL)
    return;
  if (r->devices)
    for (size_t i = 0; i < r->devices_len; i++)
      free (r->devices[i].access);
  free (r->devices);
  free (r->memory);
  if (r->cpu)
    {
      free (r->cpu->cpus);
      free (r->cpu->mems);
      free (r->cpu);
    }
  if (r->block_io)
    {
      free (r->block_io->weight_device);
      free (r->block_io->throttle_read_bps);
      free (r->block_io->throttle_write_bps);
      free (r->block_io->throttle_read_iops);
      free (r->block_io->throttle_write_iops);
      free (r->block_io);
    }
  if (r->hugepage_limits)
    for (size_t i = 0; i < r->hugepage_limits_len; i++)
      free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  if (r->network)
    {
      if (r->network->priorities)
        for (size_t i = 0; i < r->network->priorities_len; i++)
          free (r->network->priorities[i].name);
      free (r->network->priorities);
      free (r->network);
    }
  if (r->rdma)
    for (size_t i = 0; i < r->rdma_len; i++)
      free (r->rdma[i].device);
  free (r->rdma);
  spec_kv_free (r->unified, r->unified_len);
  free (r);
}

void
spec_seccomp_free (struct spec_seccomp *s)
{
  if (s == NULL)
    return;
  free (s->default_action);
  spec_strv_free (s->architectures, s->architectures_len);
  spec_strv_free (s->flags, s->flags_len);
  free (s->listener_path);
  free (s->listener_metadata);
  if (s->syscalls)
    for (size_t i = 0; i < s->syscalls_len; i++)
      {
        struct spec_seccomp_syscall *sc = &s->syscalls[i];
        spec_strv_free (sc->names, sc->names_len);
        free (sc->action);
        if (sc->args)
          for (size_t j = 0; j < sc->args_len; j++)
            free (sc->args[j].op);
        free (sc->args);
      }
  free (s->syscalls);
  free (s);
}

void
spec_linux_free (struct spec_linux *l)
{
  if (l == NULL)
    return;
  if (l->namespaces)
    for (size_t i = 0; i < l->namespaces_len; i++)
      free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  if (l->devices)
    for (size_t i = 0; i < l->devices_len; i++)
      free (l->devices[i].path);
  free (l->devices);
  if (l->net_devices)
    for (size_t i = 0; i < l->net_devices_len; i++)
      {
        free (l->net_devices[i].host_name);
        free (l->net_devices[i].name);
      }
  free (l->net_devices);
  free (l->cgroups_path);
  spec_resources_free (l->resources);
  free (l->rootfs_propagation);
  spec_seccomp_free (l->seccomp);
  spec_kv_free (l->sysctl, l->sysctl_len);
  spec_strv_free (l->masked_paths, l->masked_paths_len);
  spec_strv_free (l->readonly_paths, l->readonly_paths_len);
  free (l->mount_label);
  if (l->intel_rdt)
    {
      free (l->intel_rdt->clos_id);
      free (l->intel_rdt->l3_cache_schema);
      free (l->intel_rdt->mem_bw_schema);
      spec_strv_free (l->intel_rdt->schemata, l->intel_rdt->schemata_len);
      free (l->intel_rdt);
    }
  if (l->memory_policy)
    {
      free (l->memory_policy->mode);
      free (l->memory_policy->nodes);
      spec_strv_free (l->memory_policy->flags, l->memory_policy->flags_len);
      free (l->memory_policy);
    }
  if (l->personality)
    {
      free (l->personality->domain);
      spec_strv_free (l->personality->flags, l->personality->flags_len);
      free (l->personality);
    }
  free (l);
}

void
spec_config_free (struct spec_config *c)
{
  if (c == NULL)
    return;
  free (c->oci_version);
  free (c->root_path);
  mounts_free (c->mounts, c->mounts_len);
  spec_process_free (c->process);
  free (c->hostname);
  free (c->domainname);
  hooks_free (&c->hooks);
  spec_kv_free (c->annotations, c->annotations_len);
  spec_linux_free (c->linux_);
  free (c);
}
