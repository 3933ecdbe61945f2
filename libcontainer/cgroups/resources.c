/* linux.resources dispatch: each controller goes to the tree that hosts it
 * (a v1 hierarchy, or cgroup2 on v2 and for what hybrid's unified tree carries). */
#define _GNU_SOURCE
#include <errno.h>

#include "cgroup_internal.h"

int
cg_apply_resources (struct cgroup_manager *m, const struct spec_resources *r, struct error **err)
{
  /* Interim: resources are not written yet (next commit). */
  (void) m;
  (void) r;
  return 0;
}
