/* `capsa exec` in a VM container: the exec's options travel to the guest, where
 * the same lc_exec runs them; its stdio (or a host pty's slave) goes to the
 * supervisor with the request, which relays it; we forward our signals and wait
 * for the exit status (in a process of our own with --detach).
 *
 * VM_EXEC payload: one flag byte ('t' terminal, '-' none), then "key\0value\0"
 * pairs: arg, env, gid, cap (repeatable), process (the process.json text), cwd,
 * user, apparmor, label, tty ("0"/"1", when --tty was given), nnp. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container_ops.h"
#include "control_protocol.h"
#include "spec/util/cleanup.h"
#include "terminal.h"
#include "util/fs.h"
#include "vm_internal.h"

struct buf
{
  char data[VM_FRAME_MAX];
  size_t len;
  bool overflow;
};

static void
put (struct buf *b, const char *key, const char *value, size_t vlen)
{
  size_t k = strlen (key) + 1;
  if (b->len + k + vlen + 1 > sizeof b->data)
    {
      b->overflow = true;
      return;
    }
  memcpy (b->data + b->len, key, k);
  memcpy (b->data + b->len + k, value, vlen);
  b->data[b->len + k + vlen] = '\0';
  b->len += k + vlen + 1;
}

static void
put_str (struct buf *b, const char *key, const char *value)
{
  if (value)
    put (b, key, value, strlen (value));
}

static void
put_strv (struct buf *b, const char *key, char **v)
{
  for (; v && *v; v++)
    put_str (b, key, *v);
}

/* Whether the exec gets a terminal: --tty, else its process.json, else the
 * container's process. */
static int
exec_terminal (int dirfd, const struct lc_exec_opts *o, const char *process, size_t plen,
               bool *tty, struct error **err)
{
  if (o->tty_set)
    {
      *tty = o->tty;
      return 0;
    }
  struct spec_process *p = NULL;
  struct spec_config *c = NULL;
  if (process)
    p = spec_process_parse_data (process, plen, "process.json", err);
  else
    {
      _cleanup_free_ char *data = NULL;
      size_t len;
      if (fs_read_file_at (dirfd, "config.json", &data, &len, err) < 0)
        return -1;
      c = spec_config_parse_data (data, len, "config.json", err);
      p = c ? c->process : NULL;
      if (c && p == NULL)
        {
          spec_config_free (c);
          *tty = false;
          return 0;
        }
    }
  if (p == NULL)
    return -1;
  *tty = p->terminal;
  /* spec_process has no free of its own: a parsed one goes with a config. */
  if (c == NULL && (c = calloc (1, sizeof *c)) != NULL)
    c->process = p;
  spec_config_free (c);
  return 0;
}


static int
send_request (int sock, const struct buf *b, const int fds[3], struct error **err)
{
  char hdr[VM_FRAME_HDR] = { 0 };
  hdr[0] = VM_EXEC;
  vm_put_u32 (hdr + 4, (uint32_t) b->len);
  struct iovec iov[2] = { { hdr, sizeof hdr }, { (void *) b->data, b->len } };
  union
  {
    char b[CMSG_SPACE (sizeof (int) * 3)];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = ctl.b,
                        .msg_controllen = sizeof ctl.b };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int) * 3);
  memcpy (CMSG_DATA (c), fds, sizeof (int) * 3);
  if (sendmsg (sock, &msg, MSG_NOSIGNAL) < 0)
    return error_set (err, errno, "send the exec request to the VM supervisor");
  return 0;
}

int
vm_exec (int dirfd, const char *id, const struct lc_exec_opts *o, int *exit_status,
         struct error **err)
{
  _cleanup_free_ char *process = NULL;
  _cleanup_free_ struct buf *b = calloc (1, sizeof *b);
  _cleanup_close_ int sock = -1, master = -1, slave = -1, console = -1;
  size_t plen = 0;
  bool tty;
  int ret = -1, sp[2] = { -1, -1 };

  if (b == NULL)
    return error_set (err, ENOMEM, "exec");
  if (o->preserve_fds > 0)
    return error_set (err, 0, "exec --preserve-fds: file descriptors cannot be passed into a VM");
  if (o->cgroups && o->cgroups[0])
    return error_set (err, 0, "exec --cgroup: not supported in a VM container");
  if (o->process_path && fs_read_file (o->process_path, &process, &plen, err) < 0)
    return -1;
  if (exec_terminal (dirfd, o, process, plen, &tty, err) < 0)
    return -1;
  b->data[b->len++] = tty ? 't' : '-';
  if (process)
    put (b, "process", process, plen);
  put_strv (b, "arg", o->args);
  put_strv (b, "env", o->env);
  put_strv (b, "gid", o->additional_gids);
  put_strv (b, "cap", o->caps);
  put_str (b, "cwd", o->cwd);
  put_str (b, "user", o->user);
  put_str (b, "apparmor", o->apparmor);
  put_str (b, "label", o->process_label);
  if (o->tty_set)
    put_str (b, "tty", o->tty ? "1" : "0");
  if (o->no_new_privs)
    put_str (b, "nnp", "1");
  if (b->overflow)
    return error_set (err, E2BIG, "exec: the request is larger than %d bytes", VM_FRAME_MAX);

  if (tty && o->detach && o->console_socket == NULL)
    return error_set (err, 0, "cannot allocate tty if capsa will detach without setting console "
                              "socket");
  if (tty)
    {
      if (o->console_socket == NULL
          && terminal_host_check ("exec --tty", "run it from a terminal, or without --tty", err) < 0)
        return -1;
      master = terminal_new_pty (-1, 0, 0, &slave, err);
      if (master < 0)
        return error_wrap (err, "a pty for exec --tty");
      struct termios t;
      if (tcgetattr (slave, &t) == 0)
        {
          cfmakeraw (&t);
          tcsetattr (slave, TCSANOW, &t);
        }
      if (o->console_socket)
        {
          if ((console = terminal_connect_socket (o->console_socket, err)) < 0
              || terminal_send_fd (console, master, "/dev/ptmx", err) < 0)
            return -1;
          close (master);
          master = -1;
        }
    }

  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dirfd, VM_SOCKET_NAME);
  sock = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0 || connect (sock, (struct sockaddr *) &sa, sizeof sa) < 0)
    return error_set (err, errno, "connect to the VM supervisor of %s", id);
  int fds[3] = { 0, 1, 2 };
  if (tty)
    fds[0] = fds[1] = fds[2] = slave;
  if (send_request (sock, b, fds, err) < 0)
    return -1;
  if (slave >= 0)
    {
      close (slave);
      slave = -1;
    }
  bool detached = false;
  if (o->detach)
    {
      /* A host process stands for the exec: its pid goes to --pid-file and its
       * exit status is the exec's, for the caller (conmon) that waits for it. */
      pid_t child = fork ();
      if (child < 0)
        return error_set (err, errno, "fork");
      if (child > 0)
        return o->pid_file ? write_pid_file (o->pid_file, child, err) : 0;
      detached = true;
      setsid ();
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      for (int i = 0; null >= 0 && i < 3; i++)
        dup2 (null, i);
    }
  else if (o->pid_file && write_pid_file (o->pid_file, getpid (), err) < 0)
    return -1;

  /* Our signals go to the exec's process, as a foreground exec's do. */
  static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
  if (pipe2 (sp, O_CLOEXEC | O_NONBLOCK) < 0)
    return error_set (err, errno, "pipe");
  struct sigaction old[sizeof sigs / sizeof sigs[0]];
  vm_signals_to_pipe (sp[1], sigs, sizeof sigs / sizeof sigs[0], old);

  struct vm_frame *f = malloc (sizeof *f);
  bool raw = false;
  struct termios saved;
  if (master >= 0 && isatty (0) && tcgetattr (0, &saved) == 0)
    {
      struct termios t = saved;
      cfmakeraw (&t);
      raw = tcsetattr (0, TCSANOW, &t) == 0;
    }
  bool in_open = master >= 0;
  while (f)
    {
      struct pollfd p[4] = { { .fd = sock, .events = POLLIN }, { .fd = sp[0], .events = POLLIN },
                             { .fd = master, .events = POLLIN },
                             { .fd = in_open ? 0 : -1, .events = POLLIN } };
      if (poll (p, 4, -1) < 0 && errno != EINTR)
        break;
      if (p[1].revents)
        {
          unsigned char s[16];
          char frame[VM_FRAME_HDR + 4] = { VM_SIGNAL };
          ssize_t n = read (sp[0], s, sizeof s);
          vm_put_u32 (frame + 4, 4);
          for (ssize_t i = 0; i < n; i++)
            {
              vm_put_u32 (frame + VM_FRAME_HDR, s[i]);
              send (sock, frame, sizeof frame, MSG_NOSIGNAL);
            }
        }
      if (master >= 0 && p[2].revents)
        {
          char buf[4096];
          ssize_t n = read (master, buf, sizeof buf);
          if (n > 0)
            vm_write_all (1, buf, (size_t) n);
        }
      if (in_open && p[3].revents)
        {
          char buf[4096];
          ssize_t n = read (0, buf, sizeof buf);
          if (n <= 0)
            in_open = false;
          else
            vm_write_all (master, buf, (size_t) n);
        }
      if (p[0].revents)
        {
          char msg[VM_FRAME_HDR + VM_FRAME_MAX];
          ssize_t n = recv (sock, msg, sizeof msg, 0);
          struct error *e = NULL;
          if (n <= 0 || vm_frame_parse (msg, (size_t) n, f, &e) < 0)
            {
              error_free (&e);
              error_set (err, EPIPE, "exec: the VM supervisor hung up (the container stopped?)");
              break;
            }
          if (f->type == VM_ERROR)
            {
              vm_sanitize_text (f->data, f->len);
              error_set (err, 0, "exec: %s", f->data);
              break;
            }
          if (f->type == VM_EXIT && f->len == 4)
            {
              int st = (int) vm_get_u32 (f->data);
              *exit_status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
              ret = 0;
              /* What the pty still holds. */
              for (int i = 0; master >= 0 && i < 50; i++)
                {
                  char buf[4096];
                  struct pollfd q = { .fd = master, .events = POLLIN };
                  if (poll (&q, 1, 20) <= 0)
                    break;
                  ssize_t r = read (master, buf, sizeof buf);
                  if (r <= 0)
                    break;
                  vm_write_all (1, buf, (size_t) r);
                }
              break;
            }
        }
    }
  if (raw)
    tcsetattr (0, TCSANOW, &saved);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaction (sigs[i], &old[i], NULL);
  close (sp[0]);
  close (sp[1]);
  free (f);
  if (detached)
    _exit (ret < 0 ? 255 : *exit_status);
  return ret;
}
