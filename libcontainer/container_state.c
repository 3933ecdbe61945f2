#define _GNU_SOURCE
#include "container_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "pid_identity.h"
#include "spec/util/cleanup.h"
#include "spec/util/json.h"
#include "util/fs.h"

const char *
lc_status_name (enum lc_status s)
{
  static const char *names[] = { "creating", "created", "running", "paused", "stopped" };
  return names[s];
}

char *
statedir_path (const char *root, const char *id)
{
  char *p = NULL;
  if (asprintf (&p, "%s/%s", root, id) < 0)
    return NULL;
  return p;
}

static int
create_locked (const char *dir, const char *id, struct error **err)
{
  /* mkdir is the atomic arbiter between two concurrent creates of one ID. */
  if (mkdir (dir, 0711) < 0)
    {
      if (errno == EEXIST)
        return error_set (err, EEXIST, "container with id \"%s\" already exists", id);
      return error_set (err, errno, "create state dir \"%s\"", dir);
    }
  int fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "open state dir \"%s\"", dir);
  if (flock (fd, LOCK_EX) < 0)
    {
      close (fd);
      return error_set (err, errno, "lock state dir \"%s\"", dir);
    }
  return fd;
}

/* The dir's lock, waited for a short while: a killed create's children may
 * still hold it for the moment they take to die. */
static int
open_unlocked (const char *dir)
{
  int fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  for (int i = 0; flock (fd, LOCK_EX | LOCK_NB) < 0; i++)
    {
      if (errno != EWOULDBLOCK || i == 20)
        {
          close (fd);
          return -1;
        }
      struct timespec ts = { 0, 5 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  return fd;
}

static int
lock_root (const char *root, struct error **err)
{
  int fd = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0 || flock (fd, LOCK_EX) < 0)
    {
      error_set (err, errno, "lock state root \"%s\"", root);
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return fd;
}

int
statedir_claim (const char *root, const char *id, statedir_undo_fn undo, void *arg,
                struct error **err)
{
  _cleanup_free_ char *dir = statedir_path (root, id);
  if (mkdir (root, 0700) < 0 && errno != EEXIST)
    {
      if (errno != ENOENT || fs_mkdir_all (root, 0700) < 0)
        return error_set (err, errno, "create state root \"%s\"", root);
    }
  /* The root's lock covers mkdir up to the new dir's lock: a dir found unlocked
   * under it without state.json is a dead create's, never one being born. */
  _cleanup_close_ int rootfd = lock_root (root, err);
  if (rootfd < 0)
    return -1;
  int fd = create_locked (dir, id, err);
  if (fd >= 0 || undo == NULL || err == NULL || *err == NULL || (*err)->errnum != EEXIST)
    return fd;
  /* Wait for its lock without holding the root's (other ids are created
   * meanwhile), then look again under both. */
  close (rootfd);
  rootfd = -1;
  _cleanup_close_ int old = open_unlocked (dir);
  if (old < 0)
    return -1;
  rootfd = lock_root (root, NULL);
  struct stat now, held;
  if (rootfd < 0 || fstat (old, &held) < 0)
    return -1;
  if (held.st_nlink == 0 || stat (dir, &now) < 0 || now.st_ino != held.st_ino
      || now.st_dev != held.st_dev)
    {
      /* Removed meanwhile (a failed create, a delete): the id may be free. */
      error_free (err);
      return create_locked (dir, id, err);
    }
  if (faccessat (old, "state.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
    return -1; /* a container: "already exists" stands */
  error_free (err);
  int taken = old;
  old = -1;
  if (undo (taken, arg, err) < 0) /* closes taken */
    return -1;
  return create_locked (dir, id, err);
}

int
statedir_create (const char *root, const char *id, struct error **err)
{
  return statedir_claim (root, id, NULL, NULL, err);
}

int
statedir_open (const char *root, const char *id, bool lock, struct error **err)
{
  _cleanup_free_ char *dir = statedir_path (root, id);
  int fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        {
          /* runc's exact text: engines match on "does not exist". */
          error_set (err, 0, "container does not exist");
          if (err && *err)
            (*err)->errnum = ENOENT;
          return -1;
        }
      return error_set (err, errno, "open state dir \"%s\"", dir);
    }
  if (lock && flock (fd, LOCK_EX) < 0)
    {
      close (fd);
      return error_set (err, errno, "lock state dir \"%s\"", dir);
    }
  /* Removed while we waited for the lock (a concurrent delete): gone. */
  struct stat st;
  if (lock && fstat (fd, &st) == 0 && st.st_nlink == 0)
    {
      close (fd);
      error_set (err, 0, "container does not exist");
      if (err && *err)
        (*err)->errnum = ENOENT;
      return -1;
    }
  return fd;
}

int
statedir_write_cgroup_intent (int dirfd, struct cgroup_manager *cg, struct error **err)
{
  _cleanup_free_ char *saved = cgroup_manager_save (cg);
  if (saved == NULL)
    return error_set (err, ENOMEM, "save cgroup manager");
  /* One small write to a new file: a process killed meanwhile leaves it empty
   * or whole, and an empty one names nothing made yet. */
  return fs_write_file_new_at (dirfd, "cgroup", saved, strlen (saved), 0600, err);
}

int
record_write (int dirfd, const struct lc_record *r, struct error **err)
{
  struct json_writer *w = json_writer_new (false);
  _cleanup_free_ char *out = NULL;
  size_t len;
  json_w_begin_object (w);
  json_w_key (w, "id");
  json_w_string (w, r->id);
  json_w_key (w, "pid");
  json_w_int (w, r->pid);
  json_w_key (w, "pid_start");
  json_w_uint (w, r->pid_start);
  if (r->pid_identity)
    {
      json_w_key (w, "pid_identity");
      json_w_uint (w, r->pid_identity);
    }
  json_w_key (w, "bundle");
  json_w_string (w, r->bundle);
  json_w_key (w, "rootfs");
  json_w_string (w, r->rootfs);
  json_w_key (w, "created");
  json_w_string (w, r->created);
  json_w_key (w, "owner");
  json_w_string (w, r->owner ? r->owner : "");
  if (r->freezer)
    {
      json_w_key (w, "freezer");
      json_w_string (w, r->freezer);
    }
  json_w_key (w, "poststart");
  json_w_bool (w, r->has_poststart);
  json_w_key (w, "poststop");
  json_w_bool (w, r->has_poststop);
  json_w_key (w, "annotations");
  json_w_begin_object (w);
  for (size_t i = 0; i < r->annotations_len; i++)
    {
      json_w_key (w, r->annotations[i].key);
      json_w_string (w, r->annotations[i].value);
    }
  json_w_end_object (w);
  json_w_end_object (w);
  if (json_writer_finish (w, &out, &len) < 0)
    return error_set (err, ENOMEM, "serialize container state");

  /* Its own file: list parses every state.json, and this text is most of it. */
  if (r->cgroup && fs_write_file_new_at (dirfd, "cgroup", r->cgroup, strlen (r->cgroup), 0600, err) < 0)
    return -1;
  /* Atomic: readers (state, list) never see a half-written file. */
  if (fs_write_file_new_at (dirfd, "state.json.tmp", out, len, 0600, err) < 0)
    return -1;
  if (renameat (dirfd, "state.json.tmp", dirfd, "state.json") < 0)
    return error_set (err, errno, "rename state.json");
  return 0;
}

/* "<id>/<leaf>", or "<leaf>" without an id: a name below the state root or the
 * container dir. Not snprintf: list builds two per container. */
static const char *
name_in (char *buf, size_t size, const char *id, const char *leaf)
{
  size_t il = id ? strlen (id) : 0, ll = strlen (leaf);
  if (il + 1 + ll + 1 > size)
    return NULL;
  if (il)
    {
      memcpy (buf, id, il);
      buf[il++] = '/';
    }
  memcpy (buf + il, leaf, ll + 1);
  return buf;
}

static char *
dup_str (const struct json_value *obj, const char *key)
{
  const char *s = json_string (json_object_get (obj, key));
  return s ? strdup (s) : NULL;
}

int
record_read_cgroup (int dirfd, struct lc_record *r, struct error **err)
{
  size_t len;
  struct error *e = NULL;
  if (r->cgroup)
    return 0; /* already read, or a legacy record, which had it inline */
  if (fs_read_small_file_at (dirfd, "cgroup", &r->cgroup, &len, &e) == 0)
    return 0;
  /* No file: a container created without cgroups (rootless). */
  if (e->errnum == ENOENT)
    {
      error_free (&e);
      return 0;
    }
  error_propagate (err, &e);
  return -1;
}

int
record_read (int dirfd, struct lc_record *r, struct error **err)
{
  if (record_read_in (dirfd, NULL, r, err) < 0)
    return -1;
  if (record_read_cgroup (dirfd, r, err) < 0)
    {
      record_clear (r);
      return -1;
    }
  return 0;
}

/* Containers created before the saved cgroup moved to its own file kept it in
 * state.json: take it from there, and derive the freezer file from it, so that
 * an upgraded capsa still pauses, kills and deletes them completely. */
static void
legacy_cgroup (const struct json_value *v, struct lc_record *r)
{
  struct cgroup_manager *m = NULL;
  r->cgroup = dup_str (v, "cgroup");
  if (r->cgroup && cgroup_manager_load (r->cgroup, &m, NULL) == 0)
    {
      r->freezer = cgroup_freezer_file (m);
      cgroup_manager_free (m);
    }
}

int
record_read_in (int dirfd, const char *id, struct lc_record *r, struct error **err)
{
  char name[1100];
  _cleanup_free_ char *data = NULL;
  size_t len;
  memset (r, 0, sizeof *r);
  if (name_in (name, sizeof name, id, "state.json") == NULL)
    return error_set (err, ENAMETOOLONG, "container id \"%s\"", id);
  if (fs_read_small_file_at (dirfd, name, &data, &len, err) < 0)
    return -1;
  return record_parse (data, len, r, err);
}

int
record_parse (const char *data, size_t len, struct lc_record *r, struct error **err)
{
  char errbuf[256];
  memset (r, 0, sizeof *r);
  struct json_value *v = json_parse (data, len, errbuf, sizeof errbuf);
  if (v == NULL)
    return error_set (err, 0, "state.json: invalid JSON: %s", errbuf);
  int64_t pid = 0;
  uint64_t start = 0;
  json_int64 (json_object_get (v, "pid"), &pid);
  /* Never another process by truncation: 4294967297 is not pid 1. */
  if (pid < 0 || pid > INT32_MAX)
    {
      json_free (v);
      return error_set (err, 0, "state.json: pid %" PRId64 " out of range", pid);
    }
  r->id = dup_str (v, "id");
  json_uint64 (json_object_get (v, "pid_start"), &start);
  r->pid = (pid_t) pid;
  r->pid_start = start;
  const struct json_value *ident = json_object_get (v, "pid_identity");
  if (ident)
    json_uint64 (ident, &r->pid_identity);
  r->bundle = dup_str (v, "bundle");
  r->rootfs = dup_str (v, "rootfs");
  r->created = dup_str (v, "created");
  r->owner = dup_str (v, "owner");
  r->freezer = dup_str (v, "freezer");
  if (r->freezer == NULL && json_object_get (v, "cgroup"))
    legacy_cgroup (v, r);
  r->has_poststart = json_bool (json_object_get (v, "poststart"));
  r->has_poststop = json_bool (json_object_get (v, "poststop"));
  const struct json_value *ann = json_object_get (v, "annotations");
  size_t n = ann ? json_object_len (ann) : 0;
  if (n)
    {
      r->annotations = calloc (n, sizeof *r->annotations);
      for (size_t i = 0; r->annotations && i < n; i++)
        {
          const char *val = json_string (json_object_value (ann, i));
          r->annotations[i].key = strdup (json_object_key (ann, i));
          r->annotations[i].value = strdup (val ? val : "");
        }
      r->annotations_len = r->annotations ? n : 0;
    }
  json_free (v);
  return 0;
}

void
record_clear (struct lc_record *r)
{
  free (r->id);
  free (r->bundle);
  free (r->rootfs);
  free (r->created);
  free (r->owner);
  free (r->cgroup);
  free (r->freezer);
  for (size_t i = 0; i < r->annotations_len; i++)
    {
      free (r->annotations[i].key);
      free (r->annotations[i].value);
    }
  free (r->annotations);
  memset (r, 0, sizeof *r);
}

uint64_t
proc_start_time (pid_t pid, bool *zombie)
{
  char state = 0;
  uint64_t start = proc_task_start (pid, &state);
  if (zombie)
    *zombie = state == 'Z' || state == 'X';
  return start;
}

uint64_t
proc_task_start (pid_t pid, char *state)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  *state = 0;
  if (fd < 0)
    return 0;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may contain spaces and parens: fields restart after the last ')'. */
  char *p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return 0;
  p += 2;
  *state = *p;
  /* p is field 3 (state); starttime is field 22. */
  for (int field = 3; field < 22; field++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return 0;
      p++;
    }
  return strtoull (p, NULL, 10);
}

/* The start time in /proc/<pid>/stat: the witness without pidfs. */
static bool
record_pid_start_matches (const struct lc_record *r)
{
  bool zombie;
  uint64_t st = proc_start_time (r->pid, &zombie);
  return st != 0 && !zombie && st == r->pid_start;
}

bool
record_pid_alive (const struct lc_record *r)
{
  if (r->pid <= 0)
    return false;
  int same = r->pid_identity ? pid_has_identity (r->pid, r->pid_identity) : -1;
  if (same >= 0)
    return same == 1;
  return record_pid_start_matches (r);
}

bool
record_pidfd_alive (const struct lc_record *r, int pidfd)
{
  if (r->pid <= 0)
    return false;
  if (r->pid_identity)
    return pidfd_has_identity (pidfd, r->pid_identity);
  return record_pid_start_matches (r);
}

enum lc_status
record_status (int dirfd, const struct lc_record *r)
{
  return record_status_in (dirfd, NULL, r);
}

/* A VM container (issue 15) is frozen in its guest, where the host cannot look:
 * pause leaves this mark (VM_PAUSED_NAME). */
static bool
vm_paused_mark (int dirfd, const char *id)
{
  char paused[1100];
  return name_in (paused, sizeof paused, id, "vm.paused")
         && faccessat (dirfd, paused, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

enum lc_status
record_status_in (int dirfd, const char *id, const struct lc_record *r)
{
  char fifo[1100];
  if (name_in (fifo, sizeof fifo, id, "exec.fifo") == NULL)
    return LC_STOPPED;
  if (r->pid <= 0)
    return LC_CREATING;
  bool created = faccessat (dirfd, fifo, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
  /* A task in a frozen v1 freezer shows as "D": anything else cannot be paused
   * there, which spares list a freezer read per container. (The v2 freezer
   * parks tasks in "S": always ask it.) */
  bool v1_freezer = cgroup_freezer_file_is_v1 (r->freezer);
  /* The pidfs identity, cheaper than /proc/<pid>/stat, whenever the task's
   * state letter is not needed. */
  int same = r->pid_identity && (created || !v1_freezer)
                 ? pid_has_identity (r->pid, r->pid_identity) : -1;
  if (same == 0)
    return LC_STOPPED;
  if (same != 1)
    {
      char state = 0;
      uint64_t start = proc_task_start (r->pid, &state);
      if (start == 0 || start != r->pid_start || state == 'Z' || state == 'X')
        return LC_STOPPED;
      if (v1_freezer && state != 'D')
        return vm_paused_mark (dirfd, id) ? LC_PAUSED : created ? LC_CREATED : LC_RUNNING;
    }
  /* A created container can be paused too (runc allows it), and resumed. */
  if (r->freezer && cgroup_freezer_file_frozen (r->freezer) == 1)
    return LC_PAUSED;
  if (vm_paused_mark (dirfd, id))
    return LC_PAUSED;
  return created ? LC_CREATED : LC_RUNNING;
}

static char *
xstrdup (const char *s)
{
  return strdup (s ? s : "");
}

struct spec_state *
record_to_state (const struct lc_record *r, enum lc_status st)
{
  struct spec_state *s = calloc (1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->oci_version = strdup (CAPSA_OCI_VERSION);
  s->id = xstrdup (r->id);
  s->pid = (st == LC_STOPPED || st == LC_CREATING) ? 0 : r->pid;
  s->status = strdup (lc_status_name (st));
  s->bundle = xstrdup (r->bundle);
  s->rootfs = xstrdup (r->rootfs);
  s->created = xstrdup (r->created);
  s->owner = xstrdup (r->owner);
  if (r->annotations_len)
    {
      s->annotations = calloc (r->annotations_len, sizeof *s->annotations);
      for (size_t i = 0; s->annotations && i < r->annotations_len; i++)
        {
          s->annotations[i].key = xstrdup (r->annotations[i].key);
          s->annotations[i].value = xstrdup (r->annotations[i].value);
        }
      s->annotations_len = s->annotations ? r->annotations_len : 0;
    }
  return s;
}

char *
timestamp_now (void)
{
  struct timespec ts;
  struct tm tm;
  char date[32], frac[16], *out = NULL;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  /* Go's RFC3339Nano drops trailing zeros of the fraction. */
  snprintf (frac, sizeof frac, ".%09ld", ts.tv_nsec);
  size_t l = strlen (frac);
  while (l > 1 && frac[l - 1] == '0')
    frac[--l] = '\0';
  if (l == 1)
    frac[0] = '\0';
  if (asprintf (&out, "%s%sZ", date, frac) < 0)
    return NULL;
  return out;
}
