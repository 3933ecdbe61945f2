/* `capsa spec`: the template config.json, shaped like `runc spec` so that
 * tools and habits built on runc's template keep working. */
#define _GNU_SOURCE
#include "defaults.h"

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include "config.h"
#include "util/json.h"

static const char *const default_caps[] = {
  "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL,
};

static const char *const masked_paths[] = {
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
  NULL,
};

static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static void
write_strv (struct json_writer *w, const char *key, const char *const *v)
{
  json_w_key (w, key);
  json_w_begin_array (w);
  for (; *v; v++)
    json_w_string (w, *v);
  json_w_end_array (w);
}

static void
write_mount (struct json_writer *w, const char *dest, const char *type, const char *source,
             const char *const *options)
{
  json_w_begin_object (w);
  json_w_key (w, "destination");
  json_w_string (w, dest);
  json_w_key (w, "type");
  json_w_string (w, type);
  json_w_key (w, "source");
  json_w_string (w, source);
  if (options)
    write_strv (w, "options", options);
  json_w_end_object (w);
}

static void
write_process (struct json_writer *w)
{
  json_w_key (w, "process");
  json_w_begin_object (w);
  json_w_key (w, "terminal");
  json_w_bool (w, true);
  json_w_key (w, "user");
  json_w_begin_object (w);
  json_w_key (w, "uid");
  json_w_int (w, 0);
  json_w_key (w, "gid");
  json_w_int (w, 0);
  json_w_end_object (w);
  write_strv (w, "args", (const char *const[]){ "sh", NULL });
  write_strv (w, "env",
              (const char *const[]){
                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                  "TERM=xterm", NULL });
  json_w_key (w, "cwd");
  json_w_string (w, "/");
  json_w_key (w, "capabilities");
  json_w_begin_object (w);
  write_strv (w, "bounding", default_caps);
  write_strv (w, "effective", default_caps);
  write_strv (w, "permitted", default_caps);
  write_strv (w, "ambient", default_caps);
  json_w_end_object (w);
  json_w_key (w, "rlimits");
  json_w_begin_array (w);
  json_w_begin_object (w);
  json_w_key (w, "type");
  json_w_string (w, "RLIMIT_NOFILE");
  json_w_key (w, "hard");
  json_w_uint (w, 1024);
  json_w_key (w, "soft");
  json_w_uint (w, 1024);
  json_w_end_object (w);
  json_w_end_array (w);
  json_w_key (w, "noNewPrivileges");
  json_w_bool (w, true);
  json_w_end_object (w);
}

static void
write_mounts (struct json_writer *w, bool rootless)
{
  json_w_key (w, "mounts");
  json_w_begin_array (w);
  write_mount (w, "/proc", "proc", "proc", NULL);
  write_mount (w, "/dev", "tmpfs", "tmpfs",
               (const char *const[]){ "nosuid", "strictatime", "mode=755", "size=65536k", NULL });
  /* Group 5 (tty) does not exist in a user namespace that maps one id. */
  if (rootless)
    write_mount (w, "/dev/pts", "devpts", "devpts",
                 (const char *const[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                        "mode=0620", NULL });
  else
    write_mount (w, "/dev/pts", "devpts", "devpts",
                 (const char *const[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                        "mode=0620", "gid=5", NULL });
  write_mount (w, "/dev/shm", "tmpfs", "shm",
               (const char *const[]){ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
                                      NULL });
  write_mount (w, "/dev/mqueue", "mqueue", "mqueue",
               (const char *const[]){ "nosuid", "noexec", "nodev", NULL });
  /* Without its own network namespace a rootless container may not mount
   * sysfs: it bind-mounts the host's instead. */
  if (rootless)
    write_mount (w, "/sys", "none", "/sys",
                 (const char *const[]){ "rbind", "nosuid", "noexec", "nodev", "ro", NULL });
  else
    write_mount (w, "/sys", "sysfs", "sysfs",
                 (const char *const[]){ "nosuid", "noexec", "nodev", "ro", NULL });
  write_mount (w, "/sys/fs/cgroup", "cgroup", "cgroup",
               (const char *const[]){ "nosuid", "noexec", "nodev", "relatime", "ro", NULL });
  json_w_end_array (w);
}

static void
write_id_mapping (struct json_writer *w, const char *key, unsigned host_id)
{
  json_w_key (w, key);
  json_w_begin_array (w);
  json_w_begin_object (w);
  json_w_key (w, "containerID");
  json_w_uint (w, 0);
  json_w_key (w, "hostID");
  json_w_uint (w, host_id);
  json_w_key (w, "size");
  json_w_uint (w, 1);
  json_w_end_object (w);
  json_w_end_array (w);
}

static void
write_linux (struct json_writer *w, bool rootless)
{
  json_w_key (w, "linux");
  json_w_begin_object (w);
  if (rootless)
    {
      write_id_mapping (w, "uidMappings", geteuid ());
      write_id_mapping (w, "gidMappings", getegid ());
    }
  else
    {
      /* Deny every device by default; the runtime allows its default set. */
      json_w_key (w, "resources");
      json_w_begin_object (w);
      json_w_key (w, "devices");
      json_w_begin_array (w);
      json_w_begin_object (w);
      json_w_key (w, "allow");
      json_w_bool (w, false);
      json_w_key (w, "access");
      json_w_string (w, "rwm");
      json_w_end_object (w);
      json_w_end_array (w);
      json_w_end_object (w);
    }
  json_w_key (w, "namespaces");
  json_w_begin_array (w);
  static const char *const rootful_ns[] = { "pid", "network", "ipc", "uts", "mount", NULL };
  static const char *const rootless_ns[] = { "pid", "ipc", "uts", "mount", "user", NULL };
  for (const char *const *ns = rootless ? rootless_ns : rootful_ns; *ns; ns++)
    {
      json_w_begin_object (w);
      json_w_key (w, "type");
      json_w_string (w, *ns);
      json_w_end_object (w);
    }
  json_w_end_array (w);
  write_strv (w, "maskedPaths", masked_paths);
  write_strv (w, "readonlyPaths", readonly_paths);
  json_w_end_object (w);
}

int
spec_default_config_json (bool rootless, char **out, struct error **err)
{
  struct json_writer *w = json_writer_new (true);
  json_w_begin_object (w);
  json_w_key (w, "ociVersion");
  json_w_string (w, CAPSA_OCI_VERSION);
  write_process (w);
  json_w_key (w, "root");
  json_w_begin_object (w);
  json_w_key (w, "path");
  json_w_string (w, "rootfs");
  json_w_key (w, "readonly");
  json_w_bool (w, true);
  json_w_end_object (w);
  json_w_key (w, "hostname");
  json_w_string (w, "capsa");
  write_mounts (w, rootless);
  write_linux (w, rootless);
  json_w_end_object (w);
  if (json_writer_finish (w, out, NULL) < 0)
    return error_set (err, ENOMEM, "generate default config");
  return 0;
}
