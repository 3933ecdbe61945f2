/* features.json from what this build and host really support: the names
 * libcap knows, capsa's mount option table, the seccomp architectures
 * libseccomp resolves, the filter flags the running kernel accepts, and
 * what the host's criu says of checkpoint/restore. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"
#include "criu.h"
#include "mountopt.h"
#include "seccomp_filter.h"
#include "spec/features_json.h"
#include "spec/util/cleanup.h"

/* Every architecture name the OCI spec defines; kept when libseccomp resolves it. */
static const char *const oci_archs[] = {
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
  "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
};

/* A filter flag the kernel knows fails with EFAULT on a NULL program; an
 * unknown one with EINVAL. No filter is installed either way. */
static bool
kernel_has_filter_flag (unsigned long flag)
{
  errno = 0;
  long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL);
  return r < 0 && errno == EFAULT;
}

static bool
seccomp_flag_supported (const char *name)
{
  if (strcmp (name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
    return kernel_has_filter_flag (SECCOMP_FILTER_FLAG_TSYNC);
  if (strcmp (name, "SECCOMP_FILTER_FLAG_LOG") == 0)
    return kernel_has_filter_flag (SECCOMP_FILTER_FLAG_LOG);
  if (strcmp (name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
    return kernel_has_filter_flag (SECCOMP_FILTER_FLAG_SPEC_ALLOW);
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
  if (strcmp (name, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
    return kernel_has_filter_flag (1UL << 5);
#endif
  return false; /* seccomp.c refuses it with this libseccomp */
}

static void
free_names (char ***names)
{
  if (*names)
    for (char **p = *names; *p; p++)
      free (*p);
  free (*names);
}

/* "CAP_CHOWN"... for every capability number libcap has a name for. */
static char **
capability_names (size_t *n)
{
  char **out = calloc (65, sizeof *out);
  *n = 0;
  for (int c = 0; out && c < 64; c++)
    {
      char *name = cap_to_name (c);
      bool known = name && !isdigit ((unsigned char) name[0]);
      char *up = known ? strdup (name) : NULL;
      cap_free (name);
      if (up == NULL)
        break;
      for (char *p = up; *p; p++)
        *p = toupper ((unsigned char) *p);
      out[(*n)++] = up;
    }
  return out;
}

/* runc's annotation (engines read it), and what capsa adds: the version of
 * criu and the outcome of `criu check`, since criu's kernel support is what
 * decides. "true" only when criu check passes on this kernel. */
static size_t
criu_annotations (const char *criu, struct criu_probe *p, struct spec_kv *kv, char **check)
{
  size_t n = 0;
  bool ok = criu_probe (criu, p) == 0 && p->check_failure == NULL;
  kv[n++] = (struct spec_kv) { (char *) "org.opencontainers.runc.checkpoint.enabled",
                               (char *) (ok ? "true" : "false") };
  if (p->version)
    kv[n++] = (struct spec_kv) { (char *) "run.capsa.criu.version", p->version };
  int r;
  if (p->version == NULL)
    r = asprintf (check, "criu cannot run (\"%s\")", criu);
  else if (p->check_failure)
    r = asprintf (check, "failed: %s", p->check_failure);
  else
    r = (*check = strdup ("ok")) ? 0 : -1;
  if (r < 0)
    *check = NULL;
  else
    kv[n++] = (struct spec_kv) { (char *) "run.capsa.criu.check", *check };
  return n;
}

int
lc_features_json (const char *criu, char **out, struct error **err)
{
  const char *mount_opts[128], *archs[ARRAY_SIZE (oci_archs)], *flags[8];
  size_t n_opts = 0, n_archs = 0, n_flags = 0, n_caps = 0;
  __attribute__ ((cleanup (free_names))) char **caps = capability_names (&n_caps);
  char libseccomp[32];

  if (caps == NULL)
    return error_set (err, ENOMEM, "features");
  for (const char *o; n_opts < ARRAY_SIZE (mount_opts) && (o = mountopt_name_at (n_opts));)
    mount_opts[n_opts++] = o;
  for (size_t i = 0; i < ARRAY_SIZE (oci_archs); i++)
    if (seccomp_arch_from_name (oci_archs[i]) != 0)
      archs[n_archs++] = oci_archs[i];
  for (size_t i = 0; spec_features_seccomp_known_flags[i] && n_flags < ARRAY_SIZE (flags); i++)
    if (seccomp_flag_supported (spec_features_seccomp_known_flags[i]))
      flags[n_flags++] = spec_features_seccomp_known_flags[i];

  const struct scmp_version *v = seccomp_version ();
  snprintf (libseccomp, sizeof libseccomp, "%u.%u.%u", v ? v->major : 0, v ? v->minor : 0,
            v ? v->micro : 0);
  struct spec_kv annotations[5] = {
    { (char *) "io.github.seccomp.libseccomp.version", libseccomp },
    { (char *) "run.capsa.version", (char *) CAPSA_VERSION },
  };
  __attribute__ ((cleanup (criu_probe_clear))) struct criu_probe probe = { 0 };
  _cleanup_free_ char *check = NULL;
  size_t n_ann = 2 + criu_annotations (criu, &probe, annotations + 2, &check);

  struct spec_features f = {
    .oci_version_min = "1.0.0",
    .oci_version_max = CAPSA_OCI_VERSION,
    .mount_options = { mount_opts, n_opts },
    .capabilities = { (const char **) caps, n_caps },
    .seccomp_enabled = true,
    .seccomp_archs = { archs, n_archs },
    .seccomp_supported_flags = { flags, n_flags },
    /* Both MAC systems are built in; whether the host enables them is `capsa check`'s business. */
    .apparmor_enabled = true,
    .selinux_enabled = true,
    .intel_rdt_enabled = false,   /* linux.intelRdt is not implemented */
    .net_devices_enabled = true,
    .cgroup_v1 = true,
    .cgroup_v2 = true,
#ifdef HAVE_LIBSYSTEMD
    .cgroup_systemd = true,
#endif
    .cgroup_systemd_user = false,
    .cgroup_rdma = true,
    .idmap_mounts = true,
    .annotations = annotations,
    .annotations_len = n_ann,
  };
  return spec_features_json (&f, out, err);
}
