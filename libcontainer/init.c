/* The container init: child side of the staged init. Runs in the new
 * namespaces; every failure goes to the parent over the sync socket as a message
 * and the process exits. */
#define _GNU_SOURCE
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "child_guard.h"
#include "devices.h"
#include "finalize.h"
#include "hooks.h"
#include "process.h"
#include "rootfs.h"
#include "security.h"
#include "stdio_null.h"
#include "spec/util/cleanup.h"
#include "sync.h"
#include "terminal.h"
#include "util/fs.h"
#include "util/procfs.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_SETPERM 5

/* Handlers do not survive execve and the init is cloned before `run` installs its
 * forwarding handlers; the blocked mask does survive, so clear it. */
static void
reset_signals (void)
{
  sigset_t all;
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
}

/* A fresh session keyring so the container does not share the host's keys. */
static int
join_session_keyring (const char *id, struct error **err)
{
  char name[1100];
  snprintf (name, sizeof name, "_ses.%s", id);
  long key = syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
  if (key < 0)
    {
      /* Kernels without keyrings, or a seccomp'd host: not fatal, like runc. */
      if (errno == ENOSYS || errno == EPERM)
        return 0;
      return error_set (err, errno, "join session keyring");
    }
  /* possessor: all; user: view, read, write, search, link */
  syscall (SYS_keyctl, KEYCTL_SETPERM, key, 0x3f1f0000, 0, 0);
  return 0;
}

static int
apply_sysctl (const struct spec_config *c, struct error **err)
{
  if (c->linux_ == NULL)
    return 0;
  for (size_t i = 0; i < c->linux_->sysctl_len; i++)
    {
      const struct spec_kv *kv = &c->linux_->sysctl[i];
      _cleanup_free_ char *path = NULL;
      if (strstr (kv->key, "..") || kv->key[0] == '/' || kv->key[0] == '.')
        return error_set (err, EINVAL, "linux.sysctl: invalid key \"%s\"", kv->key);
      if (asprintf (&path, "sys/%s", kv->key) < 0)
        return error_set (err, ENOMEM, "linux.sysctl");
      /* runc accepts "net.ipv4.ip_forward" and "net/ipv4/ip_forward". */
      for (char *p = path + 4; *p; p++)
        if (*p == '.')
          *p = '/';
      if (procfs_write (path, kv->value, strlen (kv->value), err) < 0)
        return error_wrap (err, "linux.sysctl \"%s\"", kv->key);
    }
  return 0;
}

static int
set_names (const struct spec_config *c, struct error **err)
{
  if (c->hostname && sethostname (c->hostname, strlen (c->hostname)) < 0)
    return error_set (err, errno, "sethostname \"%s\"", c->hostname);
  if (c->domainname && setdomainname (c->domainname, strlen (c->domainname)) < 0)
    return error_set (err, errno, "setdomainname \"%s\"", c->domainname);
  return 0;
}

/* The parent sends CGROUP_DONE once we are in the container's cgroup. */
static int
cgroup_placed (void *arg, struct error **err)
{
  struct init_args *a = arg;
  struct sync_msg m;
  if (sync_expect (a->sync_fd, SYNC_CGROUP_DONE, &m, NULL, err) < 0)
    return -1;
  /* After the move, so the namespace's root is the container's cgroup. */
  if (a->new_cgroupns && unshare (CLONE_NEWCGROUP) < 0)
    return error_set (err, errno, "unshare cgroup namespace");
  return 0;
}

/* A config without a process: created like any other, and `start` fails (the
 * spec wants an error there, not at create). Never returns. */
__attribute__ ((noreturn)) static void
wait_start_without_process (struct init_args *a)
{
  static const char reply[] = "Econfig.json: process: not set, there is nothing to start";
  char fifo_path[64];
  sync_send (a->sync_fd, SYNC_READY, 0, NULL, -1, NULL);
  guard_outlive_parent (a->sync_fd);
  close (a->sync_fd);
  guard_child_log_off ();
  snprintf (fifo_path, sizeof fifo_path, "/proc/self/fd/%d", a->fifo_fd);
  int fifo = open (fifo_path, O_WRONLY | O_CLOEXEC);
  if (fifo >= 0 && write (fifo, reply, sizeof reply - 1) < 0)
    _exit (2);
  _exit (1);
}

static struct spec_state *
creating_state (struct init_args *a, pid_t host_pid, const char *status)
{
  static struct spec_state st;
  st.oci_version = (char *) CAPSA_OCI_VERSION;
  st.id = (char *) a->id;
  st.pid = host_pid;
  st.status = (char *) status;
  st.bundle = (char *) a->bundle;
  st.rootfs = (char *) a->rootfs;
  st.annotations = a->config->annotations;
  st.annotations_len = a->config->annotations_len;
  return &st;
}

/* Until GO: the detached bind sources P made for us, one slot per config mount
 * (-1 where none). Returns the slots (malloc'd) with GO in *m, or NULL. */
static int *
receive_mount_sources (struct init_args *a, struct sync_msg *m, struct error **err)
{
  size_t n = a->config->mounts_len;
  int *trees = malloc ((n ? n : 1) * sizeof *trees);
  if (trees == NULL)
    {
      error_set (err, ENOMEM, "mount sources");
      return NULL;
    }
  for (size_t i = 0; i < n; i++)
    trees[i] = -1;
  for (;;)
    {
      int fd = -1;
      if (sync_recv (a->sync_fd, m, &fd, err) < 0)
        break;
      if (m->type == SYNC_GO)
        return trees;
      if (m->type == SYNC_MOUNT_SOURCE && fd >= 0 && m->value >= 0 && (size_t) m->value < n
          && trees[m->value] < 0)
        {
          trees[m->value] = fd;
          continue;
        }
      if (fd >= 0)
        close (fd);
      if (m->type == SYNC_ERROR)
        sync_error_from (m, err);
      else
        error_set (err, 0, "sync: unexpected message %u before GO", m->type);
      break;
    }
  for (size_t i = 0; i < n; i++)
    if (trees[i] >= 0)
      close (trees[i]);
  free (trees);
  return NULL;
}

static int
setup_terminal (struct init_args *a, struct rootfs_ctx *r, int *slave_out, struct error **err)
{
  const struct spec_process *p = a->config->process;
  int slave = -1;
  _cleanup_close_ int master
      = terminal_new_pty (r->rootfs_fd, p->has_console_size ? p->console_height : 0,
                          p->has_console_size ? p->console_width : 0, &slave, err);
  if (master < 0)
    return -1;
  if (devices_setup_console (r, slave, err) < 0)
    {
      close (slave);
      return -1;
    }
  if (a->console_sock >= 0)
    {
      if (terminal_send_fd (a->console_sock, master, "/dev/ptmx", err) < 0)
        {
          close (slave);
          return error_wrap (err, "send pty master to the console socket");
        }
      close (a->console_sock);
      a->console_sock = -1;
    }
  else if (a->pty_to_parent)
    {
      if (sync_send (a->sync_fd, SYNC_PTY, 0, NULL, master, err) < 0)
        {
          close (slave);
          return -1;
        }
    }
  *slave_out = slave;
  return 0;
}

static int
run_init (struct init_args *a, struct error **err)
{
  const struct spec_config *c = a->config;
  const struct spec_process *p = c->process;
  struct sync_msg m;
  struct rootfs_ctx r = { .config = c, .rootfs = (char *) a->rootfs, .rootfs_fd = -1,
                          .no_pivot = a->no_pivot, .userns = a->userns,
                          .host_mount_ns = a->host_mount_ns,
                          .new_cgroupns = a->new_cgroupns, .dev_ro_mnt = -1 };
  struct security_plan *sec = NULL;
  int slave = -1;

  /* P writes our id maps before GO (and places us in the cgroup meanwhile),
   * and sends bind mount sources it made for us (mount_sources.c). */
  _cleanup_free_ int *trees = receive_mount_sources (a, &m, err);
  if (trees == NULL)
    return -1;
  r.source_trees = trees;
  pid_t host_pid = m.value;
  if (a->attach_n > 0)
    {
      int failed = cgroup_self_attach_run (a->attach_fds, a->attach_n);
      a->attach_n = 0;
      if (sync_send (a->sync_fd, SYNC_ATTACHED, failed, NULL, -1, err) < 0)
        return -1;
    }
  if (a->defer_dumpable && guard_nondumpable (err) < 0)
    return -1;

  /* In a user namespace our host ids are unmapped until we become its root: files
   * created under the rootfs (mount targets, /dev nodes) would fail with EOVERFLOW. */
  if (a->userns)
    {
      if (setresgid (0, 0, 0) < 0)
        return error_set (err, errno, "setresgid to root of the user namespace");
      if (setresuid (0, 0, 0) < 0)
        return error_set (err, errno, "setresuid to root of the user namespace");
      guard_die_with_parent (a->sync_fd); /* the uid change cleared it */
    }

  if (setsid () < 0)
    return error_set (err, errno, "setsid");
  if (!a->no_new_keyring && join_session_keyring (a->id, err) < 0)
    return -1;

  /* Relative bind sources are relative to the bundle, as in runc. */
  if (chdir (a->bundle) < 0)
    return error_set (err, errno, "chdir to the bundle \"%s\"", a->bundle);
  r.mount_label = security_mount_label (c);
  r.before_cgroup_mount = cgroup_placed;
  r.hook_arg = a;
  int mounted = rootfs_prepare (&r, err) < 0 || rootfs_mount_all (&r, err) < 0 ? -1 : 0;
  /* Host mounts in our hands no longer (each used one was taken). */
  for (size_t i = 0; i < c->mounts_len; i++)
    if (trees[i] >= 0)
      close (trees[i]);
  r.source_trees = NULL;
  if (mounted < 0)
    return -1;
  /* No cgroup mount in the config: still wait here, before the device nodes (the
   * v1 devices cgroup) and anything else that needs the cgroup. */
  if (r.before_cgroup_mount && cgroup_placed (a, err) < 0)
    return -1;
  if (devices_setup (&r, err) < 0)
    return -1;
  if (p && p->terminal && setup_terminal (a, &r, &slave, err) < 0)
    return -1;
  /* A missing cwd is made now, while a readonly root is still writable (as runc does);
   * on failure process_set_cwd reports it later. */
  if (p && p->cwd && p->cwd[0] == '/')
    {
      struct error *e2 = NULL;
      int fd = fs_mkdir_p_in_root (r.rootfs_fd, p->cwd, 0755, &e2);
      if (fd >= 0)
        close (fd);
      error_free (&e2);
    }

  if (c->hooks.len[HOOK_PRESTART] || c->hooks.len[HOOK_CREATE_RUNTIME])
    {
      if (sync_send (a->sync_fd, SYNC_HOOKS, 0, NULL, -1, err) < 0
          || sync_expect (a->sync_fd, SYNC_HOOKS_DONE, &m, NULL, err) < 0)
        return -1;
    }
  if (c->hooks.len[HOOK_CREATE_CONTAINER]
      && hooks_run (c, HOOK_CREATE_CONTAINER, creating_state (a, host_pid, "creating"), err) < 0)
    return -1;

  if (security_prepare (c, a->seccomp, &sec, err) < 0)
    return -1;
  if (rootfs_pivot (&r, err) < 0 || rootfs_finalize (&r, err) < 0)
    return -1;
  stdio_reopen_dev_null ();
  if (r.rootfs_fd >= 0)
    close (r.rootfs_fd);
  if (set_names (c, err) < 0 || apply_sysctl (c, err) < 0)
    return -1;
  if (c->linux_ && (process_set_personality (c->linux_, err) < 0
                    || process_set_memory_policy (c->linux_, err) < 0))
    return -1;

  if (p == NULL)
    wait_start_without_process (a);
  if (slave >= 0)
    {
      if (terminal_make_controlling (slave, err) < 0)
        return -1;
      if (slave > 2)
        close (slave);
    }
  if (process_set_scheduler (p, err) < 0 || process_set_io_priority (p, err) < 0)
    return -1;

  /* Read /etc/passwd now: after finalize a seccomp filter may forbid it. */
  char **env = process_env_with_home (p);
  /* While we wait for `start`, a pidfd to ourselves keeps our pidfs inode
   * alive, so that status checks (pid_identity.c) find it instead of building
   * it anew: `list` and `state` of created containers get cheaper. Pidfds are
   * close-on-exec: the container never sees it. Best effort. */
  _cleanup_close_ int self_pidfd = (int) syscall (SYS_pidfd_open, getpid (), 0);
  int keep[] = { a->fifo_fd, self_pidfd };
  _cleanup_free_ char *path
      = finalize_process (c, sec, a->sync_fd, a->preserve_fds, keep, ARRAY_SIZE (keep),
                          a->own_stdio, err);
  if (path == NULL)
    return -1;
  guard_outlive_parent (a->sync_fd);
  close (a->sync_fd);
  a->sync_fd = -1;
  guard_child_log_off ();

  /* Block until `start` opens the fifo for reading. */
  char fifo_path[64];
  snprintf (fifo_path, sizeof fifo_path, "/proc/self/fd/%d", a->fifo_fd);
  int fifo = open (fifo_path, O_WRONLY | O_CLOEXEC);
  if (fifo < 0)
    return error_set (err, errno, "open exec fifo");
  close (a->fifo_fd);
  /* startContainer hooks run before we confirm, so that `start` reports their
   * failure (spec 1.3: the operation fails and the container stops). */
  if (c->hooks.len[HOOK_START_CONTAINER]
      && hooks_run (c, HOOK_START_CONTAINER, creating_state (a, host_pid, "created"), err) < 0)
    {
      char msg[4096];
      int n = snprintf (msg, sizeof msg, "E%s", (*err)->msg);
      if (write (fifo, msg, n < (int) sizeof msg ? n : (int) sizeof msg - 1) < 0)
        log_debug ("write exec fifo: %s", strerror (errno));
      return -1;
    }
  if (write (fifo, "0", 1) != 1)
    return error_set (err, errno, "write exec fifo");
  close (fifo);

  execve (path, p->args, env ? env : p->env ? p->env : (char *[]){ NULL });
  return error_set (err, errno, "exec \"%s\"", path);
}

int
init_guard_start (struct init_args *a, struct error **err)
{
  /* Everything else we inherited goes: the state dir (its flock belongs to the
   * parent's open file and would block start/kill/delete), the cgroup dir fd
   * of clone3, the log file. The fifo is an O_PATH fd of exec.fifo alone. */
  int keep[2 + a->attach_n];
  keep[0] = a->fifo_fd;
  keep[1] = a->console_sock;
  for (size_t i = 0; i < a->attach_n; i++)
    keep[2 + i] = a->attach_fds[i];
  struct guard_caller g;
  a->statedir_fd = -1;
  if (guard_child_start (a->sync_fd, a->preserve_fds, keep, ARRAY_SIZE (keep), a->defer_dumpable,
                         err) < 0)
    return -1;
  /* The id is one of the caller's arguments. */
  guard_caller_find (&g);
  guard_keep_string (&g, (char **) &a->id);
  guard_keep_string (&g, (char **) &a->bundle);
  guard_keep_string (&g, (char **) &a->rootfs);
  guard_caller_wipe (&g, "capsa init");
  return 0;
}

void
init_main (struct init_args *a)
{
  struct error *err = NULL;
  guard_die_with_parent (a->sync_fd);
  if (init_guard_start (a, &err) < 0)
    sync_fail (a->sync_fd, err);
  reset_signals ();
  if (run_init (a, &err) < 0)
    {
      if (a->sync_fd >= 0)
        sync_fail (a->sync_fd, err);
      /* After READY nobody listens on the socket: stderr is all we have. */
      fprintf (stderr, "capsa: %s\n", err ? err->msg : "container init failed");
      _exit (127);
    }
  _exit (127);
}
