/* lc_exec: a new process inside a running container. It joins every namespace
 * of the container's init (through the init's pidfd: one setns, the kernel
 * orders user first), is born in the container's cgroup (clone3 on v2), gets the
 * same process security as the init and is reaped by us in the foreground. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "cgroups/exec_cgroup.h"
#include "child_guard.h"
#include "container.h"
#include "container_ops.h"
#include "container_state.h"
#include "finalize.h"
#include "foreground.h"
#include "namespaces.h"
#include "preserved_fds.h"
#include "process.h"
#include "seccomp_filter.h"
#include "security.h"
#include "spawn.h"
#include "spec/util/cleanup.h"
#include "sync.h"
#include "terminal.h"
#include "test_stop.h"
#include "util/fs.h"
#include "vm/vm.h"


static size_t
strv_len (char **v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

/* env: later entries replace earlier ones with the same key. */
static char **
merge_env (char **base, size_t nbase, char **extra, size_t *out_len)
{
  size_t nextra = strv_len (extra);
  char **out = calloc (nbase + nextra + 1, sizeof *out);
  size_t n = 0;
  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < nbase + nextra; i++)
    {
      char *e = i < nbase ? base[i] : extra[i - nbase];
      const char *eq = strchr (e, '=');
      size_t klen = eq ? (size_t) (eq - e) : strlen (e);
      size_t j;
      for (j = 0; j < n; j++)
        if (strncmp (out[j], e, klen) == 0 && (out[j][klen] == '=' || out[j][klen] == '\0'))
          break;
      out[j] = e;
      if (j == n)
        n++;
    }
  *out_len = n;
  return out;
}

static char **
append_strv (char **base, size_t n, char *s, size_t *out_len)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (base[i], s) == 0)
      {
        *out_len = n;
        return base;
      }
  char **grown = malloc ((n + 2) * sizeof *grown);
  if (grown == NULL)
    return base;
  memcpy (grown, base, n * sizeof *grown);
  grown[n] = s;
  grown[n + 1] = NULL;
  *out_len = n + 1;
  return grown;
}

/* The exec's process is a shallow copy of a base (the container's process, or a
 * process.json) with overrides that borrow the command line's strings; what was
 * allocated for it is listed here and freed when lc_exec returns. */
struct exec_owned
{
  struct spec_process *process, *parsed;
  void **ptrs;
  size_t n, cap;
};

static void
owned_add (struct exec_owned *own, void *ptr)
{
  if (ptr == NULL)
    return;
  if (own->n == own->cap)
    {
      size_t cap = own->cap ? own->cap * 2 : 8;
      void **grown = realloc (own->ptrs, cap * sizeof *grown);
      if (grown == NULL)
        return; /* out of memory: this one lives until the exit */
      own->ptrs = grown;
      own->cap = cap;
    }
  own->ptrs[own->n++] = ptr;
}

static void
owned_free (struct exec_owned *own)
{
  for (size_t i = 0; i < own->n; i++)
    free (own->ptrs[i]);
  free (own->ptrs);
  free (own->process);
  spec_process_free (own->parsed);
}

static void
caps_append (struct exec_owned *own, char ***v, size_t *n, char *s)
{
  char **grown = append_strv (*v, *n, s, n);
  if (grown != *v)
    owned_add (own, grown);
  *v = grown;
}

/* The process to run: a process.json, or the container's with the overrides. */
static struct spec_process *
build_process (const struct spec_config *c, const struct lc_exec_opts *o,
               struct exec_owned *own, struct error **err)
{
  struct spec_process *p = own->process = calloc (1, sizeof *p);
  if (p == NULL)
    {
      error_set (err, ENOMEM, "exec");
      return NULL;
    }
  if (o->process_path)
    {
      _cleanup_free_ char *data = NULL;
      size_t len;
      if (fs_read_file (o->process_path, &data, &len, err) < 0)
        return NULL;
      own->parsed = spec_process_parse_data (data, len, "process.json", err);
      if (own->parsed == NULL)
        return NULL;
      *p = *own->parsed;
    }
  else
    {
      if (c->process)
        *p = *c->process;
      p->args = o->args;
      p->args_len = strv_len (o->args);
      if (p->args_len == 0)
        {
          error_set (err, EINVAL, "exec: no command given (args or --process)");
          return NULL;
        }
    }
  if (o->tty_set)
    p->terminal = o->tty;
  if (o->cwd)
    p->cwd = (char *) o->cwd;
  if (o->env && o->env[0])
    {
      p->env = merge_env (p->env, p->env_len, o->env, &p->env_len);
      owned_add (own, p->env);
    }
  if (o->user)
    {
      bool has_gid;
      uint32_t gid = p->user.gid;
      if (lc_parse_user (o->user, &p->user.uid, &gid, &has_gid, err) < 0)
        return NULL;
      if (has_gid)
        p->user.gid = gid;
    }
  if (o->additional_gids && o->additional_gids[0])
    {
      size_t n = strv_len (o->additional_gids);
      uint32_t *gids;
      if (lc_parse_additional_gids (o->additional_gids, n, &gids, err) < 0)
        return NULL;
      owned_add (own, gids);
      p->user.additional_gids = gids;
      p->user.additional_gids_len = n;
    }
  if (o->no_new_privs)
    p->no_new_privileges = true;
  if (o->apparmor)
    p->apparmor_profile = (char *) o->apparmor;
  if (o->process_label)
    p->selinux_label = (char *) o->process_label;
  if (o->caps && o->caps[0])
    {
      struct spec_capabilities *caps = calloc (1, sizeof *caps);
      if (caps == NULL)
        return NULL;
      owned_add (own, caps);
      if (p->capabilities)
        *caps = *p->capabilities;
      /* Like runc: added to bounding, effective and permitted; ambient only where
       * the config already grants inheritable capabilities (never inheritable
       * itself: CVE-2022-27650). */
      for (char **cap = o->caps; *cap; cap++)
        {
          caps_append (own, &caps->bounding, &caps->bounding_len, *cap);
          caps_append (own, &caps->effective, &caps->effective_len, *cap);
          caps_append (own, &caps->permitted, &caps->permitted_len, *cap);
          if (caps->inheritable_len)
            caps_append (own, &caps->ambient, &caps->ambient_len, *cap);
        }
      caps->has_bounding = caps->has_effective = caps->has_permitted = true;
      caps->has_ambient = caps->ambient_len > 0 || caps->has_ambient;
      p->capabilities = caps;
    }
  if (p->cwd == NULL)
    p->cwd = (char *) "/";
  return p;
}

/* Namespaces of the init that differ from ours: what setns must join. */
static int
namespaces_to_join (pid_t pid)
{
  static const struct { const char *name; int flag; } kinds[] = {
    { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "pid", CLONE_NEWPID },
    { "net", CLONE_NEWNET },   { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
    { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
  };
  int flags = 0;
  for (size_t i = 0; i < ARRAY_SIZE (kinds); i++)
    {
      char theirs[64], ours[64];
      struct stat a, b;
      snprintf (theirs, sizeof theirs, "/proc/%d/ns/%s", pid, kinds[i].name);
      snprintf (ours, sizeof ours, "/proc/self/ns/%s", kinds[i].name);
      /* A kind this kernel lacks has no file for either of us. Any other
       * failure must not pass for "same namespace": the process would stay in
       * ours. */
      if (stat (ours, &b) < 0)
        continue;
      if (stat (theirs, &a) < 0)
        return -errno;
      if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
        flags |= kinds[i].flag;
    }
  return flags;
}

struct exec_child
{
  const struct spec_config *config;  /* container config with the exec process */
  int init_pidfd;
  int ns_flags;
  int sync_fd;
  int console_sock;
  bool pty_to_parent;
  bool own_stdio;                    /* finalize.h */
  int preserve_fds;
  struct seccomp_plan *seccomp;      /* compiled by the parent, or NULL */
  int root_fd;                       /* the init's root when we share its mount ns, or -1 */
  int *attach_fds;                   /* v1 `tasks` files to write "0" to first thing */
  size_t attach_n;
};

static int
exec_enter_some (void *plan, pid_t pid, bool v1, bool v2, struct error **err)
{
  return exec_cgroup_enter_some (plan, pid, v1, v2, err);
}

static int
exec_process_main (struct exec_child *x, struct error **err)
{
  const struct spec_config *c = x->config;
  const struct spec_process *p = c->process;
  struct security_plan *sec = NULL;
  struct sync_msg m;

  if (sync_expect (x->sync_fd, SYNC_GO, &m, NULL, err) < 0)
    return -1;
  if (setsid () < 0)
    return error_set (err, errno, "setsid");
  if (p->terminal)
    {
      int slave = -1;
      _cleanup_close_ int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      _cleanup_close_ int master
          = terminal_new_pty (root, p->has_console_size ? p->console_height : 0,
                              p->has_console_size ? p->console_width : 0, &slave, err);
      if (master < 0)
        return -1;
      if (x->console_sock >= 0)
        {
          if (terminal_send_fd (x->console_sock, master, "/dev/ptmx", err) < 0)
            return error_wrap (err, "send pty master to the console socket");
          close (x->console_sock);
          x->console_sock = -1;
        }
      else if (x->pty_to_parent && sync_send (x->sync_fd, SYNC_PTY, 0, NULL, master, err) < 0)
        return -1;
      if (terminal_make_controlling (slave, err) < 0)
        return -1;
      if (slave > 2)
        close (slave);
    }
  if (process_set_scheduler (p, err) < 0 || process_set_io_priority (p, err) < 0)
    return -1;
  /* HOME from the container's /etc/passwd when the process has none, as for
   * the init (and runc's exec); read before a seccomp filter may forbid it. */
  char **env = process_env_with_home (p);
  if (security_prepare (c, x->seccomp, &sec, err) < 0)
    return -1;
  _cleanup_free_ char *path
      = finalize_process (c, sec, x->sync_fd, x->preserve_fds, NULL, 0, x->own_stdio, err);
  if (path == NULL)
    return -1;
  guard_outlive_parent (x->sync_fd);
  close (x->sync_fd);
  x->sync_fd = -1;
  guard_child_log_off ();
  execve (path, p->args, env ? env : p->env ? p->env : (char *[]){ NULL });
  return error_set (err, errno, "exec \"%s\"", path);
}

static void
keep_strv (const struct guard_caller *g, char **v, size_t n, struct exec_owned *own)
{
  for (size_t i = 0; v && i < n; i++)
    {
      char *before = v[i];
      guard_keep_string (g, &v[i]);
      if (v[i] != before)
        owned_add (own, v[i]);
    }
}

/* The command line options we were given live in the caller's memory, which
 * the container must not read (child_guard.h): copy what the process takes
 * from them (the parent does, before the wipe around the clone). */
static void
exec_process_keep_strings (struct spec_process *p, const struct guard_caller *g0,
                           struct exec_owned *own)
{
  const struct guard_caller g = *g0;
  /* The args' copies go into argv's own array (p->args is o->args), where they
   * stay reachable: the caller may still read them. */
  guard_keep_strv (&g, p->args, p->args_len);
  keep_strv (&g, p->env, p->env_len, own);
  keep_strv (&g, &p->cwd, 1, own);
  keep_strv (&g, &p->apparmor_profile, 1, own);
  keep_strv (&g, &p->selinux_label, 1, own);
  if (p->capabilities)
    {
      struct spec_capabilities *c = p->capabilities;
      keep_strv (&g, c->bounding, c->bounding_len, own);
      keep_strv (&g, c->effective, c->effective_len, own);
      keep_strv (&g, c->permitted, c->permitted_len, own);
      keep_strv (&g, c->inheritable, c->inheritable_len, own);
      keep_strv (&g, c->ambient, c->ambient_len, own);
    }
}

/* The exec'd process. We joined the container's pid and time namespaces for our
 * children before the clone (they take effect for children only), so this one
 * process is born in them and joins the rest itself: no intermediate fork. */
__attribute__ ((noreturn)) static void
exec_child_main (struct exec_child *x)
{
  struct error *err = NULL;
  guard_die_with_parent (x->sync_fd);
  /* We are already visible in the container's pid namespace (born there, and
   * non-dumpable from birth: the parent made itself so before the clone). Drop
   * the state dir, the cgroup dir and the log file before anything else. */
  int keep[3 + x->attach_n];
  keep[0] = x->init_pidfd;
  keep[1] = x->console_sock;
  keep[2] = x->root_fd;
  for (size_t i = 0; i < x->attach_n; i++)
    keep[3 + i] = x->attach_fds[i];
  if (guard_child_start (x->sync_fd, x->preserve_fds, keep, ARRAY_SIZE (keep), false, &err) < 0)
    sync_fail (x->sync_fd, err);
  /* Into the container's v1 cgroups, and those host files closed, before we
   * join anything (the parent waits for this before GO). */
  if (x->attach_n > 0)
    {
      int failed = cgroup_self_attach_run (x->attach_fds, x->attach_n);
      if (sync_send (x->sync_fd, SYNC_ATTACHED, failed, NULL, -1, &err) < 0)
        sync_fail (x->sync_fd, err);
    }
  /* Born wiped (the parent hid its argv around the clone); this clears environ. */
  struct guard_caller g;
  guard_caller_find (&g);
  guard_caller_wipe (&g, "capsa exec");
  sigset_t all;
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  if (x->ns_flags && setns (x->init_pidfd, x->ns_flags) < 0)
    {
      error_set (&err, errno, "join the container's namespaces (setns 0x%x)", x->ns_flags);
      sync_fail (x->sync_fd, err);
    }
  close (x->init_pidfd);
  /* A container in our mount namespace runs chrooted to its rootfs (the init
   * did so): take the init's root. */
  if (x->root_fd >= 0 && (fchdir (x->root_fd) < 0 || chroot (".") < 0 || chdir ("/") < 0))
    {
      error_set (&err, errno, "chroot to the container's root");
      sync_fail (x->sync_fd, err);
    }
  if (x->root_fd >= 0)
    close (x->root_fd);
  if (exec_process_main (x, &err) < 0)
    {
      if (x->sync_fd >= 0)
        sync_fail (x->sync_fd, err);
      fprintf (stderr, "capsa exec: %s\n", err->msg);
    }
  _exit (127);
}

/* After the clone, our own later children (capsa makes none; a sanitizer build's leak
 * checker forks one at exit and hangs when it cannot see us) are born in our pid
 * namespace again, not in the container's, where its processes would see them. */
static void
pid_ns_for_children_restore (void)
{
  _cleanup_close_ int fd = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    (void) setns (fd, CLONE_NEWPID); /* EPERM once in the container's user namespace */
}

int
lc_exec (const struct lc_context *ctx, const char *id, const struct lc_exec_opts *o,
         int *exit_status, struct error **err)
{
  struct lc_record rec;
  _cleanup_close_ int dirfd = -1, init_pidfd = -1, console = -1, root_fd = -1;
  _cleanup_free_ char *state_dir = NULL, *cfg_path = NULL;
  struct spec_config *c = NULL;
  struct spec_process *config_process = NULL;
  struct exec_owned own = { 0 };
  struct cgroup_manager *cg = NULL;
  struct exec_cgroup *cgplan = NULL;
  struct seccomp_plan *seccomp = NULL;
  struct spawn_result r = { .pid = 0, .pidfd = -1, .pty_master = -1 };
  int sp[2] = { -1, -1 };
  int ret = -1;

  *exit_status = 0;
  memset (&rec, 0, sizeof rec);
  if (lc_validate_id (id, err) < 0 || preserved_fds_check (ctx, o->preserve_fds, err) < 0)
    return -1;
  dirfd = statedir_open (ctx->root, id, false, err);
  if (dirfd < 0)
    return -1;
  if (record_read (dirfd, &rec, err) < 0)
    {
      /* A delete under way removed state.json: the container is gone, as for state. */
      if (statedir_deleting (dirfd, NULL))
        {
          error_free (err);
          lc_error_not_exist (err);
        }
      goto out;
    }
  enum lc_status st = record_status (dirfd, &rec);
  if (st == LC_STOPPED || st == LC_CREATING)
    {
      error_set (err, EINVAL, "cannot exec in a stopped container");
      goto out;
    }
  if (st == LC_PAUSED && !o->ignore_paused)
    {
      error_set (err, EINVAL, "cannot exec in a paused container (use --ignore-paused)");
      goto out;
    }
  init_pidfd = (int) syscall (SYS_pidfd_open, rec.pid, 0);
  if (init_pidfd < 0 || !record_pidfd_alive (&rec, init_pidfd))
    {
      error_set (err, ESRCH, "cannot exec in a stopped container");
      goto out;
    }
  if (vm_container_at (dirfd))
    {
      /* The container lives in its VM: the supervisor takes the exec there. */
      ret = vm_exec (dirfd, id, o, exit_status, err);
      goto out;
    }
  state_dir = statedir_path (ctx->root, id);
  if (asprintf (&cfg_path, "%s/config.json", state_dir) < 0)
    goto out;
  c = spec_config_parse_file (cfg_path, err);
  if (c == NULL)
    goto out;
  config_process = c->process;
  struct spec_process *p = build_process (c, o, &own, err);
  if (p == NULL)
    goto out;
  c->process = p; /* until out: the code below reads the config's process */
  if (p->terminal && o->detach && o->console_socket == NULL)
    {
      error_set (err, 0, "cannot allocate tty if capsa will detach without setting console "
                         "socket");
      goto out;
    }
  if (p->terminal && !o->detach && o->console_socket == NULL
      && terminal_host_check ("exec --tty", "run it from a terminal, or without --tty", err) < 0)
    goto out;
  if (o->console_socket && (console = terminal_connect_socket (o->console_socket, err)) < 0)
    goto out;
  if (rec.cgroup && cgroup_manager_load (rec.cgroup, &cg, err) < 0)
    goto out;
  /* Every hierarchy of the container's cgroup, a sub-cgroup where --cgroup names one. */
  if (exec_cgroup_plan (cg, o->cgroups, &cgplan, err) < 0)
    goto out;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    {
      error_set (err, errno, "socketpair");
      goto out;
    }
  if (c->linux_ && c->linux_->seccomp
      && prepare_seccomp (ctx, c->linux_->seccomp, &seccomp, err) < 0)
    goto out;
  struct exec_child x = {
    .config = c, .init_pidfd = init_pidfd, .ns_flags = namespaces_to_join (rec.pid),
    .sync_fd = sp[1], .console_sock = console,
    .pty_to_parent = !o->detach && o->console_socket == NULL, .preserve_fds = o->preserve_fds,
    .seccomp = seccomp, .own_stdio = p->terminal || o->detach,
  };
  if (x.ns_flags < 0)
    {
      error_set (err, -x.ns_flags, "read the namespaces of the container's init %d", rec.pid);
      goto out;
    }
  if (!(x.ns_flags & CLONE_NEWNS))
    {
      char root[64];
      snprintf (root, sizeof root, "/proc/%d/root", rec.pid);
      root_fd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (root_fd < 0)
        {
          error_set (err, errno, "open the container's root \"%s\"", root);
          goto out;
        }
    }
  x.root_fd = root_fd; /* the child's copy; ours closes on every path */
  bool in_cgroup = false;
  /* pid and time namespaces apply to our children only: join them here. */
  int for_children = x.ns_flags & (CLONE_NEWPID | CLONE_NEWTIME);
  x.ns_flags &= ~for_children;
  if (for_children && setns (init_pidfd, for_children) < 0)
    {
      /* A rootless caller has no say over namespaces that the container's user
       * namespace owns until it is in that user namespace itself: join it here
       * too (this process keeps only the caller's own rights, mapped). */
      int with_user = for_children | (x.ns_flags & CLONE_NEWUSER);
      if (errno != EPERM || with_user == for_children || setns (init_pidfd, with_user) < 0)
        {
          error_set (err, errno, "join the container's pid/time namespaces (setns 0x%x)",
                     for_children);
          goto out;
        }
      x.ns_flags &= ~CLONE_NEWUSER;
    }
  if (!guard_parent_before_clone (false))
    {
      error_set (err, errno, "prctl(PR_SET_DUMPABLE, 0)");
      goto out;
    }
  /* v1: the process moves itself (cgroups/self_attach.c). */
  struct cgroup_self_attach sa = { NULL, 0 };
  if (exec_cgroup_self_attach_open (cgplan, &sa, err) < 0)
    goto out;
  x.attach_fds = sa.fds;
  x.attach_n = sa.n;
  size_t self_attach = sa.n;
  /* The child is visible in the container from birth: it must be born with
   * nothing of our command line and environment in its memory. */
  struct guard_caller g;
  struct guard_saved saved;
  guard_caller_find (&g);
  exec_process_keep_strings (p, &g, &own);
  if (guard_caller_hide_for_clone (&g, "capsa exec", &saved, err) < 0)
    {
      cgroup_self_attach_close (&sa);
      goto out;
    }
  pid_t pid = spawn_clone (0, exec_cgroup_clone_fd (cgplan), &r.pidfd, &in_cgroup);
  if (pid != 0)
    {
      guard_caller_restore (&saved);
      cgroup_self_attach_close (&sa); /* the child has its copies */
      if (for_children & CLONE_NEWPID)
        pid_ns_for_children_restore ();
    }
  if (pid < 0)
    {
      error_set (err, errno, "clone the exec process");
      goto out;
    }
  if (pid == 0)
    {
      close (sp[0]);
      exec_child_main (&x);
    }
  close (sp[1]);
  sp[1] = -1;
  test_stop_at ("exec:cloned");
  r.pid = pid;
  if (process_apply_parent_side (p, r.pid, err) < 0)
    goto fail;
  /* Not running container code yet (it waits for GO): a failed join kills it. */
  if (cgplan && spawn_place_rest (exec_enter_some, cgplan, sp[0], r.pid, self_attach, in_cgroup,
                                  err) < 0)
    goto fail;
  if (sync_send (sp[0], SYNC_GO, r.pid, NULL, -1, err) < 0)
    goto fail;
  struct init_args a = { .config = c, .id = id, .bundle = rec.bundle, .rootfs = rec.rootfs };
  if (spawn_serve (&a, sp[0], &r, err) < 0)
    goto fail;
  if (o->pid_file && write_pid_file (o->pid_file, r.pid, err) < 0)
    goto fail;
  if (o->pidfd_socket && send_pidfd (o->pidfd_socket, r.pidfd, err) < 0)
    goto fail;
  test_stop_at ("exec:ready");
  /* Recorded where asked: the process outlives us from now on. */
  if (spawn_release_fd (sp[0], err) < 0)
    goto fail;
  if (o->detach)
    {
      ret = 0;
      goto out;
    }
  foreground_forward_signals (r.pidfd, r.pty_master >= 0);
  *exit_status = foreground_wait (r.pid, r.pty_master);
  ret = 0;
  goto out;

fail:
  spawn_abort (&r);
out:
  if (sp[0] >= 0)
    close (sp[0]);
  if (sp[1] >= 0)
    close (sp[1]);
  if (r.pidfd >= 0)
    close (r.pidfd);
  if (r.pty_master >= 0)
    close (r.pty_master);
  seccomp_plan_free (seccomp);
  if (cg)
    cgroup_manager_free (cg);
  exec_cgroup_free (cgplan);
  record_clear (&rec);
  if (c)
    {
      c->process = config_process;
      spec_config_free (c);
    }
  owned_free (&own);
  return ret;
}
