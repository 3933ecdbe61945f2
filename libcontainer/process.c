/* Process attributes: rlimits and oom_score_adj (parent side), executable
 * lookup, user and groups, cwd, umask, personality and the fd sweep before
 * execve. Scheduling and NUMA placement live in process_sched.c. */
#define _GNU_SOURCE
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "util/fs.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_STACK", RLIMIT_STACK },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

int
process_rlimit_from_name (const char *name)
{
  for (size_t i = 0; name && i < ARRAY_SIZE (rlimit_names); i++)
    if (strcmp (rlimit_names[i].name, name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

/* JSON uint64 max (18446744073709551615) means unlimited, which is exactly
 * RLIM_INFINITY on Linux, so the values pass through unchanged. */
static int
apply_rlimits (const struct spec_process *p, pid_t pid, struct error **err)
{
  for (size_t i = 0; i < p->rlimits_len; i++)
    {
      const struct spec_rlimit *r = &p->rlimits[i];
      int res = process_rlimit_from_name (r->type);
      if (res < 0)
        return error_set (err, 0, "process.rlimits[%zu].type: unknown rlimit \"%s\"", i,
                          r->type ? r->type : "");
      struct rlimit lim = { .rlim_cur = r->soft, .rlim_max = r->hard };
      if (prlimit (pid, res, &lim, NULL) < 0)
        return error_set (err, errno, "process.rlimits[%zu]: setrlimit %s", i, r->type);
    }
  return 0;
}

static int
write_oom_score_adj (pid_t pid, int value, struct error **err)
{
  char path[64], buf[32];
  snprintf (path, sizeof path, "/proc/%d/oom_score_adj", (int) pid);
  int len = snprintf (buf, sizeof buf, "%d", value);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "process.oomScoreAdj: open %s", path);
  if (write (fd, buf, len) != len)
    return error_set (err, errno, "process.oomScoreAdj: write %d to %s", value, path);
  return 0;
}

int
process_apply_parent_side (const struct spec_process *p, pid_t pid, struct error **err)
{
  if (p == NULL)
    return 0;
  if (apply_rlimits (p, pid, err) < 0)
    return -1;
  if (p->has_oom_score_adj && write_oom_score_adj (pid, p->oom_score_adj, err) < 0)
    return -1;
  return 0;
}

/* ---- executable lookup ---- */

static const char *
env_lookup (char **env, size_t len, const char *name)
{
  size_t n = strlen (name);
  const char *found = NULL;
  /* The last assignment wins, as for a shell that exports the list in order. */
  for (size_t i = 0; i < len; i++)
    if (env[i] && strncmp (env[i], name, n) == 0 && env[i][n] == '=')
      found = env[i] + n + 1;
  return found;
}

/* HOME of uid in the container's /etc/passwd (our root by now), "/" when absent. */
static char *
passwd_home (uid_t uid)
{
  char line[1024];
  char *home = NULL;
  FILE *f = fopen ("/etc/passwd", "re");
  while (f && home == NULL && fgets (line, sizeof line, f))
    {
      char *field[7] = { 0 }, *cur = line;
      line[strcspn (line, "\n")] = '\0';
      for (int i = 0; i < 7; i++)
        {
          field[i] = cur;
          cur = strchr (cur, ':');
          if (cur == NULL)
            break;
          *cur++ = '\0';
        }
      if (field[5] && field[2][0] && strtoul (field[2], NULL, 10) == uid && field[5][0])
        home = strdup (field[5]);
    }
  if (f)
    fclose (f);
  return home ? home : strdup ("/");
}

char **
process_env_with_home (const struct spec_process *p)
{
  if (env_lookup (p->env, p->env_len, "HOME"))
    return NULL;
  _cleanup_free_ char *home = passwd_home (p->user.uid);
  char **env = calloc (p->env_len + 2, sizeof *env);
  if (env == NULL || home == NULL)
    {
      free (env);
      return NULL;
    }
  for (size_t i = 0; i < p->env_len; i++)
    env[i] = p->env[i];
  if (asprintf (&env[p->env_len], "HOME=%s", home) < 0)
    {
      free (env);
      return NULL;
    }
  return env;
}

/* 0 when path is a regular file with an execute bit we may use; else -1 and errno. */
static int
check_executable (const char *path)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return -1;
  if (S_ISDIR (st.st_mode))
    {
      errno = EISDIR;
      return -1;
    }
  if (!S_ISREG (st.st_mode) || (st.st_mode & 0111) == 0)
    {
      errno = EACCES;
      return -1;
    }
  if (access (path, X_OK) < 0)
    return -1;
  return 0;
}

char *
process_resolve_exec (const struct spec_process *p, struct error **err)
{
  if (p == NULL || p->args_len == 0 || p->args[0] == NULL || p->args[0][0] == '\0')
    {
      error_set (err, 0, "process.args: must name the executable to run");
      return NULL;
    }
  const char *name = p->args[0];

  if (strchr (name, '/'))
    {
      _cleanup_free_ char *path = NULL;
      /* A relative path is relative to process.cwd, where the process will run. */
      if (name[0] == '/')
        path = strdup (name);
      else if (asprintf (&path, "%s/%s", p->cwd ? p->cwd : "/", name) < 0)
        path = NULL;
      if (path == NULL)
        {
          error_set (err, ENOMEM, "exec: \"%s\"", name);
          return NULL;
        }
      struct stat st;
      if (stat (path, &st) < 0)
        {
          error_set (err, errno, "exec: \"%s\": stat %s", name, path);
          return NULL;
        }
      if (check_executable (path) < 0)
        {
          error_set (err, errno, "exec: \"%s\"", name);
          return NULL;
        }
      return steal_pointer (&path);
    }

  const char *search = env_lookup (p->env, p->env_len, "PATH");
  if (search == NULL)
    search = DEFAULT_PATH;
  _cleanup_free_ char *copy = strdup (search);
  if (copy == NULL)
    {
      error_set (err, ENOMEM, "exec: \"%s\"", name);
      return NULL;
    }
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      /* Relative entries ("" or ".") would depend on the cwd: skip them, as Go's
       * LookPath does since it refused implicit "." lookups. */
      if (dir[0] != '/')
        continue;
      char *candidate = NULL;
      if (asprintf (&candidate, "%s/%s", dir, name) < 0)
        {
          error_set (err, ENOMEM, "exec: \"%s\"", name);
          return NULL;
        }
      if (check_executable (candidate) == 0)
        return candidate;
      free (candidate);
    }
  error_set (err, 0, "exec: \"%s\": executable file not found in $PATH", name);
  return NULL;
}

/* ---- user and groups ---- */

static bool
setgroups_denied (void)
{
  char buf[16] = "";
  _cleanup_close_ int fd = open ("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  return n > 0 && strncmp (buf, "deny", 4) == 0;
}

static void
format_gids (char *buf, size_t size, const uint32_t *gids, size_t n)
{
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && off < size; i++)
    {
      int w = snprintf (buf + off, size - off, "%s%u", i ? " " : "", gids[i]);
      if (w < 0)
        break;
      off += (size_t) w;
    }
}

int
process_set_user (const struct spec_process *p, struct error **err)
{
  if (p == NULL)
    return 0;
  const struct spec_user *u = &p->user;

  if (u->additional_gids_len > 0)
    {
      _cleanup_free_ gid_t *gids = calloc (u->additional_gids_len, sizeof *gids);
      if (gids == NULL)
        return error_set (err, ENOMEM, "process.user.additionalGids");
      for (size_t i = 0; i < u->additional_gids_len; i++)
        gids[i] = u->additional_gids[i];
      if (setgroups (u->additional_gids_len, gids) < 0)
        {
          char list[256];
          format_gids (list, sizeof list, u->additional_gids, u->additional_gids_len);
          return error_set (err, errno, "process.user.additionalGids: setgroups [%s]", list);
        }
    }
  else if (setgroups (0, NULL) < 0)
    {
      /* In a user namespace whose setgroups is "deny" the list cannot be changed
       * at all; dropping it is then impossible and not an error. */
      int saved = errno;
      if (!(saved == EPERM && setgroups_denied ()))
        return error_set (err, saved, "setgroups []");
    }

  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return error_set (err, errno, "process.user.gid: setresgid %u", u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return error_set (err, errno, "process.user.uid: setresuid %u", u->uid);
  return 0;
}

/* ---- cwd, umask ---- */

int
process_set_cwd (const struct spec_process *p, struct error **err)
{
  const char *cwd = (p && p->cwd && p->cwd[0]) ? p->cwd : "/";
  if (chdir (cwd) < 0)
    {
      if (errno != ENOENT)
        return error_set (err, errno, "process.cwd: chdir \"%s\"", cwd);
      /* Like runc, a missing working directory is created. */
      if (fs_mkdir_all (cwd, 0755) < 0)
        return error_set (err, errno, "process.cwd: mkdir \"%s\"", cwd);
      if (chdir (cwd) < 0)
        return error_set (err, errno, "process.cwd: chdir \"%s\"", cwd);
    }

  /* CVE-2024-21626: a cwd reached through a leaked host fd (/proc/self/fd/N) lies
   * outside our root; getcwd() then fails with ENOENT or, on old libcs, returns
   * "(unreachable)/...". Either way the process must not start there. */
  char buf[PATH_MAX];
  if (getcwd (buf, sizeof buf) == NULL)
    {
      if (errno == ENOENT)
        return error_set (err, 0, "process.cwd: \"%s\" is outside the container root", cwd);
      return error_set (err, errno, "process.cwd: getcwd after chdir \"%s\"", cwd);
    }
  if (buf[0] != '/')
    return error_set (err, 0, "process.cwd: \"%s\" is outside the container root (%s)", cwd, buf);
  return 0;
}

void
process_set_umask (const struct spec_process *p)
{
  umask ((p && p->user.has_umask) ? (mode_t) (p->user.umask & 07777) : 0022);
}

/* ---- personality ---- */

int
process_set_personality (const struct spec_linux *l, struct error **err)
{
  if (l == NULL || l->personality == NULL)
    return 0;
  const struct spec_personality *pe = l->personality;
  unsigned long persona;
  if (pe->domain && strcmp (pe->domain, "LINUX") == 0)
    persona = PER_LINUX;
  else if (pe->domain && strcmp (pe->domain, "LINUX32") == 0)
    persona = PER_LINUX32;
  else
    return error_set (err, 0, "linux.personality.domain: unknown domain \"%s\"",
                      pe->domain ? pe->domain : "");
  /* The spec defines no flags yet; refusing unknown ones beats ignoring them. */
  if (pe->flags_len > 0)
    return error_set (err, 0, "linux.personality.flags[0]: unsupported flag \"%s\"", pe->flags[0]);
  if (personality (persona) < 0)
    return error_set (err, errno, "linux.personality: personality %s", pe->domain);
  return 0;
}

/* ---- fds ---- */

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

/* Close [lo, hi]; close_range when the kernel has it, else one by one over the
 * fds that /proc/self/fd lists (or, without /proc, the whole range up to the limit). */
static int
close_span (unsigned lo, unsigned hi)
{
  if (lo > hi)
    return 0;
  /* Any failure falls back to close(2): a seccomp profile older than
   * close_range (loaded before this point when noNewPrivileges is false) answers
   * EPERM, not ENOSYS. */
  if (close_range (lo, hi, 0) == 0)
    return 0;

  DIR *d = opendir ("/proc/self/fd");
  if (d)
    {
      int dfd = dirfd (d);
      struct dirent *de;
      while ((de = readdir (d)))
        {
          char *end;
          long fd = strtol (de->d_name, &end, 10);
          if (*end || de->d_name[0] == '.' || fd == dfd)
            continue;
          if ((unsigned long) fd >= lo && (unsigned long) fd <= hi)
            close ((int) fd);
        }
      closedir (d);
      return 0;
    }
  struct rlimit rl;
  unsigned max = 65536;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < max)
    max = (unsigned) rl.rlim_cur;
  for (unsigned fd = lo; fd <= hi && fd < max; fd++)
    close ((int) fd);
  return 0;
}

int
process_close_fds (int preserve_fds, const int *keep, size_t nkeep, struct error **err)
{
  if (preserve_fds < 0)
    return error_set (err, 0, "preserve-fds: negative count %d", preserve_fds);
  unsigned first_closed = 3u + (unsigned) preserve_fds;

  _cleanup_free_ int *sorted = NULL;
  if (nkeep > 0)
    {
      sorted = malloc (nkeep * sizeof *sorted);
      if (sorted == NULL)
        return error_set (err, ENOMEM, "close fds");
      memcpy (sorted, keep, nkeep * sizeof *sorted);
      qsort (sorted, nkeep, sizeof *sorted, cmp_int);
    }

  unsigned lo = first_closed;
  for (size_t i = 0; i < nkeep; i++)
    {
      if (sorted[i] < 0 || (unsigned) sorted[i] < lo)
        continue;
      if (close_span (lo, (unsigned) sorted[i] - 1) < 0)
        return error_set (err, errno, "close fds %u-%d", lo, sorted[i] - 1);
      lo = (unsigned) sorted[i] + 1;
    }
  if (close_span (lo, ~0u) < 0)
    return error_set (err, errno, "close fds from %u", lo);

  /* Runtime fds the caller still needs until execve must not reach the container. */
  for (size_t i = 0; i < nkeep; i++)
    {
      if (keep[i] < 0 || (unsigned) keep[i] < first_closed)
        continue;
      int fl = fcntl (keep[i], F_GETFD);
      if (fl >= 0 && !(fl & FD_CLOEXEC) && fcntl (keep[i], F_SETFD, fl | FD_CLOEXEC) < 0)
        return error_set (err, errno, "set close-on-exec on fd %d", keep[i]);
    }
  /* The preserved fds are handed to the container, so they must survive execve. */
  for (int fd = 3; fd < (int) first_closed; fd++)
    {
      int fl = fcntl (fd, F_GETFD);
      if (fl < 0)
        continue; /* fewer fds passed than preserve-fds: nothing to hand over */
      if ((fl & FD_CLOEXEC) && fcntl (fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
        return error_set (err, errno, "clear close-on-exec on preserved fd %d", fd);
    }
  return 0;
}
