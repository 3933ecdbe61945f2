/* features.json writer; see features_json.h for who knows what. */
#define _GNU_SOURCE
#include "features_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "util/json_fields.h"

const char *const spec_features_hooks[] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
  NULL,
};

/* What libcontainer/seccomp.c accepts in linux.seccomp. */
const char *const spec_features_seccomp_actions[] = {
  "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
  NULL,
};

const char *const spec_features_seccomp_operators[] = {
  "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
  "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL,
};

const char *const spec_features_seccomp_known_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL,
};

static void
w_list (struct json_writer *w, const char *key, const struct spec_strlist *l)
{
  json_w_key (w, key);
  json_w_begin_array (w);
  for (size_t i = 0; i < l->len; i++)
    json_w_string (w, l->items[i]);
  json_w_end_array (w);
}

static void
w_enabled (struct json_writer *w, const char *key, bool enabled)
{
  json_w_key (w, key);
  json_w_begin_object (w);
  json_w_key (w, "enabled");
  json_w_bool (w, enabled);
  json_w_end_object (w);
}

static void
w_bool (struct json_writer *w, const char *key, bool b)
{
  json_w_key (w, key);
  json_w_bool (w, b);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
w_linux (struct json_writer *w, const struct spec_features *f)
{
  json_w_key (w, "linux");
  json_w_begin_object (w);

  json_w_key (w, "namespaces");
  json_w_begin_array (w);
  for (int t = 0; t < NS_TYPE_COUNT; t++)
    json_w_string (w, spec_ns_type_name (t));
  json_w_end_array (w);

  w_list (w, "capabilities", &f->capabilities);

  json_w_key (w, "cgroup");
  json_w_begin_object (w);
  w_bool (w, "v1", f->cgroup_v1);
  w_bool (w, "v2", f->cgroup_v2);
  w_bool (w, "systemd", f->cgroup_systemd);
  w_bool (w, "systemdUser", f->cgroup_systemd_user);
  w_bool (w, "rdma", f->cgroup_rdma);
  json_w_end_object (w);

  json_w_key (w, "seccomp");
  json_w_begin_object (w);
  w_bool (w, "enabled", f->seccomp_enabled);
  if (f->seccomp_enabled)
    {
      json_w_key_strv (w, "actions", spec_features_seccomp_actions);
      json_w_key_strv (w, "operators", spec_features_seccomp_operators);
      w_list (w, "archs", &f->seccomp_archs);
      json_w_key_strv (w, "knownFlags", spec_features_seccomp_known_flags);
      w_list (w, "supportedFlags", &f->seccomp_supported_flags);
    }
  json_w_end_object (w);

  w_enabled (w, "apparmor", f->apparmor_enabled);
  w_enabled (w, "selinux", f->selinux_enabled);
  w_enabled (w, "intelRdt", f->intel_rdt_enabled);
  json_w_key (w, "mountExtensions");
  json_w_begin_object (w);
  w_enabled (w, "idmap", f->idmap_mounts);
  json_w_end_object (w);
  w_enabled (w, "netDevices", f->net_devices_enabled);
  json_w_end_object (w);
}

int
spec_features_json (const struct spec_features *f, char **out, struct error **err)
{
  _cleanup_free_ const char **opts = NULL;
  if (f->mount_options.len)
    {
      opts = calloc (f->mount_options.len, sizeof *opts);
      if (opts == NULL)
        return error_set (err, ENOMEM, "features");
      memcpy (opts, f->mount_options.items, f->mount_options.len * sizeof *opts);
      qsort (opts, f->mount_options.len, sizeof *opts, cmp_str);
    }
  struct spec_strlist sorted = { opts, f->mount_options.len };

  struct json_writer *w = json_writer_new (true);
  if (w == NULL)
    return error_set (err, ENOMEM, "features");
  json_w_begin_object (w);
  json_w_key (w, "ociVersionMin");
  json_w_string (w, f->oci_version_min);
  json_w_key (w, "ociVersionMax");
  json_w_string (w, f->oci_version_max);
  json_w_key_strv (w, "hooks", spec_features_hooks);
  w_list (w, "mountOptions", &sorted);
  w_linux (w, f);
  json_w_key (w, "annotations");
  json_w_begin_object (w);
  for (size_t i = 0; i < f->annotations_len; i++)
    {
      json_w_key (w, f->annotations[i].key);
      json_w_string (w, f->annotations[i].value);
    }
  json_w_end_object (w);
  json_w_end_object (w);
  if (json_writer_finish (w, out, NULL) < 0)
    return error_set (err, ENOMEM, "features: write JSON");
  return 0;
}
