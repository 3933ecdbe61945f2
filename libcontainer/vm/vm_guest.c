/* The guest's PID 1: capsa as /init of the initramfs. It mounts what a
 * container runtime needs (proc, sys, dev, cgroup2), loads the modules the
 * initramfs carries, finds the control port, mounts the host's shares (9p, virtio-fs) at
 * the host's paths, and then builds the container with the same libcontainer
 * calls as on the host (lc_create, lc_start, lc_exec), relaying the processes'
 * stdio as frames. When the container's process ends, it reports the status
 * and powers the VM off. The host is trusted here; the container is not. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "control_protocol.h"
#include "spec/util/cleanup.h"
#include "terminal.h"
#include "util/fs.h"
#include "vm_guest_net.h"
#include "vm_internal.h"

#define G_STATE VM_GUEST_ROOT "/state"
#define G_CONFIG VM_GUEST_ROOT "/config.json"
#define G_PIDFILE VM_GUEST_ROOT "/pid"
#define G_CONSOLE VM_GUEST_ROOT "/console.sock"
#define PENDING_MAX (1 << 20)

bool vm_guest_active;

bool
vm_is_guest_init (const char *argv0)
{
  return getpid () == 1 && argv0 && strcmp (argv0, "/init") == 0;
}

struct gproc
{
  pid_t pid;
  int in, out, err; /* our ends: stdin to write, stdout/stderr to read; out = pty master */
  bool used, tty, exited, in_eof;
  int status;
  char *pending; /* stdin not yet taken by the process */
  size_t pending_len;
};

struct guest
{
  int ctl;
  char *config;
  size_t config_len;
  char id[256], bundle[4096];
  pid_t ctr; /* the container's process */
  struct gproc p[VM_STREAMS_MAX];
  struct vm_frame *f;
  bool user_net;
};

static void
say (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  dprintf (2, "capsa-init: ");
  vdprintf (2, fmt, ap);
  dprintf (2, "\n");
  va_end (ap);
}

__attribute__ ((noreturn)) static void
power_off (void)
{
  sync ();
  reboot (RB_POWER_OFF);
  for (;;)
    pause ();
}

__attribute__ ((noreturn)) static void
die (const char *what)
{
  say ("%s: %s", what, strerror (errno));
  power_off ();
}

static void
mount_or_die (const char *src, const char *dst, const char *type, unsigned long flags,
              const char *data)
{
  mkdir (dst, 0755);
  if (mount (src, dst, type, flags, data) < 0)
    die (dst);
}

static int
cmp_names (const struct dirent **a, const struct dirent **b)
{
  return strcmp ((*a)->d_name, (*b)->d_name);
}

/* The initramfs's modules are numbered in dependency order. */
static void
load_modules (void)
{
  struct dirent **names;
  int n = scandir ("/modules", &names, NULL, cmp_names);
  for (int i = 0; i < n; i++)
    {
      if (names[i]->d_name[0] != '.')
        {
          char path[300];
          snprintf (path, sizeof path, "/modules/%s", names[i]->d_name);
          int fd = open (path, O_RDONLY | O_CLOEXEC);
          if (fd < 0 || (syscall (SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST))
            say ("load %s: %s", path, strerror (errno));
          if (fd >= 0)
            close (fd);
          unlink (path);
        }
      free (names[i]);
    }
  if (n >= 0)
    free (names);
}

/* pivot_root cannot leave the initramfs (the kernel's rootfs): like
 * switch_root, move a tmpfs over / holding only this binary and start again
 * from it. The initramfs's files are removed first (their memory is freed). */
static void
switch_root (void)
{
  _cleanup_free_ char *self = NULL;
  size_t len;
  if (fs_read_file ("/init", &self, &len, NULL) < 0)
    die ("read /init");
  unlink ("/init");
  rmdir ("/modules");
  mount_or_die ("root", "/newroot", "tmpfs", 0, "mode=0755");
  static const char *const dirs[] = { "dev", "proc", "sys", "run", "tmp" };
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      char path[64];
      snprintf (path, sizeof path, "/newroot/%s", dirs[i]);
      mkdir (path, 0755);
    }
  chmod ("/newroot/tmp", 01777);
  if (fs_write_file_new_at (AT_FDCWD, "/newroot/init", self, len, 0755, NULL) < 0)
    die ("copy /init");
  if (chdir ("/newroot") < 0 || mount (".", "/", NULL, MS_MOVE, NULL) < 0 || chroot (".") < 0
      || chdir ("/") < 0)
    die ("switch root");
  char *argv[] = { (char *) "/init", NULL }, *envp[] = { NULL };
  execve ("/init", argv, envp);
  die ("exec /init");
}

static void
setup_mounts (void)
{
  mount_or_die ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_or_die ("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_or_die ("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  mount_or_die ("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666,mode=0620");
  mount_or_die ("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  mount_or_die ("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "nsdelegate");
  mount_or_die ("run", VM_GUEST_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700");
  /* Every controller for the containers below the root. */
  _cleanup_free_ char *ctrls = NULL;
  size_t len;
  if (fs_read_file ("/sys/fs/cgroup/cgroup.controllers", &ctrls, &len, NULL) == 0)
    {
      char *save = NULL;
      for (char *c = strtok_r (ctrls, " \n", &save); c; c = strtok_r (NULL, " \n", &save))
        {
          char buf[64];
          int n = snprintf (buf, sizeof buf, "+%s", c);
          int fd = open ("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
          if (fd >= 0 && write (fd, buf, (size_t) n) < 0)
            say ("enable cgroup controller %s: %s", c, strerror (errno));
          if (fd >= 0)
            close (fd);
        }
    }
  symlink ("/proc/self/fd", "/dev/fd");
}

/* /dev/vportNpM whose name is capsa.ctl (no udev here to make the symlink). */
static int
open_port (void)
{
  for (int tries = 0; tries < 500; tries++)
    {
      _cleanup_closedir_ DIR *d = opendir ("/sys/class/virtio-ports");
      struct dirent *e;
      while (d && (e = readdir (d)))
        {
          char path[512], name[64] = "";
          snprintf (path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
          int fd = open (path, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            continue;
          ssize_t n = read (fd, name, sizeof name - 1);
          close (fd);
          if (n > 0 && strncmp (name, VM_PORT_NAME "\n", strlen (VM_PORT_NAME) + 1) == 0)
            {
              snprintf (path, sizeof path, "/dev/%s", e->d_name);
              return open (path, O_RDWR | O_CLOEXEC);
            }
        }
      usleep (10000);
    }
  errno = ENODEV;
  return -1;
}

static void
send_frame (struct guest *g, uint8_t type, uint8_t stream, const void *d, size_t n)
{
  struct error *e = NULL;
  if (vm_frame_write (g->ctl, type, stream, d, n, &e) < 0)
    {
      say ("%s", e->msg);
      power_off ();
    }
}

static int
mkdir_parents (const char *path)
{
  _cleanup_free_ char *dir = strdup (path);
  char *slash = dir ? strrchr (dir, '/') : NULL;
  if (slash == NULL)
    return -1;
  if (slash == dir)
    return 0;
  *slash = '\0';
  return fs_mkdir_all (dir, 0755);
}

static void
do_share (struct guest *g)
{
  const char *kind = g->f->data, *a = kind + strlen (kind) + 1;
  if (a >= g->f->data + g->f->len)
    return;
  const char *b = a + strlen (a) + 1;
  if (kind[0] == 'f')
    {
      /* a = path, b .. end = content */
      size_t clen = (size_t) (g->f->data + g->f->len - b);
      if (b > g->f->data + g->f->len || mkdir_parents (a) < 0
          || fs_write_file_new_at (AT_FDCWD, a, b, clen, 0644, NULL) < 0)
        say ("copy %s: %s", a, strerror (errno));
      return;
    }
  /* a = tag, b = path */
  if (kind[0] == 'v')
    {
      if (fs_mkdir_all (b, 0755) < 0 || mount (a, b, "virtiofs", 0, NULL) < 0)
        say ("mount virtio-fs share %s at %s: %s", a, b, strerror (errno));
      return;
    }
  char opts[128];
  snprintf (opts, sizeof opts, "trans=virtio,version=9p2000.L,msize=262144,cache=mmap");
  if (fs_mkdir_all (b, 0755) < 0
      || mount (a, b, "9p", kind[0] == 'r' ? MS_RDONLY : 0, opts) < 0)
    say ("mount share %s at %s: %s", a, b, strerror (errno));
}

static struct lc_context
guest_ctx (void)
{
  return (struct lc_context) { .root = G_STATE };
}

/* Run fn in a child with the given stdio; its error text comes back in msg. */
typedef int (*child_fn) (struct guest *g, void *arg, struct error **err);
static int
run_child (struct guest *g, child_fn fn, void *arg, const int stdio[3], char *msg, size_t size)
{
  int ep[2];
  if (pipe2 (ep, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid == 0)
    {
      struct error *e = NULL;
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      for (int i = 0; i < 3; i++)
        if (stdio[i] >= 0 && dup2 (stdio[i], i) < 0)
          _exit (1);
      /* Nothing else of ours: a pipe end kept here would hide an EOF. */
      if (dup2 (ep[1], 3) < 0)
        _exit (1);
      close_range (4, ~0U, 0);
      int r = fn (g, arg, &e);
      if (r < 0 && e)
        vm_write_all (3, e->msg, strlen (e->msg));
      _exit (r < 0 ? 1 : 0);
    }
  close (ep[1]);
  size_t got = 0;
  ssize_t n;
  while (got + 1 < size && (n = read (ep[0], msg + got, size - 1 - got)) > 0)
    got += (size_t) n;
  msg[got] = '\0';
  close (ep[0]);
  int st = 0;
  while (pid > 0 && waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  return pid > 0 && WIFEXITED (st) && WEXITSTATUS (st) == 0 ? 0 : -1;
}

static int
child_create (struct guest *g, void *arg, struct error **err)
{
  bool tty = *(bool *) arg;
  struct lc_context ctx = guest_ctx ();
  struct lc_create_opts o = { .bundle = g->bundle, .config_path = G_CONFIG,
                              .pid_file = G_PIDFILE, .console_socket = tty ? G_CONSOLE : NULL };
  if (chdir (g->bundle) < 0)
    return error_set (err, errno, "chdir \"%s\"", g->bundle);
  return lc_create (&ctx, g->id, &o, err);
}

static int
child_start (struct guest *g, void *arg, struct error **err)
{
  struct lc_context ctx = guest_ctx ();
  return lc_start (&ctx, g->id, err);
}

static int
listen_console (void)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", G_CONSOLE);
  int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || bind (s, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (s, 1) < 0)
    return -1;
  return s;
}

static void
reply_error (struct guest *g, const char *what, const char *msg)
{
  char buf[4096];
  int n = snprintf (buf, sizeof buf, "%s%s%s", what, msg[0] ? ": " : "", msg);
  send_frame (g, VM_ERROR, 0, buf, (size_t) (n < (int) sizeof buf ? n : (int) sizeof buf - 1));
}

static void
do_create (struct guest *g)
{
  const char *flag = g->f->data, *id = flag + 2, *bundle;
  if (g->f->len < 3 || (bundle = id + strlen (id) + 1) >= g->f->data + g->f->len
      || strlen (id) >= sizeof g->id || strlen (bundle) >= sizeof g->bundle)
    {
      reply_error (g, "create", "malformed request");
      return;
    }
  strcpy (g->id, id);
  strcpy (g->bundle, bundle);
  bool tty = flag[0] == 't';
  char msg[4096] = "";
  struct error *e = NULL;
  if (fs_mkdir_all (g->bundle, 0755) < 0
      || fs_write_file_new_at (AT_FDCWD, G_CONFIG, g->config, g->config_len, 0600, &e) < 0)
    {
      reply_error (g, "create: write the guest's config.json", e ? e->msg : strerror (errno));
      error_free (&e);
      return;
    }
  struct gproc *p = &g->p[0];
  int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, console = -1;
  int stdio[3] = { -1, -1, -1 };
  if (tty)
    {
      if ((console = listen_console ()) < 0)
        {
          reply_error (g, "create: console socket", strerror (errno));
          return;
        }
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      stdio[0] = stdio[1] = stdio[2] = null;
    }
  else
    {
      if (pipe2 (in, O_CLOEXEC) < 0 || pipe2 (out, O_CLOEXEC) < 0 || pipe2 (err, O_CLOEXEC) < 0)
        {
          reply_error (g, "create: pipes", strerror (errno));
          return;
        }
      stdio[0] = in[0];
      stdio[1] = out[1];
      stdio[2] = err[1];
    }
  int r = run_child (g, child_create, &tty, stdio, msg, sizeof msg);
  if (tty)
    close (stdio[0]);
  else
    {
      close (in[0]);
      close (out[1]);
      close (err[1]);
    }
  if (r < 0)
    {
      reply_error (g, "", msg[0] ? msg : "create failed");
      return;
    }
  _cleanup_free_ char *pid = NULL;
  size_t len;
  if (fs_read_file (G_PIDFILE, &pid, &len, NULL) < 0 || (g->ctr = atoi (pid)) <= 0)
    {
      reply_error (g, "create", "no pid file");
      return;
    }
  p->used = true;
  p->pid = g->ctr;
  p->tty = tty;
  if (tty)
    {
      struct error *e2 = NULL;
      int conn = accept4 (console, NULL, NULL, SOCK_CLOEXEC);
      p->out = conn < 0 ? error_set (&e2, errno, "accept") : terminal_recv_fd (conn, &e2);
      if (conn >= 0)
        close (conn);
      p->in = p->out;
      p->err = -1;
      close (console);
      unlink (G_CONSOLE);
      if (p->out < 0)
        {
          reply_error (g, "create: receive the terminal", e2 ? e2->msg : "");
          error_free (&e2);
          return;
        }
    }
  else
    {
      p->in = in[1];
      p->out = out[0];
      p->err = err[0];
    }
  fcntl (p->in, F_SETFL, O_NONBLOCK);
  send_frame (g, VM_OK, 0, NULL, 0);
}

static void
do_start (struct guest *g)
{
  char msg[4096] = "";
  int none[3] = { -1, -1, -1 };
  if (run_child (g, child_start, NULL, none, msg, sizeof msg) < 0)
    reply_error (g, "", msg[0] ? msg : "start failed");
  else
    send_frame (g, VM_OK, 0, NULL, 0);
}

/* ---- exec ---- */

struct exec_req
{
  const char *data;
  size_t len;
  bool tty;
};

static char **
collect (const struct exec_req *r, const char *key)
{
  size_t n = 0;
  char **v = NULL;
  for (const char *k = r->data; k < r->data + r->len;)
    {
      const char *val = k + strlen (k) + 1;
      if (val >= r->data + r->len)
        break;
      if (strcmp (k, key) == 0)
        {
          char **nv = realloc (v, (n + 2) * sizeof *v);
          if (nv == NULL)
            break;
          v = nv;
          v[n++] = (char *) val;
          v[n] = NULL;
        }
      k = val + strlen (val) + 1;
    }
  return v;
}

static const char *
lookup (const struct exec_req *r, const char *key)
{
  _cleanup_free_ char **v = collect (r, key);
  return v ? v[0] : NULL;
}

static int
child_exec (struct guest *g, void *arg, struct error **err)
{
  struct exec_req *r = arg;
  struct lc_context ctx = guest_ctx ();
  const char *process = lookup (r, "process"), *tty = lookup (r, "tty");
  char path[64] = "";
  if (process)
    {
      snprintf (path, sizeof path, "%s/exec-%d.json", VM_GUEST_ROOT, (int) getpid ());
      if (fs_write_file_new_at (AT_FDCWD, path, process, strlen (process), 0600, err) < 0)
        return -1;
    }
  if (r->tty)
    {
      /* Our stdin is the pty slave: be its session, so a resize reaches lc_exec. */
      setsid ();
      ioctl (0, TIOCSCTTY, 0);
    }
  struct lc_exec_opts o = {
    .process_path = process ? path : NULL, .args = collect (r, "arg"),
    .tty = tty && tty[0] == '1', .tty_set = tty != NULL, .cwd = lookup (r, "cwd"),
    .env = collect (r, "env"), .user = lookup (r, "user"),
    .additional_gids = collect (r, "gid"), .caps = collect (r, "cap"),
    .no_new_privs = lookup (r, "nnp") != NULL, .apparmor = lookup (r, "apparmor"),
    .process_label = lookup (r, "label"),
  };
  int status = 0;
  if (lc_exec (&ctx, g->id, &o, &status, err) < 0)
    return -1;
  _exit (status);
}

static void
do_exec (struct guest *g, uint8_t s)
{
  struct gproc *p = &g->p[s];
  struct exec_req r = { .data = g->f->data + 1, .len = g->f->len - 1, .tty = g->f->data[0] == 't' };
  char st[4];
  if (s == 0 || p->used)
    return;
  int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, master = -1, slave = -1;
  if (r.tty)
    {
      struct error *pty_err = NULL;
      master = terminal_new_pty (-1, 0, 0, &slave, &pty_err);
      error_free (&pty_err);
      if (master < 0)
        goto fail;
    }
  else if (pipe2 (in, O_CLOEXEC) < 0 || pipe2 (out, O_CLOEXEC) < 0 || pipe2 (err, O_CLOEXEC) < 0)
    goto fail;
  pid_t pid = fork ();
  if (pid < 0)
    goto fail;
  if (pid == 0)
    {
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      int fds[3] = { r.tty ? slave : in[0], r.tty ? slave : out[1], r.tty ? slave : err[1] };
      for (int i = 0; i < 3; i++)
        if (dup2 (fds[i], i) < 0)
          _exit (126);
      close_range (3, ~0U, 0);
      struct error *e = NULL;
      child_exec (g, &r, &e);
      if (e)
        dprintf (2, "capsa exec: %s\n", e->msg);
      _exit (126);
    }
  *p = (struct gproc) { .pid = pid, .used = true, .tty = r.tty };
  if (r.tty)
    {
      close (slave);
      p->in = p->out = master;
      p->err = -1;
    }
  else
    {
      close (in[0]);
      close (out[1]);
      close (err[1]);
      p->in = in[1];
      p->out = out[0];
      p->err = err[0];
    }
  fcntl (p->in, F_SETFL, O_NONBLOCK);
  return;
fail:
  for (int i = 0; i < 2; i++)
    {
      if (in[i] >= 0)
        close (in[i]);
      if (out[i] >= 0)
        close (out[i]);
      if (err[i] >= 0)
        close (err[i]);
    }
  if (master >= 0)
    close (master);
  if (slave >= 0)
    close (slave);
  vm_put_u32 (st, (uint32_t) (126 << 8));
  send_frame (g, VM_EXIT, s, st, 4);
}

/* ---- stdio ---- */

static void
flush_stdin (struct gproc *p)
{
  while (p->pending_len)
    {
      ssize_t n = write (p->in, p->pending, p->pending_len);
      if (n <= 0)
        return;
      memmove (p->pending, p->pending + n, p->pending_len - (size_t) n);
      p->pending_len -= (size_t) n;
    }
  if (p->in_eof && !p->tty && p->in >= 0)
    {
      close (p->in);
      p->in = -1;
    }
}

static void
do_stdin (struct guest *g, uint8_t s)
{
  struct gproc *p = &g->p[s];
  if (!p->used || p->in < 0)
    return;
  if (g->f->len == 0)
    {
      p->in_eof = true;
      if (p->tty)
        {
          /* End of input on a terminal: ^D. */
          char eot = 4;
          g->f->len = 1;
          memcpy (g->f->data, &eot, 1);
        }
      else
        {
          flush_stdin (p);
          return;
        }
    }
  if (p->pending_len + g->f->len > PENDING_MAX)
    return; /* a process that does not read its stdin loses what overflows */
  char *n = realloc (p->pending, p->pending_len + g->f->len);
  if (n == NULL)
    return;
  p->pending = n;
  memcpy (p->pending + p->pending_len, g->f->data, g->f->len);
  p->pending_len += g->f->len;
  flush_stdin (p);
}

/* Move what a process wrote; false once its end is closed. */
static bool
relay_out (struct guest *g, uint8_t s, int *fd, uint8_t type)
{
  char buf[16384];
  ssize_t n = read (*fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    {
      close (*fd);
      *fd = -1;
      return false;
    }
  send_frame (g, type, s, buf, (size_t) n);
  return true;
}

/* A process ended: what its stdout and stderr still hold goes first. */
static void
finish (struct guest *g, uint8_t s)
{
  struct gproc *p = &g->p[s];
  int fds[2] = { p->out, p->err };
  for (int round = 0; round < 200 && (fds[0] >= 0 || fds[1] >= 0); round++)
    {
      struct pollfd q[2] = { { .fd = fds[0], .events = POLLIN }, { .fd = fds[1], .events = POLLIN } };
      /* A daemon the process left may hold the pipes: give up after a while. */
      if (poll (q, 2, 20) <= 0)
        break;
      for (int i = 0; i < 2; i++)
        if (fds[i] >= 0 && q[i].revents)
          relay_out (g, s, &fds[i], i == 0 ? VM_STDOUT : VM_STDERR);
    }
  for (int i = 0; i < 2; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  if (p->in >= 0 && p->in != p->out)
    close (p->in);
  free (p->pending);
  char st[4];
  vm_put_u32 (st, (uint32_t) p->status);
  send_frame (g, VM_EXIT, s, st, 4);
  memset (p, 0, sizeof *p);
  if (s == 0)
    power_off ();
}

static void
reap (struct guest *g)
{
  int st;
  pid_t pid;
  while ((pid = waitpid (-1, &st, WNOHANG)) > 0)
    for (int s = 0; s < VM_STREAMS_MAX; s++)
      if (g->p[s].used && g->p[s].pid == pid)
        {
          g->p[s].exited = true;
          g->p[s].status = st;
        }
}

static void
do_signal (struct guest *g, uint8_t s)
{
  int sig = (int) vm_get_u32 (g->f->data);
  if (g->p[s].used && g->p[s].pid > 0 && sig > 0 && sig < 65)
    kill (g->p[s].pid, sig);
}

static void
do_resize (struct guest *g, uint8_t s)
{
  struct gproc *p = &g->p[s];
  if (!p->used || !p->tty || g->f->len != 4)
    return;
  const unsigned char *d = (const unsigned char *) g->f->data;
  struct winsize ws = { .ws_row = (unsigned short) (d[0] | d[1] << 8),
                        .ws_col = (unsigned short) (d[2] | d[3] << 8) };
  ioctl (p->out, TIOCSWINSZ, &ws);
}

static void
host_frame (struct guest *g)
{
  struct vm_frame *f = g->f;
  switch (f->type)
    {
    case VM_SHARE:
      do_share (g);
      break;
    case VM_CONFIG:
      {
        if (g->config_len + f->len > VM_CONFIG_MAX)
          break;
        char *n = realloc (g->config, g->config_len + f->len + 1);
        if (n == NULL)
          break;
        g->config = n;
        memcpy (g->config + g->config_len, f->data, f->len);
        g->config_len += f->len;
        break;
      }
    case VM_CREATE:
      do_create (g);
      break;
    case VM_START:
      do_start (g);
      break;
    case VM_SIGNAL:
      if (f->len == 4)
        do_signal (g, f->stream);
      break;
    case VM_STDIN:
      do_stdin (g, f->stream);
      break;
    case VM_EXEC:
      if (f->len >= 1)
        do_exec (g, f->stream);
      break;
    case VM_RESIZE:
      do_resize (g, f->stream);
      break;
    case VM_PS:
    case VM_PAUSE:
    case VM_RESUME:
    case VM_UPDATE:
      {
        static char reply[VM_FRAME_MAX];
        struct lc_context ctx = guest_ctx ();
        size_t len = 0;
        uint8_t type = vm_guest_control (&ctx, g->id, f, reply, sizeof reply, &len);
        send_frame (g, type, 0, reply, len);
        break;
      }
    default:
      reply_error (g, "unsupported request", "");
      break;
    }
}

__attribute__ ((noreturn)) void
vm_guest_main (void)
{
  /* A container sharing the guest's pid namespace sees this process, which holds
   * the control channel: non-dumpable, like every capsa process a container sees. */
  prctl (PR_SET_DUMPABLE, 0);
  struct guest *g = calloc (1, sizeof *g);
  vm_guest_active = true;
  if (g == NULL || (g->f = malloc (sizeof *g->f)) == NULL)
    power_off ();
  if (access ("/modules", F_OK) == 0)
    {
      load_modules ();
      switch_root ();
    }
  setsid ();
  setup_mounts ();
  if ((g->ctl = open_port ()) < 0)
    die ("open the control port " VM_PORT_NAME);
  if (vm_guest_net_up () < 0)
    say ("network: %s", strerror (errno));
  sigset_t chld;
  sigemptyset (&chld);
  sigaddset (&chld, SIGCHLD);
  sigprocmask (SIG_BLOCK, &chld, NULL);
  int sfd = signalfd (-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  signal (SIGPIPE, SIG_IGN);
  send_frame (g, VM_BOOTED, 0, NULL, 0);
  for (;;)
    {
      struct pollfd q[2 + 3 * VM_STREAMS_MAX];
      int who[2 + 3 * VM_STREAMS_MAX];
      nfds_t n = 0;
      q[n] = (struct pollfd) { .fd = g->ctl, .events = POLLIN };
      who[n++] = -1;
      q[n] = (struct pollfd) { .fd = sfd, .events = POLLIN };
      who[n++] = -2;
      for (int s = 0; s < VM_STREAMS_MAX; s++)
        {
          struct gproc *p = &g->p[s];
          if (!p->used)
            continue;
          if (p->out >= 0)
            {
              q[n] = (struct pollfd) { .fd = p->out, .events = POLLIN };
              who[n++] = s * 3;
            }
          if (p->err >= 0)
            {
              q[n] = (struct pollfd) { .fd = p->err, .events = POLLIN };
              who[n++] = s * 3 + 1;
            }
          if (p->in >= 0 && p->pending_len)
            {
              q[n] = (struct pollfd) { .fd = p->in, .events = POLLOUT };
              who[n++] = s * 3 + 2;
            }
        }
      if (poll (q, n, -1) < 0 && errno != EINTR)
        die ("poll");
      for (nfds_t i = 0; i < n; i++)
        {
          if (!q[i].revents)
            continue;
          if (who[i] == -1)
            {
              struct error *e = NULL;
              int r = vm_frame_read (g->ctl, g->f, &e);
              if (r != 0)
                {
                  say ("control channel: %s", e ? e->msg : "closed");
                  power_off ();
                }
              host_frame (g);
            }
          else if (who[i] == -2)
            {
              struct signalfd_siginfo si;
              while (read (sfd, &si, sizeof si) > 0)
                ;
              reap (g);
            }
          else
            {
              int s = who[i] / 3, k = who[i] % 3;
              struct gproc *p = &g->p[s];
              if (k == 2)
                flush_stdin (p);
              else if (k == 0 && p->out >= 0)
                {
                  if (!relay_out (g, (uint8_t) s, &p->out, VM_STDOUT) && p->tty)
                    p->in = -1;
                }
              else if (k == 1 && p->err >= 0)
                relay_out (g, (uint8_t) s, &p->err, VM_STDERR);
            }
        }
      for (int s = 0; s < VM_STREAMS_MAX; s++)
        if (g->p[s].used && g->p[s].exited)
          finish (g, (uint8_t) s);
    }
}
