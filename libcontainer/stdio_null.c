/* stdio on /dev/null: the host's inode replaced by the container's (runc does
 * the same), so that checkpoint finds every fd of the init on a container mount. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "stdio_null.h"

static int
is_dev_null (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && st->st_rdev == makedev (1, 3);
}

void
stdio_reopen_dev_null (void)
{
  struct stat st;
  int want = 0;
  for (int fd = 0; fd < 3; fd++)
    if (fstat (fd, &st) == 0 && is_dev_null (&st))
      want |= 1 << fd;
  if (want == 0)
    return;
  /* After pivot_root "/dev/null" is the container's; it must be the null
   * device (not a file or another device the image put there). */
  _cleanup_close_ int null = open ("/dev/null", O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (null < 0 || fstat (null, &st) < 0 || !is_dev_null (&st))
    return;
  for (int fd = 0; fd < 3; fd++)
    if (want & (1 << fd))
      dup3 (null, fd, 0);
}
