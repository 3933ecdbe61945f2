/* Security review rules over a parsed config. Each rule looks at one concern,
 * says what it found with the JSON path, and suggests the change. Severity:
 *   high    a direct route to the host (escape, host root, host-wide damage)
 *   medium  isolation noticeably weaker than a default container
 *   low     defence in depth missing
 *   info    worth knowing, not a weakness by itself
 * A new user namespace lowers the rules whose harm depends on being root in
 * the initial one (capabilities, /proc/sys writes). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "audit.h"
#include "util/cleanup.h"
#include "util/json.h"

struct audit_ctx
{
  const struct spec_config *c;
  const struct audit_host *host;
  struct audit_report *r;
  size_t cap;
  bool userns;   /* a user namespace other than the host's */
  bool oom;
};

static char *
xfmt (struct audit_ctx *x, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static char *
xfmt (struct audit_ctx *x, const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    {
      s = NULL;
      x->oom = true;
    }
  va_end (ap);
  return s;
}

/* Record a finding; `path` is owned by the report afterwards. */
static void report (struct audit_ctx *x, enum audit_severity sev, const char *rule, char *path,
                    const char *fix, const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));
static void
report (struct audit_ctx *x, enum audit_severity sev, const char *rule, char *path,
        const char *fix, const char *fmt, ...)
{
  struct audit_finding *f;
  char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (path == NULL || msg == NULL)
    goto fail;
  if (x->r->len == x->cap)
    {
      size_t ncap = x->cap ? x->cap * 2 : 16;
      void *n = realloc (x->r->findings, ncap * sizeof *f);
      if (n == NULL)
        goto fail;
      x->r->findings = n;
      x->cap = ncap;
    }
  f = &x->r->findings[x->r->len];
  f->severity = sev;
  f->rule = rule;
  f->path = path;
  f->message = msg;
  f->fix = strdup (fix);
  if (f->fix == NULL)
    goto fail;
  x->r->len++;
  return;
fail:
  free (path);
  free (msg);
  x->oom = true;
}

/* One severity step down, for harms a user namespace contains. */
static enum audit_severity
soften (const struct audit_ctx *x, enum audit_severity s)
{
  return x->userns && s > AUDIT_INFO ? s - 1 : s;
}

static bool
strv_has (char **v, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] && strcmp (v[i], s) == 0)
      return true;
  return false;
}

/* Namespace joined from the host: pid 1's or the runtime's own. */
static bool
is_host_ns_path (const char *p)
{
  return strncmp (p, "/proc/1/ns/", 11) == 0 || strncmp (p, "/proc/self/ns/", 14) == 0
         || strncmp (p, "/proc/thread-self/ns/", 21) == 0;
}

/* ---- capabilities ---- */

struct cap_risk
{
  const char *name;
  enum audit_severity severity;
  const char *why;
};

static const struct cap_risk cap_risks[] = {
  { "CAP_SYS_ADMIN", AUDIT_HIGH, "mount, namespaces, BPF and dozens of kernel interfaces: the usual first step of container escapes" },
  { "CAP_SYS_MODULE", AUDIT_HIGH, "loads kernel modules, i.e. runs code in the host kernel" },
  { "CAP_SYS_RAWIO", AUDIT_HIGH, "raw I/O ports, /dev/mem and raw block access" },
  { "CAP_SYS_PTRACE", AUDIT_HIGH, "traces and injects code into every process it can see (host processes when the pid namespace is shared)" },
  { "CAP_DAC_READ_SEARCH", AUDIT_HIGH, "open_by_handle_at() opens any file of a mounted filesystem by handle, outside the rootfs (the 'shocker' escape)" },
  { "CAP_SYS_BOOT", AUDIT_HIGH, "reboots the host or loads a new kernel" },
  { "CAP_NET_ADMIN", AUDIT_HIGH, "reconfigures interfaces, routes and firewall (the host's when the network namespace is shared) and reaches much kernel code" },
  { "CAP_MAC_ADMIN", AUDIT_HIGH, "changes the SELinux/AppArmor/Smack policy" },
  { "CAP_MAC_OVERRIDE", AUDIT_HIGH, "bypasses the mandatory access control policy" },
  { "CAP_BPF", AUDIT_HIGH, "loads BPF programs into the kernel" },
  { "CAP_SYS_TIME", AUDIT_MEDIUM, "sets the host's clock (the clock is not namespaced)" },
  { "CAP_PERFMON", AUDIT_MEDIUM, "performance monitoring of the whole system: kernel addresses and side channels" },
  { "CAP_SYSLOG", AUDIT_MEDIUM, "reads the kernel log and unhidden kernel addresses" },
  { "CAP_SYS_RESOURCE", AUDIT_MEDIUM, "overrides resource limits and reserved disk space" },
  { "CAP_AUDIT_CONTROL", AUDIT_MEDIUM, "changes or disables the host's audit rules" },
  { "CAP_CHECKPOINT_RESTORE", AUDIT_MEDIUM, "sets pids and reads other processes' state for checkpointing" },
  { "CAP_LINUX_IMMUTABLE", AUDIT_LOW, "sets and clears immutable/append-only flags" },
  { "CAP_IPC_LOCK", AUDIT_LOW, "locks memory beyond RLIMIT_MEMLOCK" },
  { "CAP_NET_RAW", AUDIT_LOW, "raw and packet sockets: spoofing inside the network, a long record of kernel bugs" },
  { "CAP_MKNOD", AUDIT_LOW, "creates device nodes (the device cgroup still decides access)" },
};

static void
rule_capabilities (struct audit_ctx *x)
{
  const struct spec_capabilities *caps = x->c->process ? x->c->process->capabilities : NULL;
  if (caps == NULL)
    return;
  /* Where a capability shows up first, in the order that decides what the
   * process can do now, then what it can regain. */
  struct { const char *name; char **v; size_t n; } sets[] = {
    { "effective", caps->effective, caps->effective_len },
    { "permitted", caps->permitted, caps->permitted_len },
    { "ambient", caps->ambient, caps->ambient_len },
    { "inheritable", caps->inheritable, caps->inheritable_len },
    { "bounding", caps->bounding, caps->bounding_len },
  };

  for (size_t k = 0; k < ARRAY_SIZE (cap_risks); k++)
    for (size_t s = 0; s < ARRAY_SIZE (sets); s++)
      {
        size_t i;
        for (i = 0; i < sets[s].n; i++)
          if (strcmp (sets[s].v[i], cap_risks[k].name) == 0)
            break;
        if (i == sets[s].n)
          continue;
        report (x, soften (x, cap_risks[k].severity), "capability-privileged",
                xfmt (x, "process.capabilities.%s[%zu]", sets[s].name, i),
                "remove it from every capability set unless the workload cannot run without it",
                "%s: %s%s", cap_risks[k].name, cap_risks[k].why,
                x->userns ? " (confined to the user namespace's resources)" : "");
        break;
      }

  if (caps->inheritable_len > 0)
    report (x, AUDIT_MEDIUM, "capability-inheritable", xfmt (x, "process.capabilities.inheritable"),
            "leave process.capabilities.inheritable empty",
            "%zu inheritable capabilities (first %s): programs with matching file capabilities gain them on exec",
            caps->inheritable_len, caps->inheritable[0]);
  if (caps->ambient_len > 0)
    report (x, AUDIT_MEDIUM, "capability-ambient", xfmt (x, "process.capabilities.ambient"),
            "leave process.capabilities.ambient empty; grant file capabilities to the one binary that needs them",
            "%zu ambient capabilities (first %s): they survive execve into any program, even for a non-root user",
            caps->ambient_len, caps->ambient[0]);
}

/* ---- user and namespaces ---- */

static void
rule_user (struct audit_ctx *x)
{
  const struct spec_linux *l = x->c->linux_;
  if (x->c->process && x->c->process->user.uid == 0 && !x->userns)
    report (x, AUDIT_MEDIUM, "root-without-userns", xfmt (x, "process.user.uid"),
            "run as a non-root uid, or add a user namespace with uidMappings/gidMappings",
            "the process runs as uid 0 without a user namespace: it is root on the host, held back only by capabilities, seccomp and the LSM");
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->uid_mappings_len; i++)
    {
      const struct spec_id_mapping *m = &l->uid_mappings[i];
      if (m->host_id == 0 && m->size > 0)
        report (x, AUDIT_MEDIUM, "userns-maps-host-root", xfmt (x, "linux.uidMappings[%zu]", i),
                "map the container to an unprivileged host range (see /etc/subuid)",
                "container uid %u is host uid 0: files the container creates or reaches through mounts belong to host root",
                m->container_id);
    }
}

struct ns_risk
{
  enum spec_ns_type type;
  enum audit_severity missing;
  const char *why;
};

static const struct ns_risk ns_risks[] = {
  { NS_MOUNT, AUDIT_HIGH, "the container shares the host's mount table and sees the host filesystem" },
  { NS_PID, AUDIT_HIGH, "host processes are visible and can be signalled (or traced with CAP_SYS_PTRACE)" },
  { NS_NETWORK, AUDIT_HIGH, "host network: every interface, host-local ports and abstract unix sockets (such as containerd's shim socket)" },
  { NS_IPC, AUDIT_MEDIUM, "System V IPC and POSIX message queues are shared with the host" },
  { NS_UTS, AUDIT_LOW, "the hostname is the host's, and with CAP_SYS_ADMIN changes it" },
  { NS_CGROUP, AUDIT_LOW, "/proc/self/cgroup shows host cgroup paths" },
};

static void
rule_namespaces (struct audit_ctx *x)
{
  const struct spec_linux *l = x->c->linux_;

  for (size_t k = 0; k < ARRAY_SIZE (ns_risks); k++)
    if (spec_config_namespace (x->c, ns_risks[k].type) == NULL)
      report (x, ns_risks[k].missing, "namespace-missing", xfmt (x, "linux.namespaces"),
              "add {\"type\": \"<type>\"} to linux.namespaces",
              "no %s namespace: %s", spec_ns_type_name (ns_risks[k].type), ns_risks[k].why);
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->namespaces_len; i++)
    {
      const struct spec_namespace *ns = &l->namespaces[i];
      if (ns->path == NULL)
        continue;
      if (is_host_ns_path (ns->path))
        report (x, AUDIT_HIGH, "namespace-host-joined", xfmt (x, "linux.namespaces[%zu].path", i),
                "remove the path so the container gets its own namespace",
                "joins the host's %s namespace (%s)", spec_ns_type_name (ns->type), ns->path);
      else
        report (x, AUDIT_INFO, "namespace-joined", xfmt (x, "linux.namespaces[%zu].path", i),
                "make sure the owner of this namespace is another container, not the host",
                "joins the %s namespace at %s, shared with whatever lives in it",
                spec_ns_type_name (ns->type), ns->path);
    }
}

/* ---- seccomp and no_new_privileges ---- */

static bool
action_allows (const char *a)
{
  return a && (strcmp (a, "SCMP_ACT_ALLOW") == 0 || strcmp (a, "SCMP_ACT_LOG") == 0);
}

/* Syscalls that, allowed without argument checks, reopen what namespaces and
 * capabilities are meant to close. */
static const char *const risky_syscalls[] = {
  "mount", "umount2", "unshare", "setns", "pivot_root", "bpf", "keyctl", "add_key",
  "request_key", "ptrace", "kexec_load", "kexec_file_load", "init_module", "finit_module",
  "delete_module", "open_by_handle_at", "perf_event_open", "userfaultfd", "io_uring_setup",
  "fsopen", "fsmount", "move_mount", "open_tree", NULL,
};

static void
rule_seccomp (struct audit_ctx *x)
{
  const struct spec_seccomp *s = x->c->linux_ ? x->c->linux_->seccomp : NULL;

  if (s == NULL)
    {
      report (x, AUDIT_HIGH, "seccomp-missing", xfmt (x, "linux.seccomp"),
              "add a seccomp allowlist (capsa spec --hardened writes one)",
              "no seccomp filter: every system call of the kernel is reachable, including unshare(CLONE_NEWUSER), keyctl and bpf, where most container escapes start");
      return;
    }
  if (action_allows (s->default_action))
    {
      size_t denials = 0;
      for (size_t i = 0; i < s->syscalls_len; i++)
        if (!action_allows (s->syscalls[i].action))
          denials++;
      if (denials == 0)
        report (x, AUDIT_HIGH, "seccomp-allows-all", xfmt (x, "linux.seccomp.defaultAction"),
                "make the default SCMP_ACT_ERRNO and list the allowed calls",
                "the default action is %s and no rule denies anything: the filter filters nothing",
                s->default_action);
      else
        report (x, AUDIT_MEDIUM, "seccomp-denylist", xfmt (x, "linux.seccomp.defaultAction"),
                "turn it into an allowlist: default SCMP_ACT_ERRNO, then the calls the workload uses",
                "the default action is %s with %zu denying rules: a denylist lets through every call it forgot and every call added to the kernel later",
                s->default_action, denials);
      return;
    }
  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      const struct spec_seccomp_syscall *sc = &s->syscalls[i];
      if (!action_allows (sc->action) || sc->args_len > 0)
        continue;
      for (size_t n = 0; n < sc->names_len; n++)
        for (const char *const *r = risky_syscalls; *r; r++)
          if (strcmp (sc->names[n], *r) == 0)
            report (x, AUDIT_LOW, "seccomp-allows-risky", xfmt (x, "linux.seccomp.syscalls[%zu].names[%zu]", i, n),
                    "drop it from the allowlist unless the workload needs it",
                    "%s is allowed without argument checks", *r);
    }
}

static void
rule_no_new_privileges (struct audit_ctx *x)
{
  if (x->c->process && !x->c->process->no_new_privileges)
    report (x, AUDIT_MEDIUM, "no-new-privileges-off", xfmt (x, "process.noNewPrivileges"),
            "set process.noNewPrivileges to true",
            "setuid/setgid and file-capability programs in the image can raise privileges");
}

/* ---- /proc and /sys ---- */

static const char *const default_readonly[] = { "/proc/bus", "/proc/fs", "/proc/irq", NULL };

static bool
mount_has_option (const struct spec_mount *m, const char *opt)
{
  return strv_has (m->options, m->options_len, opt);
}

static bool
mount_is_bind (const struct spec_mount *m)
{
  return (m->type && strcmp (m->type, "bind") == 0) || mount_has_option (m, "bind")
         || mount_has_option (m, "rbind");
}

static bool
path_covered (const struct spec_linux *l, const char *p)
{
  return l && (strv_has (l->masked_paths, l->masked_paths_len, p)
               || strv_has (l->readonly_paths, l->readonly_paths_len, p));
}

static void
rule_proc_sys (struct audit_ctx *x)
{
  const struct spec_linux *l = x->c->linux_;
  bool proc = false, sys = false;
  size_t proc_index = 0;

  for (size_t i = 0; i < x->c->mounts_len; i++)
    {
      const struct spec_mount *m = &x->c->mounts[i];
      bool is_sysfs = m->type && strcmp (m->type, "sysfs") == 0;
      if (m->type && strcmp (m->type, "proc") == 0)
        {
          if (!proc)
            proc_index = i;
          proc = true;
        }
      if (is_sysfs || strcmp (m->destination, "/sys") == 0)
        {
          sys = true;
          if (!mount_has_option (m, "ro") && !path_covered (l, "/sys"))
            report (x, soften (x, AUDIT_HIGH), "sysfs-writable", xfmt (x, "mounts[%zu].options", i),
                    "add \"ro\" to the mount options",
                    "%s is mounted read-write: kernel and device settings under /sys become writable", m->destination);
        }
    }

  if (proc)
    {
      bool proc_ro = mount_has_option (&x->c->mounts[proc_index], "ro");
      if (!proc_ro && !path_covered (l, "/proc/sys"))
        report (x, soften (x, soften (x, AUDIT_HIGH)), "proc-sys-writable", xfmt (x, "linux.readonlyPaths"),
                "add \"/proc/sys\" to linux.readonlyPaths",
                "/proc/sys is writable: root can change host-wide kernel settings such as kernel.core_pattern (a known escape)");
      if (!proc_ro && !path_covered (l, "/proc/sysrq-trigger"))
        report (x, soften (x, soften (x, AUDIT_HIGH)), "proc-sysrq-writable", xfmt (x, "linux.readonlyPaths"),
                "add \"/proc/sysrq-trigger\" to linux.readonlyPaths",
                "/proc/sysrq-trigger is writable: root can crash or reboot the host");
    }

  if ((!proc && !sys) || (l && l->masked_paths_len > 0))
    {
      /* Some defaults present: name the missing ones. */
      char missing[512] = "";
      size_t count = 0;
      for (const char *const *p = template_masked_paths; *p && l; p++)
        {
          bool relevant = strncmp (*p, "/proc/", 6) == 0 ? proc : sys;
          if (relevant && !path_covered (l, *p))
            {
              if (count++ < 6)
                {
                  strncat (missing, count > 1 ? ", " : "", sizeof missing - strlen (missing) - 1);
                  strncat (missing, *p, sizeof missing - strlen (missing) - 1);
                }
            }
        }
      if (count > 0)
        report (x, AUDIT_MEDIUM, "masked-paths-incomplete", xfmt (x, "linux.maskedPaths"),
                "add the runtime defaults to linux.maskedPaths (see capsa spec)",
                "%zu default masked paths are visible: %s%s", count, missing, count > 6 ? ", ..." : "");
    }
  else
    report (x, soften (x, AUDIT_HIGH), "masked-paths-missing", xfmt (x, "linux.maskedPaths"),
            "set linux.maskedPaths to the runtime defaults (see capsa spec)",
            "linux.maskedPaths is empty: /proc/kcore, /proc/keys, /proc/timer_list, /sys/firmware and the like expose kernel memory layout, keys and firmware");

  if (proc)
    {
      char missing[128] = "";
      size_t count = 0;
      for (const char *const *p = default_readonly; *p; p++)
        if (!path_covered (l, *p))
          {
            strncat (missing, count++ ? ", " : "", sizeof missing - strlen (missing) - 1);
            strncat (missing, *p, sizeof missing - strlen (missing) - 1);
          }
      if (count > 0)
        report (x, AUDIT_MEDIUM, "readonly-paths-incomplete", xfmt (x, "linux.readonlyPaths"),
                "add them to linux.readonlyPaths",
                "writable kernel interfaces under /proc: %s", missing);
    }
}

/* ---- devices ---- */

static void
rule_devices (struct audit_ctx *x)
{
  const struct spec_linux *l = x->c->linux_;
  const struct spec_resources *res = l ? l->resources : NULL;

  for (size_t i = 0; res && i < res->devices_len; i++)
    {
      const struct spec_device_cgroup *d = &res->devices[i];
      const char *access = d->access ? d->access : "rwm";
      bool any_type = d->type == 0 || d->type == 'a';
      bool wild = d->major < 0 && d->minor < 0;

      if (!d->allow)
        continue;
      if (any_type && wild && strchr (access, 'r') && strchr (access, 'w'))
        report (x, AUDIT_HIGH, "devices-allow-all", xfmt (x, "linux.resources.devices[%zu]", i),
                "start with {\"allow\": false, \"access\": \"rwm\"} and allow only the devices needed",
                "allows %s on every device: with a device node (mknod, or a bind-mounted /dev) the container reads and writes host disks and memory",
                access);
      else if ((d->type == 'b' || any_type) && (strchr (access, 'w') || strchr (access, 'm')))
        report (x, AUDIT_HIGH, "devices-block-write", xfmt (x, "linux.resources.devices[%zu]", i),
                "allow block devices read-only, or not at all",
                "allows '%s' on %s block devices: raw writes bypass every filesystem permission",
                access, wild ? "all" : "these");
      else if (d->type == 'b' || (any_type && wild))
        report (x, AUDIT_MEDIUM, "devices-block-read", xfmt (x, "linux.resources.devices[%zu]", i),
                "drop the rule unless the workload must read the raw disk",
                "allows reading block devices: raw reads bypass file permissions");
    }
  for (size_t i = 0; l && i < l->devices_len; i++)
    if (l->devices[i].type == 'b')
      report (x, AUDIT_MEDIUM, "device-block-node", xfmt (x, "linux.devices[%zu]", i),
              "remove the block device or pass a filesystem mount instead",
              "creates block device %s in the container", l->devices[i].path);
}

/* ---- mounts ---- */

struct sensitive_path
{
  const char *path;
  bool socket;   /* a daemon socket: connect() works on a read-only mount too */
};

static const struct sensitive_path sensitive_paths[] = {
  { "/var/run/docker.sock", true }, { "/run/docker.sock", true },
  { "/run/containerd", true }, { "/var/run/containerd", true },
  { "/run/crio", true }, { "/var/run/crio", true }, { "/run/podman", true },
  { "/etc", false }, { "/proc", false }, { "/sys", false }, { "/dev", false },
  { "/boot", false }, { "/root", false }, { "/var/lib", false }, { "/run", false },
  { "/var/run", false },
};

/* source is `p` or below it, ignoring repeated and trailing slashes. */
static bool
path_within (const char *source, const char *p)
{
  while (*p)
    {
      if (*p == '/' && *source == '/')
        {
          while (*source == '/')
            source++;
          p++;
          continue;
        }
      if (*p++ != *source++)
        return false;
    }
  return *source == '\0' || *source == '/';
}

static bool
path_is_root (const char *s)
{
  for (; *s; s++)
    if (*s != '/')
      return false;
  return true;
}

static void
rule_mounts (struct audit_ctx *x)
{
  bool nnp = x->c->process && x->c->process->no_new_privileges;

  for (size_t i = 0; i < x->c->mounts_len; i++)
    {
      const struct spec_mount *m = &x->c->mounts[i];
      bool bind = mount_is_bind (m);
      bool ro = mount_has_option (m, "ro");
      bool tmpfs = m->type && strcmp (m->type, "tmpfs") == 0;

      if (bind && m->source && m->source[0] == '/')
        {
          const struct sensitive_path *hit = NULL;
          for (size_t k = 0; k < ARRAY_SIZE (sensitive_paths) && !hit; k++)
            if (path_within (m->source, sensitive_paths[k].path))
              hit = &sensitive_paths[k];
          if (path_is_root (m->source))
            report (x, ro ? AUDIT_MEDIUM : AUDIT_HIGH, "mount-host-path", xfmt (x, "mounts[%zu].source", i),
                    "bind only the directories the workload needs",
                    "the host's root directory is bind-mounted %s at %s", ro ? "read-only" : "read-write",
                    m->destination);
          else if (hit && hit->socket)
            report (x, AUDIT_HIGH, "mount-host-path", xfmt (x, "mounts[%zu].source", i),
                    "do not give containers the container manager's socket",
                    "%s is a container manager's socket (or its directory): whoever talks to it starts privileged containers; \"ro\" does not stop connect()",
                    m->source);
          else if (hit)
            report (x, ro && strcmp (hit->path, "/dev") ? AUDIT_MEDIUM : AUDIT_HIGH, "mount-host-path",
                    xfmt (x, "mounts[%zu].source", i),
                    "bind a narrower directory, read-only",
                    "host %s is bind-mounted %s at %s%s", m->source, ro ? "read-only" : "read-write",
                    m->destination,
                    strcmp (hit->path, "/dev") == 0 ? " (device nodes stay writable on a read-only mount)" : "");
        }

      if (bind || tmpfs)
        {
          bool need_nodev = strcmp (m->destination, "/dev") != 0; /* the runtime creates device nodes there */
          bool no_nosuid = !mount_has_option (m, "nosuid");
          bool no_nodev = need_nodev && !mount_has_option (m, "nodev");
          enum audit_severity sev = AUDIT_LOW;
          if (bind && ((no_nosuid && !nnp) || no_nodev))
            sev = AUDIT_MEDIUM;
          if (no_nosuid || no_nodev)
            report (x, sev, "mount-options", xfmt (x, "mounts[%zu].options", i),
                    "add nosuid and nodev",
                    "%s mount at %s lacks %s%s%s", bind ? "bind" : "tmpfs", m->destination,
                    no_nosuid ? "nosuid" : "", no_nosuid && no_nodev ? " and " : "",
                    no_nodev ? "nodev" : "");
        }
    }

  if (!x->c->root_readonly)
    report (x, AUDIT_LOW, "rootfs-writable", xfmt (x, "root.readonly"),
            "set root.readonly to true and mount tmpfs where the workload writes",
            "the root filesystem is writable: a compromised process can change the programs it runs");
}

/* ---- resources ---- */

static void
rule_limits (struct audit_ctx *x)
{
  const struct spec_resources *res = x->c->linux_ ? x->c->linux_->resources : NULL;
  if (res == NULL || res->memory == NULL || !res->memory->has_limit || res->memory->limit <= 0)
    report (x, AUDIT_MEDIUM, "memory-limit-missing", xfmt (x, "linux.resources.memory.limit"),
            "set linux.resources.memory.limit",
            "no memory limit: the container can exhaust host memory and trigger the OOM killer on host processes");
  if (res == NULL || !res->has_pids || res->pids_limit <= 0)
    report (x, AUDIT_MEDIUM, "pids-limit-missing", xfmt (x, "linux.resources.pids.limit"),
            "set linux.resources.pids.limit",
            "no pids limit: a fork bomb in the container exhausts the host's process table");
}

/* ---- LSM ---- */

static void
rule_lsm (struct audit_ctx *x)
{
  const struct spec_process *p = x->c->process;
  if (p == NULL)
    return;
  if (x->host->selinux_enabled && (p->selinux_label == NULL || p->selinux_label[0] == '\0'))
    report (x, AUDIT_MEDIUM, "selinux-label-missing", xfmt (x, "process.selinuxLabel"),
            "set process.selinuxLabel (e.g. system_u:system_r:container_t:s0:c1,c2) and linux.mountLabel",
            "SELinux is active on this host but the process gets no label: it runs in the runtime's domain");
  if (x->host->apparmor_enabled
      && (p->apparmor_profile == NULL || p->apparmor_profile[0] == '\0'
          || strcmp (p->apparmor_profile, "unconfined") == 0))
    report (x, AUDIT_MEDIUM, "apparmor-profile-missing", xfmt (x, "process.apparmorProfile"),
            "set process.apparmorProfile to a loaded profile (e.g. a docker-default-like one)",
            "AppArmor is active on this host but the process runs unconfined");
}

/* ---- hooks ---- */

static void
rule_hooks (struct audit_ctx *x)
{
  for (int k = 0; k < HOOK_KIND_COUNT; k++)
    for (size_t i = 0; i < x->c->hooks.len[k]; i++)
      {
        const struct spec_hook *h = &x->c->hooks.list[k][i];
        const char *kind = spec_hook_kind_name (k);
        if (k == HOOK_START_CONTAINER)
          report (x, AUDIT_INFO, "hook-container-binary", xfmt (x, "hooks.%s[%zu].path", kind, i),
                  "nothing to change if the image is trusted",
                  "runs %s from the container's filesystem before the process starts", h->path);
        else if (k == HOOK_CREATE_CONTAINER)
          report (x, AUDIT_MEDIUM, "hook-host-binary", xfmt (x, "hooks.%s[%zu].path", kind, i),
                  "keep hooks only from a trusted source and check the binary",
                  "runs host binary %s with the runtime's privileges inside the container's namespaces", h->path);
        else
          report (x, AUDIT_HIGH, "hook-host-binary", xfmt (x, "hooks.%s[%zu].path", kind, i),
                  "keep hooks only from a trusted source and check the binary",
                  "runs host binary %s as the runtime's user (usually root) in the host's namespaces: whoever writes this config runs code on the host",
                  h->path);
      }
}

/* ---- driver ---- */

static void
sort_by_severity (struct audit_report *r)
{
  /* Stable insertion sort: rule order is kept within a severity. */
  for (size_t i = 1; i < r->len; i++)
    {
      struct audit_finding f = r->findings[i];
      size_t j = i;
      while (j > 0 && r->findings[j - 1].severity < f.severity)
        {
          r->findings[j] = r->findings[j - 1];
          j--;
        }
      r->findings[j] = f;
    }
}

int
audit_config (const struct spec_config *c, const struct audit_host *host,
              struct audit_report **out, struct error **err)
{
  static const struct audit_host no_host;
  struct audit_ctx x = { .c = c, .host = host ? host : &no_host };
  const struct spec_namespace *user = spec_config_namespace (c, NS_USER);

  x.r = calloc (1, sizeof *x.r);
  if (x.r == NULL)
    return error_set (err, ENOMEM, "audit: allocate report");
  x.userns = user != NULL && (user->path == NULL || !is_host_ns_path (user->path));

  rule_capabilities (&x);
  rule_user (&x);
  rule_namespaces (&x);
  rule_seccomp (&x);
  rule_no_new_privileges (&x);
  rule_proc_sys (&x);
  rule_devices (&x);
  rule_mounts (&x);
  rule_limits (&x);
  rule_lsm (&x);
  rule_hooks (&x);

  if (x.oom)
    {
      audit_report_free (x.r);
      return error_set (err, ENOMEM, "audit: out of memory");
    }
  sort_by_severity (x.r);
  *out = x.r;
  return 0;
}

void
audit_report_free (struct audit_report *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->len; i++)
    {
      free (r->findings[i].path);
      free (r->findings[i].message);
      free (r->findings[i].fix);
    }
  free (r->findings);
  free (r);
}

const char *
audit_severity_name (enum audit_severity s)
{
  switch (s)
    {
    case AUDIT_HIGH: return "high";
    case AUDIT_MEDIUM: return "medium";
    case AUDIT_LOW: return "low";
    case AUDIT_INFO: return "info";
    }
  return "unknown";
}

size_t
audit_report_count (const struct audit_report *r, enum audit_severity s)
{
  size_t n = 0;
  for (size_t i = 0; i < r->len; i++)
    n += r->findings[i].severity == s;
  return n;
}

const struct audit_finding *
audit_report_find (const struct audit_report *r, const char *rule)
{
  for (size_t i = 0; i < r->len; i++)
    if (strcmp (r->findings[i].rule, rule) == 0)
      return &r->findings[i];
  return NULL;
}

int
audit_report_json (const struct audit_report *r, bool pretty, char **out, struct error **err)
{
  struct json_writer *w = json_writer_new (pretty);
  static const enum audit_severity order[] = { AUDIT_HIGH, AUDIT_MEDIUM, AUDIT_LOW, AUDIT_INFO };

  json_w_begin_object (w);
  json_w_key (w, "findings");
  json_w_begin_array (w);
  for (size_t i = 0; i < r->len; i++)
    {
      const struct audit_finding *f = &r->findings[i];
      json_w_begin_object (w);
      json_w_key (w, "severity");
      json_w_string (w, audit_severity_name (f->severity));
      json_w_key (w, "rule");
      json_w_string (w, f->rule);
      json_w_key (w, "path");
      json_w_string (w, f->path);
      json_w_key (w, "message");
      json_w_string (w, f->message);
      json_w_key (w, "fix");
      json_w_string (w, f->fix);
      json_w_end_object (w);
    }
  json_w_end_array (w);
  json_w_key (w, "summary");
  json_w_begin_object (w);
  for (size_t i = 0; i < ARRAY_SIZE (order); i++)
    {
      json_w_key (w, audit_severity_name (order[i]));
      json_w_uint (w, audit_report_count (r, order[i]));
    }
  json_w_end_object (w);
  json_w_end_object (w);
  if (json_writer_finish (w, out, NULL) < 0)
    return error_set (err, 0, "write the audit report");
  return 0;
}
