/* The security plan of one container process: everything that can fail on the
 * config is checked in security_prepare (before pivot_root, while the host's
 * /sys and mount rights are at hand); the apply steps only make syscalls. */
#define _GNU_SOURCE
#include "security.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "apparmor.h"
#include "capabilities.h"
#include "seccomp_filter.h"
#include "selinux.h"
#include "util/procfs.h"

struct security_plan
{
  bool have_process;
  struct caps_plan caps;
  bool no_new_privs;
  const char *selinux_label;    /* borrowed from the config */
  const char *apparmor_profile; /* borrowed from the config */
  struct seccomp_plan *seccomp; /* NULL without linux.seccomp */
  bool seccomp_loaded;
};

int
security_prepare (const struct spec_config *c, struct seccomp_plan *seccomp,
                  struct security_plan **out, struct error **err)
{
  struct security_plan *p = calloc (1, sizeof *p);
  if (p == NULL)
    return error_set (err, ENOMEM, "security plan");
  const struct spec_process *proc = c->process;
  if (proc != NULL)
    {
      p->have_process = true;
      p->no_new_privs = proc->no_new_privileges;
      if (proc->selinux_label && *proc->selinux_label)
        p->selinux_label = proc->selinux_label;
      if (proc->apparmor_profile && *proc->apparmor_profile)
        p->apparmor_profile = proc->apparmor_profile;
      if (caps_plan_from_spec (proc->capabilities, &p->caps, err) < 0
          || selinux_check_process_label (p->selinux_label, err) < 0
          || apparmor_check_profile (p->apparmor_profile, err) < 0)
        goto fail;
    }
  /* The parent compiles (or finds in its cache) the filter before the clone, so
   * neither the time nor libseccomp's memory lands in the container. */
  p->seccomp = seccomp;
  seccomp = NULL;
  if (p->seccomp == NULL && c->linux_ != NULL && c->linux_->seccomp != NULL
      && seccomp_plan_compile (c->linux_->seccomp, &p->seccomp, err) < 0)
    goto fail;
  /* Labels are written after pivot_root and the capability drop: open the
   * private procfs now, while we may still mount. Only when a label needs it. */
  if ((p->selinux_label || p->apparmor_profile) && procfs_root (err) < 0)
    goto fail;
  *out = p;
  return 0;

fail:
  seccomp_plan_free (seccomp);
  security_plan_free (p);
  return -1;
}

static int
load_seccomp (struct security_plan *p, struct error **err)
{
  if (p->seccomp == NULL || p->seccomp_loaded)
    return 0;
  if (seccomp_plan_load (p->seccomp, err) < 0)
    return -1;
  p->seccomp_loaded = true;
  return 0;
}

int
security_before_user (struct security_plan *p, struct error **err)
{
  if (p->have_process && caps_apply_bounding (&p->caps, err) < 0)
    return -1;
  /* Without no_new_privs the kernel wants CAP_SYS_ADMIN to load a filter: load it
   * now, before setuid and the capability drop take it away (as runc does). */
  if (!p->no_new_privs && load_seccomp (p, err) < 0)
    return -1;
  return 0;
}

int
security_after_user (struct security_plan *p, struct error **err)
{
  if (p->have_process && caps_apply_sets (&p->caps, err) < 0)
    return -1;
  /* Exec labels before no_new_privs: with NNP set, AppArmor only allows a
   * transition to a subset of the current confinement. */
  if (apparmor_set_exec_profile (p->apparmor_profile, err) < 0
      || selinux_set_exec_label (p->selinux_label, err) < 0)
    return -1;
  if (p->no_new_privs && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return error_set (err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  /* Last, so the filter sees as few of our own syscalls as possible. */
  return load_seccomp (p, err);
}

int
security_seccomp_listener_fd (struct security_plan *p)
{
  return p ? seccomp_plan_listener_fd (p->seccomp) : -1;
}

void
security_plan_free (struct security_plan *p)
{
  if (p == NULL)
    return;
  seccomp_plan_free (p->seccomp);
  free (p);
}
