/* AppArmor exec profile. */
#ifndef CAPSA_APPARMOR_H
#define CAPSA_APPARMOR_H

#include <stdbool.h>
#include "spec/util/error.h"

/* /sys/module/apparmor/parameters/enabled reads "Y". */
bool apparmor_enabled (void);
/* Before pivot: a profile on a host without AppArmor is an error. */
int apparmor_check_profile (const char *profile, struct error **err);
/* Just before execve: "exec <profile>" to attr/apparmor/exec (attr/exec on kernels
 * without the per-LSM directory), through the verified procfs handle. */
int apparmor_set_exec_profile (const char *profile, struct error **err);

#endif
