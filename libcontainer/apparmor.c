/* AppArmor: the profile applies at the next execve. The enabled check reads sysfs
 * before pivot_root, while the host's /sys is still what we see. */
#define _GNU_SOURCE
#include "apparmor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "util/procfs.h"

bool
apparmor_enabled (void)
{
  static int enabled = -1;
  if (enabled < 0)
    {
      char c = 0;
      _cleanup_close_ int fd = open ("/sys/module/apparmor/parameters/enabled",
                                     O_RDONLY | O_CLOEXEC);
      enabled = fd >= 0 && read (fd, &c, 1) == 1 && c == 'Y';
    }
  return enabled;
}

int
apparmor_check_profile (const char *profile, struct error **err)
{
  if (profile == NULL || *profile == '\0')
    return 0;
  if (!apparmor_enabled ())
    return error_set (err, 0, "apparmor profile \"%s\" specified but AppArmor is not enabled "
                      "on this system", profile);
  return 0;
}

int
apparmor_set_exec_profile (const char *profile, struct error **err)
{
  _cleanup_free_ char *cmd = NULL;
  struct error *first = NULL;
  if (profile == NULL || *profile == '\0')
    return 0;
  int len = asprintf (&cmd, "exec %s", profile);
  if (len < 0)
    return error_set (err, ENOMEM, "apparmor profile");
  if (procfs_write ("thread-self/attr/apparmor/exec", cmd, len, &first) == 0)
    return 0;
  /* Kernels before 5.1 (no LSM stacking) only have the shared attr/exec. */
  if (first->errnum != ENOENT)
    {
      if (err == NULL)
        {
          error_free (&first);
          return -1;
        }
      *err = first;
      return error_wrap (err, "apply apparmor profile \"%s\"", profile);
    }
  error_free (&first);
  if (procfs_write ("thread-self/attr/exec", cmd, len, err) < 0)
    return error_wrap (err, "apply apparmor profile \"%s\"", profile);
  return 0;
}
