/* Thin wrappers for the kernel's fd-based path and mount interfaces.  glibc 2.36
 * already wraps fsopen/fsmount/open_tree/move_mount/mount_setattr in
 * <sys/mount.h>; openat2 has no wrapper, so it goes through syscall(2). */
#ifndef CAPSA_MOUNT_API_H
#define CAPSA_MOUNT_API_H

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static inline int
sys_openat2 (int dirfd, const char *path, struct open_how *how)
{
  return (int) syscall (SYS_openat2, dirfd, path, how, sizeof (*how));
}

/* "/proc/self/fd/N": lets mount(2) and friends act on an fd we resolved safely. */
#define PROC_FD_PATH_MAX 32
static inline const char *
proc_fd_path (char buf[PROC_FD_PATH_MAX], int fd)
{
  snprintf (buf, PROC_FD_PATH_MAX, "/proc/self/fd/%d", fd);
  return buf;
}

#endif
