/* `capsa spec`: the template config.json, shaped like `runc spec` so that
 * tools and habits built on runc's template keep working. */
#define _GNU_SOURCE
#include "defaults.h"

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include "config.h"
#include "template.h"
#include "util/json.h"
#include "util/json_fields.h"

static const char *const default_caps[] = {
  "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL,
};

static void
write_mounts (struct json_writer *w, bool rootless)
{
  json_w_key (w, "mounts");
  json_w_begin_array (w);
  template_write_mount (w, "/proc", "proc", "proc", NULL);
  template_write_mount (w, "/dev", "tmpfs", "tmpfs",
                        (const char *const[]){ "nosuid", "strictatime", "mode=755",
                                               "size=65536k", NULL });
  /* Group 5 (tty) does not exist in a user namespace that maps one id. */
  if (rootless)
    template_write_mount (w, "/dev/pts", "devpts", "devpts",
                          (const char *const[]){ "nosuid", "noexec", "newinstance",
                                                 "ptmxmode=0666", "mode=0620", NULL });
  else
    template_write_mount (w, "/dev/pts", "devpts", "devpts",
                          (const char *const[]){ "nosuid", "noexec", "newinstance",
                                                 "ptmxmode=0666", "mode=0620", "gid=5", NULL });
  template_write_mount (w, "/dev/shm", "tmpfs", "shm",
                        (const char *const[]){ "nosuid", "noexec", "nodev", "mode=1777",
                                               "size=65536k", NULL });
  template_write_mount (w, "/dev/mqueue", "mqueue", "mqueue",
                        (const char *const[]){ "nosuid", "noexec", "nodev", NULL });
  /* Without its own network namespace a rootless container may not mount
   * sysfs: it bind-mounts the host's instead. */
  if (rootless)
    template_write_mount (w, "/sys", "none", "/sys",
                          (const char *const[]){ "rbind", "nosuid", "noexec", "nodev", "ro",
                                                 NULL });
  else
    template_write_mount (w, "/sys", "sysfs", "sysfs",
                          (const char *const[]){ "nosuid", "noexec", "nodev", "ro", NULL });
  template_write_mount (w, "/sys/fs/cgroup", "cgroup", "cgroup",
                        (const char *const[]){ "nosuid", "noexec", "nodev", "relatime", "ro",
                                               NULL });
  json_w_end_array (w);
}

static void
write_linux (struct json_writer *w, bool rootless)
{
  json_w_key (w, "linux");
  json_w_begin_object (w);
  if (rootless)
    {
      template_write_id_mapping (w, "uidMappings", geteuid ());
      template_write_id_mapping (w, "gidMappings", getegid ());
    }
  else
    {
      /* Deny every device by default; the runtime allows its default set. */
      json_w_key (w, "resources");
      json_w_begin_object (w);
      template_write_deny_all_devices (w);
      json_w_end_object (w);
    }
  static const char *const rootful_ns[] = { "pid", "network", "ipc", "uts", "mount", NULL };
  static const char *const rootless_ns[] = { "pid", "ipc", "uts", "mount", "user", NULL };
  template_write_namespaces (w, rootless ? rootless_ns : rootful_ns);
  json_w_key_strv (w, "maskedPaths", template_masked_paths);
  json_w_key_strv (w, "readonlyPaths", template_readonly_paths);
  json_w_end_object (w);
}

int
spec_default_config_json (bool rootless, char **out, struct error **err)
{
  struct json_writer *w = json_writer_new (true);
  json_w_begin_object (w);
  json_w_key (w, "ociVersion");
  json_w_string (w, CAPSA_OCI_VERSION);
  template_write_process (w, /* terminal */ true, default_caps, /* ambient */ true);
  template_write_root_and_hostname (w);
  write_mounts (w, rootless);
  write_linux (w, rootless);
  json_w_end_object (w);
  if (json_writer_finish (w, out, NULL) < 0)
    return error_set (err, ENOMEM, "generate default config");
  return 0;
}
