/* criu as a child process: build the argv, exec, and turn a failure into a
 * message with criu's own reason (the last "Error" lines of its log). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu.h"
#include "spec/util/cleanup.h"

void
criu_cmd_add (struct criu_cmd *c, const char *fmt, ...)
{
  if (c->oom)
    return;
  if (c->n + 2 > c->cap)
    {
      size_t cap = c->cap ? c->cap * 2 : 32;
      char **v = realloc (c->argv, cap * sizeof *v);
      if (v == NULL)
        {
          c->oom = true;
          return;
        }
      c->argv = v;
      c->cap = cap;
    }
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&c->argv[c->n], fmt, ap);
  va_end (ap);
  if (r < 0)
    {
      c->oom = true;
      return;
    }
  c->argv[++c->n] = NULL;
}

void
criu_cmd_free (struct criu_cmd *c)
{
  for (size_t i = 0; i < c->n; i++)
    free (c->argv[i]);
  free (c->argv);
  memset (c, 0, sizeof *c);
}

/* Run argv with stdout (and stderr when with_stderr) into a buffer; exit
 * status in *status. */
static char *
capture (char *const argv[], bool with_stderr, int *status)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return NULL;
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return NULL;
    }
  if (pid == 0)
    {
      dup2 (p[1], STDOUT_FILENO);
      int null = with_stderr ? -1 : open ("/dev/null", O_WRONLY | O_CLOEXEC);
      dup2 (with_stderr ? p[1] : null, STDERR_FILENO);
      execvp (argv[0], argv);
      _exit (127);
    }
  close (p[1]);
  /* Keep the first 4 KiB and drain the rest: a full pipe or a closed one
   * would change how criu exits, and its status is the answer. */
  char buf[4096], rest[512];
  size_t len = 0;
  ssize_t r;
  while ((r = len + 1 < sizeof buf ? read (p[0], buf + len, sizeof buf - 1 - len)
                                   : read (p[0], rest, sizeof rest)) > 0
         || (r < 0 && errno == EINTR))
    if (r > 0 && len + 1 < sizeof buf)
      len += r;
  buf[len] = '\0';
  close (p[0]);
  while (waitpid (pid, status, 0) < 0 && errno == EINTR)
    ;
  return strdup (buf);
}

char *
criu_version (const char *criu)
{
  char *const argv[] = { (char *) criu, (char *) "--version", NULL };
  int st;
  _cleanup_free_ char *out = capture (argv, false, &st);
  if (out == NULL || !WIFEXITED (st) || WEXITSTATUS (st) != 0)
    return NULL;
  /* "Version: 3.17.1\n" (and "GitID: ..." on builds from git) */
  char *v = strstr (out, "Version:");
  if (v == NULL)
    return NULL;
  v += strlen ("Version:");
  v += strspn (v, " \t");
  return strndup (v, strcspn (v, " \t\n"));
}

char *
criu_check_reason (const char *output, int status)
{
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return NULL;
  /* The first two "Error (file:line): msg" lines: the cause comes first, the
   * lines after it only say that kerndat or the check gave up. */
  char *out = NULL;
  size_t olen = 0;
  FILE *m = open_memstream (&out, &olen);
  if (m == NULL)
    return NULL;
  int n = 0;
  for (const char *l = output ? output : ""; *l && n < 2; l += l[0] == '\n')
    {
      size_t len = strcspn (l, "\n");
      const char *end = l + len, *e = memmem (l, len, "Error (", 7);
      if (e != NULL)
        {
          const char *msg = memmem (e, end - e, "): ", 3);
          msg = msg ? msg + 3 : e;
          fprintf (m, "%s%.*s", n++ ? "; " : "", (int) (end - msg), msg);
        }
      l = end;
    }
  if (n == 0)
    {
      /* no Error line (criu's own wording varies): its first line, or the status */
      size_t len = output ? strcspn (output, "\n") : 0;
      if (len > 0)
        fprintf (m, "%.*s", (int) len, output);
      else if (WIFEXITED (status))
        fprintf (m, "exit status %d", WEXITSTATUS (status));
      else
        fprintf (m, "signal %d", WTERMSIG (status));
    }
  fclose (m);
  return out;
}

int
criu_probe (const char *criu, struct criu_probe *p)
{
  memset (p, 0, sizeof *p);
  p->version = criu_version (criu);
  if (p->version == NULL)
    return -1;
  char *const argv[] = { (char *) criu, (char *) "check", NULL };
  int st = 0;
  _cleanup_free_ char *out = capture (argv, true, &st);
  if (out == NULL)
    p->check_failure = strdup ("cannot run criu check");
  else
    p->check_failure = criu_check_reason (out, st);
  return 0;
}

void
criu_probe_clear (struct criu_probe *p)
{
  free (p->version);
  free (p->check_failure);
  memset (p, 0, sizeof *p);
}

/* The last (up to 3) "Error (" lines of the log joined by "; ", without their
 * timestamps: criu's own reason. NULL when there is none. */
static char *
log_errors (const char *log_path)
{
  _cleanup_fclose_ FILE *f = fopen (log_path, "re");
  if (f == NULL)
    return NULL;
  char *last[3] = { NULL, NULL, NULL };
  size_t k = 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline (&line, &cap, f)) > 0)
    {
      char *e = strstr (line, "Error (");
      if (e == NULL)
        continue;
      line[strcspn (line, "\n")] = '\0';
      free (last[k % 3]);
      last[k % 3] = strdup (e);
      k++;
    }
  free (line);
  char *out = NULL;
  size_t olen = 0;
  FILE *m = open_memstream (&out, &olen);
  bool first = true;
  for (size_t i = k > 3 ? k - 3 : 0; i < k; i++)
    {
      if (m && last[i % 3])
        fprintf (m, "%s%s", first ? "" : "; ", last[i % 3]);
      first = false;
      free (last[i % 3]);
    }
  if (m)
    fclose (m);
  if (out && out[0] == '\0')
    {
      free (out);
      out = NULL;
    }
  return out;
}

static void __attribute__ ((noreturn))
child_exec (const char *criu, char **argv, const struct criu_mntns *mntns, const int *keep,
            size_t nkeep)
{
  for (size_t i = 0; i < nkeep; i++)
    if (keep[i] >= 0)
      {
        int fl = fcntl (keep[i], F_GETFD);
        if (fl >= 0)
          fcntl (keep[i], F_SETFD, fl & ~FD_CLOEXEC);
      }
  if (mntns)
    {
      /* Slave, not private: mounts made on the host meanwhile still show. */
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0
          || mount (mntns->rootfs, mntns->root, NULL, MS_BIND | MS_REC, NULL) < 0)
        {
          dprintf (STDERR_FILENO, "criu: prepare the restore root \"%s\": %s\n", mntns->root,
                   strerror (errno));
          _exit (126);
        }
      if (mntns->devpts_fd >= 0
          && move_mount (mntns->devpts_fd, "", AT_FDCWD, mntns->devpts_at,
                         MOVE_MOUNT_F_EMPTY_PATH) < 0)
        {
          dprintf (STDERR_FILENO, "criu: attach the terminal's devpts at \"%s\": %s\n",
                   mntns->devpts_at, strerror (errno));
          _exit (126);
        }
    }
  execvp (criu, argv);
  dprintf (STDERR_FILENO, "exec \"%s\": %s\n", criu, strerror (errno));
  _exit (errno == ENOENT ? 127 : 126);
}

int
criu_run (const char *criu, struct criu_cmd *args, const struct criu_mntns *mntns,
          const int *keep_fds, size_t nkeep, const char *log_path, const char *what,
          struct error **err)
{
  if (args->oom || args->n == 0)
    return error_set (err, ENOMEM, "criu %s: build the command line", what);
  fflush (NULL);
  pid_t pid = fork ();
  if (pid < 0)
    return error_set (err, errno, "criu %s: fork", what);
  if (pid == 0)
    child_exec (criu, args->argv, mntns, keep_fds, nkeep);
  int st;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return error_set (err, errno, "criu %s: wait", what);
  if (WIFEXITED (st) && WEXITSTATUS (st) == 0)
    return 0;
  if (WIFEXITED (st) && WEXITSTATUS (st) == 127)
    return error_set (err, 0, "criu %s: cannot run \"%s\" (is criu installed? "
                      "Debian: apt-get install criu)", what, criu);
  _cleanup_free_ char *version = criu_version (criu);
  _cleanup_free_ char *reason = log_errors (log_path);
  char status[32];
  if (WIFEXITED (st))
    snprintf (status, sizeof status, "exit status %d", WEXITSTATUS (st));
  else
    snprintf (status, sizeof status, "signal %d", WTERMSIG (st));
  return error_set (err, 0, "criu %s failed (criu %s, %s): %s (log: %s)", what,
                    version ? version : "of unknown version", status,
                    reason ? reason : "no error in its log", log_path);
}
