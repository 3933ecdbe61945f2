#define _GNU_SOURCE
/* Mounts built and changed through the fd of the mount object itself:
 * open_tree(OPEN_TREE_CLONE) or fsopen/fsmount give a detached mount, its
 * flags are set with mount_setattr while nobody else can see it, and
 * move_mount attaches it at the destination fd resolved once.  A path is never
 * looked up a second time, so a container that swaps the destination for a
 * symlink between two steps cannot send the flags (read-only, nosuid, ...) to
 * some other mount. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mounts_internal.h"
#include "selinux.h"
#include "util/mount_api.h"
#include "spec/util/cleanup.h"

const char *
mount_api_hint (int e)
{
  return e == ENOSYS ? " (this kernel lacks the fd-based mount API: Linux 5.12 or newer is "
                       "needed to apply mount flags safely)"
                     : "";
}

/* Attributes that only restrict: an rbind applies them to every submount
 * (read-only at the top alone left the host's submounts of an rbind'd /sys
 * writable).  Clearing and the atime mode stay on the top mount, so that a
 * host submount that is read-only never becomes writable. */
#define RESTRICTING_ATTRS                                                                      \
  (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC                \
   | MOUNT_ATTR_NOSYMFOLLOW)

static const struct
{
  unsigned long ms;
  uint64_t attr;
} flag_attrs[] = {
  { MS_RDONLY, MOUNT_ATTR_RDONLY },         { MS_NOSUID, MOUNT_ATTR_NOSUID },
  { MS_NODEV, MOUNT_ATTR_NODEV },           { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
  { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
};

#define MS_ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

void
mount_flags_to_attr (unsigned long flags, unsigned long clear_flags, struct mount_attr *a)
{
  memset (a, 0, sizeof *a);
  for (size_t i = 0; i < ARRAY_SIZE (flag_attrs); i++)
    {
      if (flags & flag_attrs[i].ms)
        a->attr_set |= flag_attrs[i].attr;
      else if (clear_flags & flag_attrs[i].ms)
        a->attr_clr |= flag_attrs[i].attr;
    }
  /* One atime mode, chosen as mount(2) does: strictatime over noatime over
   * relatime; clearing a mode falls back to the default, relatime.  No atime
   * option keeps what the mount has (locked in a user namespace). */
  if ((flags | clear_flags) & MS_ATIME_FLAGS)
    {
      a->attr_clr |= MOUNT_ATTR__ATIME;
      if (flags & MS_STRICTATIME)
        a->attr_set |= MOUNT_ATTR_STRICTATIME;
      else if (flags & MS_NOATIME)
        a->attr_set |= MOUNT_ATTR_NOATIME;
      else
        a->attr_set |= MOUNT_ATTR_RELATIME;
    }
}

int
mount_fd_set_flags (int mnt_fd, unsigned long flags, unsigned long clear_flags, bool recursive)
{
  struct mount_attr a;
  mount_flags_to_attr (flags, clear_flags, &a);
  if (recursive && (a.attr_set & RESTRICTING_ATTRS))
    {
      struct mount_attr rec = { .attr_set = a.attr_set & RESTRICTING_ATTRS };
      if (mount_setattr (mnt_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &rec, sizeof rec) < 0)
        return -1;
    }
  if ((a.attr_set || a.attr_clr)
      && mount_setattr (mnt_fd, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
    return -1;
  return 0;
}

int
mount_fd_clone (int src_fd, bool recursive)
{
  unsigned int f = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
  return open_tree (src_fd, "", f | (recursive ? AT_RECURSIVE : 0));
}

int
mount_fd_attach (int mnt_fd, int target_fd)
{
  return move_mount (mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/* Superblock flags of mount(2) that fsconfig takes as named flags. */
static const struct
{
  unsigned long ms;
  const char *name;
} sb_flags[] = {
  { MS_RDONLY, "ro" },          { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" },
  { MS_LAZYTIME, "lazytime" },  { MS_MANDLOCK, "mand" },
};

static int
fs_option (int fsfd, const char *opt)
{
  _cleanup_free_ char *key = strdup (opt);
  if (key == NULL)
    return -1;
  char *eq = strchr (key, '=');
  if (eq == NULL)
    return fsconfig (fsfd, FSCONFIG_SET_FLAG, key, NULL, 0);
  *eq = '\0';
  return fsconfig (fsfd, FSCONFIG_SET_STRING, key, eq + 1, 0);
}

int
mount_fd_new_fs (const struct mount_fs_spec *s, struct error **err)
{
  _cleanup_close_ int fsfd = fsopen (s->type, FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return error_set (err, errno, "fsopen \"%s\"%s", s->type, mount_api_hint (errno));
  if (s->source && *s->source
      && fsconfig (fsfd, FSCONFIG_SET_STRING, "source", s->source, 0) < 0)
    return error_set (err, errno, "%s: source \"%s\"", s->type, s->source);
  for (size_t i = 0; i < ARRAY_SIZE (sb_flags); i++)
    if ((s->sb_flags & sb_flags[i].ms) && fsconfig (fsfd, FSCONFIG_SET_FLAG, sb_flags[i].name,
                                                    NULL, 0) < 0)
      return error_set (err, errno, "%s: option \"%s\"", s->type, sb_flags[i].name);
  if (s->data && *s->data)
    {
      /* mountopt_parse joined options that hold no comma themselves, and
       * cgroup controller lists are plain names: splitting is exact. */
      _cleanup_free_ char *copy = strdup (s->data);
      char *save = NULL;
      if (copy == NULL)
        return error_set (err, ENOMEM, "%s options", s->type);
      for (char *o = strtok_r (copy, ",", &save); o; o = strtok_r (NULL, ",", &save))
        if (fs_option (fsfd, o) < 0)
          return error_set (err, errno, "%s: option \"%s\"", s->type, o);
    }
  if (s->label && *s->label && fsconfig (fsfd, FSCONFIG_SET_STRING, "context", s->label, 0) < 0)
    return error_set (err, errno, "%s: context \"%s\"", s->type, s->label);
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return error_set (err, errno, "create \"%s\" filesystem", s->type);
  struct mount_attr a;
  mount_flags_to_attr (s->mnt_flags, 0, &a);
  int m = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned int) a.attr_set);
  if (m < 0)
    return error_set (err, errno, "fsmount \"%s\"", s->type);
  return m;
}

int
mount_fd_finish (int mnt_fd, const struct mount_opts *o, const char *src, const char *dest,
                 struct error **err)
{
  if (o->propagation)
    {
      struct mount_attr a = { .propagation = o->propagation & ~(unsigned long) MS_REC };
      unsigned int f = AT_EMPTY_PATH | ((o->propagation & MS_REC) ? AT_RECURSIVE : 0);
      if (mount_setattr (mnt_fd, "", f, &a, sizeof a) < 0)
        return error_set (err, errno, "set propagation of \"%s\" on \"%s\"", src, dest);
    }
  return 0;
}

int
mount_fd_rec_attrs (int mnt_fd, const struct mount_opts *o, const char *src, const char *dest,
                    struct error **err)
{
  if (o->rec_attr_set || o->rec_attr_clr)
    {
      struct mount_attr a = { .attr_set = o->rec_attr_set, .attr_clr = o->rec_attr_clr };
      if (mount_setattr (mnt_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
        return error_set (err, errno, "set recursive mount attributes of \"%s\" on \"%s\"", src,
                          dest);
    }
  return 0;
}

const char *
mount_label_for (const char *label)
{
  return label && *label && selinux_enabled () ? label : NULL;
}
