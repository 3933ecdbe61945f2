/* Process security of the container init and of exec'd processes: capabilities
 * (libcap), no_new_privileges, seccomp (libseccomp), SELinux and AppArmor exec
 * labels. init.c calls, in this order:
 *   security_prepare      before pivot (compiles seccomp, checks names and LSMs)
 *   security_before_user  after pivot, before setgroups/setuid: bounding set,
 *                          PR_SET_KEEPCAPS, seccomp when noNewPrivileges is false
 *   [process_set_user]
 *   security_after_user   caps sets + ambient, MAC exec label, NNP, seccomp last
 *                          when noNewPrivileges is true
 * Then execve. */
#ifndef CAPSA_SECURITY_H
#define CAPSA_SECURITY_H

#include "spec/config.h"
#include "spec/state.h"

struct security_plan;
struct seccomp_plan;

/* seccomp: the filter the parent prepared (seccomp_plan_cached; ownership passes
 * to the plan), or NULL to compile linux.seccomp here. */
int security_prepare (const struct spec_config *c, struct seccomp_plan *seccomp,
                      struct security_plan **out, struct error **err);
int security_before_user (struct security_plan *p, struct error **err);
int security_after_user (struct security_plan *p, struct error **err);
/* After the seccomp filter with a listener was loaded: the notify fd, else -1. The
 * caller sends it with the container state to linux.seccomp.listenerPath. */
int security_seccomp_listener_fd (struct security_plan *p);
void security_plan_free (struct security_plan *p);

/* The mount label to apply to mounts that take a context ("context=..." option),
 * or NULL when SELinux is not enabled or no label is set. */
const char *security_mount_label (const struct spec_config *c);

#endif
