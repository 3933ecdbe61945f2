/* start, state, kill, delete, list: operations on an existing container. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "container.h"
#include "container_ops.h"
#include "container_state.h"
#include "hooks.h"
#include "terminal.h"
#include "test_stop.h"
#include "spec/util/cleanup.h"
#include "util/fs.h"
#include "vm/vm.h"

char *
realpath_dup (char *path, struct error **err)
{
  char *r = realpath (path, NULL);
  if (r == NULL)
    error_set (err, errno, "bundle \"%s\"", path);
  free (path);
  return r;
}

int
copy_config_to_state (int dirfd, const char *config_path, struct error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (fs_read_file (config_path, &data, &len, err) < 0)
    return -1;
  return fs_write_file_new_at (dirfd, "config.json", data, len, 0600, err);
}

int
lc_error_not_exist (struct error **err)
{
  /* runc's exact text: engines match on "does not exist". */
  error_set (err, 0, "container does not exist");
  if (err && *err)
    (*err)->errnum = ENOENT;
  return -1;
}

bool
lc_error_is_not_exist (const struct error *err)
{
  return err && err->errnum == ENOENT && err->msg
         && strcmp (err->msg, "container does not exist") == 0;
}

/* The mark is the sticky bit: mkdir (0711, less the umask) never sets it. */
void
statedir_mark_deleting (int dirfd)
{
  /* Best effort: unmarked, a reader only sees "creating" for that moment. */
  (void) fchmod (dirfd, S_ISVTX | 0700);
}

bool
statedir_deleting (int dirfd, const char *name)
{
  struct stat st;
  if (fstatat (dirfd, name ? name : "", &st, name ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) < 0)
    return false;
  return S_ISDIR (st.st_mode) && (st.st_mode & S_ISVTX);
}

/* An opened container: locked state dir and its record. */
struct opened
{
  int dirfd;
  struct lc_record rec;
  bool has_record;
  enum lc_status status;
};

static void
opened_close (struct opened *o)
{
  if (o->dirfd >= 0)
    close (o->dirfd);
  record_clear (&o->rec);
  o->dirfd = -1;
}

static int
open_container (const struct lc_context *ctx, const char *id, bool lock, struct opened *o,
                struct error **err)
{
  memset (o, 0, sizeof *o);
  o->dirfd = -1;
  if (lc_validate_id (id, err) < 0)
    return -1;
  o->dirfd = statedir_open (ctx->root, id, lock, err);
  if (o->dirfd < 0)
    return -1;
  struct error *e = NULL;
  /* Without the saved cgroup: state needs only the freezer file; the commands
   * that need the manager read it through load_cgroup. */
  if (record_read_in (o->dirfd, NULL, &o->rec, &e) < 0)
    {
      error_free (&e);
      /* A delete took state.json away: gone for a reader. One that holds the
       * lock (the deleter died) treats it as a dead create, which delete removes. */
      if (!lock && statedir_deleting (o->dirfd, NULL))
        {
          opened_close (o);
          return lc_error_not_exist (err);
        }
      /* No state.json yet: a create is still running (or died before writing it). */
      o->rec.id = strdup (id);
      o->status = LC_CREATING;
      return 0;
    }
  o->has_record = true;
  o->status = record_status (o->dirfd, &o->rec);
  return 0;
}

static int
pidfd_of (const struct lc_record *r, struct error **err)
{
  int fd = (int) syscall (SYS_pidfd_open, r->pid, 0);
  if (fd < 0)
    return error_set (err, errno, "pidfd_open %d", r->pid);
  /* The pidfd pins the process: checking its identity now rules out reuse. */
  if (!record_pidfd_alive (r, fd))
    {
      close (fd);
      return error_set (err, ESRCH, "container process %d is gone", r->pid);
    }
  return fd;
}

static struct cgroup_manager *
load_cgroup (struct opened *o, struct error **err)
{
  struct cgroup_manager *m = NULL;
  const struct lc_record *r = &o->rec;
  if (record_read_cgroup (o->dirfd, &o->rec, err) < 0)
    return NULL;
  if (r->cgroup == NULL || r->cgroup[0] == '\0')
    return NULL;
  if (cgroup_manager_load (r->cgroup, &m, err) < 0)
    return NULL;
  return m;
}

int
write_pid_file (const char *path, pid_t pid, struct error **err)
{
  char buf[32];
  struct stat st;
  int n = snprintf (buf, sizeof buf, "%d", pid);
  /* A regular file (or a new one) is replaced atomically. Anything else
   * (/dev/null, a fifo, /dev/stdout) is written in place: renaming a temporary
   * file over it, as runc does, turned the host's /dev/null into a regular
   * file for `--pid-file /dev/null`. */
  if (stat (path, &st) == 0 && !S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode))
    return fs_write_file (path, buf, n, err);
  return fs_write_file_atomic (path, buf, n, 0644, err);
}

int
send_pidfd (const char *socket_path, int pidfd, struct error **err)
{
  _cleanup_close_ int sock = terminal_connect_socket (socket_path, err);
  if (sock < 0)
    return error_wrap (err, "--pidfd-socket");
  return terminal_send_fd (sock, pidfd, "pidfd", err);
}

/* The config copy kept in the state dir for the hooks that run after create. */
static struct spec_config *
state_config (const struct lc_context *ctx, const char *id, struct error **err)
{
  _cleanup_free_ char *dir = statedir_path (ctx->root, id);
  _cleanup_free_ char *path = NULL;
  if (dir == NULL || asprintf (&path, "%s/config.json", dir) < 0)
    {
      error_set (err, ENOMEM, "config copy path");
      return NULL;
    }
  return spec_config_parse_file (path, err);
}

static int
run_poststart (const struct lc_context *ctx, struct opened *o, struct error **err)
{
  struct spec_config *c = state_config (ctx, o->rec.id, err);
  if (c == NULL)
    return -1;
  struct spec_state *st = record_to_state (&o->rec, LC_RUNNING);
  int ret = hooks_run (c, HOOK_POSTSTART, st, err);
  spec_state_free (st);
  spec_config_free (c);
  return ret;
}

int
lc_start (const struct lc_context *ctx, const char *id, struct error **err)
{
  struct opened o;
  int ret = -1;
  _cleanup_close_ int fifo = -1, pidfd = -1;
  if (open_container (ctx, id, true, &o, err) < 0)
    return -1;
  test_stop_at ("start:locked");
  switch (o.status)
    {
    case LC_CREATED:
      break;
    /* runc's texts, without an errno: the state is the reason. */
    case LC_STOPPED:
      error_set (err, 0, "cannot start a container that has stopped");
      goto out;
    case LC_RUNNING:
      error_set (err, 0, "cannot start an already running container");
      goto out;
    default:
      error_set (err, 0, "cannot start a container in the %s state",
                 lc_status_name (o.status));
      goto out;
    }
  /* The pidfd first: opening the fifo lets the init run, and a short process
   * can be gone (and reaped by the engine's shim) before we look it up. */
  pidfd = pidfd_of (&o.rec, err);
  if (pidfd < 0)
    goto out;
  fifo = openat (o.dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    {
      error_set (err, errno, "open exec.fifo");
      goto out;
    }
  /* The init unblocks when we open the fifo and writes one byte; if it dies
   * first, its pidfd becomes readable instead. */
  struct pollfd fds[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
  for (;;)
    {
      int n = poll (fds, 2, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          error_set (err, errno, "wait for the container init");
          goto out;
        }
      if (fds[0].revents & POLLIN)
        break;
      if (fds[1].revents)
        {
          error_set (err, ESRCH, "container init exited before start");
          goto out;
        }
    }
  /* "0" confirms; "E<message>" is a failed startContainer hook. */
  char reply[4096];
  ssize_t got = read (fifo, reply, sizeof reply - 1);
  if (got <= 0)
    {
      error_set (err, EIO, "container init did not confirm start");
      goto out;
    }
  reply[got] = '\0';
  test_stop_at ("start:confirmed");
  if (reply[0] != '0')
    {
      unlinkat (o.dirfd, "exec.fifo", 0);
      error_set (err, 0, "%s", reply[0] == 'E' ? reply + 1 : "container init failed to start");
      goto out;
    }
  unlinkat (o.dirfd, "exec.fifo", 0);

  /* Spec 1.3: a failing poststart hook fails start; the container is stopped. */
  if (o.rec.has_poststart && run_poststart (ctx, &o, err) < 0)
    {
      struct error *e2 = NULL;
      struct cgroup_manager *m = load_cgroup (&o, &e2);
      if (m)
        {
          cgroup_kill_all (m, SIGKILL, &e2);
          cgroup_manager_free (m);
        }
      syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
      error_free (&e2);
      goto out;
    }
  ret = 0;
out:
  opened_close (&o);
  return ret;
}

int
lc_state (const struct lc_context *ctx, const char *id, struct spec_state **out,
          struct error **err)
{
  struct opened o;
  if (open_container (ctx, id, false, &o, err) < 0)
    return -1;
  *out = record_to_state (&o.rec, o.status);
  opened_close (&o);
  if (*out == NULL)
    return error_set (err, ENOMEM, "state");
  return 0;
}

int
lc_kill (const struct lc_context *ctx, const char *id, int signo, bool all, struct error **err)
{
  struct opened o;
  int ret = -1;
  _cleanup_close_ int pidfd = -1;
  if (open_container (ctx, id, true, &o, err) < 0)
    return -1;
  /* containerd matches "container not running" (checkKillError). --all on a
   * stopped container still reaches what is left in its cgroup, as runc's does:
   * containerd's shim kills the children of an init without its own pid
   * namespace that way once the init has exited. */
  if (o.status == LC_CREATING || (o.status == LC_STOPPED && !all))
    {
      error_set (err, 0, "container not running");
      goto out;
    }
  /* A created container's process is still our init, parked on exec.fifo: as
   * pid 1 of its namespace it ignores signals it has no handler for, where
   * runc's init dies of SIGHUP, SIGINT and SIGTERM (Go's default). End it. */
  if (o.status == LC_CREATED && (signo == SIGHUP || signo == SIGINT || signo == SIGTERM))
    signo = SIGKILL;
  /* A VM container's processes on the host are its supervisor and qemu: the
   * supervisor forwards a signal to the guest's processes; qemu must not get it. */
  if (all && vm_container_at (o.dirfd))
    all = false;
  if (all)
    {
      struct cgroup_manager *m = load_cgroup (&o, err);
      if (m == NULL)
        {
          if (err && *err == NULL)
            error_set (err, EINVAL, "kill --all: the container has no cgroup");
          goto out;
        }
      ret = cgroup_kill_all (m, signo, err);
      cgroup_manager_free (m);
      goto out;
    }
  pidfd = pidfd_of (&o.rec, err);
  if (pidfd < 0)
    goto out;
  if (syscall (SYS_pidfd_send_signal, pidfd, signo, NULL, 0) < 0)
    {
      error_set (err, errno, "kill container process %d with signal %d", o.rec.pid, signo);
      goto out;
    }
  /* A frozen task dies only once thawed (v1): thaw after SIGKILL, as runc. */
  if (o.status == LC_PAUSED && signo == SIGKILL)
    {
      struct error *e = NULL;
      struct cgroup_manager *m = load_cgroup (&o, &e);
      if (m && cgroup_freeze (m, false, &e) < 0)
        log_warn ("thaw after SIGKILL: %s", e ? e->msg : "failed");
      error_free (&e);
      cgroup_manager_free (m);
    }
  ret = 0;
out:
  opened_close (&o);
  return ret;
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

/* SIGKILL everything in the container and wait until it is gone. */
static int
kill_and_wait (struct opened *o, struct cgroup_manager *m, struct error **err)
{
  _cleanup_close_ int pidfd = -1;
  if (o->has_record && record_pid_alive (&o->rec))
    pidfd = (int) syscall (SYS_pidfd_open, o->rec.pid, 0);
  if (m && !o->has_record)
    {
      /* A create that died: its cgroup may not exist, or be empty. */
      _cleanup_free_ pid_t *pids = NULL;
      size_t n = 0;
      if (cgroup_pids (m, &pids, &n, err) < 0)
        return -1;
      if (n == 0)
        return 0;
    }
  if (m)
    {
      if (cgroup_kill_all (m, SIGKILL, err) < 0)
        return -1;
    }
  else if (pidfd >= 0)
    syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  if (pidfd >= 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      if (poll (&p, 1, 10000) == 0)
        return error_set (err, ETIMEDOUT, "container init %d did not die after SIGKILL",
                          o->rec.pid);
    }
  /* Other processes of the cgroup die asynchronously; cgroup rmdir needs them gone. */
  for (int i = 0; m && i < 500; i++)
    {
      pid_t *pids = NULL;
      size_t n = 0;
      struct error *e = NULL;
      if (cgroup_pids (m, &pids, &n, &e) < 0)
        {
          error_free (&e);
          break;
        }
      free (pids);
      if (n == 0)
        break;
      if (i % 50 == 49)
        cgroup_kill_all (m, SIGKILL, &e);
      error_free (&e);
      sleep_ms (10);
    }
  return 0;
}

/* delete on an opened (locked) container; closes it. */
static int
delete_opened (const struct lc_context *ctx, const char *id, struct opened o, bool force,
               struct error **err)
{
  int ret = -1;
  struct cgroup_manager *m = NULL;
  _cleanup_free_ char *dir = statedir_path (ctx->root, id);
  if ((o.status == LC_RUNNING || o.status == LC_PAUSED) && !force)
    {
      error_set (err, 0, "cannot delete container %s that is not stopped: %s", id,
                 lc_status_name (o.status));
      goto out;
    }
  /* Without state.json too: a create that died (we hold its lock) may have
   * left a cgroup, named in the file written before it was made. */
  m = load_cgroup (&o, err);
  if (m == NULL && err && *err)
    goto out;
  /* A dead create may have left its init (parked, or still setting up) in the
   * cgroup: kill what is there. */
  if ((o.status != LC_STOPPED || (m && !o.has_record)) && kill_and_wait (&o, m, err) < 0)
    goto out;
  test_stop_at ("delete:killed");

  if (o.rec.has_poststop)
    {
      struct error *e = NULL;
      struct spec_config *c = state_config (ctx, id, &e);
      struct spec_state *st = record_to_state (&o.rec, LC_STOPPED);
      /* Spec: a failing poststop hook is a warning; the lifecycle continues. */
      if (c == NULL || hooks_run (c, HOOK_POSTSTOP, st, &e) < 0)
        log_warn ("poststop hook: %s", e ? e->msg : "failed");
      error_free (&e);
      spec_state_free (st);
      spec_config_free (c);
    }
  if (m && cgroup_destroy (m, err) < 0)
    goto out;
  test_stop_at ("delete:cgroup");
  statedir_mark_deleting (o.dirfd);
  if (unlinkat (o.dirfd, "state.json", 0) < 0 && errno != ENOENT)
    {
      error_set (err, errno, "remove %s/state.json", dir);
      goto out;
    }
  test_stop_at ("delete:removing");
  if (fs_remove_tree (dir, err) < 0)
    goto out;
  ret = 0;
out:
  if (m)
    cgroup_manager_free (m);
  opened_close (&o);
  return ret;
}

int
lc_delete (const struct lc_context *ctx, const char *id, bool force, struct error **err)
{
  struct opened o;
  if (open_container (ctx, id, true, &o, err) < 0)
    return -1;
  return delete_opened (ctx, id, o, force, err);
}

struct leftover
{
  const struct lc_context *ctx;
  const char *id;
};

/* statedir_claim's undo: the dir of a create that died before state.json. */
static int
delete_leftover (int dirfd, void *arg, struct error **err)
{
  const struct leftover *l = arg;
  struct opened o = { .dirfd = dirfd, .status = LC_CREATING };
  o.rec.id = strdup (l->id);
  log_debug ("container %s: removing what a create that died left", l->id);
  return delete_opened (l->ctx, l->id, o, true, err);
}

int
lc_claim_statedir (const struct lc_context *ctx, const char *id, struct error **err)
{
  struct leftover l = { ctx, id };
  return statedir_claim (ctx->root, id, delete_leftover, &l, err);
}

static int
cmp_state (const void *a, const void *b)
{
  const struct spec_state *x = *(struct spec_state *const *) a;
  const struct spec_state *y = *(struct spec_state *const *) b;
  return strcmp (x->id, y->id);
}

int
lc_list (const struct lc_context *ctx, struct spec_state ***out, size_t *n, struct error **err)
{
  *out = NULL;
  *n = 0;
  _cleanup_closedir_ DIR *d = opendir (ctx->root);
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return error_set (err, errno, "open state root \"%s\"", ctx->root);
    }
  size_t cap = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
        continue;
      /* Read through the root's fd: no open/close of each container dir. */
      struct opened o;
      struct error *e = NULL;
      memset (&o, 0, sizeof o);
      o.dirfd = -1;
      if (lc_validate_id (de->d_name, &e) < 0)
        {
          error_free (&e);
          continue;
        }
      if (record_read_in (dirfd (d), de->d_name, &o.rec, &e) < 0)
        {
          error_free (&e);
          if (faccessat (dirfd (d), de->d_name, F_OK, AT_SYMLINK_NOFOLLOW) < 0
              || statedir_deleting (dirfd (d), de->d_name))
            continue; /* deleted meanwhile, or being deleted */
          o.rec.id = strdup (de->d_name);
          o.status = LC_CREATING;
        }
      else
        o.status = record_status_in (dirfd (d), de->d_name, &o.rec);
      if (*n == cap)
        {
          cap = cap ? cap * 2 : 16;
          struct spec_state **grown = realloc (*out, cap * sizeof **out);
          if (grown == NULL)
            {
              opened_close (&o);
              return error_set (err, ENOMEM, "list");
            }
          *out = grown;
        }
      struct spec_state *s = record_to_state (&o.rec, o.status);
      opened_close (&o);
      if (s)
        (*out)[(*n)++] = s;
    }
  if (*n > 1) /* an empty list is NULL, which qsort must not get */
    qsort (*out, *n, sizeof **out, cmp_state);
  return 0;
}
