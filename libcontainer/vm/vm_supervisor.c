/* The host side of a VM container, between create and the container's end: it
 * starts qemu (its child, dying with it), boots the guest, has the container
 * created there, waits for `start` on exec.fifo, then relays: its own stdio (the
 * container's, as the engine gave them to `create`) or the terminal, the signals
 * it receives (`capsa kill` signals this process), and the `capsa exec` clients
 * of vm.sock. Its pid is the container's pid on the host and its exit status is
 * the container's: a process killed by signal N in the guest kills this one with N.
 *
 * Everything from the guest is hostile: frames are validated
 * (vm_frame_from_guest_ok), a bad one stops the VM; guest text is sanitized. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "control_protocol.h"
#include "spec/util/cleanup.h"
#include "terminal.h"
#include "util/fs.h"
#include "vm_internal.h"

#define BOOT_TIMEOUT_MS (180 * 1000)
#define TAIL 2048

enum sv_state { SV_BOOTING, SV_CREATING, SV_CREATED, SV_STARTING, SV_RUNNING };

struct client
{
  int sock, in, out, errfd;
  bool used, in_open;
};

struct sv
{
  struct vm_supervisor_args *a;
  enum sv_state state;
  pid_t qemu, waiter;
  pid_t *vfsd; /* a virtiofsd per virtio-fs share (plan order), 0 = none */
  int sigr, listen, fifo_sock, fifo;
  int ctl_client; /* the ps/pause/resume/update client waiting for the guest's reply */
  bool released, stdin_open, tty;
  int out, errfd; /* where stream 0's output goes */
  char tail[TAIL]; /* the last console and qemu output, for a failed boot */
  size_t tail_len;
  struct client c[VM_STREAMS_MAX];
  struct vm_frame *f;
};


static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
                                 SIGCONT, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU, SIGCHLD };

static void
tail_add (struct sv *s, const char *buf, size_t n)
{
  if (n >= TAIL)
    {
      buf += n - TAIL;
      n = TAIL;
    }
  if (s->tail_len + n > TAIL)
    {
      size_t drop = s->tail_len + n - TAIL;
      memmove (s->tail, s->tail + drop, s->tail_len - drop);
      s->tail_len -= drop;
    }
  memcpy (s->tail + s->tail_len, buf, n);
  s->tail_len += n;
}

/* A child that execs qemu or virtiofsd: it dies with us, and our signal mask
 * and handlers are not its. */
static void
helper_child_setup (void)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    signal (forwarded[i], SIG_DFL);
  signal (SIGPIPE, SIG_DFL);
}

/* qemu keeps only the capabilities its 9p server needs to act on the shared
 * files for the guest; no new privileges; nothing of ours but its two sockets. */
__attribute__ ((noreturn)) static void
exec_qemu (struct sv *s, int errw)
{
  struct vm_supervisor_args *a = s->a;
  static const int keep[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
                              CAP_FSETID };
  helper_child_setup ();
  int ctl = fcntl (a->qemu_ctl_fd, F_DUPFD_CLOEXEC, 10);
  int con = fcntl (a->qemu_con_fd, F_DUPFD_CLOEXEC, 10);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (ctl < 0 || con < 0 || null < 0 || dup2 (null, 0) < 0 || dup2 (errw, 1) < 0
      || dup2 (errw, 2) < 0 || dup2 (ctl, 3) < 0 || dup2 (con, 4) < 0)
    _exit (127);
  close_range (5, ~0U, 0);
  for (int cap = 0; cap <= 63; cap++)
    {
      bool k = false;
      for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        k |= keep[i] == cap;
      if (!k && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
        _exit (127);
    }
  prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  char **argv = vm_qemu_argv (a->plan, 3, 4);
  if (argv)
    execvp (argv[0], argv);
  dprintf (2, "capsa: exec %s: %s\n", argv ? argv[0] : "qemu", strerror (errno));
  _exit (127);
}

/* One virtiofsd for share i, on a socket we listen on before qemu connects
 * (--fd: no race). It dies with us; it may not make device nodes (as qemu's 9p
 * cannot), and it sandboxes itself into the shared directory (namespaces). */
static int
start_virtiofsd (struct sv *s, size_t i, int errw, struct error **err)
{
  const struct vm_share *sh = &s->a->plan->shares[i];
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", sh->sock);
  _cleanup_close_ int l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unlink (sh->sock);
  mode_t old = umask (0077);
  int r = l < 0 ? -1 : bind (l, (struct sockaddr *) &sa, sizeof sa);
  umask (old);
  if (r < 0 || listen (l, 1) < 0)
    return error_set (err, errno, "virtiofsd socket %s", sh->sock);
  _cleanup_free_ char *source = NULL;
  if (asprintf (&source, "source=%s", sh->path) < 0)
    return error_set (err, ENOMEM, "virtiofsd");
  s->vfsd[i] = fork ();
  if (s->vfsd[i] < 0)
    return error_set (err, errno, "fork virtiofsd");
  if (s->vfsd[i] == 0)
    {
      helper_child_setup ();
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (null < 0 || dup2 (null, 0) < 0 || dup2 (errw, 1) < 0 || dup2 (errw, 2) < 0
          || dup2 (l, 3) < 0)
        _exit (127);
      close_range (4, ~0U, 0);
      char *argv[] = { (char *) VM_VIRTIOFSD, (char *) "--fd=3", (char *) "-o", source,
                       (char *) "-o", (char *) "cache=auto", (char *) "-o",
                       (char *) "sandbox=namespace", (char *) "-o", (char *) "modcaps=-mknod",
                       (char *) "-o", (char *) "log_level=err", NULL };
      execv (argv[0], argv);
      dprintf (2, "capsa: exec %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  return 0;
}

static int
start_qemu (struct sv *s, int *qerr, struct error **err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return error_set (err, errno, "pipe");
  *qerr = p[0];
  const struct vm_plan *plan = s->a->plan;
  if ((s->vfsd = calloc (plan->shares_len + 1, sizeof *s->vfsd)) == NULL)
    return error_set (err, ENOMEM, "virtiofsd");
  for (size_t i = 0; i < plan->shares_len; i++)
    if (plan->shares[i].virtiofs && start_virtiofsd (s, i, p[1], err) < 0)
      return -1;
  s->qemu = fork ();
  if (s->qemu < 0)
    return error_set (err, errno, "fork qemu");
  if (s->qemu == 0)
    exec_qemu (s, p[1]);
  close (p[1]);
  close (s->a->qemu_ctl_fd);
  close (s->a->qemu_con_fd);
  return 0;
}

static void
stop_qemu (struct sv *s)
{
  if (s->qemu > 0)
    {
      kill (s->qemu, SIGKILL);
      waitpid (s->qemu, NULL, 0);
      s->qemu = 0;
    }
  if (s->waiter > 0)
    {
      kill (s->waiter, SIGKILL);
      waitpid (s->waiter, NULL, 0);
      s->waiter = 0;
    }
  for (size_t i = 0; s->vfsd && i < s->a->plan->shares_len; i++)
    if (s->vfsd[i] > 0)
      {
        kill (s->vfsd[i], SIGKILL);
        waitpid (s->vfsd[i], NULL, 0);
        s->vfsd[i] = 0;
      }
}

/* The container's end is ours: exit with its status, or die of its signal. */
__attribute__ ((noreturn)) static void
exit_like (struct sv *s, int status)
{
  unlinkat (s->a->dirfd, VM_SOCKET_NAME, 0);
  if (WIFSIGNALED (status))
    {
      int sig = WTERMSIG (status);
      sigset_t set;
      signal (sig, SIG_DFL);
      sigemptyset (&set);
      sigaddset (&set, sig);
      sigprocmask (SIG_UNBLOCK, &set, NULL);
      prctl (PR_SET_DUMPABLE, 0);
      raise (sig);
      _exit (128 + sig);
    }
  _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 255);
}

static int
send_frame (struct sv *s, uint8_t type, uint8_t stream, const void *d, size_t n)
{
  struct error *e = NULL;
  int r = vm_frame_write (s->a->ctl_fd, type, stream, d, n, &e);
  error_free (&e);
  return r;
}

/* Shares, config.json in chunks, then the create request. */
static int
send_setup (struct sv *s, struct error **err)
{
  const struct vm_plan *p = s->a->plan;
  for (size_t i = 0; i < p->shares_len; i++)
    {
      const struct vm_share *sh = &p->shares[i];
      _cleanup_free_ char *buf = NULL, *content = NULL;
      size_t len = 0, clen = 0;
      if (sh->file)
        {
          if (fs_read_file (sh->path, &content, &clen, err) < 0)
            return -1;
          if (clen > VM_FRAME_MAX - strlen (sh->path) - 3)
            return error_set (err, EFBIG, "VM share \"%s\": too big to copy", sh->path);
        }
      size_t cap = strlen (sh->tag) + strlen (sh->path) + clen + 8;
      if ((buf = malloc (cap)) == NULL)
        return error_set (err, ENOMEM, "VM share");
      if (sh->file)
        {
          len = (size_t) sprintf (buf, "f%c%s%c", 0, sh->path, 0);
          memcpy (buf + len, content, clen);
          len += clen;
        }
      else
        len = (size_t) sprintf (buf, "%c%c%s%c%s%c", sh->virtiofs ? 'v' : sh->readonly ? 'r' : 'd',
                                0, sh->tag, 0, sh->path, 0);
      if (vm_frame_write (s->a->ctl_fd, VM_SHARE, 0, buf, len, err) < 0)
        return -1;
    }
  for (size_t off = 0; off < s->a->config_len; off += VM_FRAME_MAX)
    {
      size_t n = s->a->config_len - off < VM_FRAME_MAX ? s->a->config_len - off : VM_FRAME_MAX;
      if (vm_frame_write (s->a->ctl_fd, VM_CONFIG, 0, s->a->config_data + off, n, err) < 0)
        return -1;
    }
  _cleanup_free_ char *req = NULL;
  int n = asprintf (&req, "%c%c%s%c%s", s->tty ? 't' : '-', 0, s->a->id, 0, s->a->bundle);
  if (n < 0)
    return error_set (err, ENOMEM, "VM create request");
  return vm_frame_write (s->a->ctl_fd, VM_CREATE, 0, req, (size_t) n + 1, err);
}

static void
report (struct sv *s, const char *msg)
{
  char buf[4096];
  int n = snprintf (buf, sizeof buf, "%s", msg);
  if (vm_write_all (s->a->report_fd, buf, (size_t) (n < (int) sizeof buf ? n : (int) sizeof buf - 1)) < 0)
    {
    }
  close (s->a->report_fd);
  s->a->report_fd = -1;
}

__attribute__ ((noreturn)) static void
fail_boot (struct sv *s, const char *what)
{
  char buf[4096];
  stop_qemu (s);
  vm_sanitize_text (s->tail, s->tail_len);
  snprintf (buf, sizeof buf, "E%s%s%.*s", what, s->tail_len ? "; guest output: " : "",
            (int) s->tail_len, s->tail);
  report (s, buf);
  _exit (1);
}

/* A child that blocks opening exec.fifo for writing (until `start` opens it for
 * reading) and hands us the fd: our loop never blocks. */
static int
start_fifo_waiter (struct sv *s, struct error **err)
{
  int sp[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
    return error_set (err, errno, "socketpair");
  s->waiter = fork ();
  if (s->waiter < 0)
    return error_set (err, errno, "fork");
  if (s->waiter == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      int fd = openat (s->a->dirfd, "exec.fifo", O_WRONLY | O_CLOEXEC);
      struct error *e = NULL;
      _exit (fd < 0 || terminal_send_fd (sp[1], fd, "fifo", &e) < 0 ? 1 : 0);
    }
  close (sp[1]);
  s->fifo_sock = sp[0];
  return 0;
}

static int
listen_socket (struct sv *s, struct error **err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", s->a->dirfd, VM_SOCKET_NAME);
  s->listen = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s->listen < 0)
    return error_set (err, errno, "socket");
  mode_t old = umask (0077);
  int r = bind (s->listen, (struct sockaddr *) &sa, sizeof sa);
  umask (old);
  if (r < 0 || listen (s->listen, 16) < 0)
    return error_set (err, errno, "listen on %s", VM_SOCKET_NAME);
  return 0;
}

static void
client_close (struct sv *s, int i)
{
  struct client *c = &s->c[i];
  int fds[] = { c->sock, c->in, c->out, c->errfd };
  for (size_t k = 0; k < 4; k++)
    if (fds[k] >= 0)
      {
        bool dup = false;
        for (size_t j = 0; j < k; j++)
          dup |= fds[j] == fds[k];
        if (!dup)
          close (fds[k]);
      }
  memset (c, 0, sizeof *c);
  c->sock = c->in = c->out = c->errfd = -1;
}

/* ps, pause, resume, update: forwarded to the guest, whose replies come in the
 * order of the requests: one at a time (a second client hears VM_BUSY and
 * retries); start's request may follow ours, its reply then follows ours. */
static void
control_request (struct sv *s, int sock)
{
  const char *refuse = NULL;
  if (s->state != SV_CREATED && s->state != SV_RUNNING)
    refuse = "the container is not created or running";
  else if (s->ctl_client >= 0)
    refuse = VM_BUSY;
  if (refuse)
    {
      vm_frame_write (sock, VM_ERROR, 0, refuse, strlen (refuse), NULL);
      close (sock);
      return;
    }
  s->ctl_client = sock;
  send_frame (s, s->f->type, 0, s->f->data, s->f->len);
}

/* An exec request: one message with the VM_EXEC frame and stdin, stdout, stderr. */
static void
client_accept (struct sv *s)
{
  int sock = accept4 (s->listen, NULL, NULL, SOCK_CLOEXEC);
  if (sock < 0)
    return;
  char *buf = malloc (VM_FRAME_HDR + VM_FRAME_MAX);
  union
  {
    char b[CMSG_SPACE (sizeof (int) * 3)];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { .iov_base = buf, .iov_len = VM_FRAME_HDR + VM_FRAME_MAX };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                        .msg_controllen = sizeof ctl.b };
  int fds[3] = { -1, -1, -1 }, nfds = 0, slot = -1;
  struct pollfd p = { .fd = sock, .events = POLLIN };
  ssize_t n = buf && poll (&p, 1, 5000) == 1 ? recvmsg (sock, &msg, MSG_CMSG_CLOEXEC) : -1;
  for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR (&msg) : NULL; c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN (0)) / sizeof (int); i++)
        {
          int fd;
          memcpy (&fd, CMSG_DATA (c) + i * sizeof fd, sizeof fd);
          if (nfds < 3)
            fds[nfds++] = fd;
          else
            close (fd);
        }
  struct error *e = NULL;
  if (n > 0 && nfds == 0 && vm_frame_parse (buf, (size_t) n, s->f, &e) == 0
      && vm_frame_is_control (s->f) && vm_frame_from_client_ok (s->f))
    {
      control_request (s, sock);
      free (buf);
      return;
    }
  error_free (&e);
  for (int i = 1; i < VM_STREAMS_MAX && slot < 0; i++)
    if (!s->c[i].used)
      slot = i;
  if (n <= 0 || nfds != 3 || slot < 0 || s->state != SV_RUNNING
      || vm_frame_parse (buf, (size_t) n, s->f, &e) < 0 || !vm_frame_from_client_ok (s->f)
      || s->f->type != VM_EXEC)
    {
      char msg_text[] = "the VM container cannot take this exec now";
      if (s->state == SV_RUNNING)
        vm_frame_write (sock, VM_ERROR, 0, msg_text, sizeof msg_text - 1, NULL);
      else
        vm_frame_write (sock, VM_ERROR, 0, "the container is not running", 28, NULL);
      for (int i = 0; i < nfds; i++)
        close (fds[i]);
      close (sock);
      error_free (&e);
      free (buf);
      return;
    }
  struct client *c = &s->c[slot];
  *c = (struct client) { .sock = sock, .in = fds[0], .out = fds[1], .errfd = fds[2],
                         .used = true, .in_open = true };
  send_frame (s, VM_EXEC, (uint8_t) slot, s->f->data, s->f->len);
  free (buf);
}

static void
client_message (struct sv *s, int i)
{
  char buf[VM_FRAME_HDR + 16];
  ssize_t n = recv (s->c[i].sock, buf, sizeof buf, MSG_DONTWAIT);
  struct error *e = NULL;
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    {
      /* The client is gone; its process runs on, output still goes to its fds. */
      close (s->c[i].sock);
      s->c[i].sock = -1;
      return;
    }
  if (n < 0)
    return;
  if (vm_frame_parse (buf, (size_t) n, s->f, &e) == 0 && vm_frame_from_client_ok (s->f)
      && s->f->type == VM_SIGNAL)
    send_frame (s, VM_SIGNAL, (uint8_t) i, s->f->data, 4);
  error_free (&e);
}

static void
send_winsize (struct sv *s)
{
  struct winsize ws;
  if (!s->tty || ioctl (s->a->tty_fd, TIOCGWINSZ, &ws) < 0)
    return;
  char b[4] = { (char) (ws.ws_row & 0xff), (char) (ws.ws_row >> 8), (char) (ws.ws_col & 0xff),
                (char) (ws.ws_col >> 8) };
  send_frame (s, VM_RESIZE, 0, b, 4);
}

/* A frame from the guest. Returns -1 on a protocol violation. */
static int
guest_frame (struct sv *s)
{
  struct vm_frame *f = s->f;
  if (!vm_frame_from_guest_ok (f))
    return -1;
  struct client *c = f->stream ? &s->c[f->stream] : NULL;
  if (f->stream && !c->used)
    return f->type == VM_EXIT ? 0 : 0; /* a client already gone: drop */
  switch (f->type)
    {
    case VM_BOOTED:
      if (s->state != SV_BOOTING)
        return -1;
      {
        struct error *e = NULL;
        if (send_setup (s, &e) < 0)
          {
            char msg[1024];
            snprintf (msg, sizeof msg, "send the container's setup to the guest: %s", e->msg);
            error_free (&e);
            fail_boot (s, msg);
          }
      }
      s->state = SV_CREATING;
      return 0;
    case VM_OK:
    case VM_ERROR:
      if (s->ctl_client >= 0)
        {
          /* Raw: the client parses it with bounds (vm_ps_reply_parse) and sanitizes. */
          vm_frame_write (s->ctl_client, f->type, 0, f->data, f->len, NULL);
          close (s->ctl_client);
          s->ctl_client = -1;
          return 0;
        }
      vm_sanitize_text (f->data, f->len);
      if (s->state == SV_CREATING)
        {
          if (f->type == VM_ERROR)
            {
              char msg[VM_FRAME_MAX + 2];
              snprintf (msg, sizeof msg, "E%s", f->data);
              stop_qemu (s);
              report (s, msg);
              _exit (1);
            }
          s->state = SV_CREATED;
          report (s, "0");
          return 0;
        }
      if (s->state == SV_STARTING)
        {
          char msg[VM_FRAME_MAX + 2];
          snprintf (msg, sizeof msg, "%s%s", f->type == VM_OK ? "0" : "E", f->type == VM_OK ? "" : f->data);
          vm_write_all (s->fifo, msg, strlen (msg));
          close (s->fifo);
          s->fifo = -1;
          s->state = SV_RUNNING;
          s->stdin_open = !s->tty;
          send_winsize (s);
          return 0;
        }
      return -1;
    case VM_STDOUT:
    case VM_STDERR:
      {
        int fd = c ? (f->type == VM_STDOUT ? c->out : c->errfd)
                   : (f->type == VM_STDOUT ? s->out : s->errfd);
        if (fd >= 0 && f->len)
          vm_write_all (fd, f->data, f->len);
        return 0;
      }
    case VM_EXIT:
      {
        int status = (int) vm_get_u32 (f->data);
        if (c)
          {
            if (c->sock >= 0)
              vm_frame_write (c->sock, VM_EXIT, 0, f->data, 4, NULL);
            client_close (s, f->stream);
            return 0;
          }
        /* The guest powers off now: give qemu a moment, then make sure. */
        for (int i = 0; i < 100 && waitpid (s->qemu, NULL, WNOHANG) == 0; i++)
          usleep (50 * 1000);
        stop_qemu (s);
        exit_like (s, status);
      }
    default:
      return -1;
    }
}

static void
on_signals (struct sv *s)
{
  unsigned char sigs[64];
  ssize_t n = read (s->sigr, sigs, sizeof sigs);
  for (ssize_t i = 0; i < n; i++)
    {
      int sig = sigs[i];
      if (sig == SIGCHLD)
        {
          if (s->waiter > 0 && waitpid (s->waiter, NULL, WNOHANG) == s->waiter)
            s->waiter = 0;
          /* A virtiofsd that died: its share fails in the guest; reap it. */
          for (size_t k = 0; s->vfsd && k < s->a->plan->shares_len; k++)
            if (s->vfsd[k] > 0 && waitpid (s->vfsd[k], NULL, WNOHANG) == s->vfsd[k])
              s->vfsd[k] = 0;
          if (s->qemu > 0 && waitpid (s->qemu, NULL, WNOHANG) == s->qemu)
            {
              s->qemu = 0;
              if (s->state < SV_CREATED)
                fail_boot (s, "qemu exited before the container was created");
              /* The guest died without telling how the container ended. */
              exit_like (s, SIGKILL);
            }
          continue;
        }
      if (sig == SIGWINCH && s->tty)
        {
          send_winsize (s);
          continue;
        }
      if (s->state >= SV_CREATED)
        {
          char b[4];
          vm_put_u32 (b, (uint32_t) sig);
          send_frame (s, VM_SIGNAL, 0, b, 4);
        }
      else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
        fail_boot (s, "interrupted");
    }
}

static void
relay_in (struct sv *s, int fd, uint8_t stream, bool *open)
{
  char buf[VM_FRAME_MAX];
  ssize_t n = read (fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0)
    {
      *open = false;
      send_frame (s, VM_STDIN, stream, NULL, 0);
      return;
    }
  send_frame (s, VM_STDIN, stream, buf, (size_t) n);
}

__attribute__ ((noreturn)) void
vm_supervisor_main (struct vm_supervisor_args *a)
{
  struct sv s = { .a = a, .listen = -1, .fifo_sock = -1, .fifo = -1, .out = 1, .errfd = 2,
                  .ctl_client = -1 };
  struct error *err = NULL;
  int qerr = -1, sp[2];
  char go;

  for (int i = 0; i < VM_STREAMS_MAX; i++)
    s.c[i].sock = s.c[i].in = s.c[i].out = s.c[i].errfd = -1;
  s.f = malloc (sizeof *s.f);
  /* Placed in the container's cgroup by create before we start qemu. */
  if (s.f == NULL || read (a->go_fd, &go, 1) != 1)
    _exit (1);
  close (a->go_fd);
  setsid ();
  s.tty = a->tty_fd >= 0;
  if (s.tty)
    {
      /* The terminal is the container's stdio: create's own (a caller waiting
       * for their EOF) are not kept, as a container init with a pty keeps none. */
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      for (int i = 0; null >= 0 && i < 3; i++)
        dup2 (null, i);
      if (null > 2)
        close (null);
      /* Our controlling terminal: a resize by the master's holder reaches us. */
      ioctl (a->tty_fd, TIOCSCTTY, 0);
      struct termios t;
      if (tcgetattr (a->tty_fd, &t) == 0)
        {
          cfmakeraw (&t);
          tcsetattr (a->tty_fd, TCSANOW, &t);
        }
      s.out = s.errfd = a->tty_fd;
    }
  if (pipe2 (sp, O_CLOEXEC | O_NONBLOCK) < 0)
    _exit (1);
  s.sigr = sp[0];
  vm_signals_to_pipe (sp[1], forwarded, sizeof forwarded / sizeof forwarded[0], NULL);
  signal (SIGPIPE, SIG_IGN);
  if (start_qemu (&s, &qerr, &err) < 0)
    {
      char msg[1024];
      snprintf (msg, sizeof msg, "%s", err->msg);
      fail_boot (&s, msg);
    }

  struct timespec t0;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (;;)
    {
      struct pollfd p[8 + 2 * VM_STREAMS_MAX];
      int owner[8 + 2 * VM_STREAMS_MAX];
      nfds_t n = 0;
#define WATCH(fd_, who_)                                                                   \
  do                                                                                       \
    {                                                                                      \
      p[n] = (struct pollfd) { .fd = (fd_), .events = POLLIN };                            \
      owner[n++] = (who_);                                                                 \
    }                                                                                      \
  while (0)
      WATCH (s.sigr, -1);
      WATCH (a->ctl_fd, -2);
      WATCH (a->con_fd, -3);
      if (qerr >= 0)
        WATCH (qerr, -4);
      if (a->release_fd >= 0)
        WATCH (a->release_fd, -5);
      if (s.fifo_sock >= 0)
        WATCH (s.fifo_sock, -6);
      if (s.listen >= 0)
        WATCH (s.listen, -7);
      if (s.state == SV_RUNNING && s.stdin_open)
        WATCH (0, -8);
      if (s.state == SV_RUNNING && s.tty)
        WATCH (a->tty_fd, -9);
      for (int i = 1; i < VM_STREAMS_MAX; i++)
        if (s.c[i].used)
          {
            if (s.c[i].sock >= 0)
              WATCH (s.c[i].sock, i);
            if (s.c[i].in_open)
              WATCH (s.c[i].in, VM_STREAMS_MAX + i);
          }
#undef WATCH
      int timeout = -1;
      if (s.state < SV_CREATED)
        {
          struct timespec now;
          clock_gettime (CLOCK_MONOTONIC, &now);
          long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
          if (ms >= BOOT_TIMEOUT_MS)
            fail_boot (&s, "the guest did not boot in time");
          timeout = (int) (BOOT_TIMEOUT_MS - ms);
        }
      int r = poll (p, n, timeout);
      if (r < 0 && errno != EINTR)
        _exit (1);
      for (nfds_t i = 0; r > 0 && i < n; i++)
        {
          if (!p[i].revents)
            continue;
          char buf[4096];
          ssize_t got;
          switch (owner[i])
            {
            case -1:
              on_signals (&s);
              break;
            case -2:
              got = vm_frame_read (a->ctl_fd, s.f, &err);
              if (got != 0 || guest_frame (&s) < 0)
                {
                  if (s.state < SV_CREATED)
                    fail_boot (&s, got == 1 ? "the guest closed its control channel"
                                            : "the guest broke the control protocol");
                  stop_qemu (&s);
                  exit_like (&s, SIGKILL);
                }
              break;
            case -3:
            case -4:
              got = read (p[i].fd, buf, sizeof buf);
              if (got > 0)
                tail_add (&s, buf, (size_t) got);
              /* CAPSA_VM_DEBUG=1: the guest's console and qemu's messages on stderr. */
              if (got > 0 && getenv ("CAPSA_VM_DEBUG"))
                vm_write_all (2, buf, (size_t) got);
              else if (owner[i] == -4)
                {
                  close (qerr);
                  qerr = -1;
                }
              break;
            case -5:
              got = read (a->release_fd, buf, 1);
              if (got == 1 && buf[0] == 'R')
                {
                  /* Recorded: we outlive create from now on. */
                  prctl (PR_SET_PDEATHSIG, 0);
                  s.released = true;
                  close (a->release_fd);
                  a->release_fd = -1;
                  if (start_fifo_waiter (&s, &err) < 0 || listen_socket (&s, &err) < 0)
                    {
                      stop_qemu (&s);
                      exit_like (&s, SIGKILL);
                    }
                }
              else
                {
                  /* create died before recording the container: nothing may remain. */
                  stop_qemu (&s);
                  _exit (1);
                }
              break;
            case -6:
              s.fifo = terminal_recv_fd (s.fifo_sock, &err);
              close (s.fifo_sock);
              s.fifo_sock = -1;
              error_free (&err);
              if (s.fifo >= 0 && s.state == SV_CREATED)
                {
                  s.state = SV_STARTING;
                  send_frame (&s, VM_START, 0, NULL, 0);
                }
              break;
            case -7:
              client_accept (&s);
              break;
            case -8:
              relay_in (&s, 0, 0, &s.stdin_open);
              break;
            case -9:
              {
                bool open = true;
                relay_in (&s, a->tty_fd, 0, &open);
                if (!open)
                  s.tty = false; /* the master's holder hung up */
              }
              break;
            default:
              if (owner[i] < VM_STREAMS_MAX)
                client_message (&s, owner[i]);
              else
                relay_in (&s, s.c[owner[i] - VM_STREAMS_MAX].in, (uint8_t) (owner[i] - VM_STREAMS_MAX),
                          &s.c[owner[i] - VM_STREAMS_MAX].in_open);
              break;
            }
          error_free (&err);
        }
    }
}
