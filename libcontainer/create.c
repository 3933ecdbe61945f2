/* lc_create and lc_run: the parent's half of a container's birth. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/capability.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "container.h"
#include "container_ops.h"
#include "capabilities.h"
#include "container_state.h"
#include "foreground.h"
#include "namespaces.h"
#include "netdev.h"
#include "pid_identity.h"
#include "preserved_fds.h"
#include "seccomp_filter.h"
#include "spawn.h"
#include "spec/util/cleanup.h"
#include "terminal.h"
#include "util/passwd.h"
#include "test_stop.h"
#include "util/fs.h"
#include "vm/vm.h"

int
lc_validate_id (const char *id, struct error **err)
{
  size_t len = id ? strlen (id) : 0;
  if (len == 0)
    return error_set (err, EINVAL, "invalid container id: empty");
  if (len > 1024)
    return error_set (err, EINVAL, "invalid container id: longer than 1024 bytes");
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return error_set (err, EINVAL, "invalid container id \"%s\"", id);
  for (const char *p = id; *p; p++)
    {
      char ch = *p;
      bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                || ch == '_' || ch == '-' || ch == '.' || ch == '+';
      if (!ok)
        return error_set (err, EINVAL, "invalid container id \"%s\": only [A-Za-z0-9_+.-] allowed",
                          id);
    }
  return 0;
}

static bool
has_namespace (const struct spec_config *c, enum spec_ns_type t)
{
  for (size_t i = 0; i < c->linux_->namespaces_len; i++)
    if (c->linux_->namespaces[i].type == t)
      return true;
  return false;
}

/* Only sysctls of a namespace the container has may be set: any other one would
 * change the host (runc refuses them the same way). */
static int
check_sysctl (const struct spec_config *c, struct error **err)
{
  static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                     "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                     "kernel.shmmni", "kernel.shm_rmid_forced" };
  for (size_t i = 0; i < c->linux_->sysctl_len; i++)
    {
      _cleanup_free_ char *key = strdup (c->linux_->sysctl[i].key);
      if (key == NULL)
        return error_set (err, ENOMEM, "linux.sysctl");
      for (char *p = key; *p; p++)
        if (*p == '/')
          *p = '.';
      enum spec_ns_type need = NS_USER; /* none */
      bool known = false;
      for (size_t j = 0; j < ARRAY_SIZE (ipc); j++)
        if (strcmp (key, ipc[j]) == 0)
          known = true, need = NS_IPC;
      if (strncmp (key, "fs.mqueue.", 10) == 0)
        known = true, need = NS_IPC;
      else if (strncmp (key, "net.", 4) == 0)
        known = true, need = NS_NETWORK;
      else if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
        known = true, need = NS_UTS;
      if (known && need == NS_UTS && has_namespace (c, NS_UTS))
        {
          /* Both would set the same name, the sysctl silently last. runc refuses
           * kernel.hostname even without "hostname" (that field is the way to set
           * it) and takes kernel.domainname, which older specs had no field for. */
          bool host = strcmp (key, "kernel.hostname") == 0;
          if (host || (c->domainname && c->domainname[0]))
            return error_set (err, EINVAL, "config.json: linux.sysctl: \"%s\" conflicts with "
                              "the \"%s\" field", c->linux_->sysctl[i].key,
                              host ? "hostname" : "domainname");
        }
      if (!known)
        return error_set (err, EINVAL, "config.json: linux.sysctl: \"%s\" is not in a "
                          "separate kernel namespace", c->linux_->sysctl[i].key);
      if (!has_namespace (c, need))
        return error_set (err, EINVAL, "config.json: linux.sysctl: \"%s\" needs a %s "
                          "namespace", c->linux_->sysctl[i].key, spec_ns_type_name (need));
    }
  return 0;
}

/* Checks that need the whole config and the host, before anything is made. */
static int
check_config (const struct spec_config *c, const struct lc_create_opts *o, struct error **err)
{
  bool has_mnt = false, new_uts = false;
  /* Not implemented: refused rather than silently ignored (features.json says so). */
  if (c->linux_ && c->linux_->intel_rdt)
    return error_set (err, 0, "config.json: linux.intelRdt: not supported by capsa");
  /* Without a process the container can be created; `start` then fails (spec). */
  if (c->process && c->process->args_len == 0)
    return error_set (err, 0, "config.json: process.args: must not be empty");
  if (c->linux_ == NULL)
    return error_set (err, 0, "config.json: linux: missing (capsa runs Linux containers)");
  for (size_t i = 0; i < c->linux_->namespaces_len; i++)
    {
      const struct spec_namespace *ns = &c->linux_->namespaces[i];
      if (ns->type == NS_MOUNT)
        has_mnt = true;
      /* A joined uts namespace is the container's too (runc sets its name as well). */
      if (ns->type == NS_UTS)
        new_uts = true;
    }
  /* Without a mount namespace the container shares the host's (runtime-spec:
   * inherit); masked and read-only paths would then be applied to the host. */
  if (!has_mnt && (c->linux_->masked_paths_len || c->linux_->readonly_paths_len))
    return error_set (err, 0, "config.json: linux.maskedPaths/readonlyPaths: need a mount "
                                   "namespace (they would change the host's mounts)");
  if ((c->hostname && c->hostname[0]) && !new_uts)
    return error_set (err, 0,
                      "config.json: hostname: setting the hostname needs a new uts namespace");
  if ((c->domainname && c->domainname[0]) && !new_uts)
    return error_set (err, 0,
                      "config.json: domainname: setting the domainname needs a new uts namespace");
  if (check_sysctl (c, err) < 0)
    return -1;
  bool terminal = c->process && c->process->terminal;
  if (terminal && o->detach && o->console_socket == NULL)
    return error_set (err, 0, "cannot allocate tty if capsa will detach without setting "
                                   "console socket");
  if (!terminal && o->console_socket)
    return error_set (err, 0, "--console-socket given but process.terminal is false");
  return 0;
}

static char *
absolute_path (const char *base, const char *path)
{
  char *out = NULL;
  if (path[0] == '/')
    return strdup (path);
  if (asprintf (&out, "%s/%s", base, path) < 0)
    return NULL;
  return out;
}

/* The host id of a user namespace's id 0, or -1 (unchanged by chown) if unmapped. */
static uint32_t
map_root (const struct spec_id_mapping *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (m[i].container_id == 0 && m[i].size > 0)
      return m[i].host_id;
  return (uint32_t) -1;
}

int
prepare_seccomp (const struct lc_context *ctx, const struct spec_seccomp *s,
                 struct seccomp_plan **out, struct error **err)
{
  _cleanup_free_ char *cache = NULL;
  if (asprintf (&cache, "%s/.cache/seccomp", ctx->root) < 0)
    cache = NULL;
  return seccomp_plan_cached (s, cache, out, err);
}


/* Device rules are a cgroup eBPF program (v2) or devices.allow (v1): both need
 * CAP_SYS_ADMIN in the initial user namespace, which a rootless caller lacks
 * even with a delegated cgroup. Its container cannot mknod (user namespace),
 * and the host's nodes it may open are those their file modes allow. */
static bool
rootless_skips_device_rules (const struct lc_context *ctx)
{
  return ctx->rootless && !(caps_have_effective (CAP_SYS_ADMIN) && ns_in_initial_userns ());
}

/* The limits of linux.resources that a config asks for, as their JSON names
 * ("" when none: `{}` and device rules alone are no limits). */
static void
resources_asked (const struct spec_resources *r, char *buf, size_t size)
{
  const struct { bool set; const char *name; } f[] = {
    { r->memory != NULL, "memory" }, { r->cpu != NULL, "cpu" }, { r->has_pids, "pids" },
    { r->block_io != NULL, "blockIO" }, { r->hugepage_limits_len > 0, "hugepageLimits" },
    { r->network != NULL, "network" }, { r->rdma_len > 0, "rdma" },
    { r->unified_len > 0, "unified" },
  };
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
    if (f[i].set && off < size)
      off += snprintf (buf + off, size - off, "%s%s", off ? ", " : "", f[i].name);
}

/* --rootless (runc's "ignore cgroup permission errors"): an unprivileged user
 * without a cgroup it may write still gets a container, without a cgroup. What
 * the config asked for and cannot have is said in a warning (as crun does);
 * device rules need no cgroup here, since a user namespace cannot mknod. A
 * delegated cgroup (cgroupsPath in a subtree the user owns) applies it all.
 * Clears *err when it applies. */
static bool
rootless_without_cgroup (const struct lc_context *ctx, const struct spec_config *c,
                         struct error **err)
{
  int e = err && *err ? (*err)->errnum : 0;
  if (!ctx->rootless || (e != EACCES && e != EPERM && e != EROFS))
    return false;
  char asked[128] = "";
  if (c->linux_ && c->linux_->resources)
    resources_asked (c->linux_->resources, asked, sizeof asked);
  if (asked[0])
    log_warn ("rootless: linux.resources (%s) not applied: no cgroup this user may write (%s)",
              asked, (*err)->msg);
  else
    log_debug ("rootless: running without a cgroup (%s)", (*err)->msg);
  error_free (err);
  return true;
}

static bool
id_mapped (const struct spec_id_mapping *m, size_t n, uint32_t id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
      return true;
  return false;
}

/* "0, 1-65536": the container ids a mapping covers. */
static const char *
mapped_ranges (const struct spec_id_mapping *m, size_t n, char *buf, size_t size)
{
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && off < size; i++)
    {
      uint64_t last = (uint64_t) m[i].container_id + m[i].size - 1;
      off += m[i].size == 1
                 ? snprintf (buf + off, size - off, "%s%u", i ? ", " : "", m[i].container_id)
                 : snprintf (buf + off, size - off, "%s%u-%llu", i ? ", " : "",
                             m[i].container_id, (unsigned long long) last);
    }
  return buf;
}


/* The user-namespace cases that otherwise end as a bare errno deep in the init
 * (EINVAL from setresgid, EPERM from setgroups or clone): said up front, with
 * the id, the mapping and what would make it work. */
static int
check_user_namespace (const struct spec_config *c, struct error **err)
{
  const struct spec_namespace *user = spec_config_namespace (c, NS_USER);
  const struct spec_linux *l = c->linux_;
  bool creates = false;
  for (size_t i = 0; i < l->namespaces_len; i++)
    creates |= l->namespaces[i].path == NULL || l->namespaces[i].path[0] == '\0';
  if (user == NULL)
    {
      if (creates && !caps_have_effective (CAP_SYS_ADMIN))
        return error_set (err, 0, "config.json: linux.namespaces: uid %u may create namespaces "
                          "only inside a new user namespace of its own: add {\"type\": \"user\"} "
                          "with linux.uidMappings and linux.gidMappings (`capsa spec --rootless` "
                          "writes such a config)", (unsigned) geteuid ());
      return 0;
    }
  if (user->path && user->path[0])
    return 0; /* joined: its maps are what they are */
  if (c->process == NULL || l->uid_mappings_len == 0 || l->gid_mappings_len == 0)
    return 0;
  const struct spec_user *u = &c->process->user;
  char ranges[256];
  if (!id_mapped (l->uid_mappings, l->uid_mappings_len, u->uid))
    return error_set (err, 0, "config.json: process.user.uid %u is not mapped by "
                      "linux.uidMappings (container ids %s): map it, or run as a mapped uid",
                      u->uid, mapped_ranges (l->uid_mappings, l->uid_mappings_len, ranges,
                                             sizeof ranges));
  if (!id_mapped (l->gid_mappings, l->gid_mappings_len, u->gid))
    return error_set (err, 0, "config.json: process.user.gid %u is not mapped by "
                      "linux.gidMappings (container ids %s): map it, or run as a mapped gid",
                      u->gid, mapped_ranges (l->gid_mappings, l->gid_mappings_len, ranges,
                                             sizeof ranges));
  for (size_t i = 0; i < u->additional_gids_len; i++)
    if (!id_mapped (l->gid_mappings, l->gid_mappings_len, u->additional_gids[i]))
      return error_set (err, 0, "config.json: process.user.additionalGids[%zu] %u is not mapped "
                        "by linux.gidMappings", i, u->additional_gids[i]);
  /* Without CAP_SETGID a gid map of our own gid alone is written with setgroups
   * denied (namespaces.c): the process can then have no additional groups. */
  if (u->additional_gids_len && !caps_have_effective (CAP_SETGID) && l->gid_mappings_len == 1
      && l->gid_mappings[0].size == 1 && l->gid_mappings[0].host_id == getegid ())
    return error_set (err, 0, "config.json: process.user.additionalGids: a rootless container "
                      "that maps only gid %u may not set groups (setgroups is denied): map a "
                      "range from /etc/subgid in linux.gidMappings, or drop additionalGids",
                      (unsigned) getegid ());
  return 0;
}

/* The state dir's creator for `list` (runc shows the user name, or #uid for a
 * uid without one); "" is root. /etc/passwd is read only for an ordinary user. */
static char *
owner_name (uid_t uid, char *buf, size_t size)
{
  if (uid == 0)
    return (char *) "";
  if (!passwd_name_of (uid, buf, size))
    snprintf (buf, size, "#%u", (unsigned) uid);
  return buf;
}

/* Everything of lc_create except releasing the container: used by create and run
 * (foreground: a `run` without --detach, which stays with the container). */
static int
create_container (const struct lc_context *ctx, const char *id, const struct lc_create_opts *o,
                  bool foreground, struct spawn_result *spawned, struct error **err)
{
  /* The foreground terminal is ours to proxy unless a console socket takes it. */
  bool pty_to_parent = foreground && o->console_socket == NULL;
  char cwd[PATH_MAX];
  _cleanup_free_ char *bundle = NULL, *config_path = NULL, *rootfs = NULL;
  _cleanup_close_ int dirfd = -1, fifo = -1, console = -1;
  struct spec_config *c = NULL;
  struct cgroup_manager *cg = NULL;
  struct seccomp_plan *seccomp = NULL;
  struct lc_record rec = { 0 };
  bool made_dir = false;
  int ret = -1;

  if (lc_validate_id (id, err) < 0 || preserved_fds_check (ctx, o->preserve_fds, err) < 0)
    return -1;
  if (getcwd (cwd, sizeof cwd) == NULL)
    return error_set (err, errno, "getcwd");
  bundle = absolute_path (cwd, o->bundle ? o->bundle : ".");
  if (bundle == NULL || (bundle = realpath_dup (bundle, err)) == NULL)
    return -1;
  config_path = o->config_path ? absolute_path (cwd, o->config_path)
                               : absolute_path (bundle, "config.json");
  c = spec_config_parse_file (config_path, err);
  if (c == NULL)
    return -1;
  /* A VM container's own checks replace netdev's: it takes no host interface. */
  bool vm = vm_requested (ctx, c);
  if (check_config (c, o, err) < 0
      || (vm ? vm_check_config (c, err) : netdev_check (c, ctx->rootless, err)) < 0)
    goto out;
  if (check_user_namespace (c, err) < 0)
    goto out;
  if (pty_to_parent && c->process && c->process->terminal
      && terminal_host_check ("process.terminal", "run it from a terminal, pass "
                              "--console-socket, or set process.terminal to false", err) < 0)
    goto out;
  if (c->root_path == NULL)
    {
      error_set (err, EINVAL, "config.json: root.path: missing required field");
      goto out;
    }
  rootfs = absolute_path (bundle, c->root_path);
  struct stat st;
  if (rootfs == NULL || stat (rootfs, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      error_set (err, rootfs ? (errno ? errno : ENOTDIR) : ENOMEM, "root.path: rootfs \"%s\"",
                 rootfs ? rootfs : c->root_path);
      goto out;
    }

  dirfd = lc_claim_statedir (ctx, id, err);
  if (dirfd < 0)
    goto out;
  made_dir = true;
  test_stop_at ("create:statedir");

  if (cgroup_manager_new (c, id, ctx->systemd_cgroup, &cg, err) < 0)
    goto fail;
  if (rootless_skips_device_rules (ctx))
    cgroup_manager_skip_devices (cg);
  /* The intent, before the cgroup (or the scope) exists: if we die from here on,
   * `delete --force` (or a new create of this id) finds what to undo. */
  if (statedir_write_cgroup_intent (dirfd, cg, err) < 0)
    goto fail;
  test_stop_at ("create:cgroup");
  if (cgroup_create (cg, err) < 0)
    {
      if (!rootless_without_cgroup (ctx, c, err))
        goto fail;
      cgroup_destroy (cg, NULL);
      cgroup_manager_free (cg);
      cg = NULL;
      unlinkat (dirfd, "cgroup", 0);
    }
  /* 0622 (like runc): the init opens it for writing after switching to
   * process.user, which need not be root. Only root can read it: `start`. */
  if (mkfifoat (dirfd, "exec.fifo", 0600) < 0 || fchmodat (dirfd, "exec.fifo", 0622, 0) < 0)
    {
      error_set (err, errno, "create exec.fifo");
      goto fail;
    }
  /* The init opens the fifo as the root of its user namespace, which has no power
   * over a file owned by an unmapped host root. */
  if (c->linux_->uid_mappings_len > 0
      && fchownat (dirfd, "exec.fifo", map_root (c->linux_->uid_mappings,
                                                 c->linux_->uid_mappings_len),
                   map_root (c->linux_->gid_mappings, c->linux_->gid_mappings_len), 0) < 0)
    {
      error_set (err, errno, "chown exec.fifo to the container's root");
      goto fail;
    }
  fifo = openat (dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
  if (fifo < 0)
    {
      error_set (err, errno, "open exec.fifo");
      goto fail;
    }
  if (o->console_socket && (console = terminal_connect_socket (o->console_socket, err)) < 0)
    goto fail;

  struct init_args a = {
    .config = c, .id = id, .bundle = bundle, .rootfs = rootfs, .sync_fd = -1,
    .fifo_fd = fifo, .statedir_fd = dirfd, .console_sock = console,
    .pty_to_parent = pty_to_parent,
    /* Only a foreground `run` without a terminal lends the caller's own stdio
     * (its terminal, its files) for a while: that is not handed over. */
    .own_stdio = (c->process && c->process->terminal) || !foreground,
    .no_pivot = o->no_pivot, .no_new_keyring = o->no_new_keyring,
    .preserve_fds = o->preserve_fds,
  };
  /* Before the clone: the time (or the cache hit) and libseccomp's memory stay
   * in this process, out of the container's cgroup; the child has a copy. */
  if (!vm && c->linux_->seccomp && prepare_seccomp (ctx, c->linux_->seccomp, &seccomp, err) < 0)
    goto fail;
  a.seccomp = seccomp;
  if (vm)
    {
      /* The guest builds the container; the supervisor is its process here. */
      struct vm_spawn_args va = {
        .ctx = ctx, .id = id, .config = c, .config_path = config_path, .bundle = bundle,
        .rootfs = rootfs, .dirfd = dirfd, .cg = cg, .console_sock = console,
        .pty_to_parent = pty_to_parent, .preserve_fds = o->preserve_fds,
      };
      if (vm_spawn (&va, &spawned->pid, &spawned->pidfd, &spawned->pty_master,
                    &spawned->sync_fd, err) < 0)
        goto fail;
    }
  else if (spawn_container (&a, cg, spawned, err) < 0)
    goto fail;
  test_stop_at ("create:ready");

  log_debug ("container %s: init process %d created from bundle %s", id, spawned->pid, bundle);
  rec.id = (char *) id;
  rec.pid = spawned->pid;
  rec.pid_start = proc_start_time (spawned->pid, NULL);
  rec.pid_identity = pidfd_identity (spawned->pidfd);
  rec.bundle = bundle;
  rec.rootfs = rootfs;
  rec.created = timestamp_now ();
  char owner[64];
  rec.owner = owner_name (geteuid (), owner, sizeof owner);
  rec.cgroup = NULL; /* written before the cgroup was made */
  rec.freezer = cg ? cgroup_freezer_file (cg) : NULL;
  rec.has_poststart = c->hooks.len[HOOK_POSTSTART] > 0;
  rec.has_poststop = c->hooks.len[HOOK_POSTSTOP] > 0;
  rec.annotations = c->annotations;
  rec.annotations_len = c->annotations_len;
  int wret = record_write (dirfd, &rec, err);
  free (rec.created);
  free (rec.cgroup);
  free (rec.freezer);
  if (wret < 0)
    goto fail_spawned;
  /* exec, and the hooks of start and delete, read this copy: the bundle may change. */
  if (copy_config_to_state (dirfd, config_path, err) < 0)
    goto fail_spawned;
  if (o->pid_file && write_pid_file (o->pid_file, spawned->pid, err) < 0)
    goto fail_spawned;
  /* --pidfd-socket: the caller (containerd's shim) watches the init by pidfd. */
  if (o->pidfd_socket && send_pidfd (o->pidfd_socket, spawned->pidfd, err) < 0)
    goto fail_spawned;
  test_stop_at ("create:recorded");
  if (vm ? vm_release (steal_fd (&spawned->sync_fd), err) < 0 : spawn_release (spawned, err) < 0)
    goto fail_spawned;
  ret = 0;
  goto out;

fail_spawned:
  spawn_abort (spawned);
fail:
  if (cg)
    {
      struct error *e2 = NULL;
      cgroup_destroy (cg, &e2);
      error_free (&e2);
    }
  if (made_dir)
    {
      _cleanup_free_ char *dir = statedir_path (ctx->root, id);
      struct error *e2 = NULL;
      fs_remove_tree (dir, &e2);
      error_free (&e2);
    }
out:
  seccomp_plan_free (seccomp);
  if (cg)
    cgroup_manager_free (cg);
  spec_config_free (c);
  return ret;
}

int
lc_create (const struct lc_context *ctx, const char *id, const struct lc_create_opts *o,
           struct error **err)
{
  struct spawn_result r;
  /* create always detaches (as runc's does): a terminal needs a console socket. */
  struct lc_create_opts detached = *o;
  detached.detach = true;
  if (create_container (ctx, id, &detached, false, &r, err) < 0)
    return -1;
  /* The init outlives us: it is reparented to our subreaper. */
  if (r.pidfd >= 0)
    close (r.pidfd);
  return 0;
}

int
lc_run (const struct lc_context *ctx, const char *id, const struct lc_create_opts *o,
        int *exit_status, struct error **err)
{
  struct spawn_result r;
  *exit_status = 0;
  if (create_container (ctx, id, o, !o->detach, &r, err) < 0)
    return -1;
  if (!o->detach)
    foreground_forward_signals (r.pidfd, r.pty_master >= 0);
  if (lc_start (ctx, id, err) < 0)
    {
      spawn_abort (&r);
      struct error *e2 = NULL;
      lc_delete (ctx, id, true, &e2);
      error_free (&e2);
      return -1;
    }
  foreground_reset_child_flag (); /* SIGCHLD of poststart hooks is not the init's */
  if (o->detach)
    {
      if (r.pidfd >= 0)
        close (r.pidfd);
      if (r.pty_master >= 0)
        close (r.pty_master);
      return 0;
    }

  *exit_status = foreground_wait (r.pid, r.pty_master);
  close (r.pidfd);
  if (r.pty_master >= 0)
    close (r.pty_master);
  if (!o->keep)
    return lc_delete (ctx, id, true, err);
  return 0;
}
