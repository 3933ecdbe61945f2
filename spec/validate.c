/* Semantic checks of a parsed config, made before anything is created: a
 * config that passes can still fail on the host, but not for a reason that
 * reading it could have told. No syscalls here. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct vctx
{
  const char *name;
  struct error **err;
};

/* "<name>: <path>: <message>"; fmt starts with the path. */
static int __attribute__ ((format (printf, 2, 3)))
vfail (struct vctx *v, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  error_set (v->err, 0, "%s: %s", v->name, msg ? msg : "invalid config");
  free (msg);
  return -1;
}

static bool
in_list (const char *s, const char *const *list)
{
  for (; *list; list++)
    if (strcmp (s, *list) == 0)
      return true;
  return false;
}

static const char *const rlimit_types[] = {
  "RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_LOCKS",
  "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE", "RLIMIT_NPROC",
  "RLIMIT_RSS", "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK", NULL,
};
static const char *const sched_policies[] = {
  "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE",
  "SCHED_DEADLINE", NULL,
};
static const char *const sched_flags[] = {
  "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
  "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
  "SCHED_FLAG_UTIL_CLAMP_MAX", NULL,
};
static const char *const ioprio_classes[] = {
  "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL,
};
static const char *const seccomp_actions[] = {
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", NULL,
};
static const char *const seccomp_ops[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ", NULL,
};
static const char *const seccomp_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL,
};
static const char *const propagations[] = {
  "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
  NULL,
};
static const char *const mpol_modes[] = {
  "MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED",
  "MPOL_PREFERRED_MANY", "MPOL_LOCAL", NULL,
};
static const char *const mpol_flags[] = {
  "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES", NULL,
};
static const char *const personality_domains[] = { "LINUX", "LINUX32", NULL };

static int
check_absolute (struct vctx *v, const char *what, const char *path)
{
  if (path == NULL || path[0] != '/')
    return vfail (v, "%s: must be an absolute path, got \"%s\"", what, path ? path : "");
  return 0;
}

static int
check_process (struct vctx *v, const struct spec_process *p)
{
  if (p->args_len == 0)
    return vfail (v, "process.args: must not be empty");
  if (p->cwd == NULL)
    return vfail (v, "process.cwd: missing required field");
  if (check_absolute (v, "process.cwd", p->cwd) < 0)
    return -1;
  for (size_t i = 0; i < p->rlimits_len; i++)
    {
      const char *type = p->rlimits[i].type;
      if (type == NULL || !in_list (type, rlimit_types))
        return vfail (v, "process.rlimits[%zu].type: unknown rlimit type \"%s\"", i,
                      type ? type : "");
      for (size_t j = 0; j < i; j++)
        if (strcmp (p->rlimits[j].type, type) == 0)
          return vfail (v, "process.rlimits[%zu]: duplicate rlimit \"%s\"", i, type);
    }
  if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
    return vfail (v, "process.oomScoreAdj: must be between -1000 and 1000, got %d",
                  p->oom_score_adj);
  if (p->scheduler)
    {
      if (p->scheduler->policy == NULL || !in_list (p->scheduler->policy, sched_policies))
        return vfail (v, "process.scheduler.policy: unknown policy \"%s\"",
                      p->scheduler->policy ? p->scheduler->policy : "");
      for (size_t i = 0; i < p->scheduler->flags_len; i++)
        if (!in_list (p->scheduler->flags[i], sched_flags))
          return vfail (v, "process.scheduler.flags[%zu]: unknown flag \"%s\"", i,
                        p->scheduler->flags[i]);
    }
  if (p->io_priority)
    {
      if (p->io_priority->class_ == NULL || !in_list (p->io_priority->class_, ioprio_classes))
        return vfail (v, "process.ioPriority.class: unknown class \"%s\"",
                      p->io_priority->class_ ? p->io_priority->class_ : "");
      if (p->io_priority->priority < 0 || p->io_priority->priority > 7)
        return vfail (v, "process.ioPriority.priority: must be between 0 and 7, got %d",
                      p->io_priority->priority);
    }
  return 0;
}

static int
check_hooks (struct vctx *v, const struct spec_hooks *h)
{
  for (int k = 0; k < HOOK_KIND_COUNT; k++)
    for (size_t i = 0; i < h->len[k]; i++)
      {
        const struct spec_hook *hook = &h->list[k][i];
        char what[96];
        snprintf (what, sizeof what, "hooks.%s[%zu].path", spec_hook_kind_name (k), i);
        if (check_absolute (v, what, hook->path) < 0)
          return -1;
        if (hook->has_timeout && hook->timeout <= 0)
          return vfail (v, "hooks.%s[%zu].timeout: must be greater than zero, got %d",
                        spec_hook_kind_name (k), i, hook->timeout);
      }
  return 0;
}

static int
check_namespaces (struct vctx *v, const struct spec_config *c)
{
  const struct spec_linux *l = c->linux_;
  for (size_t i = 0; i < l->namespaces_len; i++)
    {
      const struct spec_namespace *ns = &l->namespaces[i];
      if ((unsigned) ns->type >= NS_TYPE_COUNT)
        return vfail (v, "linux.namespaces[%zu].type: unknown namespace type", i);
      for (size_t j = 0; j < i; j++)
        if (l->namespaces[j].type == ns->type)
          return vfail (v, "linux.namespaces[%zu]: duplicate namespace \"%s\"", i,
                        spec_ns_type_name (ns->type));
      if (ns->path)
        {
          char what[64];
          snprintf (what, sizeof what, "linux.namespaces[%zu].path", i);
          if (check_absolute (v, what, ns->path) < 0)
            return -1;
        }
    }

  const struct spec_namespace *user = spec_config_namespace (c, NS_USER);
  if (user == NULL)
    {
      if (l->uid_mappings_len > 0)
        return vfail (v, "linux.uidMappings: uid mappings need a user namespace in "
                         "linux.namespaces");
      if (l->gid_mappings_len > 0)
        return vfail (v, "linux.gidMappings: gid mappings need a user namespace in "
                         "linux.namespaces");
    }
  else if (user->path == NULL)
    {
      if (l->uid_mappings_len == 0)
        return vfail (v, "linux.uidMappings: user namespace enabled, but no uid mappings found");
      if (l->gid_mappings_len == 0)
        return vfail (v, "linux.gidMappings: user namespace enabled, but no gid mappings found");
    }
  for (size_t i = 0; i < l->uid_mappings_len; i++)
    if (l->uid_mappings[i].size == 0)
      return vfail (v, "linux.uidMappings[%zu].size: must be greater than zero", i);
  for (size_t i = 0; i < l->gid_mappings_len; i++)
    if (l->gid_mappings[i].size == 0)
      return vfail (v, "linux.gidMappings[%zu].size: must be greater than zero", i);

  if (l->time_monotonic.present || l->time_boottime.present)
    {
      const struct spec_namespace *time = spec_config_namespace (c, NS_TIME);
      /* Offsets can only be written before a process enters the namespace. */
      if (time == NULL || time->path != NULL)
        return vfail (v, "linux.timeOffsets: time offsets need a new time namespace "
                         "(a \"time\" entry without a path in linux.namespaces)");
    }
  return 0;
}

static int
check_devices (struct vctx *v, const struct spec_linux *l)
{
  for (size_t i = 0; i < l->devices_len; i++)
    {
      const struct spec_device *d = &l->devices[i];
      char what[64];
      if (d->type == 0 || strchr ("cbup", d->type) == NULL)
        return vfail (v, "linux.devices[%zu].type: unknown device type \"%c\"", i,
                      d->type ? d->type : '?');
      snprintf (what, sizeof what, "linux.devices[%zu].path", i);
      if (check_absolute (v, what, d->path) < 0)
        return -1;
      if (d->type == 'p')
        continue;
      if (!d->has_major || !d->has_minor)
        return vfail (v, "linux.devices[%zu]: device type \"%c\" needs major and minor", i,
                      d->type);
      /* No wildcard here: a node has one number, and mknod keeps only the low bits. */
      if (d->major < 0 || d->major > SPEC_DEV_MAJOR_MAX)
        return vfail (v, "linux.devices[%zu].major: value %" PRId64 " out of range (0 to %d)", i,
                      d->major, SPEC_DEV_MAJOR_MAX);
      if (d->minor < 0 || d->minor > SPEC_DEV_MINOR_MAX)
        return vfail (v, "linux.devices[%zu].minor: value %" PRId64 " out of range (0 to %d)", i,
                      d->minor, SPEC_DEV_MINOR_MAX);
    }
  return 0;
}

static int
check_seccomp (struct vctx *v, const struct spec_seccomp *s)
{
  bool notify = false;
  if (s->default_action == NULL || !in_list (s->default_action, seccomp_actions))
    return vfail (v, "linux.seccomp.defaultAction: unknown action \"%s\"",
                  s->default_action ? s->default_action : "");
  if (strcmp (s->default_action, "SCMP_ACT_NOTIFY") == 0)
    return vfail (v, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default "
                     "action");
  for (size_t i = 0; i < s->flags_len; i++)
    if (!in_list (s->flags[i], seccomp_flags))
      return vfail (v, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, s->flags[i]);
  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      const struct spec_seccomp_syscall *sc = &s->syscalls[i];
      if (sc->names_len == 0)
        return vfail (v, "linux.seccomp.syscalls[%zu].names: must not be empty", i);
      if (sc->action == NULL || !in_list (sc->action, seccomp_actions))
        return vfail (v, "linux.seccomp.syscalls[%zu].action: unknown action \"%s\"", i,
                      sc->action ? sc->action : "");
      if (strcmp (sc->action, "SCMP_ACT_NOTIFY") == 0)
        notify = true;
      for (size_t j = 0; j < sc->args_len; j++)
        if (sc->args[j].op == NULL || !in_list (sc->args[j].op, seccomp_ops))
          return vfail (v, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator \"%s\"",
                        i, j, sc->args[j].op ? sc->args[j].op : "");
    }
  if (notify && (s->listener_path == NULL || s->listener_path[0] == '\0'))
    return vfail (v, "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY needs a listenerPath");
  return 0;
}

static int
check_path_list (struct vctx *v, const char *field, char **paths, size_t len)
{
  for (size_t i = 0; i < len; i++)
    {
      char what[64];
      snprintf (what, sizeof what, "linux.%s[%zu]", field, i);
      if (check_absolute (v, what, paths[i]) < 0)
        return -1;
    }
  return 0;
}

/* The kernel's dev_valid_name (net/core/dev.c): 1 to IFNAMSIZ-1 bytes, not "." or
 * "..", no '/', ':' or white space. A target name may be a template with one "%d"
 * (runtime-spec: the kernel picks a free number); a host name names a device that
 * exists, and the kernel never leaves a '%' in one. */
static const char *
net_device_name_problem (const char *name, bool template_ok)
{
  size_t len = strlen (name);
  if (len == 0)
    return "must not be empty";
  if (len >= SPEC_IFNAMSIZ)
    return "longer than 15 bytes (IFNAMSIZ)";
  if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return "\".\" and \"..\" are not device names";
  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == ':' || *p == ' ' || (*p >= '\t' && *p <= '\r'))
      return "must not contain '/', ':' or white space";
  const char *pct = strchr (name, '%');
  if (pct && (!template_ok || pct[1] != 'd' || strchr (pct + 2, '%')))
    return template_ok ? "a template may hold one \"%d\" and no other '%'"
                       : "must not contain '%'";
  return NULL;
}

static const char *
net_device_target (const struct spec_net_device *d)
{
  return d->name && d->name[0] ? d->name : d->host_name;
}

static int
check_net_devices (struct vctx *v, const struct spec_config *c)
{
  const struct spec_linux *l = c->linux_;
  if (l->net_devices_len == 0)
    return 0;
  /* A joined one (a pod's, by path) is fine: the devices go wherever the init's is. */
  if (spec_config_namespace (c, NS_NETWORK) == NULL)
    return vfail (v, "linux.netDevices: moving network devices needs a network namespace "
                     "in linux.namespaces (they would stay on the host)");
  for (size_t i = 0; i < l->net_devices_len; i++)
    {
      const struct spec_net_device *d = &l->net_devices[i];
      const char *why = net_device_name_problem (d->host_name, false);
      if (why)
        return vfail (v, "linux.netDevices[\"%s\"]: invalid host device name: %s",
                      d->host_name, why);
      if (d->name && d->name[0] && (why = net_device_name_problem (d->name, true)))
        return vfail (v, "linux.netDevices[\"%s\"].name: invalid device name \"%s\": %s",
                      d->host_name, d->name, why);
      for (size_t j = 0; j < i; j++)
        {
          const struct spec_net_device *o = &l->net_devices[j];
          if (strcmp (o->host_name, d->host_name) == 0)
            return vfail (v, "linux.netDevices[\"%s\"]: listed twice", d->host_name);
          /* Two templates may share a pattern: the kernel numbers them apart. */
          if (strcmp (net_device_target (o), net_device_target (d)) == 0
              && strchr (net_device_target (d), '%') == NULL)
            return vfail (v, "linux.netDevices[\"%s\"]%s: \"%s\" is also the name of "
                          "linux.netDevices[\"%s\"] in the container", d->host_name,
                          d->name && d->name[0] ? ".name" : "", net_device_target (d),
                          o->host_name);
        }
    }
  return 0;
}

static int
check_linux (struct vctx *v, const struct spec_config *c)
{
  const struct spec_linux *l = c->linux_;
  if (check_namespaces (v, c) < 0 || check_devices (v, l) < 0
      || check_net_devices (v, c) < 0)
    return -1;
  if (l->seccomp && check_seccomp (v, l->seccomp) < 0)
    return -1;
  if (l->rootfs_propagation && l->rootfs_propagation[0]
      && !in_list (l->rootfs_propagation, propagations))
    return vfail (v, "linux.rootfsPropagation: unknown propagation \"%s\"",
                  l->rootfs_propagation);
  if (check_path_list (v, "maskedPaths", l->masked_paths, l->masked_paths_len) < 0
      || check_path_list (v, "readonlyPaths", l->readonly_paths, l->readonly_paths_len) < 0)
    return -1;
  if (l->memory_policy)
    {
      if (l->memory_policy->mode == NULL || !in_list (l->memory_policy->mode, mpol_modes))
        return vfail (v, "linux.memoryPolicy.mode: unknown mode \"%s\"",
                      l->memory_policy->mode ? l->memory_policy->mode : "");
      for (size_t i = 0; i < l->memory_policy->flags_len; i++)
        if (!in_list (l->memory_policy->flags[i], mpol_flags))
          return vfail (v, "linux.memoryPolicy.flags[%zu]: unknown flag \"%s\"", i,
                        l->memory_policy->flags[i]);
    }
  if (l->personality
      && (l->personality->domain == NULL || !in_list (l->personality->domain,
                                                      personality_domains)))
    return vfail (v, "linux.personality.domain: unknown domain \"%s\"",
                  l->personality->domain ? l->personality->domain : "");
  return 0;
}

int
spec_config_validate (const struct spec_config *c, const char *name, struct error **err)
{
  struct vctx v = { name ? name : "config.json", err };
  if (c->oci_version == NULL)
    return vfail (&v, "ociVersion: missing required field");
  if (c->process && check_process (&v, c->process) < 0)
    return -1;
  if (check_hooks (&v, &c->hooks) < 0)
    return -1;
  if (c->linux_ && check_linux (&v, c) < 0)
    return -1;
  /* Setting these in the host's UTS namespace would rename the host. */
  if (c->hostname && c->hostname[0] && spec_config_namespace (c, NS_UTS) == NULL)
    return vfail (&v, "hostname: setting the hostname needs a uts namespace");
  if (c->domainname && c->domainname[0] && spec_config_namespace (c, NS_UTS) == NULL)
    return vfail (&v, "domainname: setting the domainname needs a uts namespace");
  return 0;
}
