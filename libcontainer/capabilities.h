/* process.capabilities with libcap: name validation and the two-step apply
 * around setuid (bounding set before, the other sets after). */
#ifndef CAPSA_CAPABILITIES_H
#define CAPSA_CAPABILITIES_H

#include <stdbool.h>
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

/* Whether this process has capability number cap in its effective set. */
bool caps_have_effective (int cap);

/* What this process can hand on: its permitted set. In a new or joined user
 * namespace that is every capability of the namespace; on the host it is
 * limited by the bounding set capsa was started with. */
int caps_grantable (uint64_t *out, struct error **err);

/* process.capabilities into bit sets, keeping only capabilities in grantable.
 * runtime-spec 1.1: a capability that is unknown (to libcap or to the running
 * kernel) or cannot be granted MUST be logged as a warning and SHOULD NOT fail
 * the container: it is skipped, with one warning per name naming the JSON path
 * of its first use. NULL caps = every set empty (as runc does when the object is
 * absent). */
void caps_plan_build (const struct spec_capabilities *caps, uint64_t grantable,
                      struct caps_plan *out);
/* caps_plan_build with caps_grantable(); fails only when capget does. */
int caps_plan_from_spec (const struct spec_capabilities *caps, struct caps_plan *out,
                         struct error **err);

/* Before setuid: drop from the bounding set every capability not in it (only those
 * still present), then PR_SET_KEEPCAPS(1) so permitted survives the uid change. */
int caps_apply_bounding (const struct caps_plan *p, struct error **err);
/* After setuid: effective/permitted/inheritable in one capset, then ambient (all
 * cleared first), then PR_SET_KEEPCAPS(0). */
int caps_apply_sets (const struct caps_plan *p, struct error **err);

#endif
