/* Name tables of the config model: namespace types, hook kinds; lookups. */
#include <string.h>

#include "config.h"

/* config.json spelling and /proc/<pid>/ns spelling, by enum spec_ns_type. */
static const struct
{
  const char *name;
  const char *proc;
} ns_names[NS_TYPE_COUNT] = {
  [NS_PID] = { "pid", "pid" },
  [NS_NETWORK] = { "network", "net" },
  [NS_MOUNT] = { "mount", "mnt" },
  [NS_IPC] = { "ipc", "ipc" },
  [NS_UTS] = { "uts", "uts" },
  [NS_USER] = { "user", "user" },
  [NS_CGROUP] = { "cgroup", "cgroup" },
  [NS_TIME] = { "time", "time" },
};

const char *
spec_ns_type_name (enum spec_ns_type t)
{
  return (unsigned) t < NS_TYPE_COUNT ? ns_names[t].name : "unknown";
}

const char *
spec_ns_proc_name (enum spec_ns_type t)
{
  return (unsigned) t < NS_TYPE_COUNT ? ns_names[t].proc : "unknown";
}

int
spec_ns_type_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  for (int t = 0; t < NS_TYPE_COUNT; t++)
    if (strcmp (name, ns_names[t].name) == 0)
      return t;
  return -1;
}

const struct spec_namespace *
spec_config_namespace (const struct spec_config *c, enum spec_ns_type t)
{
  if (c == NULL || c->linux_ == NULL)
    return NULL;
  for (size_t i = 0; i < c->linux_->namespaces_len; i++)
    if (c->linux_->namespaces[i].type == t)
      return &c->linux_->namespaces[i];
  return NULL;
}

const char *
spec_kv_get (const struct spec_kv *kv, size_t len, const char *key)
{
  /* A JSON map may repeat a key (the parser keeps both): the last wins, as in Go. */
  for (size_t i = len; i > 0; i--)
    if (kv[i - 1].key && strcmp (kv[i - 1].key, key) == 0)
      return kv[i - 1].value;
  return NULL;
}

const char *
spec_hook_kind_name (enum spec_hook_kind k)
{
  static const char *const names[HOOK_KIND_COUNT] = {
    [HOOK_PRESTART] = "prestart",
    [HOOK_CREATE_RUNTIME] = "createRuntime",
    [HOOK_CREATE_CONTAINER] = "createContainer",
    [HOOK_START_CONTAINER] = "startContainer",
    [HOOK_POSTSTART] = "poststart",
    [HOOK_POSTSTOP] = "poststop",
  };
  return (unsigned) k < HOOK_KIND_COUNT ? names[k] : "unknown";
}
