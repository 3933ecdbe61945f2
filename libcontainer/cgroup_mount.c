#define _GNU_SOURCE
/* The cgroup entry of config.mounts.  With a new cgroup namespace the kernel
 * already shows the container's own cgroup as the root, so fresh cgroup
 * mounts are right; without one, bind the container's cgroup directories from
 * the host hierarchies instead.  On v1/hybrid hosts the destination is a tmpfs
 * holding one mount per hierarchy, mirroring the host's /sys/fs/cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "mounts_internal.h"
#include "util/fs.h"
#include "util/mount_api.h"
#include "spec/util/cleanup.h"

#define HOST_CGROUP_ROOT "/sys/fs/cgroup"

/* Walk /proc/self/cgroup ("id:controllers:path" lines) for the first line
 * whose controller field `accept`s `arg`; returns a copy of that field, or of
 * the line's path when `want_path`. */
static char *
procself_find (const char *procself, bool (*accept) (const char *field, const char *arg),
               const char *arg, bool want_path)
{
  _cleanup_free_ char *copy = strdup (procself);
  char *save = NULL;
  if (copy == NULL)
    return NULL;
  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c = strchr (line, ':');
      char *p = c ? strchr (c + 1, ':') : NULL;
      if (p == NULL)
        continue;
      *p = '\0';
      if (accept (c + 1, arg))
        return strdup (want_path ? p + 1 : c + 1);
    }
  return NULL;
}

static bool
field_equals (const char *field, const char *ctrls)
{
  return strcmp (field, ctrls) == 0;
}

/* The path of the calling process in the hierarchy whose /proc/self/cgroup
 * controller field is `ctrls` ("" for the unified hierarchy). */
static char *
own_cgroup_path (const char *procself, const char *ctrls)
{
  return procself_find (procself, field_equals, ctrls, true);
}

/* Does every controller of a /proc/self/cgroup field appear in the mount's
 * super options? */
static bool
ctrls_match (const char *field, const char *super_opts)
{
  if (*field == '\0')
    return false;
  _cleanup_free_ char *f = strdup (field);
  char *save = NULL;
  if (f == NULL)
    return false;
  for (char *c = strtok_r (f, ",", &save); c; c = strtok_r (NULL, ",", &save))
    {
      size_t l = strlen (c);
      const char *s = super_opts;
      bool found = false;
      while (s && *s)
        {
          if (strncmp (s, c, l) == 0 && (s[l] == ',' || s[l] == '\0'))
            {
              found = true;
              break;
            }
          s = strchr (s, ',');
          s = s ? s + 1 : NULL;
        }
      if (!found)
        return false;
    }
  return true;
}

/* The controller field of /proc/self/cgroup that belongs to a v1 mount. */
static char *
ctrls_for_mount (const char *procself, const char *super_opts)
{
  return procself_find (procself, ctrls_match, super_opts, false);
}

/* A fresh cgroup filesystem (the cgroup namespace shows the container's own
 * cgroup as its root) as a detached mount with the options' flags. */
static int
new_cgroup_fs (const char *fstype, const char *ctrls, const struct mount_opts *o,
               struct error **err)
{
  struct mount_fs_spec spec = {
    .type = fstype,
    .source = fstype,
    .data = strcmp (fstype, "cgroup2") == 0 ? NULL : ctrls,
    .sb_flags = o->flags & MOUNT_SB_FLAG_MASK,
    .mnt_flags = o->flags & MOUNT_FS_FLAG_MASK,
  };
  return mount_fd_new_fs (&spec, err);
}

/* Without a cgroup namespace: a detached copy of this process's own cgroup
 * directory of the host hierarchy mounted at host_mnt, flags already on. */
static int
own_cgroup_clone (const char *host_mnt, const char *ctrls, const char *procself,
                  const struct mount_opts *o, char **src_out, struct error **err)
{
  _cleanup_free_ char *path = own_cgroup_path (procself, ctrls);
  if (asprintf (src_out, "%s%s", host_mnt, path && strcmp (path, "/") ? path : "") < 0)
    {
      *src_out = NULL;
      return error_set (err, ENOMEM, "mount cgroup");
    }
  _cleanup_close_ int sfd = open (*src_out, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (sfd < 0)
    return error_set (err, errno, "open \"%s\"", *src_out);
  _cleanup_close_ int tree = mount_fd_clone (sfd, false);
  if (tree < 0)
    return error_set (err, errno, "bind \"%s\"%s", *src_out, mount_api_hint (errno));
  if (mount_fd_set_flags (tree, o->flags & MOUNT_FS_FLAG_MASK, o->clear_flags, false) < 0)
    return error_set (err, errno, "bind \"%s\": set mount flags%s", *src_out,
                      mount_api_hint (errno));
  return steal_fd (&tree);
}

static int
mount_one_hierarchy (struct rootfs_ctx *r, int parent_fd, const char *name, const char *fstype,
                     const char *ctrls, const char *host_mnt, const char *procself,
                     const struct mount_opts *o, const char *dest, struct error **err)
{
  if (mkdirat (parent_fd, name, 0755) < 0 && errno != EEXIST)
    return error_set (err, errno, "mount cgroup on \"%s/%s\": mkdir", dest, name);
  _cleanup_close_ int sub = openat (parent_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return error_set (err, errno, "mount cgroup on \"%s/%s\"", dest, name);
  _cleanup_free_ char *src = NULL;
  _cleanup_close_ int mnt = -1;
  if (r->new_cgroupns)
    mnt = new_cgroup_fs (fstype, ctrls, o, err);
  else
    mnt = own_cgroup_clone (host_mnt, strcmp (fstype, "cgroup2") == 0 ? "" : ctrls, procself, o,
                            &src, err);
  if (mnt < 0)
    return error_wrap (err, "mount cgroup on \"%s/%s\"", dest, name);
  if (mount_fd_attach (mnt, sub) < 0)
    return error_set (err, errno, "mount \"%s\" on \"%s/%s\"", src ? src : fstype, dest, name);
  return 0;
}

/* cpu,cpuacct mounted at "cpu,cpuacct": also give "cpu" and "cpuacct" names. */
static void
comount_links (int parent_fd, const char *name)
{
  if (strchr (name, ',') == NULL)
    return;
  _cleanup_free_ char *copy = strdup (name);
  char *save = NULL;
  if (copy == NULL)
    return;
  for (char *c = strtok_r (copy, ",", &save); c; c = strtok_r (NULL, ",", &save))
    if (strchr (c, '=') == NULL)
      symlinkat (name, parent_fd, c);
}

/* The tmpfs is attached first (hierarchies can only be mounted onto an
 * attached tree), filled through its own mount fd, then made read-only
 * through that fd: the destination path is never looked up again. */
static int
mount_cgroup_v1 (struct rootfs_ctx *r, const struct spec_mount *m, const struct mount_opts *o,
                 int target_fd, const char *procself, struct error **err)
{
  const char *dest = m->destination;
  unsigned long no_ro = ~(unsigned long) MS_RDONLY;
  struct mount_fs_spec spec = {
    .type = "tmpfs",
    .source = "tmpfs",
    .data = "mode=755",
    .label = mount_label_for (r->mount_label),
    .sb_flags = o->flags & MOUNT_SB_FLAG_MASK & no_ro,
    .mnt_flags = o->flags & MOUNT_FS_FLAG_MASK & no_ro,
  };
  _cleanup_close_ int tmpfs = mount_fd_new_fs (&spec, err);
  if (tmpfs < 0)
    return error_wrap (err, "mount cgroup on \"%s\"", dest);
  if (mount_fd_attach (tmpfs, target_fd) < 0)
    return error_set (err, errno, "mount \"tmpfs\" on \"%s\"", dest);

  /* A snapshot, read before we mount: with the host's / as rootfs our mounts land
   * on the very /sys/fs/cgroup/<name> paths we read, and a live read never ends. */
  _cleanup_free_ char *table = NULL;
  char *save = NULL;
  if (fs_read_file ("/proc/self/mountinfo", &table, NULL, err) < 0)
    return -1;
  for (char *line = strtok_r (table, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char mnt[4096], fstype[64], super[1024];
      const char *sep = strstr (line, " - ");
      if (sep == NULL || sscanf (line, "%*s %*s %*s %*s %4095s", mnt) != 1
          || sscanf (sep + 3, "%63s %*s %1023s", fstype, super) != 2)
        continue;
      if (strncmp (mnt, HOST_CGROUP_ROOT "/", sizeof HOST_CGROUP_ROOT) != 0)
        continue;
      const char *name = mnt + sizeof HOST_CGROUP_ROOT;
      if (*name == '\0' || strchr (name, '/'))
        continue;
      int rc;
      if (strcmp (fstype, "cgroup2") == 0)
        rc = mount_one_hierarchy (r, tmpfs, name, "cgroup2", "", mnt, procself, o, dest, err);
      else if (strcmp (fstype, "cgroup") == 0)
        {
          _cleanup_free_ char *ctrls = ctrls_for_mount (procself, super);
          if (ctrls == NULL)
            continue; /* a hierarchy this process is not in */
          rc = mount_one_hierarchy (r, tmpfs, name, "cgroup", ctrls, mnt, procself, o, dest, err);
          comount_links (tmpfs, name);
        }
      else
        continue;
      if (rc < 0)
        return -1;
    }
  if ((o->flags & MS_RDONLY) && mount_fd_set_flags (tmpfs, MS_RDONLY, 0, false) < 0)
    return error_set (err, errno, "make \"tmpfs\" on \"%s\" read-only%s", dest,
                      mount_api_hint (errno));
  if (mount_fd_rec_attrs (tmpfs, o, "cgroup", dest, err) < 0)
    return -1;
  return mount_fd_finish (tmpfs, o, "cgroup", dest, err);
}

int
mount_cgroup (struct rootfs_ctx *r, const struct spec_mount *m, const struct mount_opts *o,
              int target_fd, struct error **err)
{
  struct statfs sf;
  const char *dest = m->destination;
  _cleanup_free_ char *procself = NULL;

  if (statfs (HOST_CGROUP_ROOT, &sf) < 0)
    return error_set (err, errno, "statfs %s", HOST_CGROUP_ROOT);
  if (fs_read_file ("/proc/self/cgroup", &procself, NULL, err) < 0)
    return -1;
  if (sf.f_type != CGROUP2_SUPER_MAGIC)
    return mount_cgroup_v1 (r, m, o, target_fd, procself, err);

  _cleanup_free_ char *src = NULL;
  _cleanup_close_ int mnt = -1;
  if (r->new_cgroupns)
    mnt = new_cgroup_fs ("cgroup2", NULL, o, err);
  else
    mnt = own_cgroup_clone (HOST_CGROUP_ROOT, "", procself, o, &src, err);
  if (mnt < 0)
    return error_wrap (err, "mount cgroup on \"%s\"", dest);
  if (mount_fd_rec_attrs (mnt, o, "cgroup", dest, err) < 0)
    return -1;
  if (mount_fd_attach (mnt, target_fd) < 0)
    return error_set (err, errno, "mount \"%s\" on \"%s\"", src ? src : "cgroup2", dest);
  return mount_fd_finish (mnt, o, "cgroup", dest, err);
}
