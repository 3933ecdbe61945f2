/* Mount option table: config.json mount options -> mount flags, propagation,
 * recursive attributes (mount_setattr) and fs data string. */
#ifndef CAPSA_MOUNTOPT_H
#define CAPSA_MOUNTOPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "spec/util/error.h"

struct mount_opts
{
  unsigned long flags;        /* MS_* for mount(2), including MS_BIND|MS_REC for rbind */
  unsigned long clear_flags;  /* flags explicitly cleared ("rw", "suid", ...) */
  unsigned long propagation;  /* MS_PRIVATE|MS_SLAVE|MS_SHARED|MS_UNBINDABLE (|MS_REC) or 0 */
  uint64_t rec_attr_set;      /* MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE) ("rro", ...) */
  uint64_t rec_attr_clr;
  char *data;                 /* comma-joined options the kernel parses (mode=755,...) */
  bool is_bind;
  bool recursive_bind;
  bool idmap;                 /* "idmap" / "ridmap" */
  bool idmap_recursive;       /* "ridmap": idmap every submount of an rbind too */
  bool src_nofollow, dest_nofollow;
  bool copy_up;               /* "tmpcopyup" */
};

int mountopt_parse (char *const *options, size_t n, struct mount_opts *out, struct error **err);
void mountopt_free (struct mount_opts *o);
/* Parse one rootfsPropagation value ("rslave") into MS_* flags. */
int mountopt_propagation (const char *name, unsigned long *out);
/* The i-th option name capsa knows (features.json), NULL past the end. */
const char *mountopt_name_at (size_t i);

#endif
