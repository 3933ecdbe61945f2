/* Bind mount sources of a container in a user namespace, made by the parent.
 * The container's root is an unprivileged user on the host: a source under a
 * directory it may not search, or behind a symlink it may not follow, would
 * fail in the init with EACCES, and an idmapped mount needs CAP_SYS_ADMIN over
 * the source's filesystem, which only the host's root has. So the parent, as
 * host root, opens each source, clones it into a detached mount (open_tree),
 * idmaps it to the container's user namespace, and hands the fd over; the init
 * sets the flags on it and attaches it (mounts.c). runc does the same. */
#define _GNU_SOURCE
#include "mount_sources.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mountopt.h"
#include "spec/util/cleanup.h"
#include "sync.h"
#include "util/mount_api.h"

/* One detached copy of the source of m (a bind with options o), or -1 when the
 * parent cannot make it (an unprivileged caller, a missing source: the init
 * then tries as before and reports it). */
static int
source_tree (const struct spec_mount *m, const struct mount_opts *o, const char *bundle,
             int userns)
{
  _cleanup_free_ char *path = NULL;
  if (o->idmap && (m->uid_mappings_len || m->gid_mappings_len))
    return -1; /* refused by the init */
  if (m->source[0] == '/' ? (path = strdup (m->source)) == NULL
                          : asprintf (&path, "%s/%s", bundle, m->source) < 0)
    return -1;
  _cleanup_close_ int sfd = open (path, O_PATH | O_CLOEXEC | (o->src_nofollow ? O_NOFOLLOW : 0));
  if (sfd < 0)
    return -1;
  unsigned int f = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
  int tree = open_tree (sfd, "", f | (o->recursive_bind ? AT_RECURSIVE : 0));
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
  if (tree >= 0 && o->idmap
      && mount_setattr (tree, "", AT_EMPTY_PATH | (o->idmap_recursive ? AT_RECURSIVE : 0), &attr,
                        sizeof attr) < 0)
    {
      close (tree);
      return -1;
    }
  return tree;
}

int
mount_sources_send (const struct spec_config *c, const char *bundle, pid_t init, int sock,
                    struct error **err)
{
  _cleanup_close_ int userns = -1;
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      const struct spec_mount *m = &c->mounts[i];
      struct mount_opts o;
      struct error *e = NULL;
      if (mountopt_parse (m->options, m->options_len, &o, &e) < 0)
        {
          error_free (&e); /* the init reports it, with the mount's name */
          continue;
        }
      bool bind = o.is_bind || (m->type && strcmp (m->type, "bind") == 0);
      if (bind && m->source && userns < 0)
        {
          char path[64];
          snprintf (path, sizeof path, "/proc/%d/ns/user", init);
          userns = open (path, O_RDONLY | O_CLOEXEC);
          if (userns < 0)
            {
              mountopt_free (&o);
              return error_set (err, errno, "open the container's user namespace %s", path);
            }
        }
      _cleanup_close_ int tree = bind && m->source ? source_tree (m, &o, bundle, userns) : -1;
      mountopt_free (&o);
      if (tree >= 0 && sync_send (sock, SYNC_MOUNT_SOURCE, (int32_t) i, NULL, tree, err) < 0)
        return -1;
    }
  return 0;
}
