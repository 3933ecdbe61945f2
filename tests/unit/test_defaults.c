/* spec/defaults.c: the `capsa spec` templates parse back and have runc's shape. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/config.h"
#include "spec/defaults.h"
#include "unit.h"

static struct spec_config *
generate (bool rootless)
{
  char *json = NULL;
  struct error *e = NULL;
  CHECK (spec_default_config_json (rootless, &json, &e) == 0);
  if (json == NULL)
    return NULL;
  struct spec_config *c = spec_config_parse_data (json, strlen (json), "config.json", &e);
  CHECK (c != NULL);
  if (c == NULL)
    fprintf (stderr, "default config does not parse: %s\n", e->msg);
  error_free (&e);
  free (json);
  return c;
}

static const struct spec_mount *
mount_at (const struct spec_config *c, const char *dest)
{
  for (size_t i = 0; i < c->mounts_len; i++)
    if (strcmp (c->mounts[i].destination, dest) == 0)
      return &c->mounts[i];
  return NULL;
}

static bool
has_option (const struct spec_mount *m, const char *opt)
{
  for (size_t i = 0; m && i < m->options_len; i++)
    if (strcmp (m->options[i], opt) == 0)
      return true;
  return false;
}

static void
test_default (void)
{
  struct spec_config *c = generate (false);
  if (c == NULL)
    return;
  CHECK_STR (c->oci_version, CAPSA_OCI_VERSION);
  CHECK_STR (c->hostname, "capsa");
  CHECK_STR (c->root_path, "rootfs");
  CHECK (c->root_readonly);
  CHECK (c->process->terminal);
  CHECK (c->process->args_len == 1);
  CHECK_STR (c->process->args[0], "sh");
  CHECK_STR (c->process->cwd, "/");
  CHECK (c->process->no_new_privileges);
  CHECK (c->process->rlimits_len == 1);
  CHECK_STR (c->process->rlimits[0].type, "RLIMIT_NOFILE");
  CHECK (c->process->rlimits[0].soft == 1024 && c->process->rlimits[0].hard == 1024);
  CHECK (c->process->capabilities && c->process->capabilities->bounding_len == 3
         && !c->process->capabilities->has_inheritable);
  CHECK (c->mounts_len == 7);
  CHECK_STR (mount_at (c, "/sys") ? mount_at (c, "/sys")->type : NULL, "sysfs");
  CHECK (has_option (mount_at (c, "/dev/pts"), "gid=5"));
  CHECK (mount_at (c, "/sys/fs/cgroup") != NULL);
  CHECK (c->linux_->namespaces_len == 5);
  CHECK (spec_config_namespace (c, NS_NETWORK) != NULL);
  CHECK (spec_config_namespace (c, NS_USER) == NULL);
  CHECK (c->linux_->resources && c->linux_->resources->devices_len == 1
         && !c->linux_->resources->devices[0].allow);
  CHECK (c->linux_->masked_paths_len == 10 && c->linux_->readonly_paths_len == 5);
  spec_config_free (c);
}

static void
test_rootless (void)
{
  struct spec_config *c = generate (true);
  if (c == NULL)
    return;
  CHECK (spec_config_namespace (c, NS_USER) != NULL);
  CHECK (spec_config_namespace (c, NS_NETWORK) == NULL);
  CHECK (c->linux_->namespaces_len == 5);
  CHECK (c->linux_->uid_mappings_len == 1 && c->linux_->uid_mappings[0].container_id == 0
         && c->linux_->uid_mappings[0].host_id == geteuid ()
         && c->linux_->uid_mappings[0].size == 1);
  CHECK (c->linux_->gid_mappings_len == 1 && c->linux_->gid_mappings[0].host_id == getegid ());
  const struct spec_mount *sys = mount_at (c, "/sys");
  CHECK_STR (sys ? sys->type : NULL, "none");
  CHECK_STR (sys ? sys->source : NULL, "/sys");
  CHECK (has_option (sys, "rbind"));
  CHECK (!has_option (mount_at (c, "/dev/pts"), "gid=5"));
  CHECK (c->linux_->resources == NULL);
  spec_config_free (c);
}

int
main (void)
{
  test_default ();
  test_rootless ();
  return unit_finish ("test_defaults");
}
