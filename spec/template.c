#include "template.h"

#include "util/json_fields.h"

const char *const template_masked_paths[] = {
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
  NULL,
};

const char *const template_readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

void
template_write_mount (struct json_writer *w, const char *dest, const char *type,
                      const char *source, const char *const *options)
{
  json_w_begin_object (w);
  json_w_key (w, "destination");
  json_w_string (w, dest);
  json_w_key (w, "type");
  json_w_string (w, type);
  json_w_key (w, "source");
  json_w_string (w, source);
  if (options)
    json_w_key_strv (w, "options", options);
  json_w_end_object (w);
}

void
template_write_process (struct json_writer *w, bool terminal, const char *const *caps,
                        bool ambient)
{
  static const char *const args[] = { "sh", NULL };
  static const char *const env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL,
  };

  json_w_key (w, "process");
  json_w_begin_object (w);
  json_w_key (w, "terminal");
  json_w_bool (w, terminal);
  json_w_key (w, "user");
  json_w_begin_object (w);
  json_w_key (w, "uid");
  json_w_uint (w, 0);
  json_w_key (w, "gid");
  json_w_uint (w, 0);
  json_w_end_object (w);
  json_w_key_strv (w, "args", args);
  json_w_key_strv (w, "env", env);
  json_w_key (w, "cwd");
  json_w_string (w, "/");
  json_w_key (w, "capabilities");
  json_w_begin_object (w);
  json_w_key_strv (w, "bounding", caps);
  json_w_key_strv (w, "effective", caps);
  json_w_key_strv (w, "permitted", caps);
  if (ambient)
    json_w_key_strv (w, "ambient", caps);
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

void
template_write_root_and_hostname (struct json_writer *w)
{
  json_w_key (w, "root");
  json_w_begin_object (w);
  json_w_key (w, "path");
  json_w_string (w, "rootfs");
  json_w_key (w, "readonly");
  json_w_bool (w, true);
  json_w_end_object (w);
  json_w_key (w, "hostname");
  json_w_string (w, "capsa");
}

void
template_write_id_mapping (struct json_writer *w, const char *key, unsigned host_id)
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

void
template_write_deny_all_devices (struct json_writer *w)
{
  json_w_key (w, "devices");
  json_w_begin_array (w);
  json_w_begin_object (w);
  json_w_key (w, "allow");
  json_w_bool (w, false);
  json_w_key (w, "access");
  json_w_string (w, "rwm");
  json_w_end_object (w);
  json_w_end_array (w);
}

void
template_write_namespaces (struct json_writer *w, const char *const *types)
{
  json_w_key (w, "namespaces");
  json_w_begin_array (w);
  for (; *types; types++)
    {
      json_w_begin_object (w);
      json_w_key (w, "type");
      json_w_string (w, *types);
      json_w_end_object (w);
    }
  json_w_end_array (w);
}
