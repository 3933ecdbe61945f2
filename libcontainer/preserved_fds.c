#include "preserved_fds.h"

#include <errno.h>

int
preserved_fds_check (const struct lc_context *ctx, int n, struct error **err)
{
  if (n <= ctx->passed_fds)
    return 0;
  /* Checking whether the fd is open now would be too late: the lowest free
   * number is what capsa's own first open() took. */
  return error_set (err, EBADF, "--preserve-fds=%d: fd %d was not passed to capsa", n,
                    3 + ctx->passed_fds);
}
