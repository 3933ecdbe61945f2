/* Host readiness probes for `capsa check`. Probes ask the kernel directly:
 * a namespace type counts as available when a child can unshare it, a system
 * call when calling it with harmless arguments fails with something other
 * than ENOSYS. Messages say what the result means for containers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>
#include <linux/seccomp.h>

#include <grp.h>
#include <sys/capability.h>

#include "cgroups/cgroup.h"
#include "hostcheck.h"
#include "vm/vm.h"
#include "spec/util/cleanup.h"
#include "util/passwd.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif

struct report_builder
{
  struct host_report *r;
  size_t cap;
  bool oom;
};

static char *
vfmt (const char *fmt, va_list ap)
{
  char *s;
  return vasprintf (&s, fmt, ap) < 0 ? NULL : s;
}

/* Add an item. `fix` may be NULL; value is printf-formatted. */
static void add (struct report_builder *b, const char *name, enum host_status st, bool required,
                 const char *meaning, const char *fix, const char *value_fmt, ...)
    __attribute__ ((format (printf, 7, 8)));
static void
add (struct report_builder *b, const char *name, enum host_status st, bool required,
     const char *meaning, const char *fix, const char *value_fmt, ...)
{
  struct host_item it = { .status = st, .required = required };
  va_list ap;

  va_start (ap, value_fmt);
  it.value = vfmt (value_fmt, ap);
  va_end (ap);
  it.name = strdup (name);
  it.meaning = strdup (meaning);
  it.fix = fix ? strdup (fix) : NULL;
  if (b->r->len == b->cap)
    {
      size_t ncap = b->cap ? b->cap * 2 : 32;
      void *n = realloc (b->r->items, ncap * sizeof it);
      if (n == NULL)
        goto fail;
      b->r->items = n;
      b->cap = ncap;
    }
  if (!it.value || !it.name || !it.meaning || (fix && !it.fix))
    goto fail;
  b->r->items[b->r->len++] = it;
  return;
fail:
  free (it.value);
  free (it.name);
  free (it.meaning);
  free (it.fix);
  b->oom = true;
}

/* Small whole-file read; NULL when unreadable. Trailing newline removed. */
static char *
read_small (const char *path)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  char buf[8192];
  ssize_t n;
  if (fd < 0)
    return NULL;
  n = read (fd, buf, sizeof buf - 1);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  while (n > 0 && buf[n - 1] == '\n')
    buf[--n] = '\0';
  return strdup (buf);
}

static long
read_long (const char *path, long dflt)
{
  _cleanup_free_ char *s = read_small (path);
  char *end;
  long v;
  if (s == NULL)
    return dflt;
  v = strtol (s, &end, 10);
  return end == s ? dflt : v;
}

/* ---- kernel ---- */

static void
probe_kernel (struct report_builder *b)
{
  struct utsname u;
  int major = 0, minor = 0;
  if (uname (&u) < 0)
    {
      add (b, "kernel", HOST_MISSING, true, "uname failed", NULL, "unknown");
      return;
    }
  sscanf (u.release, "%d.%d", &major, &minor);
  if (major > 5 || (major == 5 && minor >= 10))
    add (b, "kernel", HOST_OK, true, "recent enough for every feature capsa uses", NULL,
         "%s %s", u.release, u.machine);
  else
    add (b, "kernel", HOST_LIMITED, true,
         "older than 5.10: some probes below will show missing features (clone3, openat2, idmapped mounts)",
         "upgrade to a 5.10 or newer kernel", "%s %s", u.release, u.machine);
}

/* ---- namespaces ---- */

/* 0 when a child could unshare `flag` (after entering a new user namespace
 * when in_userns, optionally as an unprivileged uid), else the errno. */
static int
try_unshare (int flag, bool in_userns, bool as_nobody)
{
  pid_t pid = fork ();
  int status;

  if (pid < 0)
    return errno;
  if (pid == 0)
    {
      if (as_nobody && getuid () == 0 && (setgroups (0, NULL) < 0 || setgid (65534) < 0 || setuid (65534) < 0))
        _exit (errno & 0xff);
      if (in_userns && unshare (CLONE_NEWUSER) < 0)
        _exit (errno & 0xff);
      if (flag && unshare (flag) < 0)
        _exit (errno & 0xff);
      _exit (0);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return errno;
  return WIFEXITED (status) ? WEXITSTATUS (status) : EINTR;
}

struct ns_probe
{
  const char *name;
  int flag;
  bool required;
  const char *meaning;
};

static const struct ns_probe ns_probes[] = {
  { "mount", CLONE_NEWNS, true, "own mount table: rootfs, pivot_root, masked paths" },
  { "uts", CLONE_NEWUTS, true, "own hostname" },
  { "ipc", CLONE_NEWIPC, true, "own System V IPC and POSIX message queues" },
  { "network", CLONE_NEWNET, true, "own network stack" },
  { "pid", CLONE_NEWPID, true, "own process tree; the container's init is pid 1" },
  { "cgroup", CLONE_NEWCGROUP, false, "own view of /proc/self/cgroup and the cgroup mount" },
  { "user", CLONE_NEWUSER, false, "uid/gid mappings: root in the container is not root on the host; needed by rootless containers" },
  { "time", CLONE_NEWTIME, false, "own CLOCK_MONOTONIC and CLOCK_BOOTTIME offsets (linux.timeOffsets)" },
};

static void
probe_namespaces (struct report_builder *b)
{
  int user_err = try_unshare (CLONE_NEWUSER, false, false);

  for (size_t i = 0; i < ARRAY_SIZE (ns_probes); i++)
    {
      const struct ns_probe *p = &ns_probes[i];
      char name[64];
      int here = p->flag == CLONE_NEWUSER ? user_err : try_unshare (p->flag, false, false);
      int in_user = p->flag == CLONE_NEWUSER || user_err ? user_err : try_unshare (p->flag, true, false);

      snprintf (name, sizeof name, "namespace.%s", p->name);
      if (here == 0 && in_user == 0)
        add (b, name, HOST_OK, p->required, p->meaning, NULL,
             p->flag == CLONE_NEWUSER ? "can be created" : "can be created, also inside a user namespace");
      else if (in_user == 0 && (here == EPERM || here == EACCES))
        /* An ordinary user: this is how its (rootless) containers get them. */
        add (b, name, HOST_OK, p->required, p->meaning, NULL,
             "can be created inside a user namespace, as rootless containers do (uid %u has no "
             "CAP_SYS_ADMIN to create it outside one: %s)", (unsigned) geteuid (), strerror (here));
      else if (here == 0)
        add (b, name, HOST_LIMITED, p->required, p->meaning,
             "rootless containers cannot use it; check the user namespace line",
             "can be created, but not inside a user namespace (%s)", strerror (in_user));
      else
        add (b, name, HOST_MISSING, p->required, p->meaning,
             p->flag == CLONE_NEWTIME ? "needs Linux 5.6 with CONFIG_TIME_NS" : "enable the namespace in the kernel configuration (CONFIG_*_NS)",
             "cannot be created here (%s)", strerror (here));
    }
}

static void
probe_unprivileged_userns (struct report_builder *b)
{
  long clone_sysctl = read_long ("/proc/sys/kernel/unprivileged_userns_clone", -1);
  long max_ns = read_long ("/proc/sys/user/max_user_namespaces", -1);
  long aa_restrict = read_long ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", -1);
  int err = try_unshare (0, true, true);
  char settings[256];

  snprintf (settings, sizeof settings, "kernel.unprivileged_userns_clone=%s, user.max_user_namespaces=%ld%s",
            clone_sysctl < 0 ? "(absent)" : clone_sysctl ? "1" : "0", max_ns,
            aa_restrict > 0 ? ", kernel.apparmor_restrict_unprivileged_userns=1" : "");
  if (err == 0)
    add (b, "userns.unprivileged", HOST_OK, false,
         "ordinary users can create user namespaces: rootless containers work (and so does the kernel attack surface they open: seccomp in containers should block unshare)",
         NULL, "an unprivileged uid created one; %s", settings);
  else
    add (b, "userns.unprivileged", HOST_LIMITED, false,
         "ordinary users cannot create user namespaces: rootless containers are not possible, root-run ones are unaffected",
         clone_sysctl == 0 ? "sysctl -w kernel.unprivileged_userns_clone=1"
         : max_ns == 0 ? "sysctl -w user.max_user_namespaces=15000"
         : aa_restrict > 0 ? "give the runtime an AppArmor profile that allows userns, or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
         : "check the kernel configuration (CONFIG_USER_NS)",
         "an unprivileged uid could not (%s); %s", strerror (err), settings);
}

/* ---- cgroups ---- */

struct mount_entry
{
  char *mountpoint;
  char *fstype;
  char *superopts;
};

static void
mounts_free (struct mount_entry *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (m[i].mountpoint);
      free (m[i].fstype);
      free (m[i].superopts);
    }
  free (m);
}

/* cgroup and cgroup2 mounts of this mount namespace, from mountinfo. */
static struct mount_entry *
cgroup_mounts (size_t *n)
{
  _cleanup_fclose_ FILE *f = fopen ("/proc/self/mountinfo", "re");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0, len = 0;
  struct mount_entry *m = NULL;

  *n = 0;
  if (f == NULL)
    return NULL;
  while (getline (&line, &cap, f) > 0)
    {
      char mp[4096], fstype[64], source[256], opts[1024];
      char *sep = strstr (line, " - ");
      if (sep == NULL || sscanf (line, "%*s %*s %*s %*s %4095s", mp) != 1
          || sscanf (sep + 3, "%63s %255s %1023s", fstype, source, opts) != 3)
        continue;
      if (strcmp (fstype, "cgroup") != 0 && strcmp (fstype, "cgroup2") != 0)
        continue;
      void *nm = realloc (m, (len + 1) * sizeof *m);
      if (nm == NULL)
        break;
      m = nm;
      m[len].mountpoint = strdup (mp);
      m[len].fstype = strdup (fstype);
      m[len].superopts = strdup (opts);
      len++;
    }
  *n = len;
  return m;
}

static bool
opt_has (const char *opts, const char *opt)
{
  size_t l = strlen (opt);
  for (const char *p = opts; p && *p; )
    {
      if (strncmp (p, opt, l) == 0 && (p[l] == ',' || p[l] == '\0'))
        return true;
      p = strchr (p, ',');
      if (p)
        p++;
    }
  return false;
}

/* The v1 controllers of a superblock option string ("rw,cpu,cpuacct"). */
static void
v1_controllers (const char *opts, char *out, size_t outlen)
{
  static const char *const known[] = {
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "net_cls",
    "net_prio", "perf_event", "hugetlb", "rdma", "misc", NULL,
  };
  out[0] = '\0';
  for (const char *const *k = known; *k; k++)
    if (opt_has (opts, *k))
      {
        if (out[0])
          strncat (out, ",", outlen - strlen (out) - 1);
        strncat (out, *k, outlen - strlen (out) - 1);
      }
}

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Time one write of a sleeping child's pid into a fresh v1 cgroup under
 * `mountpoint`. Returns milliseconds, or -1. */
static double
time_v1_attach (const char *mountpoint)
{
  char dir[4200], procs[4300], pidbuf[32];
  int pipefd[2];
  double t0, t1 = -1, result = -1;
  pid_t pid;

  snprintf (dir, sizeof dir, "%s/capsa-check-%d", mountpoint, (int) getpid ());
  snprintf (procs, sizeof procs, "%s/cgroup.procs", dir);
  if (mkdir (dir, 0755) < 0)
    return -1;
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    goto out_rmdir;
  pid = fork ();
  if (pid == 0)
    {
      char c;
      close (pipefd[1]);
      (void) !read (pipefd[0], &c, 1); /* until the parent closes its end */
      _exit (0);
    }
  close (pipefd[0]);
  if (pid > 0)
    {
      _cleanup_close_ int fd = open (procs, O_WRONLY | O_CLOEXEC);
      int len = snprintf (pidbuf, sizeof pidbuf, "%d", (int) pid);
      /* An idle gap, so the write does not ride on a grace period that
       * the fork or mkdir already started. */
      usleep (50 * 1000);
      t0 = now_ms ();
      if (fd >= 0 && write (fd, pidbuf, len) == len)
        t1 = now_ms ();
      if (t1 >= 0)
        result = t1 - t0;
    }
  close (pipefd[1]);
  if (pid > 0)
    while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
      ;
out_rmdir:
  /* An exited task may linger in the cgroup for a moment. */
  for (int i = 0; i < 100 && rmdir (dir) < 0 && errno == EBUSY; i++)
    usleep (10 * 1000);
  return result;
}

static void
probe_cgroups (struct report_builder *b, const struct host_check_options *o)
{
  enum cgroup_layout layout = cgroup_detect_layout ();
  size_t n = 0, v1_count = 0, fav = 0;
  struct mount_entry *m = cgroup_mounts (&n);
  char v1[512] = "", v2_mount[256] = "", fav_list[256] = "", first_v1[4096] = "";
  _cleanup_free_ char *v2_controllers = NULL, *v2_delegated = NULL;

  for (size_t i = 0; i < n; i++)
    {
      if (strcmp (m[i].fstype, "cgroup2") == 0)
        snprintf (v2_mount, sizeof v2_mount, "%s", m[i].mountpoint);
      else
        {
          char ctrls[256];
          v1_controllers (m[i].superopts, ctrls, sizeof ctrls);
          if (ctrls[0])
            {
              if (v1[0])
                strncat (v1, ",", sizeof v1 - strlen (v1) - 1);
              strncat (v1, ctrls, sizeof v1 - strlen (v1) - 1);
              v1_count++;
              if (!first_v1[0] || strstr (ctrls, "pids"))
                snprintf (first_v1, sizeof first_v1, "%s", m[i].mountpoint);
            }
        }
      if (opt_has (m[i].superopts, "favordynmods"))
        {
          fav++;
          if (fav_list[0])
            strncat (fav_list, " ", sizeof fav_list - strlen (fav_list) - 1);
          strncat (fav_list, m[i].mountpoint, sizeof fav_list - strlen (fav_list) - 1);
        }
    }
  if (v2_mount[0])
    {
      char p[512];
      snprintf (p, sizeof p, "%s/cgroup.controllers", v2_mount);
      v2_controllers = read_small (p);
      snprintf (p, sizeof p, "%s/cgroup.subtree_control", v2_mount);
      v2_delegated = read_small (p);
    }

  if (layout == CGROUP_LAYOUT_V2)
    add (b, "cgroup.layout", HOST_OK, true,
         "unified hierarchy: one cgroup per container, eBPF device filter, CLONE_INTO_CGROUP", NULL,
         "v2 at %s", v2_mount[0] ? v2_mount : "/sys/fs/cgroup");
  else
    add (b, "cgroup.layout", HOST_LIMITED, true,
         "cgroup v1 controllers: one cgroup per controller and container, each joined by a separate write (see cgroup.attach-cost)",
         "boot with systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=all) to get cgroup v2",
         "%s: v1 controllers %s%s%s", cgroup_layout_name (layout), v1[0] ? v1 : "(none)",
         v2_mount[0] ? ", cgroup2 at " : "", v2_mount[0] ? v2_mount : "");

  {
    /* What a default container's resources need: pids, memory and devices
     * (v1) or the same through v2 (devices by eBPF). */
    static const char *const needed[] = { "memory", "pids", NULL };
    char missing[128] = "";
    for (const char *const *c = needed; *c; c++)
      if (!opt_has (v1, *c) && !(v2_controllers && strstr (v2_controllers, *c)))
        {
          strncat (missing, missing[0] ? "," : "", sizeof missing - strlen (missing) - 1);
          strncat (missing, *c, sizeof missing - strlen (missing) - 1);
        }
    if (layout != CGROUP_LAYOUT_V2 && !opt_has (v1, "devices"))
      strncat (missing, missing[0] ? ",devices" : "devices", sizeof missing - strlen (missing) - 1);
    add (b, "cgroup.controllers", missing[0] ? HOST_LIMITED : HOST_OK, false,
         "memory and pids limits protect the host from a runaway container; the devices controller enforces linux.resources.devices on v1",
         missing[0] ? "enable the missing controllers (kernel config, or mount them)" : NULL,
         "v1: %s; v2: %s%s%s%s", v1[0] ? v1 : "(none)",
         v2_controllers ? (v2_controllers[0] ? v2_controllers : "(none)") : "(no cgroup2)",
         v2_delegated ? "; delegated below the v2 root: " : "",
         v2_delegated ? (v2_delegated[0] ? v2_delegated : "(none)") : "",
         missing[0] ? "" : "");
    if (missing[0])
      {
        struct host_item *it = &b->r->items[b->r->len - 1];
        char *nv = NULL;
        if (asprintf (&nv, "%s; missing: %s", it->value, missing) >= 0)
          {
            free (it->value);
            it->value = nv;
          }
      }
  }

  /* The per-start cost: every write to a v1 cgroup.procs (and to a v2 one
   * without favordynmods) takes cgroup_threadgroup_rwsem for writing, which
   * waits for an RCU grace period unless the hierarchy favours dynamic
   * modifications. */
  if (layout != CGROUP_LAYOUT_V2 && v1_count > 0)
    {
      double ms = o && o->measure && first_v1[0] ? time_v1_attach (first_v1) : -1;
      char measured[160] = "";
      /* gcc wants the result checked: a very long hierarchy path is simply cut, which is
       * fine for a report line. */
      int len = 0;
      if (ms >= 0)
        len = snprintf (measured, sizeof measured, "one attach to %s took %.1f ms, so about %.0f ms per container start across %zu v1 hierarchies; ",
                        first_v1, ms, ms * (double) v1_count, v1_count);
      else if (o && o->measure)
        len = snprintf (measured, sizeof measured, "(attach not measured: needs root and a writable v1 hierarchy); ");
      if (len < 0)
        measured[0] = '\0';
      if (fav == n && n > 0)
        add (b, "cgroup.attach-cost", HOST_OK, false,
             "cgroup hierarchies are mounted with favordynmods: moving a process into a cgroup does not wait for an RCU grace period",
             NULL, "%sfavordynmods on %s", measured, fav_list);
      else
        add (b, "cgroup.attach-cost", HOST_LIMITED, false,
             "without favordynmods, each write to cgroup.procs waits for an RCU grace period (typically ~10 ms) and capsa writes one per v1 hierarchy on every start",
             "remount the hierarchies with favordynmods (mount -o remount,favordynmods <each cgroup mount>, Linux 6.0+), build the kernel with CONFIG_CGROUP_FAVOR_DYNMODS=y, or move to cgroup v2 where capsa places the container with clone3(CLONE_INTO_CGROUP) and writes no cgroup.procs",
             "%sfavordynmods on %s", measured, fav ? fav_list : "none of the cgroup mounts");
    }
  else if (layout == CGROUP_LAYOUT_V2)
    add (b, "cgroup.attach-cost", fav ? HOST_OK : HOST_INFO, false,
         "on v2 capsa starts the container directly in its cgroup (clone3 with CLONE_INTO_CGROUP), so no attach write is on the start path",
         NULL, "favordynmods %s", fav ? "on" : "off (only matters for later moves, e.g. exec)");
  mounts_free (m, n);
}

/* ---- seccomp ---- */

static void
probe_seccomp (struct report_builder *b)
{
  _cleanup_free_ char *actions = read_small ("/proc/sys/kernel/seccomp/actions_avail");
  /* With a NULL filter the kernel answers EFAULT when filter mode exists. */
  int r = prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0);
  int e = errno;
  int mode = prctl (PR_GET_SECCOMP, 0, 0, 0, 0);

  if (r < 0 && e == EFAULT)
    add (b, "seccomp.filter", HOST_OK, false,
         "linux.seccomp profiles can be applied", NULL,
         "filter mode available; capsa itself runs %s; actions: %s",
         mode == 2 ? "under a seccomp filter" : mode == 0 ? "unfiltered" : "in strict mode",
         actions ? actions : "(unknown)");
  else
    add (b, "seccomp.filter", HOST_MISSING, false,
         "linux.seccomp profiles cannot be applied: containers get the whole syscall surface",
         "enable CONFIG_SECCOMP_FILTER", "filter mode unavailable (%s)", strerror (e));
  if (actions && strstr (actions, "user_notif"))
    add (b, "seccomp.notify", HOST_OK, false,
         "linux.seccomp.listenerPath works: an agent can answer system calls for the container", NULL,
         "SECCOMP_RET_USER_NOTIF available");
  else
    add (b, "seccomp.notify", HOST_MISSING, false,
         "linux.seccomp.listenerPath and SCMP_ACT_NOTIFY cannot be used", "needs Linux 5.0+",
         "user_notif not in actions_avail");
}

/* ---- LSMs ---- */

static void
probe_lsm (struct report_builder *b)
{
  _cleanup_free_ char *lsm = read_small ("/sys/kernel/security/lsm");
  _cleanup_free_ char *enforce = read_small ("/sys/fs/selinux/enforce");
  _cleanup_free_ char *aa = read_small ("/sys/module/apparmor/parameters/enabled");
  long abi = syscall (SYS_landlock_create_ruleset, NULL, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */);
  int abi_err = errno;

  add (b, "lsm.list", HOST_INFO, false, "the Linux security modules the kernel runs", NULL, "%s",
       lsm ? lsm : "unknown (securityfs is not mounted at /sys/kernel/security)");
  if (enforce)
    add (b, "lsm.selinux", strcmp (enforce, "1") == 0 ? HOST_OK : HOST_LIMITED, false,
         "process.selinuxLabel and linux.mountLabel confine containers",
         strcmp (enforce, "1") == 0 ? NULL : "setenforce 1 (permissive mode only logs)",
         "%s", strcmp (enforce, "1") == 0 ? "enforcing" : "permissive");
  else
    add (b, "lsm.selinux", HOST_INFO, false,
         "SELinux is off: process.selinuxLabel and linux.mountLabel cannot be applied (capsa refuses a config that sets a label)",
         NULL, "off");
  if (aa && aa[0] == 'Y')
    add (b, "lsm.apparmor", HOST_OK, false, "process.apparmorProfile confines containers", NULL, "enabled");
  else
    add (b, "lsm.apparmor", HOST_INFO, false,
         "AppArmor is off: process.apparmorProfile cannot be applied", NULL, "off");
  if (abi > 0)
    add (b, "lsm.landlock", HOST_OK, false,
         "programs in containers can sandbox themselves further with Landlock", NULL, "ABI version %ld", abi);
  else
    add (b, "lsm.landlock", HOST_INFO, false,
         "Landlock is not available to programs in containers", NULL, "%s",
         abi_err == ENOSYS ? "not built in" : abi_err == EOPNOTSUPP ? "built in but not enabled (add landlock to lsm=)" : strerror (abi_err));
}

/* ---- capabilities ---- */

static uint64_t
status_hex (const char *status, const char *key)
{
  const char *p = strstr (status, key);
  return p ? strtoull (p + strlen (key), NULL, 16) : 0;
}

static void
cap_names (uint64_t mask, long last, char *out, size_t outlen)
{
  out[0] = '\0';
  for (long i = 0; i <= last && i < 64; i++)
    if (mask & (1ULL << i))
      {
        char *n = cap_to_name ((cap_value_t) i);
        if (out[0])
          strncat (out, ",", outlen - strlen (out) - 1);
        strncat (out, n ? n : "?", outlen - strlen (out) - 1);
        cap_free (n);
      }
}

static void
probe_capabilities (struct report_builder *b)
{
  _cleanup_free_ char *status = NULL;
  _cleanup_fclose_ FILE *f = fopen ("/proc/self/status", "re");
  long last = read_long ("/proc/sys/kernel/cap_last_cap", 40);
  uint64_t all = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
  uint64_t eff, bnd;
  char missing[1024];
  size_t cap = 0;

  if (f == NULL || getdelim (&status, &cap, '\0', f) < 0)
    {
      add (b, "capabilities", HOST_INFO, false, "could not read /proc/self/status", NULL, "unknown");
      return;
    }
  eff = status_hex (status, "CapEff:");
  bnd = status_hex (status, "CapBnd:");
  if ((eff & all) == all)
    add (b, "capabilities.effective", HOST_OK, true,
         "capsa runs with every capability: it can set up any container", NULL, "all %ld", last + 1);
  else if (eff & (1ULL << CAP_SYS_ADMIN))
    {
      cap_names (all & ~eff, last, missing, sizeof missing);
      add (b, "capabilities.effective", HOST_LIMITED, true,
           "capsa can create containers, but not grant capabilities it does not hold, nor do what they guard",
           "run capsa with the full capability set", "missing %s", missing);
    }
  else
    add (b, "capabilities.effective", HOST_LIMITED, true,
         "without CAP_SYS_ADMIN capsa can only run rootless containers (inside a user namespace)",
         "run as root, or use rootless mode (capsa spec --rootless)", "%d of %ld", __builtin_popcountll (eff & all), last + 1);
  if ((bnd & all) == all)
    add (b, "capabilities.bounding", HOST_OK, false, "containers can be given any capability", NULL, "full");
  else
    {
      cap_names (all & ~bnd, last, missing, sizeof missing);
      add (b, "capabilities.bounding", HOST_LIMITED, false,
           "capabilities outside the bounding set can never be granted to a container",
           "start capsa from a context with the full bounding set", "missing %s", missing);
    }
}

/* ---- system calls ---- */

/* Present unless the kernel says ENOSYS. */
static bool
syscall_present (long r, int e)
{
  return r >= 0 || e != ENOSYS;
}

static void
probe_syscalls (struct report_builder *b)
{
  long r;
  int e;
  enum cgroup_layout layout = cgroup_detect_layout ();

  errno = 0;
  r = syscall (SYS_open_tree, -1, "", 0);
  e = errno;
  if (r >= 0)
    close ((int) r);
  {
    long r2 = syscall (SYS_move_mount, -1, "", -1, "", 0);
    int e2 = errno;
    bool ok = syscall_present (r, e) && syscall_present (r2, e2);
    add (b, "syscall.open_tree", ok ? HOST_OK : HOST_MISSING, false,
         "the new mount API mounts into the rootfs through file descriptors, immune to path races",
         ok ? NULL : "needs Linux 5.2; capsa falls back to /proc/self/fd paths",
         "open_tree/move_mount %s", ok ? "present" : "absent");
  }

  errno = 0;
  r = syscall (SYS_mount_setattr, -1, "", 0, NULL, 0);
  e = errno;
  add (b, "syscall.idmapped-mounts", syscall_present (r, e) ? HOST_OK : HOST_MISSING, false,
       "mounts[].uidMappings/gidMappings (idmapped mounts) share files with a user-namespaced container without chown",
       syscall_present (r, e) ? NULL : "needs Linux 5.12 (and a filesystem that supports idmapping)",
       "mount_setattr %s", syscall_present (r, e) ? "present (support also depends on the filesystem)" : "absent");

  {
    struct { uint64_t flags, mode, resolve; } how = { O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0x10 /* RESOLVE_IN_ROOT */ };
    errno = 0;
    r = syscall (SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
    e = errno;
    if (r >= 0)
      close ((int) r);
    add (b, "syscall.openat2", r >= 0 ? HOST_OK : HOST_MISSING, false,
         "paths in the rootfs are resolved by the kernel (RESOLVE_IN_ROOT): symlinks cannot escape it",
         r >= 0 ? NULL : "needs Linux 5.6; capsa falls back to resolving in userspace",
         "%s", r >= 0 ? "RESOLVE_IN_ROOT works" : strerror (e));
  }

  {
    /* clone3 with CLONE_INTO_CGROUP and a descriptor that is not open: EBADF
     * means the flag is understood, EINVAL that it is not, ENOSYS no clone3. */
    struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
             set_tid, set_tid_size, cgroup; } args = { 0 };
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = 0x7fffffff;
    errno = 0;
    r = syscall (SYS_clone3, &args, sizeof args);
    e = errno;
    if (r == 0)
      _exit (0);
    if (r > 0)
      waitpid ((pid_t) r, NULL, 0);
    bool clone3 = syscall_present (r, e);
    bool into = r >= 0 || e == EBADF;
    add (b, "syscall.clone3", clone3 ? HOST_OK : HOST_MISSING, false,
         "clone3 creates the container init with a pidfd in one step",
         clone3 ? NULL : "needs Linux 5.3; capsa falls back to clone", "%s", clone3 ? "present" : "absent");
    add (b, "syscall.clone-into-cgroup",
         into && layout == CGROUP_LAYOUT_V2 ? HOST_OK : into ? HOST_LIMITED : HOST_MISSING, false,
         "CLONE_INTO_CGROUP starts the container directly in its cgroup: no cgroup.procs write, no window outside its limits",
         into && layout == CGROUP_LAYOUT_V2 ? NULL : into ? "only the cgroup2 hierarchy can be joined this way; the v1 controllers still need a write each (use cgroup v2)" : "needs Linux 5.7 and cgroup v2",
         "%s", into ? (layout == CGROUP_LAYOUT_V2 ? "supported" : "supported by the kernel, but the controllers are on v1 here") : strerror (e));
  }

  errno = 0;
  r = syscall (SYS_pidfd_open, getpid (), 0);
  e = errno;
  if (r >= 0)
    close ((int) r);
  add (b, "syscall.pidfd", r >= 0 ? HOST_OK : HOST_MISSING, false,
       "signals reach the container through a pidfd, never a recycled pid",
       r >= 0 ? NULL : "needs Linux 5.3; capsa falls back to pids checked by start time",
       "%s", r >= 0 ? "pidfd_open works" : strerror (e));
}

/* ---- filesystems and rootless tools ---- */

static void
probe_overlay (struct report_builder *b)
{
  _cleanup_free_ char *fs = read_small ("/proc/filesystems");
  struct utsname u;
  char mod[512];
  struct stat st;

  if (fs && strstr (fs, "\toverlay"))
    {
      add (b, "fs.overlay", HOST_OK, false,
           "overlay root filesystems (as container engines build them) can be mounted", NULL, "registered");
      return;
    }
  uname (&u);
  snprintf (mod, sizeof mod, "/lib/modules/%s/kernel/fs/overlayfs", u.release);
  if (stat (mod, &st) == 0)
    add (b, "fs.overlay", HOST_OK, false,
         "overlay root filesystems can be mounted; the module loads on first use", NULL,
         "available as a module, not loaded yet");
  else
    add (b, "fs.overlay", HOST_MISSING, false,
         "engines that build root filesystems with overlayfs will fail; plain directories still work",
         "enable CONFIG_OVERLAY_FS or load the overlay module", "not in /proc/filesystems");
}

static const char *
find_tool (const char *name, char *buf, size_t len)
{
  static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin", NULL };
  for (const char *const *d = dirs; *d; d++)
    {
      snprintf (buf, len, "%s/%s", *d, name);
      if (access (buf, X_OK) == 0)
        return buf;
    }
  return NULL;
}

static int
subid_entries (const char *path)
{
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  int n = 0;
  if (f == NULL)
    return -1;
  while (getline (&line, &cap, f) > 0)
    n += line[0] != '#' && line[0] != '\n';
  return n;
}

/* The start and size of the first range of uid (or its name) in a subid file. */
static bool
subid_range_of (const char *path, uid_t uid, const char *name, unsigned long *start,
                unsigned long *count)
{
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  char idbuf[16];
  snprintf (idbuf, sizeof idbuf, "%u", (unsigned) uid);
  while (f && getline (&line, &cap, f) > 0)
    {
      char *colon = strchr (line, ':');
      if (colon == NULL)
        continue;
      *colon = '\0';
      if (strcmp (line, idbuf) != 0 && (name == NULL || strcmp (line, name) != 0))
        continue;
      if (sscanf (colon + 1, "%lu:%lu", start, count) == 2)
        return true;
    }
  return false;
}

static void
probe_rootless_tools (struct report_builder *b)
{
  char up[256], gp[256];
  const char *u = find_tool ("newuidmap", up, sizeof up);
  const char *g = find_tool ("newgidmap", gp, sizeof gp);
  int su = subid_entries ("/etc/subuid"), sg = subid_entries ("/etc/subgid");
  bool privileged = false;

  if (u)
    {
      struct stat st;
      privileged = (stat (u, &st) == 0 && (st.st_mode & S_ISUID))
                   || getxattr (u, "security.capability", NULL, 0) > 0;
    }
  uid_t me = geteuid ();
  if (u && g && privileged && me != 0)
    {
      /* An ordinary user: what capsa can map for this one (through newuidmap). */
      char name[64];
      bool named = passwd_name_of (me, name, sizeof name);
      unsigned long us = 0, un = 0, gs = 0, gn = 0;
      bool ru = subid_range_of ("/etc/subuid", me, named ? name : NULL, &us, &un);
      bool rg = subid_range_of ("/etc/subgid", me, named ? name : NULL, &gs, &gn);
      if (ru && rg)
        add (b, "rootless.idmap-tools", HOST_OK, false,
             "rootless containers of this user can map its subordinate ids besides its own "
             "(capsa runs newuidmap/newgidmap for such linux.uidMappings/gidMappings)", NULL,
             "%s and %s; uid %u has uids %lu-%lu and gids %lu-%lu", u, g, (unsigned) me, us,
             us + un - 1, gs, gs + gn - 1);
      else
        add (b, "rootless.idmap-tools", HOST_LIMITED, false,
             "rootless containers of this user can map only its own uid and gid (one id): images "
             "with files of other owners do not work",
             "give the user ranges (usermod --add-subuids 100000-165535 --add-subgids "
             "100000-165535 USER)",
             "%s and %s present; uid %u (%s) has no range in %s", u, g, (unsigned) me,
             named ? name : "no name", !ru ? "/etc/subuid" : "/etc/subgid");
      return;
    }
  if (u && g && privileged && su > 0 && sg > 0)
    add (b, "rootless.idmap-tools", HOST_OK, false,
         "rootless containers can map a range of subordinate ids, not just the caller's own", NULL,
         "%s and %s; /etc/subuid %d entries, /etc/subgid %d entries", u, g, su, sg);
  else
    add (b, "rootless.idmap-tools", HOST_LIMITED, false,
         "rootless containers can map only the caller's own uid and gid (one id): images with files of other owners do not work",
         "apt-get install uidmap, and give users ranges in /etc/subuid and /etc/subgid (usermod --add-subuids)",
         "newuidmap %s, newgidmap %s; /etc/subuid %s, /etc/subgid %s",
         u ? (privileged ? "present" : "present but not setuid") : "missing", g ? "present" : "missing",
         su < 0 ? "missing" : su == 0 ? "empty" : "has entries", sg < 0 ? "missing" : sg == 0 ? "empty" : "has entries");
}

/* VM isolation (issue 15): qemu, a guest kernel, KVM or TCG (libcontainer/vm/vm_check.c). */
static void
probe_vm (struct report_builder *b)
{
  char value[512], fix[512];
  enum vm_check_status st = vm_check (value, sizeof value, fix, sizeof fix);
  add (b, "isolation.vm", st == VM_CHECK_KVM ? HOST_OK : st == VM_CHECK_TCG ? HOST_LIMITED : HOST_MISSING,
       false, st == VM_CHECK_MISSING
                  ? "containers annotated run.capsa.isolation=vm cannot run here"
                  : "containers annotated run.capsa.isolation=vm run in their own kernel (qemu)",
       fix[0] ? fix : NULL, "%s", value);
}

/* ---- driver ---- */

int
host_check_run (const struct host_check_options *o, struct host_report **out, struct error **err)
{
  struct report_builder b = { 0 };

  b.r = calloc (1, sizeof *b.r);
  if (b.r == NULL)
    return error_set (err, ENOMEM, "host check: allocate report");
  probe_kernel (&b);
  probe_namespaces (&b);
  probe_unprivileged_userns (&b);
  probe_cgroups (&b, o);
  probe_seccomp (&b);
  probe_lsm (&b);
  probe_capabilities (&b);
  probe_syscalls (&b);
  probe_overlay (&b);
  probe_rootless_tools (&b);
  probe_vm (&b);
  if (b.oom)
    {
      host_report_free (b.r);
      return error_set (err, ENOMEM, "host check: out of memory");
    }
  *out = b.r;
  return 0;
}

void
host_report_free (struct host_report *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->len; i++)
    {
      free (r->items[i].name);
      free (r->items[i].value);
      free (r->items[i].meaning);
      free (r->items[i].fix);
    }
  free (r->items);
  free (r);
}

const struct host_item *
host_report_get (const struct host_report *r, const char *name)
{
  for (size_t i = 0; i < r->len; i++)
    if (strcmp (r->items[i].name, name) == 0)
      return &r->items[i];
  return NULL;
}

const char *
host_status_name (enum host_status s)
{
  switch (s)
    {
    case HOST_OK: return "ok";
    case HOST_LIMITED: return "limited";
    case HOST_MISSING: return "missing";
    case HOST_INFO: return "info";
    }
  return "unknown";
}

bool
host_report_ready (const struct host_report *r)
{
  for (size_t i = 0; i < r->len; i++)
    if (r->items[i].required && r->items[i].status == HOST_MISSING)
      return false;
  return true;
}

void
host_audit_facts (struct audit_host *out)
{
  _cleanup_free_ char *enforce = read_small ("/sys/fs/selinux/enforce");
  _cleanup_free_ char *aa = read_small ("/sys/module/apparmor/parameters/enabled");
  out->selinux_enabled = enforce != NULL;
  out->apparmor_enabled = aa != NULL && aa[0] == 'Y';
}
