/* create's half of a VM container: plan the VM, fork the supervisor into the
 * container's cgroup, and wait until the guest has created the container. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "control_protocol.h"
#include "terminal.h"
#include "util/fs.h"
#include "vm_internal.h"

#define VM_MARKER "vm"

bool
vm_container_at (int dirfd)
{
  return faccessat (dirfd, VM_MARKER, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The host end of the container's terminal: the master goes to the console
 * socket (or to a foreground run), the supervisor relays the slave. */
static int
host_pty (const struct spec_process *p, int *master, int *slave, struct error **err)
{
  *master = terminal_new_pty (-1, p->has_console_size ? p->console_height : 0,
                              p->has_console_size ? p->console_width : 0, slave, err);
  return *master < 0 ? error_wrap (err, "a pty for the VM container's terminal") : 0;
}

/* The supervisor outlives create: it keeps none of create's files (its lock on
 * the state dir, the console socket, the caller's other fds). */
static int
close_all_but (const int *keep, size_t n)
{
  _cleanup_closedir_ DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    return -1;
  struct dirent *e;
  while ((e = readdir (d)))
    {
      int fd = atoi (e->d_name);
      bool k = e->d_name[0] == '.' || fd == dirfd (d);
      for (size_t i = 0; i < n; i++)
        k |= keep[i] == fd;
      if (!k)
        close (fd);
    }
  return 0;
}

static void
close_pair (int fds[2])
{
  for (int i = 0; i < 2; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  fds[0] = fds[1] = -1;
}

int
vm_spawn (const struct vm_spawn_args *a, pid_t *pid, int *pidfd, int *pty_master,
          int *release_fd, struct error **err)
{
  struct vm_plan plan;
  _cleanup_free_ char *config = NULL;
  size_t config_len;
  int ctl[2] = { -1, -1 }, con[2] = { -1, -1 }, rep[2] = { -1, -1 }, rel[2] = { -1, -1 },
      go[2] = { -1, -1 };
  int master = -1, slave = -1, ret = -1;
  pid_t child = -1;

  *pid = 0;
  *pidfd = *pty_master = *release_fd = -1;
  if (a->preserve_fds > 0)
    return error_set (err, 0, "--preserve-fds: file descriptors cannot be passed into a VM "
                      "container");
  if (vm_plan_make (a->config, a->rootfs, &plan, err) < 0)
    return -1;
  {
    /* The state dir's absolute path: qemu connects to virtiofsd's sockets there. */
    char link[64], state_dir[4096];
    snprintf (link, sizeof link, "/proc/self/fd/%d", a->dirfd);
    ssize_t n = readlink (link, state_dir, sizeof state_dir - 1);
    if (n > 0)
      state_dir[n] = '\0';
    if (n > 0 && vm_plan_virtiofs (&plan, state_dir, err) < 0)
      goto out;
  }
  if (fs_read_file (a->config_path, &config, &config_len, err) < 0)
    goto out;
  if (config_len > VM_CONFIG_MAX)
    {
      error_set (err, EFBIG, "config.json: larger than %u bytes", VM_CONFIG_MAX);
      goto out;
    }
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0
      || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, con) < 0
      || pipe2 (rep, O_CLOEXEC) < 0 || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rel) < 0
      || pipe2 (go, O_CLOEXEC) < 0)
    {
      error_set (err, errno, "VM channels");
      goto out;
    }
  bool terminal = a->config->process && a->config->process->terminal;
  if (terminal && host_pty (a->config->process, &master, &slave, err) < 0)
    goto out;
  if (fs_write_file_new_at (a->dirfd, VM_MARKER, "", 0, 0600, err) < 0)
    goto out;

  child = fork ();
  if (child < 0)
    {
      error_set (err, errno, "fork the VM supervisor");
      goto out;
    }
  if (child == 0)
    {
      /* Until create has recorded the container, we die with it. */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      close (rep[0]);
      close (rel[1]);
      close (go[1]);
      if (master >= 0)
        close (master);
      /* Our own state dir fd: create's holds the lock that start and delete take. */
      int dirfd = openat (a->dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      int keep[] = { 0, 1, 2, ctl[0], ctl[1], con[0], con[1], rep[1], rel[0], go[0], slave, dirfd };
      if (dirfd < 0 || close_all_but (keep, sizeof keep / sizeof keep[0]) < 0)
        _exit (1);
      struct vm_supervisor_args sa = {
        .ctl_fd = ctl[0], .con_fd = con[0], .qemu_ctl_fd = ctl[1], .qemu_con_fd = con[1],
        .report_fd = rep[1], .release_fd = rel[0], .go_fd = go[0], .dirfd = dirfd,
        .tty_fd = slave, .id = a->id, .bundle = a->bundle, .plan = &plan,
        .config_data = config, .config_len = config_len,
      };
      vm_supervisor_main (&sa);
    }
  close (rep[1]);
  rep[1] = -1;
  close (rel[0]);
  rel[0] = -1;
  close (go[0]);
  go[0] = -1;
  *pid = child;
  *pidfd = (int) syscall (SYS_pidfd_open, child, 0);
  if (a->cg && cgroup_enter (a->cg, child, err) < 0)
    goto fail;
  if (write (go[1], "g", 1) != 1)
    {
      error_set (err, errno, "start the VM supervisor");
      goto fail;
    }
  /* "0": the guest created the container; "E<message>": it did not. */
  char buf[4097];
  size_t got = 0;
  for (;;)
    {
      ssize_t n = read (rep[0], buf + got, sizeof buf - 1 - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += (size_t) n;
    }
  buf[got] = '\0';
  if (got == 0 || buf[0] != '0')
    {
      error_set (err, 0, "VM container: %s", got > 1 ? buf + 1 : "the supervisor died");
      goto fail;
    }
  if (master >= 0 && a->console_sock >= 0)
    {
      if (terminal_send_fd (a->console_sock, master, "/dev/ptmx", err) < 0)
        goto fail;
    }
  else if (master >= 0 && a->pty_to_parent)
    {
      *pty_master = master;
      master = -1;
    }
  *release_fd = rel[1];
  rel[1] = -1;
  ret = 0;
  goto out;
fail:
  if (child > 0)
    {
      kill (child, SIGKILL);
      waitpid (child, NULL, 0);
      *pid = 0;
    }
  if (*pidfd >= 0)
    close (*pidfd);
  *pidfd = -1;
out:
  close_pair (ctl);
  close_pair (con);
  close_pair (rep);
  close_pair (rel);
  close_pair (go);
  if (master >= 0)
    close (master);
  if (slave >= 0)
    close (slave);
  vm_plan_clear (&plan);
  return ret;
}

int
vm_release (int release_fd, struct error **err)
{
  int r = write (release_fd, "R", 1) == 1 ? 0 : error_set (err, errno, "release the VM supervisor");
  /* It closes its end once it no longer dies with us: exiting before that
   * would kill a container we report as created. */
  char b;
  ssize_t n;
  do
    n = r == 0 ? read (release_fd, &b, 1) : 0;
  while (n > 0 || (n < 0 && errno == EINTR));
  close (release_fd);
  return r;
}
