/* OCI hooks: each runs as a child with the state JSON on stdin; its stdout and
 * stderr are captured (the tail goes into the error, as runc reports them) and
 * a timeout kills it through a pidfd. Which hooks may fail without failing the
 * operation (spec 1.3) is the caller's decision. */
#define _GNU_SOURCE
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "spec/util/clock.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

/* Bytes of each captured stream kept for the error message. */
#define HOOK_TAIL 2048

struct tail
{
  size_t len;
  char data[HOOK_TAIL];
};

static void
tail_add (struct tail *t, const char *p, size_t n)
{
  if (n >= sizeof t->data)
    {
      memcpy (t->data, p + n - sizeof t->data, sizeof t->data);
      t->len = sizeof t->data;
      return;
    }
  if (t->len + n > sizeof t->data)
    {
      size_t drop = t->len + n - sizeof t->data;
      memmove (t->data, t->data + drop, t->len - drop);
      t->len -= drop;
    }
  memcpy (t->data + t->len, p, n);
  t->len += n;
}

/* Read what is available; false once the stream is at EOF or failed. */
static bool
tail_read (struct tail *t, int fd)
{
  char buf[4096];
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);
      if (n > 0)
        {
          tail_add (t, buf, (size_t) n);
          continue;
        }
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
      return false;
    }
}

/* The stream's tail as one trimmed line-ish string (in a static-free buffer). */
static void
tail_text (const struct tail *t, char *out, size_t size)
{
  size_t n = t->len < size - 1 ? t->len : size - 1;
  memcpy (out, t->data + t->len - n, n);
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
    n--;
  out[n] = '\0';
}

/* stdin for the hook: the whole state already written, so the hook may read it
 * or not and we never block or get SIGPIPE. A pipe when it fits, else a memfd. */
static int
make_stdin (const char *data, size_t len, struct error **err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return error_set (err, errno, "pipe for the hook state");
  if (len <= 65536 || fcntl (p[1], F_SETPIPE_SZ, (int) len) >= (int) len)
    {
      const char *s = data;
      size_t left = len;
      while (left > 0)
        {
          ssize_t n = write (p[1], s, left);
          if (n < 0)
            {
              int e = errno;
              close (p[0]);
              close (p[1]);
              return error_set (err, e, "write the hook state");
            }
          s += n;
          left -= (size_t) n;
        }
      close (p[1]);
      return p[0];
    }
  close (p[0]);
  close (p[1]);
  _cleanup_close_ int fd = memfd_create ("capsa-hook-state", MFD_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "memfd for the hook state");
  if (write (fd, data, len) != (ssize_t) len || lseek (fd, 0, SEEK_SET) < 0)
    return error_set (err, errno, "write the hook state");
  return steal_fd (&fd);
}

/* dup2, except that an fd already in place must lose its close-on-exec. */
static int
move_fd (int from, int to)
{
  if (from != to)
    return dup2 (from, to);
  int fl = fcntl (from, F_GETFD);
  return fl < 0 ? -1 : fcntl (from, F_SETFD, fl & ~FD_CLOEXEC);
}

/* What the child failed at, sent with errno on errpipe. */
enum hook_step
{
  HOOK_STEP_EXEC,
  HOOK_STEP_CHDIR,
  HOOK_STEP_PDEATHSIG,
};

/* The child: dies with its parent, stdio in place, default signal state, working
 * directory, exec. A failure is reported as {step, errno} on errpipe. */
static void __attribute__ ((noreturn))
hook_child (const struct spec_hook *h, const char *cwd, int in, int out, int errfd, int errpipe,
            pid_t parent)
{
  int step = HOOK_STEP_PDEATHSIG;
  /* A capsa killed while it waits for the hook takes the hook along (issue 12: no
   * orphan). The signal survives the hook's execve (no set-id binary runs here with
   * a credential change); getppid() closes the window of a parent that died before
   * the prctl (the hook would have been adopted, and never signalled). */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0)
    goto fail;
  if (getppid () != parent)
    _exit (127);
  step = HOOK_STEP_EXEC;
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  if (move_fd (in, 0) < 0 || move_fd (out, 1) < 0 || move_fd (errfd, 2) < 0)
    goto fail;
  if (cwd && chdir (cwd) < 0)
    {
      step = HOOK_STEP_CHDIR;
      goto fail;
    }

  char *default_argv[] = { h->path, NULL };
  char **argv = default_argv;
  if (h->args_len > 0)
    {
      argv = calloc (h->args_len + 1, sizeof *argv);
      if (argv == NULL)
        goto fail;
      memcpy (argv, h->args, h->args_len * sizeof *argv);
    }
  /* env absent -> the runtime's environment, as runc's exec.Cmd does: the
   * caller's for the hooks run on the host; none for createContainer and
   * startContainer hooks, run from the init, which wiped it (child_guard.c). */
  static char *no_env[] = { NULL };
  char **envp = environ ? environ : no_env;
  if (h->env_len > 0)
    {
      envp = calloc (h->env_len + 1, sizeof *envp);
      if (envp == NULL)
        goto fail;
      memcpy (envp, h->env, h->env_len * sizeof *envp);
    }
  execve (h->path, argv, envp);
fail:;
  int msg[2] = { step, errno };
  if (write (errpipe, msg, sizeof msg) < 0)
    _exit (127);
  _exit (127);
}

static int
run_one (const struct spec_hook *h, const char *cwd, const char *label, const char *state,
         size_t state_len, struct error **err)
{
  _cleanup_close_ int in = make_stdin (state, state_len, err);
  if (in < 0)
    return error_wrap (err, "%s", label);
  int outp[2], errp[2], execp[2];
  if (pipe2 (outp, O_CLOEXEC) < 0)
    return error_set (err, errno, "%s: pipe", label);
  _cleanup_close_ int out_r = outp[0], out_w = outp[1];
  if (pipe2 (errp, O_CLOEXEC) < 0)
    return error_set (err, errno, "%s: pipe", label);
  _cleanup_close_ int err_r = errp[0], err_w = errp[1];
  if (pipe2 (execp, O_CLOEXEC) < 0)
    return error_set (err, errno, "%s: pipe", label);
  _cleanup_close_ int exec_r = execp[0], exec_w = execp[1];

  pid_t parent = getpid ();
  pid_t pid = fork ();
  if (pid < 0)
    return error_set (err, errno, "%s: fork", label);
  if (pid == 0)
    hook_child (h, cwd, in, out_w, err_w, exec_w, parent);

  close (steal_fd (&out_w));
  close (steal_fd (&err_w));
  close (steal_fd (&exec_w));
  fcntl (out_r, F_SETFL, O_NONBLOCK);
  fcntl (err_r, F_SETFL, O_NONBLOCK);

  int failed[2];
  ssize_t en;
  do
    en = read (exec_r, failed, sizeof failed);
  while (en < 0 && errno == EINTR);
  if (en == (ssize_t) sizeof failed)
    {
      waitpid (pid, NULL, 0);
      if (failed[0] == HOOK_STEP_CHDIR)
        return error_set (err, failed[1], "%s: chdir \"%s\"", label, cwd);
      if (failed[0] == HOOK_STEP_PDEATHSIG)
        return error_set (err, failed[1], "%s: prctl(PR_SET_PDEATHSIG)", label);
      return error_set (err, failed[1], "%s: exec", label);
    }

  _cleanup_close_ int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  long long deadline = h->has_timeout ? clock_monotonic_ms () + (long long) h->timeout * 1000 : -1;
  struct tail out_tail = { 0 }, err_tail = { 0 };
  bool out_open = true, err_open = true, exited = false, timed_out = false;
  int status = 0;

  while (!exited)
    {
      struct pollfd pfd[3];
      int n = 0, i_pid = -1, i_out = -1, i_err = -1;
      if (pidfd >= 0)
        {
          i_pid = n;
          pfd[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
        }
      if (out_open)
        {
          i_out = n;
          pfd[n++] = (struct pollfd){ .fd = out_r, .events = POLLIN };
        }
      if (err_open)
        {
          i_err = n;
          pfd[n++] = (struct pollfd){ .fd = err_r, .events = POLLIN };
        }
      int wait_ms = -1;
      if (deadline >= 0)
        {
          long long left = deadline - clock_monotonic_ms ();
          wait_ms = left > 0 ? (int) left : 0;
        }
      /* Without a pidfd (kernel < 5.3), look at the child every 20 ms. */
      if (pidfd < 0 && (wait_ms < 0 || wait_ms > 20))
        wait_ms = 20;
      int r = poll (pfd, n, wait_ms);
      if (r < 0 && errno != EINTR)
        {
          int e = errno;
          kill (pid, SIGKILL);
          waitpid (pid, NULL, 0);
          return error_set (err, e, "%s: poll", label);
        }
      if (r > 0)
        {
          if (i_out >= 0 && pfd[i_out].revents)
            out_open = tail_read (&out_tail, out_r);
          if (i_err >= 0 && pfd[i_err].revents)
            err_open = tail_read (&err_tail, err_r);
        }
      if (i_pid < 0 || (r > 0 && pfd[i_pid].revents))
        {
          pid_t w = waitpid (pid, &status, i_pid < 0 ? WNOHANG : 0);
          if (w == pid)
            exited = true;
          else if (w < 0 && errno == ECHILD)
            exited = true; /* SIGCHLD ignored by the caller: reaped, status lost */
        }
      if (!exited && deadline >= 0 && clock_monotonic_ms () >= deadline)
        {
          if (pidfd >= 0)
            syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
          else
            kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          exited = timed_out = true;
        }
    }
  /* What the hook wrote before exiting; a background child of the hook that
   * keeps the pipes open must not hold us, so no waiting for EOF. */
  if (out_open)
    tail_read (&out_tail, out_r);
  if (err_open)
    tail_read (&err_tail, err_r);

  if (timed_out)
    return error_set (err, 0, "%s: timed out after %ds", label, h->timeout);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;

  char reason[64], out_text[HOOK_TAIL + 1], err_text[HOOK_TAIL + 1];
  if (WIFEXITED (status))
    snprintf (reason, sizeof reason, "exit status %d", WEXITSTATUS (status));
  else if (WIFSIGNALED (status))
    snprintf (reason, sizeof reason, "killed by signal %d (%s)", WTERMSIG (status),
              strsignal (WTERMSIG (status)));
  else
    snprintf (reason, sizeof reason, "wait status %#x", status);
  tail_text (&out_tail, out_text, sizeof out_text);
  tail_text (&err_tail, err_text, sizeof err_text);
  return error_set (err, 0, "%s: %s%s%s%s%s", label, reason, out_text[0] ? ", stdout: " : "",
                    out_text, err_text[0] ? ", stderr: " : "", err_text);
}

int
hooks_run (const struct spec_config *c, enum spec_hook_kind kind, const struct spec_state *st,
           struct error **err)
{
  if (c == NULL || kind < 0 || kind >= HOOK_KIND_COUNT || c->hooks.len[kind] == 0)
    return 0;
  if (st == NULL)
    return error_set (err, 0, "%s hooks: no container state to pass", spec_hook_kind_name (kind));
  _cleanup_free_ char *state = NULL;
  if (spec_state_hook_json (st, &state, err) < 0)
    return error_wrap (err, "%s hooks: state", spec_hook_kind_name (kind));
  size_t state_len = strlen (state);
  /* createContainer hooks run from the init, whose working directory is the
   * bundle (relative bind sources); runc's init works from the rootfs, and hooks
   * written for it look there (root.path is relative to the bundle). */
  const char *cwd = kind == HOOK_CREATE_CONTAINER ? c->root_path : NULL;

  for (size_t i = 0; i < c->hooks.len[kind]; i++)
    {
      const struct spec_hook *h = &c->hooks.list[kind][i];
      char label[512];
      snprintf (label, sizeof label, "%s hook #%zu (%s)", spec_hook_kind_name (kind), i,
                h->path ? h->path : "");
      struct error *e = NULL;
      int r = (h->path == NULL || h->path[0] != '/')
                  ? error_set (&e, 0, "%s: path must be absolute", label)
                  : run_one (h, cwd, label, state, state_len, &e);
      if (r < 0)
        {
          /* Spec: a failing poststop hook is a warning; the remaining hooks and
           * the lifecycle go on as if it had succeeded. */
          if (kind != HOOK_POSTSTOP)
            return error_propagate (err, &e);
          log_warn ("%s", e ? e->msg : "poststop hook failed");
          error_free (&e);
        }
    }
  return 0;
}
