/* The hardened config template. Written with the JSON writer rather than by
 * editing the default template, so every field a reviewer sees here is a
 * decision, not an inheritance. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hardened.h"
#include "template.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/json_fields.h"

#if defined(CAPSA_HAVE_SECCOMP_DEFAULT)
#include "seccomp_default_json.h"
#endif

/* Docker's default set minus what widens the reach of a compromised process:
 * NET_RAW (spoofing, raw sockets into the kernel), MKNOD (device nodes),
 * SETFCAP and SETPCAP (file and inherited capabilities), DAC_OVERRIDE (ignore
 * file modes), SYS_CHROOT and AUDIT_WRITE. What stays lets a root-started
 * service drop to its own user, own its files and bind low ports. */
const char *const spec_hardened_capabilities[] = {
  "CAP_CHOWN", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
  "CAP_SETGID", "CAP_SETUID", NULL,
};

static const char *
build_machine (void)
{
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return NULL;
#endif
}

/* Copy a parsed JSON value into the writer unchanged. */
static void
copy_value (struct json_writer *w, const struct json_value *v)
{
  int64_t i;
  uint64_t u;
  double d;

  switch (json_type_of (v))
    {
    case JSON_NULL: json_w_null (w); break;
    case JSON_BOOL: json_w_bool (w, json_bool (v)); break;
    case JSON_STRING: json_w_string (w, json_string (v)); break;
    case JSON_NUMBER:
      if (json_int64 (v, &i))
        json_w_int (w, i);
      else if (json_uint64 (v, &u))
        json_w_uint (w, u);
      else if (json_double (v, &d))
        json_w_double (w, d);
      else
        json_w_null (w);
      break;
    case JSON_ARRAY:
      json_w_begin_array (w);
      for (size_t k = 0; k < json_array_len (v); k++)
        copy_value (w, json_array_get (v, k));
      json_w_end_array (w);
      break;
    case JSON_OBJECT:
      json_w_begin_object (w);
      for (size_t k = 0; k < json_object_len (v); k++)
        {
          json_w_key (w, json_object_key (v, k));
          copy_value (w, json_object_value (v, k));
        }
      json_w_end_object (w);
      break;
    }
}

/* The data file's groups become linux.seccomp.syscalls entries: the keys the
 * runtime-spec knows are copied, the reviewer's "note" is dropped. */
static int
write_seccomp (struct json_writer *w, struct error **err)
{
#if defined(CAPSA_HAVE_SECCOMP_DEFAULT)
  static const char *const syscall_keys[] = { "names", "action", "errnoRet", "args", NULL };
  char errbuf[256];
  struct json_value *root = json_parse (capsa_seccomp_default_json,
                                        capsa_seccomp_default_json_LEN, errbuf, sizeof errbuf);
  const struct json_value *archs, *groups, *defact;
  const char *machine = build_machine ();

  if (root == NULL)
    return error_set (err, 0, "parse built-in seccomp_default.json: %s", errbuf);
  defact = json_object_get (root, "defaultAction");
  groups = json_object_get (root, "groups");
  archs = machine ? json_object_get (json_object_get (root, "architectures"), machine) : NULL;
  if (json_string (defact) == NULL || json_type_of (groups) != JSON_ARRAY)
    {
      json_free (root);
      return error_set (err, 0, "built-in seccomp_default.json: defaultAction or groups missing");
    }

  json_w_begin_object (w);
  json_w_key (w, "defaultAction");
  copy_value (w, defact);
  if (json_object_get (root, "defaultErrnoRet"))
    {
      json_w_key (w, "defaultErrnoRet");
      copy_value (w, json_object_get (root, "defaultErrnoRet"));
    }
  /* Without a known machine the filter applies to the native arch only. */
  if (archs)
    {
      json_w_key (w, "architectures");
      copy_value (w, archs);
    }
  json_w_key (w, "syscalls");
  json_w_begin_array (w);
  for (size_t g = 0; g < json_array_len (groups); g++)
    {
      const struct json_value *group = json_array_get (groups, g);
      json_w_begin_object (w);
      for (const char *const *k = syscall_keys; *k; k++)
        if (json_object_get (group, *k))
          {
            json_w_key (w, *k);
            copy_value (w, json_object_get (group, *k));
          }
      json_w_end_object (w);
    }
  json_w_end_array (w);
  json_w_end_object (w);
  json_free (root);
  return 0;
#else
  return error_set (err, 0, "capsa was built without the default seccomp profile "
                    "(CMakeLists.txt must include cmake/seccomp_default.cmake)");
#endif
}

int
spec_hardened_seccomp_json (char **out, struct error **err)
{
  struct json_writer *w = json_writer_new (false);
  if (write_seccomp (w, err) < 0)
    {
      json_writer_free (w);
      return -1;
    }
  if (json_writer_finish (w, out, NULL) < 0)
    return error_set (err, 0, "write the seccomp profile");
  return 0;
}

static void
write_mounts (struct json_writer *w, bool rootless)
{
  static const char *const proc_opts[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const dev_opts[] = { "nosuid", "noexec", "strictatime", "mode=755", "size=65536k", NULL };
  /* gid=5 (tty) only exists in the container when it is mapped: not so rootless. */
  static const char *const pts_opts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  static const char *const pts_opts_rootless[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
  static const char *const shm_opts[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const mqueue_opts[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sys_opts[] = { "nosuid", "noexec", "nodev", "ro", NULL };

  json_w_key (w, "mounts");
  json_w_begin_array (w);
  template_write_mount (w, "/proc", "proc", "proc", proc_opts);
  template_write_mount (w, "/dev", "tmpfs", "tmpfs", dev_opts);
  template_write_mount (w, "/dev/pts", "devpts", "devpts", rootless ? pts_opts_rootless : pts_opts);
  template_write_mount (w, "/dev/shm", "tmpfs", "shm", shm_opts);
  template_write_mount (w, "/dev/mqueue", "mqueue", "mqueue", mqueue_opts);
  /* The container has its own network namespace, so sysfs can be mounted
   * fresh (read-only) instead of bind-mounting the host's. No cgroup mount:
   * a process that does not manage cgroups has no need to see them. */
  template_write_mount (w, "/sys", "sysfs", "sysfs", sys_opts);
  json_w_end_array (w);
}

static int
write_linux (struct json_writer *w, bool rootless, struct error **err)
{
  static const char *const ns_types[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
  static const char *const ns_types_rootless[] = {
    "pid", "network", "ipc", "uts", "mount", "cgroup", "user", NULL,
  };

  json_w_key (w, "linux");
  json_w_begin_object (w);
  json_w_key (w, "resources");
  json_w_begin_object (w);
  /* Deny every device; the runtime adds back the default set (null, zero,
   * full, random, urandom, tty, ptmx, pts). */
  template_write_deny_all_devices (w);
  json_w_key (w, "memory");
  json_w_begin_object (w);
  json_w_key (w, "limit");
  json_w_int (w, HARDENED_MEMORY_LIMIT);
  json_w_end_object (w);
  json_w_key (w, "pids");
  json_w_begin_object (w);
  json_w_key (w, "limit");
  json_w_int (w, HARDENED_PIDS_LIMIT);
  json_w_end_object (w);
  json_w_end_object (w);

  template_write_namespaces (w, rootless ? ns_types_rootless : ns_types);
  if (rootless)
    {
      /* Like `runc spec --rootless`: the caller's own ids become root inside. */
      template_write_id_mapping (w, "uidMappings", geteuid ());
      template_write_id_mapping (w, "gidMappings", getegid ());
    }
  /* runc's set plus powercap, whose energy counters leak information across
   * containers. */
  json_w_key (w, "maskedPaths");
  json_w_begin_array (w);
  for (const char *const *p = template_masked_paths; *p; p++)
    json_w_string (w, *p);
  json_w_string (w, "/sys/devices/virtual/powercap");
  json_w_end_array (w);
  json_w_key_strv (w, "readonlyPaths", template_readonly_paths);
  json_w_key (w, "seccomp");
  if (write_seccomp (w, err) < 0)
    return -1;
  json_w_end_object (w);
  return 0;
}

int
spec_hardened_config_json (bool rootless, char **out, struct error **err)
{
  struct json_writer *w = json_writer_new (true);

  json_w_begin_object (w);
  json_w_key (w, "ociVersion");
  json_w_string (w, CAPSA_OCI_VERSION);
  /* No inheritable and no ambient set: capabilities end at this process. */
  template_write_process (w, /* terminal */ false, spec_hardened_capabilities,
                          /* ambient */ false);
  template_write_root_and_hostname (w);
  write_mounts (w, rootless);
  if (write_linux (w, rootless, err) < 0)
    {
      json_writer_free (w);
      return -1;
    }
  json_w_end_object (w);
  if (json_writer_finish (w, out, NULL) < 0)
    return error_set (err, 0, "write the hardened config");
  return 0;
}
