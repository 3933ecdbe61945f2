/* SELinux exec label. The write goes through procfs.c rather than libselinux's
 * setexeccon(), which opens /proc/thread-self/attr/exec by path: inside a
 * container /proc may be a volume the image controls. */
#define _GNU_SOURCE
#include "selinux.h"

#include <errno.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

#include "security.h"
#include "util/procfs.h"

bool
selinux_enabled (void)
{
  static int enabled = -1;
  if (enabled < 0)
    enabled = is_selinux_enabled () > 0;
  return enabled;
}

int
selinux_check_process_label (const char *label, struct error **err)
{
  if (label == NULL || *label == '\0')
    return 0;
  if (!selinux_enabled ())
    return error_set (err, 0, "selinux label is specified in config, but selinux is disabled "
                      "or not supported");
  return 0;
}

int
selinux_set_exec_label (const char *label, struct error **err)
{
  if (label == NULL || *label == '\0')
    return 0;
  if (procfs_write ("thread-self/attr/exec", label, strlen (label), err) < 0)
    return error_wrap (err, "set SELinux exec label \"%s\"", label);
  return 0;
}

const char *
security_mount_label (const struct spec_config *c)
{
  if (c->linux_ == NULL || c->linux_->mount_label == NULL || *c->linux_->mount_label == '\0')
    return NULL;
  if (!selinux_enabled ())
    {
      log_debug ("SELinux is not enabled: ignoring linux.mountLabel \"%s\"",
                 c->linux_->mount_label);
      return NULL;
    }
  return c->linux_->mount_label;
}

int
selinux_label_fd (int fd, const char *label, struct error **err)
{
  char path[64];
  if (label == NULL || *label == '\0' || !selinux_enabled ())
    return 0;
  /* The fd may be O_PATH (fsetxattr refuses those): go through its magic link. */
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  if (setxattr (path, "security.selinux", label, strlen (label) + 1, 0) < 0)
    return error_set (err, errno, "set SELinux file label \"%s\"", label);
  return 0;
}
