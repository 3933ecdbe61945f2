/* process.capabilities with libcap: name validation and the two-step apply
 * around setuid (bounding set before, the other sets after). */
#ifndef CAPSA_CAPABILITIES_H
#define CAPSA_CAPABILITIES_H

#include <stdint.h>
#include "spec/config.h"

/* One bit per capability number (the kernel has fewer than 64). */
struct caps_plan
{
  uint64_t bounding, effective, permitted, inheritable, ambient;
};

/* "CAP_CHOWN" -> CAP_CHOWN; -1 when libcap does not know the name. Exact case,
 * "CAP_" prefix required (numbers are refused). */
int caps_from_name (const char *name);
/* Number of capabilities the running kernel knows (CAP_LAST_CAP + 1). */
int caps_kernel_count (void);

/* Validate process.capabilities into bit sets. NULL caps = every set empty (as
 * runc does when the object is absent). An unknown name is an error naming its
 * JSON path; a name libcap knows but this kernel does not is skipped with a
 * warning. */
int caps_plan_from_spec (const struct spec_capabilities *caps, struct caps_plan *out,
                         struct error **err);

/* Before setuid: drop from the bounding set every capability not in it (only those
 * still present), then PR_SET_KEEPCAPS(1) so permitted survives the uid change. */
int caps_apply_bounding (const struct caps_plan *p, struct error **err);
/* After setuid: effective/permitted/inheritable in one capset, then ambient (all
 * cleared first), then PR_SET_KEEPCAPS(0). */
int caps_apply_sets (const struct caps_plan *p, struct error **err);

#endif
