/* Running from an unwritable copy of ourselves (CVE-2019-5736).
 *
 * The cheap way: a non-recursive clone of the binary's own bind mount
 * (open_tree(OPEN_TREE_CLONE) on the file), made read-only with mount_setattr and
 * executed with execveat(AT_EMPTY_PATH). No data is copied; the clone is detached
 * so it is in no mount table, and the container cannot make it writable again
 * (that needs CAP_SYS_ADMIN over the host's mount namespace). If the binary
 * already sits on a read-only mount, nothing happens at all.
 * Without mount rights (rootless), a sealed memfd copy is the fallback. */
#define _GNU_SOURCE
#include "exe_seal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spec/util/cleanup.h"


bool
exe_seal_is_sealed (const char **how)
{
  struct statvfs sv;
  _cleanup_close_ int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  int seals = fcntl (fd, F_GET_SEALS);
  if (seals >= 0 && (seals & EXE_SEALS) == EXE_SEALS)
    {
      if (how)
        *how = "sealed memfd";
      return true;
    }
  if (fstatvfs (fd, &sv) == 0 && (sv.f_flag & ST_RDONLY))
    {
      if (how)
        *how = "read-only mount";
      return true;
    }
  return false;
}

static int
ro_clone_of_self (void)
{
  int fd = syscall (SYS_open_tree, AT_FDCWD, "/proc/self/exe",
                    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0)
    return -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
  if (syscall (SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    {
      int saved = errno;
      close (fd);
      errno = saved;
      return -1;
    }
  return fd;
}

static int
sealed_memfd_of_self (struct error **err)
{
  struct stat st;
  _cleanup_close_ int src = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0)
    return error_set (err, errno, "open /proc/self/exe");
  if (fstat (src, &st) < 0)
    return error_set (err, errno, "stat /proc/self/exe");
  _cleanup_close_ int mfd = memfd_create ("capsa", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return error_set (err, errno, "memfd_create");
  for (off_t left = st.st_size; left > 0;)
    {
      ssize_t n = sendfile (mfd, src, NULL, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return error_set (err, n < 0 ? errno : EIO, "copy /proc/self/exe to a memfd");
      left -= n;
    }
  if (fcntl (mfd, F_ADD_SEALS, EXE_SEALS) < 0)
    return error_set (err, errno, "seal the memfd copy of /proc/self/exe");
  return steal_fd (&mfd);
}

static char **
env_with_marker (char **envp)
{
  size_t n = 0;
  while (envp && envp[n])
    n++;
  char **env = calloc (n + 2, sizeof *env);
  if (env == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    env[i] = envp[i];
  env[n] = (char *) EXE_SEAL_ENV "=1";
  return env;
}

int
exe_seal_ensure (char **argv, char **envp, struct error **err)
{
  const char *how = NULL;
  bool reexeced = getenv (EXE_SEAL_ENV) != NULL;
  if (reexeced)
    unsetenv (EXE_SEAL_ENV);   /* keep it out of hooks and containers */
  if (exe_seal_is_sealed (&how))
    {
      log_debug ("capsa binary is protected (%s)", how);
      return 0;
    }
  if (reexeced)
    return error_set (err, 0, "re-executed from a sealed copy but /proc/self/exe is still "
                      "writable");

  struct error *mount_err = NULL;
  int fd = ro_clone_of_self ();
  how = "read-only bind mount";
  if (fd < 0)
    {
      log_debug ("read-only clone of /proc/self/exe: %s; using a sealed memfd copy",
                 strerror (errno));
      fd = sealed_memfd_of_self (&mount_err);
      how = "sealed memfd";
      if (fd < 0)
        return error_propagate (err, &mount_err);
    }
  _cleanup_free_ char **env = env_with_marker (envp);
  if (env == NULL)
    {
      close (fd);
      return error_set (err, ENOMEM, "environment");
    }
  log_debug ("re-executing capsa from a %s", how);
  syscall (SYS_execveat, fd, "", argv, env, AT_EMPTY_PATH);
  int saved = errno;
  close (fd);
  return error_set (err, saved, "execveat capsa from a %s", how);
}
