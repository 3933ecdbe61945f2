/* Which containers run in a VM, and what a VM cannot honour (refused at create
 * with the JSON path and the reason, never silently dropped). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "criu_opts.h"
#include "vm.h"
#include "vm_internal.h"

bool
vm_requested (const struct lc_context *ctx, const struct spec_config *c)
{
  if (vm_guest_active)
    return false;
  const char *v = spec_kv_get (c->annotations, c->annotations_len, VM_ANNOTATION_ISOLATION);
  if (v == NULL)
    v = ctx->isolation;
  return v && strcmp (v, "vm") == 0;
}

static const char *
network_mode (const struct spec_config *c)
{
  const char *v = spec_kv_get (c->annotations, c->annotations_len, VM_ANNOTATION_NETWORK);
  return v ? v : "none";
}

bool
vm_wants_user_network (const struct spec_config *c)
{
  return strcmp (network_mode (c), "user") == 0;
}

/* The guest's size. The host cgroup's memory limit binds qemu as a whole (guest
 * RAM + qemu's own memory + TCG's translation cache), so the guest gets the limit
 * less that overhead: the container costs the host what its config says. */
void
vm_size (const struct spec_config *c, unsigned *mem_mib, unsigned *cpus)
{
  const struct spec_resources *r = c->linux_ ? c->linux_->resources : NULL;
  *mem_mib = VM_DEFAULT_MEM_MIB;
  *cpus = 1;
  if (r && r->memory && r->memory->has_limit && r->memory->limit > 0)
    *mem_mib = (unsigned) (r->memory->limit / (1024 * 1024)) - VM_QEMU_OVERHEAD_MIB;
  if (r && r->cpu && r->cpu->has_quota && r->cpu->quota > 0)
    {
      uint64_t period = r->cpu->has_period && r->cpu->period ? r->cpu->period : 100000;
      uint64_t n = ((uint64_t) r->cpu->quota + period - 1) / period;
      *cpus = n < 1 ? 1 : n > VM_MAX_CPUS ? VM_MAX_CPUS : (unsigned) n;
    }
}

/* A bind mount's host source: a directory is shared (9p), a small regular file
 * copied; anything else (devices, sockets) stays on the host. */
static int
check_bind_source (const struct spec_config *c, size_t i, struct error **err)
{
  const struct spec_mount *m = &c->mounts[i];
  struct stat st;
  if (m->source == NULL || m->source[0] != '/')
    return error_set (err, 0, "config.json: mounts[%zu].source: a VM container needs an "
                      "absolute bind source", i);
  if (stat (m->source, &st) < 0)
    return error_set (err, errno, "config.json: mounts[%zu].source: \"%s\"", i, m->source);
  if (S_ISDIR (st.st_mode))
    return 0;
  if (!S_ISREG (st.st_mode))
    return error_set (err, 0, "config.json: mounts[%zu].source: \"%s\" is not a directory or "
                      "a regular file: a VM container cannot reach the host's devices, sockets "
                      "or fifos", i, m->source);
  if (st.st_size > VM_FILE_COPY_MAX)
    return error_set (err, 0, "config.json: mounts[%zu].source: \"%s\": a file bind mount is "
                      "copied into the VM, up to %d KiB; share its directory instead", i,
                      m->source, VM_FILE_COPY_MAX / 1024);
  return 0;
}

int
vm_check_config (const struct spec_config *c, struct error **err)
{
  const struct spec_linux *l = c->linux_;
  const char *net = network_mode (c);
  if (strcmp (net, "none") != 0 && strcmp (net, "user") != 0)
    return error_set (err, 0, "config.json: annotations.%s: \"%s\": \"none\" or \"user\"",
                      VM_ANNOTATION_NETWORK, net);
  if (geteuid () != 0)
    return error_set (err, 0, "config.json: annotations.%s: VM isolation needs root",
                      VM_ANNOTATION_ISOLATION);
  for (size_t i = 0; i < l->namespaces_len; i++)
    if (l->namespaces[i].path && l->namespaces[i].path[0])
      return error_set (err, 0, "config.json: linux.namespaces[%zu].path: a VM container "
                        "cannot join a host namespace (the guest has its own kernel)", i);
  if (l->devices_len > 0)
    return error_set (err, 0, "config.json: linux.devices[0]: a VM container cannot reach "
                      "the host's devices (a node there would name a guest device)");
  if (l->net_devices_len > 0)
    return error_set (err, 0, "config.json: linux.netDevices: a VM container cannot take a "
                      "host network interface (use annotation %s \"user\")",
                      VM_ANNOTATION_NETWORK);
  if (l->seccomp && l->seccomp->listener_path)
    return error_set (err, 0, "config.json: linux.seccomp.listenerPath: the seccomp agent "
                      "would have to run inside the VM");
  for (int k = 0; k < HOOK_KIND_COUNT; k++)
    if (c->hooks.len[k] > 0)
      return error_set (err, 0, "config.json: hooks.%s: hooks are host binaries run in the "
                        "container's namespaces, which are inside the VM",
                        spec_hook_kind_name ((enum spec_hook_kind) k));
  const struct spec_resources *r = l->resources;
  if (r && r->memory && r->memory->has_limit && r->memory->limit > 0
      && r->memory->limit < (int64_t) (VM_DEFAULT_MIN_LIMIT_MIB) * 1024 * 1024)
    return error_set (err, 0, "config.json: linux.resources.memory.limit: a VM container "
                      "needs at least %d MiB (%d MiB of it are qemu's own)",
                      VM_DEFAULT_MIN_LIMIT_MIB, VM_QEMU_OVERHEAD_MIB);
  for (size_t i = 0; i < c->mounts_len; i++)
    if (criu_mount_is_bind (&c->mounts[i]) && check_bind_source (c, i, err) < 0)
      return -1;
  return 0;
}
