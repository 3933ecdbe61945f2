/* features.json (runtime-spec features.md / features-linux.md): what this
 * runtime supports. spec/ knows the parts fixed by capsa's code (hooks,
 * namespaces, seccomp actions and operators); the host- and library-dependent
 * lists (capabilities, mount options, seccomp archs and flags) are filled in
 * by libcontainer (lc_features_json) and passed in here.
 * Not named features.h: spec/ is on the include path and glibc has <features.h>. */
#ifndef CAPSA_SPEC_FEATURES_JSON_H
#define CAPSA_SPEC_FEATURES_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "util/error.h"

struct spec_strlist
{
  const char **items;
  size_t len;
};

struct spec_features
{
  const char *oci_version_min, *oci_version_max;
  struct spec_strlist mount_options;     /* written sorted */
  struct spec_strlist capabilities;      /* "CAP_CHOWN", ... in number order */
  bool seccomp_enabled;
  struct spec_strlist seccomp_archs;     /* "SCMP_ARCH_X86_64", ... */
  struct spec_strlist seccomp_supported_flags;
  bool apparmor_enabled, selinux_enabled, intel_rdt_enabled, net_devices_enabled;
  bool cgroup_v1, cgroup_v2, cgroup_systemd, cgroup_systemd_user, cgroup_rdma;
  bool idmap_mounts;                     /* mountExtensions.idmap */
  struct spec_kv *annotations;
  size_t annotations_len;
};

/* The lists spec/ owns, exposed for tests and for libcontainer to check
 * against (NULL-terminated). */
extern const char *const spec_features_hooks[];
extern const char *const spec_features_seccomp_actions[];
extern const char *const spec_features_seccomp_operators[];
extern const char *const spec_features_seccomp_known_flags[];

/* features.json text (pretty, like `runc features`), malloc'd in *out. */
int spec_features_json (const struct spec_features *f, char **out, struct error **err);

#endif
