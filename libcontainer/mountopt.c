/* config.json mount options -> mount(2) flags, propagation, mount_setattr
 * attributes and the fs data string.  The table follows the option names runc
 * and crun accept; anything not in it is passed to the filesystem as data. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "mountopt.h"
#include "spec/util/cleanup.h"

enum opt_kind
{
  OPT_NOOP,       /* "defaults" */
  OPT_SET,        /* add MS_* flags */
  OPT_CLEAR,      /* remove MS_* flags (and remember the explicit clear) */
  OPT_PROPAGATION,
  OPT_REC_SET,    /* mount_setattr attr_set */
  OPT_REC_CLEAR,  /* mount_setattr attr_clr */
  OPT_REC_ATIME,  /* mount_setattr atime mode: a value inside MOUNT_ATTR__ATIME */
  OPT_BIND,
  OPT_RBIND,
  OPT_IDMAP,
  OPT_RIDMAP,
  OPT_TMPCOPYUP,
  OPT_SRC_NOFOLLOW,
  OPT_DEST_NOFOLLOW,
};

struct opt_def
{
  const char *name;
  enum opt_kind kind;
  unsigned long value;
};

static const struct opt_def opt_table[] = {
  { "defaults", OPT_NOOP, 0 },
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_SET, MS_NODEV },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "remount", OPT_SET, MS_REMOUNT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "noatime", OPT_SET, MS_NOATIME },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "bind", OPT_BIND, MS_BIND },
  { "rbind", OPT_RBIND, MS_BIND | MS_REC },
  { "private", OPT_PROPAGATION, MS_PRIVATE },
  { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROPAGATION, MS_SHARED },
  { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, MS_SLAVE },
  { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "rro", OPT_REC_SET, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV },
  { "rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
  /* The atime attributes are one 3-valued field, not independent bits: each
   * option picks a mode.  Turning a mode "off" falls back to the kernel's
   * default (relatime), except rnorelatime, which can only mean strictatime. */
  { "rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME },
  { "ratime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "idmap", OPT_IDMAP, 0 },
  { "ridmap", OPT_RIDMAP, 0 },
  { "tmpcopyup", OPT_TMPCOPYUP, 0 },
  { "src-nofollow", OPT_SRC_NOFOLLOW, 0 },
  { "dest-nofollow", OPT_DEST_NOFOLLOW, 0 },
};

static const struct opt_def *
opt_lookup (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (opt_table); i++)
    if (strcmp (opt_table[i].name, name) == 0)
      return &opt_table[i];
  return NULL;
}

static int
data_append (char **data, const char *opt)
{
  size_t old = *data ? strlen (*data) : 0;
  size_t add = strlen (opt);
  char *n = realloc (*data, old + add + 2);
  if (n == NULL)
    return -1;
  if (old)
    n[old++] = ',';
  memcpy (n + old, opt, add + 1);
  *data = n;
  return 0;
}

static void
apply_opt (const struct opt_def *d, struct mount_opts *o)
{
  switch (d->kind)
    {
    case OPT_NOOP:
      break;
    case OPT_SET:
      o->flags |= d->value;
      o->clear_flags &= ~d->value;
      break;
    case OPT_CLEAR:
      o->flags &= ~d->value;
      o->clear_flags |= d->value;
      break;
    case OPT_PROPAGATION:
      o->propagation = d->value;
      break;
    case OPT_REC_SET:
      o->rec_attr_set |= d->value;
      o->rec_attr_clr &= ~(uint64_t) d->value;
      break;
    case OPT_REC_CLEAR:
      o->rec_attr_clr |= d->value;
      o->rec_attr_set &= ~(uint64_t) d->value;
      break;
    case OPT_REC_ATIME:
      /* The kernel wants the whole atime field in attr_clr to change it. */
      o->rec_attr_clr |= MOUNT_ATTR__ATIME;
      o->rec_attr_set = (o->rec_attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) | d->value;
      break;
    case OPT_BIND:
      o->flags |= MS_BIND;
      o->is_bind = true;
      break;
    case OPT_RBIND:
      o->flags |= MS_BIND | MS_REC;
      o->is_bind = true;
      o->recursive_bind = true;
      break;
    case OPT_IDMAP:
      o->idmap = true;
      break;
    case OPT_RIDMAP:
      o->idmap = true;
      o->idmap_recursive = true;
      break;
    case OPT_TMPCOPYUP:
      o->copy_up = true;
      break;
    case OPT_SRC_NOFOLLOW:
      o->src_nofollow = true;
      break;
    case OPT_DEST_NOFOLLOW:
      o->dest_nofollow = true;
      break;
    }
}

int
mountopt_parse (char *const *options, size_t n, struct mount_opts *out, struct error **err)
{
  memset (out, 0, sizeof (*out));
  if (n > 0 && options == NULL)
    return error_set (err, EINVAL, "mount options: missing option list");
  for (size_t i = 0; i < n; i++)
    {
      const char *opt = options[i];
      if (opt == NULL || opt[0] == '\0')
        {
          mountopt_free (out);
          return error_set (err, EINVAL, "mount option %zu: empty option", i);
        }
      const struct opt_def *d = opt_lookup (opt);
      if (d)
        {
          apply_opt (d, out);
          continue;
        }
      /* A comma would let one config entry smuggle several options past this
       * table straight into the filesystem. */
      if (strchr (opt, ','))
        {
          mountopt_free (out);
          return error_set (err, EINVAL, "mount option \"%s\": contains a comma", opt);
        }
      if (data_append (&out->data, opt) < 0)
        {
          mountopt_free (out);
          return error_set (err, ENOMEM, "mount option \"%s\"", opt);
        }
    }
  return 0;
}

void
mountopt_free (struct mount_opts *o)
{
  free (o->data);
  o->data = NULL;
}

int
mountopt_propagation (const char *name, unsigned long *out)
{
  const struct opt_def *d = name ? opt_lookup (name) : NULL;
  if (d == NULL || d->kind != OPT_PROPAGATION)
    {
      errno = EINVAL;
      return -1;
    }
  *out = d->value;
  return 0;
}

/* The i-th option name of the table (features.json), NULL past the end. */
const char *
mountopt_name_at (size_t i)
{
  return i < ARRAY_SIZE (opt_table) ? opt_table[i].name : NULL;
}
