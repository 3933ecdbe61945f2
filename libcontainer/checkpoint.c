/* checkpoint: criu dump (or pre-dump) of a running container's process tree,
 * with what lies outside the container named for criu: bind mounts, masked
 * files (binds of /dev/null), cgroup mounts, namespaces joined by path, the
 * terminal (criu_tty.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "container_state.h"
#include "criu_opts.h"
#include "criu_tty.h"
#include "spec/util/cleanup.h"
#include "util/fs.h"

static void
dump_external_mounts (struct criu_cmd *c, const struct spec_config *cfg, pid_t pid)
{
  for (size_t i = 0; i < cfg->mounts_len; i++)
    {
      const struct spec_mount *m = &cfg->mounts[i];
      bool cgroup = m->type && strcmp (m->type, "cgroup") == 0;
      /* The key is the mount point in the container, the value the name the
       * restore maps back to a host path: runc uses the destination. */
      if (criu_mount_is_bind (m) || cgroup)
        criu_cmd_add (c, "--ext-mount-map=%s:%s", m->destination, m->destination);
    }
  for (size_t i = 0; cfg->linux_ && i < cfg->linux_->masked_paths_len; i++)
    {
      const char *p = cfg->linux_->masked_paths[i];
      char path[PATH_MAX];
      struct stat st;
      /* A masked file is /dev/null bound over it; a directory a tmpfs criu saves. */
      snprintf (path, sizeof path, "/proc/%d/root%s", pid, p);
      if (stat (path, &st) == 0 && !S_ISDIR (st.st_mode))
        criu_cmd_add (c, "--ext-mount-map=%s:/dev/null", p);
    }
}

static void
dump_external_namespaces (struct criu_cmd *c, const struct spec_config *cfg, pid_t pid)
{
  static const char *const proc_name[NS_TYPE_COUNT] = {
    [NS_NETWORK] = "net", [NS_PID] = "pid",
  };
  for (size_t i = 0; cfg->linux_ && i < cfg->linux_->namespaces_len; i++)
    {
      const struct spec_namespace *ns = &cfg->linux_->namespaces[i];
      const char *key = criu_ext_ns_key (ns->type);
      if (ns->path == NULL || key == NULL)
        continue;
      char path[64];
      struct stat st;
      snprintf (path, sizeof path, "/proc/%d/ns/%s", pid, proc_name[ns->type]);
      if (stat (path, &st) == 0)
        criu_cmd_add (c, "--external=%s[%lu]:%s", proc_name[ns->type],
                      (unsigned long) st.st_ino, key);
    }
}

/* descriptors.json as runc writes it: what fds 0-2 of the init were, so that a
 * restore can hand its own stdio in their place (criu's --inherit-fd). */
static int
write_descriptors (const char *image_path, pid_t pid, struct error **err)
{
  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  FILE *m = open_memstream (&json, &len);
  if (m == NULL)
    return error_set (err, errno, "descriptors.json");
  fputc ('[', m);
  for (int fd = 0; fd < 3; fd++)
    {
      char link[64], target[PATH_MAX];
      snprintf (link, sizeof link, "/proc/%d/fd/%d", pid, fd);
      ssize_t n = readlink (link, target, sizeof target - 1);
      target[n > 0 ? n : 0] = '\0';
      fputs (fd ? ",\"" : "\"", m);
      for (const char *s = target; *s; s++)
        if (*s == '"' || *s == '\\')
          fprintf (m, "\\%c", *s);
        else if ((unsigned char) *s < 0x20)
          fprintf (m, "\\u%04x", *s);
        else
          fputc (*s, m);
      fputc ('"', m);
    }
  fputc (']', m);
  if (fclose (m) != 0)
    return error_set (err, ENOMEM, "descriptors.json");
  _cleanup_free_ char *path = NULL;
  if (asprintf (&path, "%s/descriptors.json", image_path) < 0)
    return error_set (err, ENOMEM, "descriptors.json");
  return fs_write_file_atomic (path, json, len, 0600, err);
}

int
lc_checkpoint (const struct lc_context *ctx, const char *id, const struct lc_criu_opts *o,
               struct error **err)
{
  struct lc_record rec = { 0 };
  struct spec_config *cfg = NULL;
  struct criu_cmd c = { 0 };
  _cleanup_close_ int dirfd = -1;
  /* All before the first goto: a cleanup variable declared after a jump to
   * `out` would be freed uninitialised (clang refuses to compile that). */
  _cleanup_free_ char *cfg_path = NULL, *dir = NULL, *log_path = NULL;
  int ret = -1;

  if (lc_validate_id (id, err) < 0 || criu_check_opts (o, err) < 0)
    return -1;
  if (o->image_path == NULL || o->image_path[0] == '\0')
    return error_set (err, 0, "checkpoint: --image-path is required");
  dirfd = statedir_open (ctx->root, id, true, err);
  if (dirfd < 0)
    return -1;
  if (record_read (dirfd, &rec, err) < 0)
    return -1;
  enum lc_status st = record_status (dirfd, &rec);
  if (st != LC_RUNNING)
    {
      error_set (err, 0, "container %s is %s: only a running container can be checkpointed",
                 id, lc_status_name (st));
      goto out;
    }
  dir = statedir_path (ctx->root, id);
  if (dir == NULL || asprintf (&cfg_path, "%s/config.json", dir) < 0)
    {
      error_set (err, ENOMEM, "checkpoint");
      goto out;
    }
  cfg = spec_config_parse_file (cfg_path, err);
  if (cfg == NULL)
    goto out;
  if (fs_mkdir_all (o->image_path, 0700) < 0)
    {
      error_set (err, errno, "checkpoint: create the image directory \"%s\"", o->image_path);
      goto out;
    }
  const char *work = o->work_path ? o->work_path : o->image_path;
  if (work != o->image_path && fs_mkdir_all (work, 0700) < 0)
    {
      error_set (err, errno, "checkpoint: create the work directory \"%s\"", work);
      goto out;
    }

  const char *log_name = o->pre_dump ? "pre-dump.log" : "dump.log";
  criu_cmd_add (&c, "%s", o->criu);
  criu_cmd_add (&c, o->pre_dump ? "pre-dump" : "dump");
  criu_cmd_add (&c, "--tree=%d", rec.pid);
  criu_common_args (&c, o, work, log_name);
  criu_cmd_add (&c, "--root=%s", rec.rootfs);
  criu_dump_args (&c, o);
  dump_external_mounts (&c, cfg, rec.pid);
  dump_external_namespaces (&c, cfg, rec.pid);
  /* The console capsa made (process.terminal) gets a new pty at restore; a
   * terminal the container inherited (run from a shell) is replaced by the
   * restoring capsa's own stdio. Both are external to criu. */
  bool console = cfg->process && cfg->process->terminal;
  if (!o->pre_dump && (write_descriptors (o->image_path, rec.pid, err) < 0
                       || criu_tty_dump (&c, rec.pid, console, o->image_path, err) < 0))
    goto out;

  if (asprintf (&log_path, "%s/%s", work, log_name) < 0)
    {
      error_set (err, ENOMEM, "checkpoint");
      goto out;
    }
  int keep[1] = { o->status_fd };
  if (criu_run (o->criu, &c, NULL, keep, 1, log_path, o->pre_dump ? "pre-dump" : "dump", err) < 0)
    {
      /* criu thaws the tree when a dump fails: say so, since it is the question
       * the caller has next. */
      if (record_pid_alive (&rec))
        error_wrap (err, "checkpoint of %s failed, the container is still running", id);
      goto out;
    }
  ret = 0;
  if (!o->pre_dump && !o->leave_running)
    {
      /* criu killed the tree: the container is gone, as after runc's checkpoint. */
      close (dirfd);
      dirfd = -1;
      ret = lc_delete (ctx, id, true, err);
    }
out:
  criu_cmd_free (&c);
  spec_config_free (cfg);
  record_clear (&rec);
  return ret;
}
