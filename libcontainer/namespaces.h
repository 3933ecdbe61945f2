/* Namespaces: clone flags from the config, joining by path, id maps, time offsets. */
#ifndef CAPSA_NAMESPACES_H
#define CAPSA_NAMESPACES_H

#include <stdbool.h>
#include <sched.h>
#include <sys/types.h>
#include "spec/config.h"

/* Older glibc headers lack the time namespace flag. */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct ns_plan
{
  int new_flags;          /* CLONE_NEW* to create (all kinds, incl. cgroup and time) */
  bool has_paths;         /* some namespace is joined by path */
  bool new_user;
  bool join_user;
};

/* True unless this process lives in a user namespace other than the initial one. */
bool ns_in_initial_userns (void);

int ns_plan_build (const struct spec_config *c, struct ns_plan *plan);
int ns_clone_flag (enum spec_ns_type t);

/* Write uid_map/gid_map of pid from linux.uidMappings/gidMappings. */
int ns_write_id_maps (const struct spec_config *c, pid_t pid, struct error **err);
/* Join every namespace the config gives by path; user first. `only` restricts to
 * the flags given (0 = all but pid and time, which affect children only). */
int ns_join_paths (const struct spec_config *c, int only, struct error **err);
/* Write linux.timeOffsets to /proc/self/timens_offsets (after unshare(CLONE_NEWTIME),
 * before any process entered the new time namespace). */
int ns_write_time_offsets (const struct spec_config *c, struct error **err);

#endif
