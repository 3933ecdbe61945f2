/* mount_flags_to_attr: config mount flags -> mount_setattr attributes (what
 * capsa sets on the detached mount, issue 16 item 4); proc_mount_check_at: the
 * /proc rule on the place a destination resolved to (item 6). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcontainer/mounts_internal.h"
#include "libcontainer/proc_mount_check.h"
#include "unit.h"

static int
resolved_check (int root, const char *rel, const char *type)
{
  struct error *err = NULL;
  int fd = openat (root, rel, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return -2;
  int r = proc_mount_check_at (root, fd, "/foo", type, NULL, &err);
  if (r < 0)
    CHECK_CONTAINS (err ? err->msg : "", "mount \"/foo\" resolved to \"/proc");
  error_free (&err);
  close (fd);
  return r;
}

int
main (void)
{
  struct mount_attr a;

  mount_flags_to_attr (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, &a);
  CHECK (a.attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
                        | MOUNT_ATTR_NOEXEC));
  CHECK (a.attr_clr == 0);  /* no atime option: the mount keeps its own */

  mount_flags_to_attr (MS_NOSUID, MS_RDONLY | MS_NOEXEC, &a);   /* "nosuid,rw,exec" */
  CHECK (a.attr_set == MOUNT_ATTR_NOSUID);
  CHECK (a.attr_clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC));

  /* The atime mode is one field: strictatime over noatime over relatime. */
  mount_flags_to_attr (MS_RELATIME, 0, &a);
  CHECK (a.attr_clr == MOUNT_ATTR__ATIME && a.attr_set == MOUNT_ATTR_RELATIME);
  mount_flags_to_attr (MS_NOATIME | MS_STRICTATIME, 0, &a);
  CHECK (a.attr_clr == MOUNT_ATTR__ATIME && a.attr_set == MOUNT_ATTR_STRICTATIME);
  mount_flags_to_attr (MS_NOATIME | MS_NODIRATIME, 0, &a);
  CHECK (a.attr_set == (MOUNT_ATTR_NOATIME | MOUNT_ATTR_NODIRATIME));
  mount_flags_to_attr (0, MS_NOATIME, &a);                      /* "atime" */
  CHECK (a.attr_clr == MOUNT_ATTR__ATIME && a.attr_set == MOUNT_ATTR_RELATIME);

  /* A rootfs with /proc, /etc and the image's /foo -> proc. */
  char dir[] = "/tmp/capsa-unit-mount-fd-XXXXXX";
  CHECK (mkdtemp (dir) != NULL);
  int root = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  CHECK (root >= 0);
  CHECK (mkdirat (root, "proc", 0755) == 0 && mkdirat (root, "proc/sys", 0755) == 0);
  CHECK (mkdirat (root, "etc", 0755) == 0);
  CHECK (resolved_check (root, "proc", "tmpfs") < 0);
  CHECK (resolved_check (root, "proc/sys", "bind") < 0);
  CHECK (resolved_check (root, "proc", "proc") == 0);
  CHECK (resolved_check (root, "etc", "tmpfs") == 0);
  CHECK (resolved_check (root, ".", "tmpfs") == 0);
  unlinkat (root, "proc/sys", AT_REMOVEDIR);
  unlinkat (root, "proc", AT_REMOVEDIR);
  unlinkat (root, "etc", AT_REMOVEDIR);
  close (root);
  rmdir (dir);
  return unit_finish ("test_mount_fd");
}
