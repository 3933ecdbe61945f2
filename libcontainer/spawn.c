/* Parent side of the staged init (DESIGN.md "Staged init"). */
#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child_guard.h"
#include "hooks.h"
#include "mount_sources.h"
#include "namespaces.h"
#include "netdev.h"
#include "process.h"
#include "seccomp_filter.h"
#include "spec/util/cleanup.h"
#include "sync.h"
#include "test_stop.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

static int
pidfd_open_ (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

/* fork-like clone (no CLONE_VM): returns 0 in the child. clone3 gives us a pidfd
 * and, on cgroup v2, birth inside the container's cgroup (no later move, no RCU
 * wait); older kernels fall back to clone + pidfd_open. */
pid_t
spawn_clone (uint64_t flags, int cgroup_fd, int *pidfd, bool *in_cgroup)
{
  struct clone_args args;
  int fd = -1;
  memset (&args, 0, sizeof args);
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = (uint64_t) (uintptr_t) &fd;
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = cgroup_fd;
    }
  *in_cgroup = false;
  pid_t pid = syscall (SYS_clone3, &args, sizeof args);
  if (pid < 0 && cgroup_fd >= 0 && errno != ENOSYS)
    {
      /* e.g. a controller refusing the migration: place it later instead. */
      args.flags &= ~CLONE_INTO_CGROUP;
      args.cgroup = 0;
      pid = syscall (SYS_clone3, &args, sizeof args);
    }
  else if (pid > 0 && cgroup_fd >= 0)
    *in_cgroup = true;
  if (pid < 0 && errno == ENOSYS)
    {
      pid = syscall (SYS_clone, (unsigned long) (flags | SIGCHLD), NULL, NULL, NULL, NULL);
      if (pid > 0)
        fd = pidfd_open_ (pid);
    }
  if (pid > 0)
    *pidfd = fd;
  return pid;
}

void
spawn_abort (struct spawn_result *r)
{
  if (r->pid > 0)
    {
      if (r->pidfd >= 0)
        syscall (SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
      else
        kill (r->pid, SIGKILL);
      while (waitpid (r->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      r->pid = 0;
    }
  if (r->pidfd >= 0)
    close (r->pidfd);
  r->pidfd = -1;
  if (r->pty_master >= 0)
    close (r->pty_master);
  r->pty_master = -1;
  if (r->sync_fd >= 0)
    close (r->sync_fd);
  r->sync_fd = -1;
}

int
spawn_release_fd (int sync_fd, struct error **err)
{
  char buf[64];
  ssize_t n;
  if (sync_send (sync_fd, SYNC_READY_ACK, 0, NULL, -1, err) < 0)
    return -1;
  /* The child closes its end once it no longer dies with us: our exit before
   * that would kill a container we report as created. */
  do
    n = recv (sync_fd, buf, sizeof buf, 0);
  while (n > 0 || (n < 0 && errno == EINTR));
  return 0;
}

int
spawn_release (struct spawn_result *r, struct error **err)
{
  int ret = spawn_release_fd (r->sync_fd, err);
  close (r->sync_fd);
  r->sync_fd = -1;
  return ret;
}

/* Intermediate child: join namespaces by path, create the new ones (user first,
 * maps from P), then fork the init with CLONE_PARENT so P is its parent. */
__attribute__ ((noreturn)) static void
intermediate_main (struct init_args *a, const struct ns_plan *plan)
{
  struct error *err = NULL;
  struct sync_msg m;
  int rest = plan->new_flags & ~(CLONE_NEWUSER | CLONE_NEWCGROUP);

  guard_die_with_parent (a->sync_fd);
  /* Before joining anything: the pid namespace we join may hold a pod sibling. */
  if (init_guard_start (a, &err) < 0)
    sync_fail (a->sync_fd, err);
  if (ns_join_paths (a->config, ~0, &err) < 0)
    sync_fail (a->sync_fd, err);
  if (plan->new_user)
    {
      if (unshare (CLONE_NEWUSER) < 0)
        {
          error_set (&err, errno, "unshare user namespace");
          sync_fail (a->sync_fd, err);
        }
      if (sync_send (a->sync_fd, SYNC_MAPS_PLS, 0, NULL, -1, &err) < 0
          || sync_expect (a->sync_fd, SYNC_MAPS_ACK, &m, NULL, &err) < 0)
        sync_fail (a->sync_fd, err);
    }
  /* Maps written: the init we fork inherits this. */
  if (a->defer_dumpable && guard_nondumpable (&err) < 0)
    sync_fail (a->sync_fd, err);
  a->defer_dumpable = false;
  if (rest && unshare (rest) < 0)
    {
      error_set (&err, errno, "unshare namespaces 0x%x", rest);
      sync_fail (a->sync_fd, err);
    }
  if ((rest & CLONE_NEWTIME) && ns_write_time_offsets (a->config, &err) < 0)
    sync_fail (a->sync_fd, err);

  pid_t pid = syscall (SYS_clone, (unsigned long) CLONE_PARENT, NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      error_set (&err, errno, "clone container init");
      sync_fail (a->sync_fd, err);
    }
  if (pid == 0)
    init_main (a);
  if (sync_send (a->sync_fd, SYNC_CHILD_PID, pid, NULL, -1, &err) < 0)
    _exit (1);
  _exit (0);
}

static int
wait_intermediate (pid_t pid, struct error **err)
{
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return error_set (err, errno, "wait for intermediate child");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return error_set (err, 0, "intermediate child failed (status %d)", status);
  return 0;
}

static struct spec_state
hook_state (const struct init_args *a, pid_t pid, const char *status)
{
  struct spec_state st = {
    .oci_version = (char *) CAPSA_OCI_VERSION, .id = (char *) a->id, .pid = pid,
    .status = (char *) status, .bundle = (char *) a->bundle, .rootfs = (char *) a->rootfs,
    .annotations = a->config->annotations, .annotations_len = a->config->annotations_len,
  };
  return st;
}

int
spawn_serve (struct init_args *a, int sock, struct spawn_result *out, struct error **err)
{
  struct sync_msg m;
  for (;;)
    {
      int fd = -1;
      if (sync_recv (sock, &m, &fd, err) < 0)
        return -1;
      switch (m.type)
        {
        case SYNC_READY:
          return 0;
        case SYNC_ERROR:
          return sync_error_from (&m, err);
        case SYNC_HOOKS:
          {
            struct spec_state st = hook_state (a, out->pid, "creating");
            if (hooks_run (a->config, HOOK_PRESTART, &st, err) < 0
                || hooks_run (a->config, HOOK_CREATE_RUNTIME, &st, err) < 0)
              return -1;
            if (sync_send (sock, SYNC_HOOKS_DONE, 0, NULL, -1, err) < 0)
              return -1;
            break;
          }
        case SYNC_PTY:
          if (fd < 0)
            return error_set (err, 0, "sync: pty message without fd");
          out->pty_master = fd;
          break;
        case SYNC_SECCOMP_FD:
          {
            _cleanup_close_ int notify = fd;
            const struct spec_seccomp *s = a->config->linux_ ? a->config->linux_->seccomp : NULL;
            struct spec_state st = hook_state (a, out->pid, "creating");
            if (notify < 0 || s == NULL || s->listener_path == NULL)
              return error_set (err, 0, "sync: unexpected seccomp listener");
            if (seccomp_send_listener (s->listener_path, notify, &st, s->listener_metadata, err) < 0)
              return error_wrap (err, "linux.seccomp.listenerPath");
            if (sync_send (sock, SYNC_SECCOMP_DONE, 0, NULL, -1, err) < 0)
              return -1;
            break;
          }
        default:
          if (fd >= 0)
            close (fd);
          return error_set (err, 0, "sync: unexpected message %u from init", m.type);
        }
    }
}

/* After GO the child runs on while we place it: when placing fails because the
 * child already died (ESRCH from cgroup.procs, EPIPE on the socket), its own
 * SYNC_ERROR is the real reason (a mount, a hook...). Take it if it is there. */
static void
child_error_instead (int sock, struct error **err)
{
  struct pollfd p = { .fd = sock, .events = POLLIN };
  struct sync_msg m;
  struct error *e = NULL;
  if (err == NULL || poll (&p, 1, 0) != 1 || sync_recv (sock, &m, NULL, &e) < 0
      || m.type != SYNC_ERROR)
    {
      error_free (&e);
      return;
    }
  error_free (err);
  sync_error_from (&m, err);
}

static int
manager_enter_some (void *cg, pid_t pid, bool v1, bool v2, struct error **err)
{
  return cgroup_enter_some (cg, pid, v1, v2, err);
}

int
spawn_place_rest (spawn_enter_fn enter, void *arg, int sock, pid_t pid, size_t self_attach,
                  bool born_in_cgroup, struct error **err)
{
  bool v1_done = false;
  if (self_attach > 0)
    {
      struct sync_msg m;
      if (sync_expect (sock, SYNC_ATTACHED, &m, NULL, err) < 0)
        return -1;
      v1_done = m.value == 0;
      if (v1_done)
        log_debug ("cgroup: %d moved itself into %zu v1 hierarchies", (int) pid, self_attach);
      else
        log_debug ("cgroup: %d of %zu v1 self-attach writes failed, the parent moves %d",
                   m.value, self_attach, (int) pid);
    }
  if (v1_done && born_in_cgroup)
    return 0;
  return enter (arg, pid, !v1_done, !born_in_cgroup, err);
}

int
spawn_container (struct init_args *a, struct cgroup_manager *cg, struct spawn_result *out,
                 struct error **err)
{
  struct ns_plan plan;
  struct netdev_session *netdevs = NULL;
  int sp[2];
  bool in_cgroup = false;
  struct sync_msg m;
  const struct spec_config *c = a->config;

  out->pid = 0;
  out->pidfd = -1;
  out->pty_master = -1;
  out->sync_fd = -1;
  ns_plan_build (c, &plan);
  bool intermediate = plan.has_paths || (plan.new_flags & CLONE_NEWTIME);
  a->new_cgroupns = (plan.new_flags & CLONE_NEWCGROUP) != 0;
  a->userns = plan.new_user || plan.join_user;
  a->host_mount_ns = spec_config_namespace (c, NS_MOUNT) == NULL;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return error_set (err, errno, "socketpair");
  _cleanup_close_ int sock = sp[0];
  a->sync_fd = sp[1];

  /* v1: the init moves itself (cgroups/self_attach.c); v2 and the cgroup2
   * tree of a hybrid host: born there. */
  struct cgroup_self_attach sa = { NULL, 0 };
  if (cg && cgroup_self_attach_open (cg, &sa, err) < 0)
    {
      close (sp[1]);
      return -1;
    }
  a->attach_fds = sa.fds;
  a->attach_n = sa.n;
  size_t self_attach = sa.n;
  int cgfd = cg ? cgroup_birth_fd (cg) : -1;
  uint64_t flags = intermediate ? 0 : (plan.new_flags & ~CLONE_NEWCGROUP);
  a->defer_dumpable = !guard_parent_before_clone (plan.new_user);
  pid_t pid = spawn_clone (flags, cgfd, &out->pidfd, &in_cgroup);
  if (pid != 0)
    cgroup_self_attach_close (&sa); /* the child has its copies */
  if (pid < 0)
    {
      close (sp[1]);
      return error_set (err, errno, "clone container init (flags 0x%llx)", (unsigned long long) flags);
    }
  if (pid == 0)
    {
      close (sock);
      if (intermediate)
        intermediate_main (a, &plan);
      init_main (a);
    }
  close (sp[1]);
  a->sync_fd = -1;
  test_stop_at ("create:cloned");

  if (intermediate)
    {
      pid_t mid = pid;
      int midfd = out->pidfd;
      out->pidfd = -1;
      for (;;)
        {
          if (sync_recv (sock, &m, NULL, err) < 0)
            goto fail_mid;
          if (m.type == SYNC_ERROR)
            {
              sync_error_from (&m, err);
              goto fail_mid;
            }
          if (m.type == SYNC_MAPS_PLS)
            {
              if (ns_write_id_maps (c, mid, err) < 0
                  || sync_send (sock, SYNC_MAPS_ACK, 0, NULL, -1, err) < 0)
                goto fail_mid;
              continue;
            }
          if (m.type == SYNC_CHILD_PID)
            break;
          error_set (err, 0, "sync: unexpected message %u from intermediate child", m.type);
          goto fail_mid;
        }
      pid = m.value;
      close (midfd);
      if (wait_intermediate (mid, err) < 0)
        {
          kill (pid, SIGKILL);
          return -1;
        }
      out->pid = pid;
      out->pidfd = pidfd_open_ (pid);
      goto placed;
    fail_mid:
      kill (mid, SIGKILL);
      waitpid (mid, NULL, 0);
      close (midfd);
      return -1;
    }
  out->pid = pid;
  if (plan.new_user && ns_write_id_maps (c, pid, err) < 0)
    goto fail;

placed:
  if (c->process && process_apply_parent_side (c->process, out->pid, err) < 0)
    goto fail;
  if (c->process && process_set_cpu_affinity_initial (c->process, out->pid, err) < 0)
    goto fail;
  /* In a user namespace the init is no longer host root: bind sources are
   * opened (and idmapped) here. */
  if (a->userns && mount_sources_send (c, a->bundle, out->pid, sock, err) < 0)
    goto fail;
  /* Before GO and the createRuntime hooks: they may configure the devices. */
  if (netdev_move_in (c, out->pid, out->pidfd, &netdevs, err) < 0)
    goto fail;
  if (sync_send (sock, SYNC_GO, out->pid, NULL, -1, err) < 0)
    goto fail;
  test_stop_at ("create:go");
  /* After GO the init moves itself into the v1 hierarchies and says how that
   * went; what it could not do, and a cgroup2 tree it was not born in, is ours
   * (each cgroup.procs write of ours may wait ~10 ms for RCU on v1). The init
   * waits for CGROUP_DONE only before the cgroup namespace and mounts. */
  if (cg && spawn_place_rest (manager_enter_some, cg, sock, out->pid, self_attach, in_cgroup, err) < 0)
    {
      child_error_instead (sock, err);
      goto fail;
    }
  if (sync_send (sock, SYNC_CGROUP_DONE, 0, NULL, -1, err) < 0)
    {
      child_error_instead (sock, err);
      goto fail;
    }
  if (spawn_serve (a, sock, out, err) < 0)
    goto fail;
  /* Before we call it created: every limit really applies to it. */
  if (cg && cgroup_check_placed (cg, out->pid, err) < 0)
    goto fail;
  netdev_session_free (netdevs);
  out->sync_fd = sock;
  sock = -1;
  return 0;

fail:
  netdev_session_return (netdevs); /* while their namespace lives */
  netdev_session_free (netdevs);
  spawn_abort (out);
  return -1;
}
