#define _GNU_SOURCE
#include "finalize.h"

#include <errno.h>
#include <stdlib.h>

#include "process.h"
#include "terminal.h"
#include "spec/util/cleanup.h"
#include "sync.h"

char *
finalize_process (const struct spec_config *c, struct security_plan *sec, int sync_fd,
                  int preserve_fds, const int *keep, size_t nkeep, bool own_stdio,
                  struct error **err)
{
  const struct spec_process *p = c->process;
  struct sync_msg m;

  /* chdir while still root (the user may lack search permission on the path's
   * parents, as in runc), and before a seccomp filter that may deny getcwd, which
   * process_set_cwd uses to verify the result is inside the root. */
  int cwd_ret = process_set_cwd (p, err);
  if (cwd_ret < 0 && (*err)->errnum != EACCES)
    return NULL;
  if (security_before_user (sec, err) < 0)
    return NULL;
  if (own_stdio && p && terminal_own_stdio (p->user.uid, err) < 0)
    return NULL;
  if (process_set_user (p, err) < 0)
    return NULL;
  if (cwd_ret < 0)
    {
      error_free (err);
      if (process_set_cwd (p, err) < 0)
        return NULL;
    }
  process_set_umask (p);
  if (security_after_user (sec, err) < 0)
    return NULL;
  if (process_set_cpu_affinity_final (p, err) < 0)
    return NULL;

  /* A missing binary fails create (or exec) here, not later. */
  _cleanup_free_ char *path = process_resolve_exec (p, err);
  if (path == NULL)
    return NULL;

  int listener = security_seccomp_listener_fd (sec);
  if (listener >= 0)
    {
      if (sync_send (sync_fd, SYNC_SECCOMP_FD, 0, NULL, listener, err) < 0
          || sync_expect (sync_fd, SYNC_SECCOMP_DONE, &m, NULL, err) < 0)
        return NULL;
    }

  int keep_all[nkeep + 1];
  for (size_t i = 0; i < nkeep; i++)
    keep_all[i] = keep[i];
  keep_all[nkeep] = sync_fd;
  if (process_close_fds (preserve_fds, keep_all, nkeep + 1, err) < 0)
    return NULL;
  if (sync_send (sync_fd, SYNC_READY, 0, NULL, -1, err) < 0)
    return NULL;
  return steal_pointer (&path);
}
