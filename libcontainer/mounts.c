#define _GNU_SOURCE
/* One config.mounts entry: resolve the destination inside the rootfs, create
 * it, mount through /proc/self/fd/N of the resolved fd (never through a joined
 * path string), then remount flags, propagation and recursive attributes. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <selinux/selinux.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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

int
mount_remount_bind (int mnt_fd, unsigned long flags, unsigned long clear_flags)
{
  struct statvfs sv;
  unsigned long keep = 0;
  char t[PROC_FD_PATH_MAX];

  if (fstatvfs (mnt_fd, &sv) == 0)
    {
      if (sv.f_flag & ST_NOSUID)
        keep |= MS_NOSUID;
      if (sv.f_flag & ST_NODEV)
        keep |= MS_NODEV;
      if (sv.f_flag & ST_NOEXEC)
        keep |= MS_NOEXEC;
      /* The atime mode is one field: keep the source's only if the options
       * did not pick one. */
      unsigned long atime = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;
      if (!((flags | clear_flags) & atime))
        {
          if (sv.f_flag & ST_NOATIME)
            keep |= MS_NOATIME;
          if (sv.f_flag & ST_RELATIME)
            keep |= MS_RELATIME;
        }
      if (!((flags | clear_flags) & MS_NODIRATIME) && (sv.f_flag & ST_NODIRATIME))
        keep |= MS_NODIRATIME;
    }
  keep &= ~clear_flags;
  unsigned long f = (flags & MOUNT_FS_FLAG_MASK) | keep | MS_BIND | MS_REMOUNT;
  return mount (NULL, proc_fd_path (t, mnt_fd), NULL, f, NULL);
}

int
mount_apply_post (int mnt_fd, const struct mount_opts *o, const char *src, const char *dest,
                  struct error **err)
{
  char t[PROC_FD_PATH_MAX];
  if (o->propagation
      && mount (NULL, proc_fd_path (t, mnt_fd), NULL, o->propagation, NULL) < 0)
    return error_set (err, errno, "set propagation of \"%s\"", dest);
  if (o->rec_attr_set || o->rec_attr_clr)
    {
      struct mount_attr attr = { .attr_set = o->rec_attr_set, .attr_clr = o->rec_attr_clr };
      if (mount_setattr (mnt_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        return error_set (err, errno, "set recursive mount attributes of \"%s\"", dest);
    }
  return 0;
}

int
mount_label_data (const char *data, const char *label, char **out)
{
  *out = NULL;
  if (label == NULL || *label == '\0' || is_selinux_enabled () <= 0)
    return 0;
  if (asprintf (out, "%s%scontext=\"%s\"", data ? data : "", data && *data ? "," : "", label) < 0)
    return -1;
  return 0;
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

/* Copy what the image had under a directory into the fresh tmpfs over it. */
static int
copy_tree (int from, int to)
{
  int dfd = openat (from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return -1;
  _cleanup_closedir_ DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return -1;
    }
  struct dirent *de;
  while ((de = readdir (d)))
    {
      const char *n = de->d_name;
      struct stat sb;
      if (strcmp (n, ".") == 0 || strcmp (n, "..") == 0)
        continue;
      if (fstatat (dirfd (d), n, &sb, AT_SYMLINK_NOFOLLOW) < 0)
        return -1;
      if (S_ISDIR (sb.st_mode))
        {
          if (mkdirat (to, n, sb.st_mode & 07777) < 0 && errno != EEXIST)
            return -1;
          _cleanup_close_ int s = openat (dirfd (d), n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          _cleanup_close_ int t = openat (to, n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (s < 0 || t < 0 || copy_tree (s, t) < 0)
            return -1;
        }
      else if (S_ISLNK (sb.st_mode))
        {
          char buf[4096];
          ssize_t l = readlinkat (dirfd (d), n, buf, sizeof buf - 1);
          if (l < 0)
            return -1;
          buf[l] = '\0';
          if (symlinkat (buf, to, n) < 0)
            return -1;
        }
      else if (S_ISREG (sb.st_mode))
        {
          _cleanup_close_ int s = openat (dirfd (d), n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
          _cleanup_close_ int t = openat (to, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                          sb.st_mode & 07777);
          if (s < 0 || t < 0)
            return -1;
          char buf[65536];
          ssize_t rd;
          while ((rd = read (s, buf, sizeof buf)) > 0)
            if (write (t, buf, (size_t) rd) != rd)
              return -1;
          if (rd < 0)
            return -1;
        }
      else if (mknodat (to, n, sb.st_mode, sb.st_rdev) < 0)
        return -1;
      fchownat (to, n, sb.st_uid, sb.st_gid, AT_SYMLINK_NOFOLLOW);
    }
  return 0;
}

static int
mount_bind_entry (struct rootfs_ctx *r, const struct spec_mount *m, const struct mount_opts *o,
                  struct error **err)
{
  const char *dest = m->destination;
  const char *src = m->source ? m->source : "";
  struct stat sb;

  /* The source is a host path: open it once and mount that very object. */
  _cleanup_close_ int sfd = open (src, O_PATH | O_CLOEXEC | (o->src_nofollow ? O_NOFOLLOW : 0));
  if (sfd < 0)
    return error_set (err, errno, "mount \"%s\" on \"%s\": open source", src, dest);
  if (fstat (sfd, &sb) < 0)
    return error_set (err, errno, "mount \"%s\" on \"%s\": stat source", src, dest);

  _cleanup_close_ int tfd = fs_make_mount_target (r->rootfs_fd, dest, S_ISDIR (sb.st_mode), err);
  if (tfd < 0)
    return error_wrap (err, "mount \"%s\" on \"%s\"", src, dest);

  if (o->idmap)
    {
      if (m->uid_mappings_len || m->gid_mappings_len)
        return error_set (err, ENOTSUP, "mount \"%s\" on \"%s\": idmap with per-mount mappings",
                          src, dest);
      _cleanup_close_ int userns = open ("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
      if (userns < 0)
        return error_set (err, errno, "mount \"%s\" on \"%s\": open user namespace", src, dest);
      unsigned int tflags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
      if (o->recursive_bind)
        tflags |= AT_RECURSIVE;
      _cleanup_close_ int tree = open_tree (sfd, "", tflags);
      if (tree < 0)
        return error_set (err, errno, "mount \"%s\" on \"%s\": open_tree", src, dest);
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
      if (mount_setattr (tree, "", AT_EMPTY_PATH | (o->idmap_recursive ? AT_RECURSIVE : 0), &attr,
                         sizeof attr) < 0)
        return error_set (err, errno, "mount \"%s\" on \"%s\": idmap", src, dest);
      if (move_mount (tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return error_set (err, errno, "mount \"%s\" on \"%s\"", src, dest);
    }
  else if (mount_bind_fd (sfd, tfd, o->recursive_bind) < 0)
    return error_set (err, errno, "mount \"%s\" on \"%s\"", src, dest);

  /* The fd of the target still names the covered directory: reopen to reach
   * the new mount. */
  _cleanup_close_ int mfd = fs_open_in_root (r->rootfs_fd, dest, O_PATH, 0, err);
  if (mfd < 0)
    return error_wrap (err, "mount \"%s\" on \"%s\"", src, dest);
  if (((o->flags & MOUNT_FS_FLAG_MASK) || o->clear_flags)
      && mount_remount_bind (mfd, o->flags, o->clear_flags) < 0)
    return error_set (err, errno, "remount \"%s\" on \"%s\"", src, dest);
  return mount_apply_post (mfd, o, src, dest, err);
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
  _cleanup_close_ int mfd = -1;
  _cleanup_close_ int old = -1;
  _cleanup_free_ char *data = NULL;

  if (type_is (type, "bind"))
    {
      o.is_bind = true;
      o.flags |= MS_BIND;
    }
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

  tfd = fs_make_mount_target (r->rootfs_fd, dest, true, err);
  if (tfd < 0)
    {
      error_wrap (err, "mount \"%s\" on \"%s\"", m->source ? m->source : type, dest);
      goto out;
    }

  if (type_is (type, "cgroup") || type_is (type, "cgroup2"))
    {
      ret = mount_cgroup (r, m, &o, tfd, err);
      goto out;
    }

  const char *src = m->source ? m->source : type;
  /* mqueue rejects context= (its superblock is the ipc namespace's, already
   * labelled): it gets a file label after mounting, as in runc. */
  bool labelled = type_is (type, "tmpfs") || type_is (type, "devpts") || type_is (type, "ramfs");
  if (labelled && mount_label_data (o.data, r->mount_label, &data) < 0)
    {
      error_set (err, ENOMEM, "mount \"%s\" on \"%s\"", src, dest);
      goto out;
    }
  const char *d = data ? data : o.data;
  unsigned long flags = o.flags & MOUNT_FS_FLAG_MASK;
  bool copy_up = o.copy_up && type_is (type, "tmpfs");
  if (copy_up)
    {
      old = openat (tfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      flags &= ~MS_RDONLY; /* filled first, made read-only after */
    }

  char t[PROC_FD_PATH_MAX];
  if (mount (src, proc_fd_path (t, tfd), type, flags, d) < 0)
    {
      int e = errno;
      const char *host = userns_fallback_source (r, type);
      if (!(host && (e == EPERM || e == EBUSY)))
        {
          error_set (err, e, "mount \"%s\" on \"%s\"", src, dest);
          goto out;
        }
      _cleanup_close_ int hfd = open (host, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (hfd < 0 || mount_bind_fd (hfd, tfd, true) < 0)
        {
          error_set (err, e, "mount \"%s\" on \"%s\"", src, dest);
          goto out;
        }
      copy_up = false;
      flags = o.flags | MS_REMOUNT; /* per-mount flags go on by remount */
    }

  mfd = fs_open_in_root (r->rootfs_fd, dest, O_PATH, 0, err);
  if (mfd < 0)
    {
      error_wrap (err, "mount \"%s\" on \"%s\"", src, dest);
      goto out;
    }
  if (type_is (type, "mqueue") && selinux_label_fd (mfd, r->mount_label, err) < 0)
    {
      error_wrap (err, "mount \"%s\" on \"%s\"", src, dest);
      goto out;
    }
  if (copy_up)
    {
      if (old < 0 || copy_tree (old, mfd) < 0)
        {
          error_set (err, errno, "mount \"%s\" on \"%s\": tmpcopyup", src, dest);
          goto out;
        }
      if (o.flags & MS_RDONLY)
        flags = o.flags | MS_REMOUNT;
    }
  if ((flags & MS_REMOUNT) && mount_remount_bind (mfd, o.flags, o.clear_flags) < 0)
    {
      error_set (err, errno, "remount \"%s\" on \"%s\"", src, dest);
      goto out;
    }
  ret = mount_apply_post (mfd, &o, src, dest, err);

out:
  mountopt_free (&o);
  return ret;
}
