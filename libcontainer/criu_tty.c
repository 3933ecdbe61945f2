/* The console of a terminal container through criu's command line: criu hands
 * a new pty master back over its RPC only (orphan-pts-master, runc's way), so
 * capsa declares the slave external at dump (criu's tty[rdev:dev]) and makes
 * the new pty itself at restore, on a devpts instance of its own that is
 * mounted nowhere: nothing on the host can open the restored container's
 * terminal by a path, as nothing could open the one of its own devpts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "criu_tty.h"
#include "terminal.h"
#include "spec/util/cleanup.h"
#include "spec/util/json.h"
#include "util/fs.h"
#include "util/mount_api.h"


#define TTY_FILE "tty.json"
#define MAX_TTYS 3

/* devpts slaves: majors 136-143 (UNIX98_PTY_SLAVE_MAJOR and the 7 after it) */
static bool
is_pty_slave (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && major (st->st_rdev) >= 136 && major (st->st_rdev) <= 143;
}

static char *
image_file (const char *image_path)
{
  char *p;
  return asprintf (&p, "%s/" TTY_FILE, image_path) < 0 ? NULL : p;
}

/* ---- dump ---- */

struct tty_seen
{
  struct stat st;
  bool have_termios, have_size;
  struct termios tio;
  struct winsize ws;
};

/* fd N of pid, when it is a pty slave. The link is opened O_PATH and checked
 * before the device itself is opened (through that fd, not the path again): the
 * container may swap its stdio meanwhile, and must not make us open something
 * else. Termios and size are read when the slave still opens (its master may be
 * gone: EIO). */
static int
inspect_fd (pid_t pid, int fd, struct tty_seen *t)
{
  char link[64];
  snprintf (link, sizeof link, "/proc/%d/fd/%d", pid, fd);
  _cleanup_close_ int path_fd = open (link, O_PATH | O_CLOEXEC);
  if (path_fd < 0 || fstat (path_fd, &t->st) < 0 || !is_pty_slave (&t->st))
    return 0;
  char self[PROC_FD_PATH_MAX];
  _cleanup_close_ int tty
      = open (proc_fd_path (self, path_fd), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  struct stat again;
  if (tty >= 0 && fstat (tty, &again) == 0 && again.st_rdev == t->st.st_rdev
      && again.st_dev == t->st.st_dev)
    {
      t->have_termios = tcgetattr (tty, &t->tio) == 0;
      t->have_size = ioctl (tty, TIOCGWINSZ, &t->ws) == 0;
    }
  return 1;
}

/* Whether the init's /dev/console is a devpts bind mount (the console slave,
 * as create binds it): criu wants the master of a bound pts unless the mount is
 * external. Read from its mountinfo, mount points as the container sees them. */
static bool
console_is_bound (pid_t pid)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/mountinfo", pid);
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  if (f == NULL)
    return false;
  char *line = NULL;
  size_t cap = 0;
  bool found = false;
  while (!found && getline (&line, &cap, f) > 0)
    {
      /* id parent major:minor root mountpoint options... - fstype source ... */
      char mnt[64], fstype[32];
      const char *sep = strstr (line, " - ");
      found = sep && sscanf (line, "%*s %*s %*s %*s %63s", mnt) == 1
              && sscanf (sep + 3, "%31s", fstype) == 1 && strcmp (mnt, "/dev/console") == 0
              && strcmp (fstype, "devpts") == 0;
    }
  free (line);
  return found;
}

static void
tty_key (char *buf, size_t size, const struct stat *st)
{
  snprintf (buf, size, "tty[%llx:%llx]", (unsigned long long) st->st_rdev,
            (unsigned long long) st->st_dev);
}

static void
write_termios (struct json_writer *w, const struct termios *t)
{
  json_w_key (w, "termios");
  json_w_begin_object (w);
  json_w_key (w, "iflag");
  json_w_uint (w, t->c_iflag);
  json_w_key (w, "oflag");
  json_w_uint (w, t->c_oflag);
  json_w_key (w, "cflag");
  json_w_uint (w, t->c_cflag);
  json_w_key (w, "lflag");
  json_w_uint (w, t->c_lflag);
  json_w_key (w, "cc");
  json_w_begin_array (w);
  for (size_t i = 0; i < NCCS; i++)
    json_w_uint (w, t->c_cc[i]);
  json_w_end_array (w);
  json_w_end_object (w);
}

int
criu_tty_dump (struct criu_cmd *c, pid_t pid, bool console, const char *image_path,
               struct error **err)
{
  struct tty_seen seen[MAX_TTYS];
  int stdio[3] = { -1, -1, -1 }; /* fd -> index in seen */
  size_t n = 0;
  for (int fd = 0; fd < 3; fd++)
    {
      struct tty_seen t = { 0 };
      if (inspect_fd (pid, fd, &t) == 0)
        continue;
      for (size_t i = 0; i < n && stdio[fd] < 0; i++)
        if (seen[i].st.st_rdev == t.st.st_rdev && seen[i].st.st_dev == t.st.st_dev)
          stdio[fd] = (int) i;
      if (stdio[fd] < 0)
        {
          stdio[fd] = (int) n;
          seen[n++] = t;
        }
    }
  _cleanup_free_ char *path = image_file (image_path);
  if (path == NULL)
    return error_set (err, ENOMEM, "checkpoint: " TTY_FILE);
  if (n == 0)
    {
      /* an image directory used again must not keep an old terminal */
      if (unlink (path) < 0 && errno != ENOENT)
        return error_set (err, errno, "checkpoint: remove \"%s\"", path);
      return 0;
    }

  struct json_writer *w = json_writer_new (false);
  if (w == NULL)
    return error_set (err, ENOMEM, "checkpoint: " TTY_FILE);
  json_w_begin_object (w);
  json_w_key (w, "console");
  json_w_bool (w, console);
  json_w_key (w, "keys");
  json_w_begin_array (w);
  for (size_t i = 0; i < n; i++)
    {
      char key[64];
      tty_key (key, sizeof key, &seen[i].st);
      json_w_string (w, key);
      criu_cmd_add (c, "--external=%s", key);
    }
  json_w_end_array (w);
  json_w_key (w, "stdio");
  json_w_begin_array (w);
  for (int fd = 0; fd < 3; fd++)
    json_w_int (w, stdio[fd]);
  json_w_end_array (w);
  if (console && console_is_bound (pid))
    {
      criu_cmd_add (c, "--ext-mount-map=/dev/console:/dev/console");
      json_w_key (w, "devconsole");
      json_w_bool (w, true);
    }
  /* The first is the console (fd 0 normally): its owner, mode and settings
   * are given to the new terminal. */
  const struct tty_seen *con = &seen[0];
  json_w_key (w, "uid");
  json_w_uint (w, con->st.st_uid);
  json_w_key (w, "gid");
  json_w_uint (w, con->st.st_gid);
  json_w_key (w, "mode");
  json_w_uint (w, con->st.st_mode & 07777);
  if (con->have_termios)
    write_termios (w, &con->tio);
  if (con->have_size)
    {
      json_w_key (w, "rows");
      json_w_uint (w, con->ws.ws_row);
      json_w_key (w, "cols");
      json_w_uint (w, con->ws.ws_col);
    }
  json_w_end_object (w);
  _cleanup_free_ char *json = NULL;
  size_t len;
  if (json_writer_finish (w, &json, &len) < 0)
    return error_set (err, ENOMEM, "checkpoint: " TTY_FILE);
  return fs_write_file_atomic (path, json, len, 0600, err);
}

/* ---- restore ---- */

static bool
get_uint (const struct json_value *obj, const char *key, uint64_t max, uint64_t *out)
{
  const struct json_value *v = obj ? json_object_get (obj, key) : NULL;
  return v && json_uint64 (v, out) && *out <= max;
}

static int
read_termios (const struct json_value *o, struct termios *t)
{
  uint64_t v;
  memset (t, 0, sizeof *t);
  if (!get_uint (o, "iflag", UINT32_MAX, &v))
    return -1;
  t->c_iflag = (tcflag_t) v;
  if (!get_uint (o, "oflag", UINT32_MAX, &v))
    return -1;
  t->c_oflag = (tcflag_t) v;
  if (!get_uint (o, "cflag", UINT32_MAX, &v))
    return -1;
  t->c_cflag = (tcflag_t) v;
  if (!get_uint (o, "lflag", UINT32_MAX, &v))
    return -1;
  t->c_lflag = (tcflag_t) v;
  const struct json_value *cc = json_object_get (o, "cc");
  if (cc == NULL || json_array_len (cc) != NCCS)
    return -1;
  for (size_t i = 0; i < NCCS; i++)
    {
      if (!json_uint64 (json_array_get (cc, i), &v) || v > 255)
        return -1;
      t->c_cc[i] = (cc_t) v;
    }
  return 0;
}

/* A pty of a devpts instance that is mounted nowhere (a detached mount, in
 * *devpts). */
static int
private_pty (int *slave, int *devpts, struct error **err)
{
  _cleanup_close_ int fsfd = fsopen ("devpts", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return error_set (err, errno, "restore: a devpts instance for the terminal (fsopen)");
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return error_set (err, errno, "restore: a devpts instance for the terminal (fsconfig)");
  _cleanup_close_ int mnt = fsmount (fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
  if (mnt < 0)
    return error_set (err, errno, "restore: a devpts instance for the terminal (fsmount)");
  int master = terminal_new_pty_at (mnt, "ptmx", 0, 0, slave, err);
  if (master < 0)
    return error_wrap (err, "restore: the new terminal");
  *devpts = steal_fd (&mnt);
  return master;
}

int
criu_tty_load (const char *image_path, struct criu_tty_desc *d, struct error **err)
{
  _cleanup_free_ char *path = image_file (image_path), *data = NULL;
  size_t len;
  char why[128] = "";
  memset (d, 0, sizeof *d);
  if (path == NULL)
    return error_set (err, ENOMEM, "restore");
  if (access (path, F_OK) < 0 && errno == ENOENT)
    return 0;
  if (fs_read_file (path, &data, &len, err) < 0)
    return -1;
  struct json_value *v = json_parse (data, len, why, sizeof why);
  const struct json_value *keys = v ? json_object_get (v, "keys") : NULL;
  const struct json_value *stdio = v ? json_object_get (v, "stdio") : NULL;
  const struct json_value *jt = v ? json_object_get (v, "termios") : NULL;
  const struct json_value *con = v ? json_object_get (v, "console") : NULL;
  const struct json_value *devcon = v ? json_object_get (v, "devconsole") : NULL;
  uint64_t uid, gid, mode, rows = 0, cols = 0;
  bool ok = keys && json_array_len (keys) > 0 && json_array_len (keys) <= MAX_TTYS && stdio
            && json_array_len (stdio) == 3 && con && json_type_of (con) == JSON_BOOL
            && get_uint (v, "uid", UINT32_MAX, &uid) && get_uint (v, "gid", UINT32_MAX, &gid)
            && get_uint (v, "mode", 07777, &mode) && (jt == NULL || read_termios (jt, &d->tio) == 0)
            && (json_object_get (v, "rows") == NULL
                || (get_uint (v, "rows", 0xffff, &rows) && get_uint (v, "cols", 0xffff, &cols)));
  for (size_t i = 0; ok && i < json_array_len (keys); i++)
    {
      /* handed to criu as they are: only its tty[rdev:dev] form */
      const char *key = json_string (json_array_get (keys, i));
      unsigned long long rdev, dev;
      char end;
      if (key == NULL || strlen (key) >= sizeof d->keys[0]
          || sscanf (key, "tty[%llx:%llx%c", &rdev, &dev, &end) != 3 || end != ']'
          || strcmp (strchr (key, ']'), "]") != 0)
        {
          json_free (v);
          return error_set (err, 0, "restore: \"%s\": keys[%zu] is not tty[rdev:dev]", path, i);
        }
      strcpy (d->keys[d->nkeys++], key);
    }
  for (size_t fd = 0; ok && fd < 3; fd++)
    {
      int64_t k;
      ok = json_int64 (json_array_get (stdio, fd), &k) && k >= -1 && k < (int64_t) d->nkeys;
      d->stdio[fd] = (int) k;
    }
  if (!ok)
    {
      json_free (v);
      return error_set (err, 0, "restore: \"%s\" is not a terminal description of capsa%s%s",
                        path, why[0] ? ": " : "", why);
    }
  d->present = true;
  d->console = json_bool (con);
  d->devconsole = devcon && json_bool (devcon);
  d->uid = (uid_t) uid;
  d->gid = (gid_t) gid;
  d->mode = (mode_t) mode;
  d->have_tio = jt != NULL;
  d->rows = (unsigned) rows;
  d->cols = (unsigned) cols;
  json_free (v);
  return 0;
}

/* A terminal the container inherited (not capsa's console): capsa's own fd
 * takes its place, as for a pipe. A copy above 2 goes to criu: criu moves an
 * inherited fd away, and with --shell-job it wants its own stdin still there. */
static int
inherit_own_stdio (struct criu_cmd *c, const struct criu_tty_desc *d, struct criu_tty *t,
                   struct error **err)
{
  for (size_t k = 0; k < d->nkeys; k++)
    for (int fd = 0; fd < 3; fd++)
      if (d->stdio[fd] == (int) k)
        {
          t->own[k] = fcntl (fd, F_DUPFD_CLOEXEC, 3);
          if (t->own[k] < 0)
            return error_set (err, errno, "restore: fd %d of the checkpointed process was a "
                              "terminal: capsa's fd %d takes its place", fd, fd);
          criu_cmd_add (c, "--inherit-fd=fd[%d]:%s", t->own[k], d->keys[k]);
          break;
        }
  return 0;
}

int
criu_tty_restore (struct criu_cmd *c, const struct criu_tty_desc *d, const char *devpts_at,
                  struct criu_tty *t, struct error **err)
{
  t->master = t->slave = t->devpts = -1;
  for (size_t k = 0; k < 3; k++)
    t->own[k] = -1;
  if (!d->present)
    return 0;
  if (!d->console)
    return inherit_own_stdio (c, d, t, err);
  int slave = -1, mnt = -1;
  _cleanup_close_ int master = private_pty (&slave, &mnt, err);
  _cleanup_close_ int slave_fd = slave, devpts = mnt;
  if (master < 0)
    return -1;
  /* the old terminal's owner and mode (a process that reopens /dev/stdout
   * needs them), its line settings (a shell's raw mode) and size */
  if (fchown (slave_fd, d->uid, d->gid) < 0 || fchmod (slave_fd, d->mode & 0777) < 0
      || (d->have_tio && tcsetattr (slave_fd, TCSANOW, &d->tio) < 0))
    return error_set (err, errno, "restore: set up the new terminal as the old one was");
  struct winsize ws = { .ws_row = (unsigned short) d->rows, .ws_col = (unsigned short) d->cols };
  if (d->rows > 0 && d->cols > 0 && ioctl (master, TIOCSWINSZ, &ws) < 0)
    return error_set (err, errno, "restore: set the terminal size");
  for (size_t k = 0; k < d->nkeys; k++)
    criu_cmd_add (c, "--inherit-fd=fd[%d]:%s", slave_fd, d->keys[k]);
  /* /dev/console, bound on the old slave, is bound on the new one. criu binds
   * it by a path: the devpts is attached at devpts_at in criu's own mount
   * namespace (a bind from a detached mount is refused: EINVAL). */
  if (d->devconsole)
    {
      unsigned n;
      if (ioctl (master, TIOCGPTN, &n) < 0)
        return error_set (err, errno, "restore: the new terminal's number (TIOCGPTN)");
      criu_cmd_add (c, "--ext-mount-map=/dev/console:%s/%u", devpts_at, n);
    }
  t->slave = steal_fd (&slave_fd);
  t->devpts = steal_fd (&devpts);
  t->master = steal_fd (&master);
  return 0;
}
