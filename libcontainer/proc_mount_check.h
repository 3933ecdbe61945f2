/* Which config mounts may land in /proc (CVE-2019-16884 class): a volume over
 * /proc, or over a file below it, would hide what the runtime and the LSMs rely on. */
#ifndef CAPSA_PROC_MOUNT_CHECK_H
#define CAPSA_PROC_MOUNT_CHECK_H

#include <stdbool.h>
#include "spec/util/error.h"

/* runc's rule: "/proc" itself only from a procfs (a proc mount, or a bind whose
 * source is on procfs); below /proc only the files lxcfs-style tools replace
 * (cpuinfo, meminfo, stat, ...); anything else below /proc is refused.
 * `bind_source` is the host source of a bind mount, else NULL. */
int proc_mount_check (const char *dest, const char *type, const char *bind_source,
                      struct error **err);

/* The same rule for the place `dest` resolved to: target_fd, opened inside
 * rootfs_fd.  An image symlink (/foo -> /proc, ../proc, ...) must not carry a
 * volume over /proc where the lexical check saw only "/foo". */
int proc_mount_check_at (int rootfs_fd, int target_fd, const char *dest, const char *type,
                         const char *bind_source, struct error **err);

#endif
