/* restore: a new container from criu images and a bundle's config. criu
 * rebuilds the process tree and its mount namespace on the bundle's rootfs
 * (bound in criu's private mount namespace), with the external mounts mapped
 * back to their host sources, in a cgroup made as `create` makes it; then the
 * state record is written as `create` writes it, status from facts: running.
 * A checkpointed terminal gets a new pty (criu_tty.c) whose master goes to
 * --console-socket, or is proxied to our stdio by a foreground restore. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "checkpoint.h"
#include "container_ops.h"
#include "container_state.h"
#include "criu_opts.h"
#include "criu_tty.h"
#include "foreground.h"
#include "pid_identity.h"
#include "spec/util/cleanup.h"
#include "spec/util/json.h"
#include "terminal.h"
#include "util/fs.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define MAX_KEEP 20

static char *
join (const char *base, const char *path)
{
  char *out;
  if (path[0] == '/')
    return strdup (path);
  return asprintf (&out, "%s/%s", base, path) < 0 ? NULL : out;
}

/* --inherit-fd for each of fds 0-2 that was a pipe at checkpoint time (runc's
 * rule: criu recreates files and terminals itself, a pipe's other end is not
 * in the images): our own stdio takes its place. */
static void
inherit_stdio (struct criu_cmd *c, const char *image_path)
{
  _cleanup_free_ char *path = NULL, *data = NULL;
  size_t len;
  if (asprintf (&path, "%s/descriptors.json", image_path) < 0
      || fs_read_file (path, &data, &len, NULL) < 0)
    return;
  struct json_value *v = json_parse (data, len, NULL, 0);
  if (v == NULL)
    return;
  for (int fd = 0; fd < 3; fd++)
    {
      const struct json_value *e = json_array_get (v, fd);
      const char *s = e ? json_string (e) : NULL;
      if (s && strncmp (s, "pipe:", 5) == 0)
        criu_cmd_add (c, "--inherit-fd=fd[%d]:%s", fd, s);
    }
  json_free (v);
}

static int
restore_mounts (struct criu_cmd *c, const struct spec_config *cfg, const char *bundle,
                struct cgroup_manager *cg, struct error **err)
{
  for (size_t i = 0; i < cfg->mounts_len; i++)
    {
      const struct spec_mount *m = &cfg->mounts[i];
      if (m->type && strcmp (m->type, "cgroup") == 0)
        {
          const char *dir = cg ? cgroup_controller_dir (cg, "") : NULL;
          if (dir == NULL)
            return error_set (err, 0, "mounts: %s: a cgroup mount is restored on cgroup v2 only",
                              m->destination);
          criu_cmd_add (c, "--ext-mount-map=%s:%s", m->destination, dir);
        }
      else if (criu_mount_is_bind (m))
        {
          if (m->source == NULL)
            return error_set (err, 0, "mounts: %s: bind mount without source", m->destination);
          _cleanup_free_ char *src = join (bundle, m->source);
          if (src == NULL)
            return error_set (err, ENOMEM, "restore");
          criu_cmd_add (c, "--ext-mount-map=%s:%s", m->destination, src);
        }
    }
  if (cfg->linux_ && cfg->linux_->masked_paths_len > 0)
    criu_cmd_add (c, "--ext-mount-map=/dev/null:/dev/null");
  return 0;
}

static bool
under_tmpfs (const struct spec_config *cfg, size_t upto, const char *dest)
{
  for (size_t i = 0; i < upto; i++)
    {
      const struct spec_mount *m = &cfg->mounts[i];
      size_t n = strlen (m->destination);
      if (m->type && strcmp (m->type, "tmpfs") == 0 && strncmp (dest, m->destination, n) == 0
          && dest[n] == '/')
        return true;
    }
  return false;
}

/* criu mounts on the mount points it finds in the rootfs: a new bundle (or an
 * engine's fresh rootfs) lacks those `create` made, such as the files podman
 * binds on /etc/hosts. Made as create makes them (inside the rootfs, no
 * symlink out of it), except under a tmpfs criu restores with its content. */
static int
restore_mount_targets (const struct spec_config *cfg, const char *bundle, const char *rootfs,
                       struct error **err)
{
  _cleanup_close_ int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return error_set (err, errno, "restore: open the rootfs \"%s\"", rootfs);
  for (size_t i = 0; i < cfg->mounts_len; i++)
    {
      const struct spec_mount *m = &cfg->mounts[i];
      if (under_tmpfs (cfg, i, m->destination))
        continue;
      bool dir = true;
      if (criu_mount_is_bind (m) && m->source)
        {
          _cleanup_free_ char *src = join (bundle, m->source);
          struct stat st;
          if (src == NULL)
            return error_set (err, ENOMEM, "restore");
          dir = stat (src, &st) < 0 || S_ISDIR (st.st_mode);
        }
      int fd = fs_make_mount_target (rootfd, m->destination, dir, err);
      if (fd < 0)
        return error_wrap (err, "restore: mounts[%zu]: mount point", i);
      close (fd);
    }
  return 0;
}

/* Namespaces joined by path: criu gets an fd to each in place of the one
 * named at dump time. */
static int
restore_namespaces (struct criu_cmd *c, const struct spec_config *cfg, int *keep, size_t *nkeep,
                    struct error **err)
{
  for (size_t i = 0; cfg->linux_ && i < cfg->linux_->namespaces_len; i++)
    {
      const struct spec_namespace *ns = &cfg->linux_->namespaces[i];
      const char *key = criu_ext_ns_key (ns->type);
      if (ns->path == NULL || key == NULL)
        continue;
      /* room left for the status fd, the terminal's slave and 3 stdio copies */
      if (*nkeep + 5 >= MAX_KEEP)
        return error_set (err, 0, "restore: too many namespaces");
      int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return error_set (err, errno, "linux.namespaces[%zu].path: open \"%s\"", i, ns->path);
      keep[(*nkeep)++] = fd;
      criu_cmd_add (c, "--inherit-fd=fd[%d]:%s", fd, key);
    }
  return 0;
}

static void
drop_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static pid_t
read_pid (const char *path)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (fs_read_file (path, &data, &len, NULL) < 0)
    return -1;
  long v = strtol (data, NULL, 10);
  return v > 0 ? (pid_t) v : -1;
}

int
lc_restore (const struct lc_context *ctx, const char *id, const struct lc_create_opts *co,
            const struct lc_criu_opts *o, int *exit_status, struct error **err)
{
  char cwd[PATH_MAX];
  _cleanup_free_ char *bundle = NULL, *config_path = NULL, *rootfs = NULL, *dir = NULL,
                      *criu_root = NULL, *pid_path = NULL, *log_path = NULL, *tty_dir = NULL;
  _cleanup_close_ int dirfd = -1, pidfd = -1, console = -1;
  struct criu_tty term = { -1, -1, -1, { -1, -1, -1 } };
  struct spec_config *cfg = NULL;
  struct cgroup_manager *cg = NULL;
  struct criu_cmd c = { 0 };
  int keep[MAX_KEEP];
  size_t nkeep = 0, nns = 0;
  pid_t pid = -1;
  bool made_dir = false;
  int ret = -1;
  struct stat st;

  *exit_status = 0;
  if (lc_validate_id (id, err) < 0 || criu_check_opts (o, err) < 0)
    return -1;
  if (o->image_path == NULL || o->image_path[0] == '\0')
    return error_set (err, 0, "restore: --image-path is required");
  if (stat (o->image_path, &st) < 0 || !S_ISDIR (st.st_mode))
    return error_set (err, errno ? errno : ENOTDIR, "restore: image directory \"%s\"",
                      o->image_path);
  if (getcwd (cwd, sizeof cwd) == NULL)
    return error_set (err, errno, "getcwd");
  /* the images decide whether there is a terminal, as they hold the process */
  struct criu_tty_desc ttyd;
  if (criu_tty_load (o->image_path, &ttyd, err) < 0)
    return -1;
  bool tty = ttyd.console;
  if (tty && co->detach && co->console_socket == NULL)
    return error_set (err, 0, "restore: the checkpointed container has a terminal: cannot "
                      "allocate tty if capsa will detach without setting console socket");
  if (!tty && co->console_socket)
    return error_set (err, 0, "restore: --console-socket given but the checkpointed container "
                      "has no terminal");
  if (tty && !co->detach && co->console_socket == NULL
      && terminal_host_check ("restore of a terminal container", "run it from a terminal, or "
                              "pass --console-socket", err) < 0)
    return -1;
  if (co->console_socket && (console = terminal_connect_socket (co->console_socket, err)) < 0)
    return -1;
  bundle = join (cwd, co->bundle ? co->bundle : ".");
  if (bundle == NULL || (bundle = realpath_dup (bundle, err)) == NULL)
    return -1;
  config_path = co->config_path ? join (cwd, co->config_path) : join (bundle, "config.json");
  if (config_path == NULL)
    return error_set (err, ENOMEM, "restore");
  cfg = spec_config_parse_file (config_path, err);
  if (cfg == NULL)
    return -1;
  if (cfg->root_path == NULL)
    {
      error_set (err, EINVAL, "config.json: root.path: missing required field");
      goto out;
    }
  rootfs = join (bundle, cfg->root_path);
  if (rootfs == NULL || (rootfs = realpath_dup (rootfs, err)) == NULL)
    goto out;

  dirfd = statedir_create (ctx->root, id, err);
  if (dirfd < 0)
    goto out;
  made_dir = true;
  dir = statedir_path (ctx->root, id);
  if (cgroup_manager_new (cfg, id, ctx->systemd_cgroup, &cg, err) < 0
      || cgroup_create (cg, err) < 0)
    goto fail;
  if (dir == NULL || asprintf (&criu_root, "%s/criu-root", dir) < 0
      || asprintf (&pid_path, "%s/criu.pid", dir) < 0
      || asprintf (&tty_dir, "%s/criu-tty", dir) < 0)
    {
      error_set (err, ENOMEM, "restore");
      goto fail;
    }
  if (mkdir (criu_root, 0700) < 0)
    {
      error_set (err, errno, "mkdir \"%s\"", criu_root);
      goto fail;
    }
  const char *work = o->work_path ? o->work_path : o->image_path;
  if (work != o->image_path && fs_mkdir_all (work, 0700) < 0)
    {
      error_set (err, errno, "restore: create the work directory \"%s\"", work);
      goto fail;
    }
  if (asprintf (&log_path, "%s/restore.log", work) < 0)
    {
      error_set (err, ENOMEM, "restore");
      goto fail;
    }

  criu_cmd_add (&c, "%s", o->criu);
  criu_cmd_add (&c, "restore");
  criu_common_args (&c, o, work, "restore.log");
  criu_cmd_add (&c, "--root=%s", criu_root);
  /* The restored init becomes our child (criu's sibling), as with runc's swrk. */
  criu_cmd_add (&c, "--restore-detached");
  criu_cmd_add (&c, "--restore-sibling");
  criu_cmd_add (&c, "--pidfile=%s", pid_path);
  criu_cmd_add (&c, "--cgroup-root=%s", cgroup_path (cg));
  criu_restore_args (&c, o);
  if (restore_mounts (&c, cfg, bundle, cg, err) < 0
      || restore_namespaces (&c, cfg, keep, &nns, err) < 0)
    goto fail;
  if (restore_mount_targets (cfg, bundle, rootfs, err) < 0)
    goto fail;
  inherit_stdio (&c, o->image_path);
  if (tty && mkdir (tty_dir, 0700) < 0)
    {
      error_set (err, errno, "mkdir \"%s\"", tty_dir);
      goto fail;
    }
  if (criu_tty_restore (&c, &ttyd, tty_dir, &term, err) < 0)
    goto fail;
  nkeep = nns;
  keep[nkeep++] = o->status_fd;
  keep[nkeep++] = term.slave;
  for (size_t k = 0; k < 3; k++)
    keep[nkeep++] = term.own[k];
  struct criu_mntns mntns = { .rootfs = rootfs, .root = criu_root, .devpts_fd = term.devpts,
                              .devpts_at = tty_dir };
  int r = criu_run (o->criu, &c, &mntns, keep, nkeep, log_path, "restore", err);
  rmdir (criu_root);
  if (tty)
    rmdir (tty_dir);
  /* the restored process holds the slave now; criu's namespace held the devpts */
  drop_fd (&term.slave);
  drop_fd (&term.devpts);
  for (size_t k = 0; k < 3; k++)
    drop_fd (&term.own[k]);
  if (r < 0)
    goto fail;
  pid = read_pid (pid_path);
  unlink (pid_path);
  if (pid <= 0)
    {
      error_set (err, 0, "restore: criu wrote no pid to \"%s\"", pid_path);
      goto fail;
    }
  pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (console >= 0 && term.master >= 0)
    {
      if (terminal_send_fd (console, term.master, "/dev/ptmx", err) < 0)
        goto fail_restored;
      drop_fd (&term.master);
    }

  struct lc_record rec = {
    .id = (char *) id, .pid = pid, .pid_start = proc_start_time (pid, NULL),
    .pid_identity = pidfd >= 0 ? pidfd_identity (pidfd) : 0,
    .bundle = bundle, .rootfs = rootfs, .created = timestamp_now (), .owner = (char *) "",
    .cgroup = cgroup_manager_save (cg), .freezer = cgroup_freezer_file (cg),
    .has_poststart = cfg->hooks.len[HOOK_POSTSTART] > 0,
    .has_poststop = cfg->hooks.len[HOOK_POSTSTOP] > 0,
    .annotations = cfg->annotations, .annotations_len = cfg->annotations_len,
  };
  int wret = record_write (dirfd, &rec, err);
  free (rec.created);
  free (rec.cgroup);
  free (rec.freezer);
  if (wret < 0 || copy_config_to_state (dirfd, config_path, err) < 0
      || (co->pid_file && write_pid_file (co->pid_file, pid, err) < 0))
    goto fail_restored;
  log_debug ("container %s: restored from %s, init %d", id, o->image_path, pid);
  ret = 0;
  if (!co->detach)
    {
      /* Foreground, as runc's restore without -d: until the init ends. */
      close (dirfd);
      dirfd = -1;
      foreground_forward_signals (pidfd, term.master >= 0);
      *exit_status = foreground_wait (pid, term.master);
      ret = lc_delete (ctx, id, true, err);
    }
  goto out;

fail_restored:
  kill (pid, SIGKILL);
fail:
  if (cg)
    {
      struct error *e2 = NULL;
      cgroup_destroy (cg, &e2);
      error_free (&e2);
    }
  if (made_dir && dir)
    {
      struct error *e2 = NULL;
      fs_remove_tree (dir, &e2);
      error_free (&e2);
    }
out:
  for (size_t i = 0; i < nns; i++)
    close (keep[i]);
  drop_fd (&term.master);
  drop_fd (&term.slave);
  drop_fd (&term.devpts);
  for (size_t k = 0; k < 3; k++)
    drop_fd (&term.own[k]);
  criu_cmd_free (&c);
  if (cg)
    cgroup_manager_free (cg);
  spec_config_free (cfg);
  return ret;
}
