#define _GNU_SOURCE
#include "pid_identity.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC 0x50494446
#endif

uint64_t
pidfd_identity (int pidfd)
{
  struct statfs sfs;
  struct stat st;
  if (pidfd < 0 || fstatfs (pidfd, &sfs) < 0 || sfs.f_type != PID_FS_MAGIC
      || fstat (pidfd, &st) < 0)
    return 0;
  return (uint64_t) st.st_ino;
}

bool
pidfd_has_identity (int pidfd, uint64_t identity)
{
  struct stat st;
  if (identity == 0 || fstat (pidfd, &st) < 0 || (uint64_t) st.st_ino != identity)
    return false;
  /* A pidfd polls readable once the process has exited: a zombie is stopped. */
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  return poll (&p, 1, 0) == 0;
}

int
pid_has_identity (pid_t pid, uint64_t identity)
{
  if (pid <= 0 || identity == 0)
    return 0;
  /* ESRCH: gone; EINVAL: the number now names a thread, not a process.
   * Anything else (EMFILE...) says nothing about the process. */
  int fd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (fd < 0)
    return errno == ESRCH || errno == EINVAL ? 0 : -1;
  bool same = pidfd_has_identity (fd, identity);
  close (fd);
  return same;
}
