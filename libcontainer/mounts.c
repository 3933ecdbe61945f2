#define _GNU_SOURCE
/* One config.mounts entry: resolve the destination inside the rootfs once,
 * check /proc rules on what it resolved to, build the mount detached (a clone
 * of the source tree, or a new filesystem), give it its flags and recursive
 * attributes while no one else can see it, attach it on the resolved fd, and
 * set propagation through the same mount fd (mount_fd.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts_internal.h"
#include "proc_mount_check.h"
#include "selinux.h"
#include "util/fs.h"
#include "util/mount_api.h"
#include "spec/util/cleanup.h"

int
mount_bind_fd (int src_fd, int target_fd, bool recursive)
{
  char s[PROC_FD_PATH_MAX], t[PROC_FD_PATH_MAX];
  return mount (proc_fd_path (s, src_fd), proc_fd_path (t, target_fd), NULL,
                MS_BIND | (recursive ? MS_REC : 0), NULL);
}

static bool
type_is (const char *type, const char *name)
{
  return type && strcmp (type, name) == 0;
}

/* proc and sysfs over a symlink would land wherever the image wants
 * (CVE-2019-19921 class); dest-nofollow asks the same for any mount. */
static int
check_not_symlink (struct rootfs_ctx *r, const char *dest, bool must_be_dir, struct error **err)
{
  _cleanup_close_ int fd = -1;
  struct stat sb;

  fd = fs_open_in_root (r->rootfs_fd, dest, O_PATH | O_NOFOLLOW, 0, NULL);
  if (fd < 0)
    return 0; /* created as a directory later */
  if (fstat (fd, &sb) < 0)
    return error_set (err, errno, "stat mount destination \"%s\"", dest);
  if (S_ISLNK (sb.st_mode))
    return error_set (err, 0, "mount destination \"%s\" is a symlink", dest);
  if (must_be_dir && !S_ISDIR (sb.st_mode))
    return error_set (err, 0, "mount destination \"%s\" is not a directory", dest);
  return 0;
}

/* Recursive attributes on the detached mount, attach it on the target, then
 * propagation on the attached mount through the same fd. */
static int
attach_mount (int mnt, int tfd, const struct mount_opts *o, const char *src, const char *dest,
              struct error **err)
{
  if (mount_fd_rec_attrs (mnt, o, src, dest, err) < 0)
    return -1;
  if (mount_fd_attach (mnt, tfd) < 0)
    return error_set (err, errno, "mount \"%s\" on \"%s\"%s", src, dest, mount_api_hint (errno));
  return mount_fd_finish (mnt, o, src, dest, err);
}

static int
mount_bind_entry (struct rootfs_ctx *r, const struct spec_mount *m, const struct mount_opts *o,
                  struct error **err)
{
  const char *dest = m->destination;
  const char *src = m->source ? m->source : "";
  struct stat sb;

  /* In a user namespace the parent made the detached copy (mount_sources.c):
   * flags and attach are ours. */
  size_t idx = (size_t) (m - r->config->mounts);
  _cleanup_close_ int made = r->source_trees ? steal_fd (&r->source_trees[idx]) : -1;
  /* The source is a host path: open it once and mount that very object. */
  _cleanup_close_ int sfd
      = made >= 0 ? -1 : open (src, O_PATH | O_CLOEXEC | (o->src_nofollow ? O_NOFOLLOW : 0));
  if (made < 0 && sfd < 0)
    return error_set (err, errno, "mount \"%s\" on \"%s\": open source", src, dest);
  if (fstat (made >= 0 ? made : sfd, &sb) < 0)
    return error_set (err, errno, "mount \"%s\" on \"%s\": stat source", src, dest);

  _cleanup_close_ int tfd = fs_make_mount_target (r->rootfs_fd, dest, S_ISDIR (sb.st_mode), err);
  if (tfd < 0)
    return error_wrap (err, "mount \"%s\" on \"%s\"", src, dest);
  if (proc_mount_check_at (r->rootfs_fd, tfd, dest, "bind", src, err) < 0)
    return -1;

  _cleanup_close_ int tree = made >= 0 ? steal_fd (&made) : mount_fd_clone (sfd, o->recursive_bind);
  if (tree < 0)
    return error_set (err, errno, "mount \"%s\" on \"%s\": open_tree%s", src, dest,
                      mount_api_hint (errno));
  if (o->idmap && sfd >= 0)
    {
      if (m->uid_mappings_len || m->gid_mappings_len)
        return error_set (err, ENOTSUP, "mount \"%s\" on \"%s\": idmap with per-mount mappings",
                          src, dest);
      _cleanup_close_ int userns = open ("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
      if (userns < 0)
        return error_set (err, errno, "mount \"%s\" on \"%s\": open user namespace", src, dest);
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
      if (mount_setattr (tree, "", AT_EMPTY_PATH | (o->idmap_recursive ? AT_RECURSIVE : 0), &attr,
                         sizeof attr) < 0)
        return error_set (err, errno, "mount \"%s\" on \"%s\": idmap", src, dest);
    }
  /* Flags go on the detached copy: it is never visible without them. */
  if (mount_fd_set_flags (tree, o->flags & MOUNT_FS_FLAG_MASK, o->clear_flags, o->recursive_bind)
      < 0)
    return error_set (err, errno, "mount \"%s\" on \"%s\": set mount flags%s", src, dest,
                      mount_api_hint (errno));
  return attach_mount (tree, tfd, o, src, dest, err);
}

static bool
is_dev (const char *dest)
{
  while (*dest == '/')
    dest++;
  if (strncmp (dest, "dev", 3) != 0)
    return false;
  for (dest += 3; *dest == '/'; dest++)
    ;
  return *dest == '\0';
}

/* The kernel refuses some filesystems in a user namespace that does not own
 * the matching namespace (sysfs without a new netns, mqueue without a new
 * ipcns): give the container the host's instead, as runc does. */
static const char *
userns_fallback_source (struct rootfs_ctx *r, const char *type)
{
  if (!r->userns)
    return NULL;
  if (type_is (type, "sysfs"))
    return "/sys";
  if (type_is (type, "mqueue"))
    return "/dev/mqueue";
  return NULL;
}

/* A new filesystem as a detached mount, or for sysfs/mqueue in a user
 * namespace that does not own the matching namespace, a recursive copy of the
 * host's (read-only and the other restrictions on every submount). */
static int
new_fs_mount (struct rootfs_ctx *r, const struct spec_mount *m, const struct mount_opts *o,
              bool copy_up, struct error **err)
{
  const char *type = m->type;
  /* mqueue rejects context= (its superblock is the ipc namespace's, already
   * labelled): it gets a file label after mounting, as in runc. */
  bool labelled = type_is (type, "tmpfs") || type_is (type, "devpts") || type_is (type, "ramfs");
  /* tmpcopyup fills the tmpfs first and makes it read-only after. */
  unsigned long keep = copy_up ? ~(unsigned long) MS_RDONLY : ~0UL;
  struct mount_fs_spec spec = {
    .type = type,
    .source = m->source ? m->source : type,
    .data = o->data,
    .label = labelled ? mount_label_for (r->mount_label) : NULL,
    .sb_flags = o->flags & MOUNT_SB_FLAG_MASK & keep,
    .mnt_flags = o->flags & MOUNT_FS_FLAG_MASK & keep,
  };
  struct error *local = NULL;
  int mnt = mount_fd_new_fs (&spec, &local);
  if (mnt >= 0)
    return mnt;
  int e = local ? local->errnum : errno;
  const char *host = userns_fallback_source (r, type);
  if (!(host && (e == EPERM || e == EBUSY)))
    return error_propagate (err, &local);
  error_free (&local);
  _cleanup_close_ int hfd = open (host, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (hfd < 0)
    return error_set (err, e, "mount \"%s\" (and open the host's \"%s\")", spec.source, host);
  _cleanup_close_ int tree = mount_fd_clone (hfd, true);
  if (tree < 0)
    return error_set (err, errno, "bind the host's \"%s\"%s", host, mount_api_hint (errno));
  if (mount_fd_set_flags (tree, o->flags & MOUNT_FS_FLAG_MASK, o->clear_flags, true) < 0)
    return error_set (err, errno, "bind the host's \"%s\": set mount flags", host);
  return steal_fd (&tree);
}

int
mount_entry (struct rootfs_ctx *r, const struct spec_mount *m, struct error **err)
{
  struct mount_opts o;
  const char *dest = m->destination;
  const char *type = m->type;

  if (mountopt_parse (m->options, m->options_len, &o, err) < 0)
    return error_wrap (err, "mount \"%s\"", dest);
  int ret = -1;
  _cleanup_close_ int tfd = -1;
  _cleanup_close_ int mnt = -1;
  _cleanup_close_ int old = -1;

  if (type_is (type, "bind"))
    {
      o.is_bind = true;
      o.flags |= MS_BIND;
    }
  /* The lexical check refuses early; proc_mount_check_at checks again what
   * the destination resolved to. */
  if (proc_mount_check (dest, type, o.is_bind ? m->source : NULL, err) < 0)
    goto out;
  if (o.is_bind)
    {
      if (o.dest_nofollow && check_not_symlink (r, dest, false, err) < 0)
        goto out;
      ret = mount_bind_entry (r, m, &o, err);
      goto out;
    }
  if (type == NULL || *type == '\0')
    {
      error_set (err, EINVAL, "mount \"%s\": no type and not a bind mount", dest);
      goto out;
    }

  bool special = type_is (type, "proc") || type_is (type, "sysfs");
  if ((special || o.dest_nofollow) && check_not_symlink (r, dest, special, err) < 0)
    goto out;

  const char *src = m->source ? m->source : type;
  tfd = fs_make_mount_target (r->rootfs_fd, dest, true, err);
  if (tfd < 0)
    {
      error_wrap (err, "mount \"%s\" on \"%s\"", src, dest);
      goto out;
    }
  if (proc_mount_check_at (r->rootfs_fd, tfd, dest, type, NULL, err) < 0)
    goto out;

  if (type_is (type, "cgroup") || type_is (type, "cgroup2"))
    {
      ret = mount_cgroup (r, m, &o, tfd, err);
      goto out;
    }

  bool copy_up = o.copy_up && type_is (type, "tmpfs");
  if (copy_up)
    {
      old = openat (tfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (old < 0)
        {
          error_set (err, errno, "mount \"%s\" on \"%s\": tmpcopyup: open the image directory",
                     src, dest);
          goto out;
        }
    }
  /* A read-only /dev still needs its device nodes, console and symlinks: it is
   * mounted writable and made read-only by rootfs_finalize, as runc does. */
  bool dev_ro = type_is (type, "tmpfs") && (o.flags & MS_RDONLY) && is_dev (dest);
  if (dev_ro)
    o.flags &= ~(unsigned long) MS_RDONLY;
  mnt = new_fs_mount (r, m, &o, copy_up, err);
  if (mnt < 0)
    {
      error_wrap (err, "mount \"%s\" on \"%s\"", src, dest);
      goto out;
    }
  if (type_is (type, "mqueue") && selinux_label_fd (mnt, r->mount_label, err) < 0)
    {
      error_wrap (err, "mount \"%s\" on \"%s\"", src, dest);
      goto out;
    }
  if (copy_up)
    {
      /* Filled through the detached mount's fd, made read-only there too. */
      if (tmpcopyup_tree (old, mnt, err) < 0)
        {
          error_wrap (err, "mount \"%s\" on \"%s\"", src, dest);
          goto out;
        }
      if ((o.flags & MS_RDONLY) && mount_fd_set_flags (mnt, MS_RDONLY, 0, false) < 0)
        {
          error_set (err, errno, "mount \"%s\" on \"%s\": make read-only%s", src, dest,
                     mount_api_hint (errno));
          goto out;
        }
    }
  ret = attach_mount (mnt, tfd, &o, src, dest, err);
  if (ret == 0 && dev_ro)
    {
      if (r->dev_ro_mnt >= 0)
        close (r->dev_ro_mnt);
      r->dev_ro_mnt = steal_fd (&mnt);
    }

out:
  mountopt_free (&o);
  return ret;
}
