/* capsa audit rules: one fixture per finding (fixtures/audit/, made by
 * make-fixtures.py from clean.json with one change each), plus the findings
 * of the default and hardened templates. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "spec/audit.h"
#include "spec/config.h"
#include "spec/defaults.h"
#include "spec/hardened.h"
#include "spec/util/cleanup.h"
#include "spec/util/json.h"

struct fixture_case
{
  const char *file;
  const char *rule;           /* NULL: no finding at all */
  enum audit_severity severity;
  const char *path;
  size_t total;               /* findings the whole file must produce */
  bool selinux, apparmor;     /* host facts */
};

static const struct fixture_case cases[] = {
  { "clean", NULL, 0, NULL, 0, false, false },
  { "cap-sys-admin", "capability-privileged", AUDIT_HIGH, "process.capabilities.bounding[1]", 1 },
  { "cap-sys-admin-userns", "capability-privileged", AUDIT_MEDIUM, "process.capabilities.bounding[1]", 1 },
  { "cap-net-raw", "capability-privileged", AUDIT_LOW, "process.capabilities.effective[1]", 1 },
  { "cap-inheritable", "capability-inheritable", AUDIT_MEDIUM, "process.capabilities.inheritable", 1 },
  { "cap-ambient", "capability-ambient", AUDIT_MEDIUM, "process.capabilities.ambient", 1 },
  { "root-without-userns", "root-without-userns", AUDIT_MEDIUM, "process.user.uid", 1 },
  { "userns-host-root", "userns-maps-host-root", AUDIT_MEDIUM, "linux.uidMappings[0]", 1 },
  { "no-pid-ns", "namespace-missing", AUDIT_HIGH, "linux.namespaces", 1 },
  { "no-net-ns", "namespace-missing", AUDIT_HIGH, "linux.namespaces", 1 },
  { "no-mount-ns", "namespace-missing", AUDIT_HIGH, "linux.namespaces", 1 },
  { "no-ipc-ns", "namespace-missing", AUDIT_MEDIUM, "linux.namespaces", 1 },
  { "no-uts-ns", "namespace-missing", AUDIT_LOW, "linux.namespaces", 1 },
  { "host-net-joined", "namespace-host-joined", AUDIT_HIGH, "linux.namespaces[1].path", 1 },
  { "other-net-joined", "namespace-joined", AUDIT_INFO, "linux.namespaces[1].path", 1 },
  { "no-seccomp", "seccomp-missing", AUDIT_HIGH, "linux.seccomp", 1 },
  { "seccomp-allow-default", "seccomp-allows-all", AUDIT_HIGH, "linux.seccomp.defaultAction", 1 },
  { "seccomp-denylist", "seccomp-denylist", AUDIT_MEDIUM, "linux.seccomp.defaultAction", 1 },
  { "seccomp-risky", "seccomp-allows-risky", AUDIT_LOW, "linux.seccomp.syscalls[1].names[0]", 1 },
  { "nnp-off", "no-new-privileges-off", AUDIT_MEDIUM, "process.noNewPrivileges", 1 },
  { "sysfs-rw", "sysfs-writable", AUDIT_HIGH, "mounts[2].options", 1 },
  { "proc-sys-rw", "proc-sys-writable", AUDIT_HIGH, "linux.readonlyPaths", 1 },
  { "sysrq-rw", "proc-sysrq-writable", AUDIT_HIGH, "linux.readonlyPaths", 1 },
  { "readonly-incomplete", "readonly-paths-incomplete", AUDIT_MEDIUM, "linux.readonlyPaths", 1 },
  { "masked-missing", "masked-paths-missing", AUDIT_HIGH, "linux.maskedPaths", 1 },
  { "masked-incomplete", "masked-paths-incomplete", AUDIT_MEDIUM, "linux.maskedPaths", 1 },
  { "devices-allow-all", "devices-allow-all", AUDIT_HIGH, "linux.resources.devices[2]", 1 },
  { "devices-block-rwm", "devices-block-write", AUDIT_HIGH, "linux.resources.devices[2]", 1 },
  { "devices-block-r", "devices-block-read", AUDIT_MEDIUM, "linux.resources.devices[2]", 1 },
  { "device-block-node", "device-block-node", AUDIT_MEDIUM, "linux.devices[0]", 1 },
  { "bind-docker-sock", "mount-host-path", AUDIT_HIGH, "mounts[4].source", 1 },
  { "bind-etc-rw", "mount-host-path", AUDIT_HIGH, "mounts[4].source", 1 },
  { "bind-etc-ro", "mount-host-path", AUDIT_MEDIUM, "mounts[4].source", 1 },
  { "bind-host-root", "mount-host-path", AUDIT_HIGH, "mounts[4].source", 1 },
  { "bind-dev-ro", "mount-host-path", AUDIT_HIGH, "mounts[4].source", 2 },
  { "bind-dev-ro", "mount-options", AUDIT_MEDIUM, "mounts[4].options", 2 },
  { "bind-var-lib", "mount-host-path", AUDIT_HIGH, "mounts[4].source", 1 },
  { "bind-no-nosuid", "mount-options", AUDIT_MEDIUM, "mounts[3].options", 1 },
  { "tmpfs-no-nodev", "mount-options", AUDIT_LOW, "mounts[4].options", 1 },
  { "no-memory-limit", "memory-limit-missing", AUDIT_MEDIUM, "linux.resources.memory.limit", 1 },
  { "no-pids-limit", "pids-limit-missing", AUDIT_MEDIUM, "linux.resources.pids.limit", 1 },
  { "rootfs-rw", "rootfs-writable", AUDIT_LOW, "root.readonly", 1 },
  { "hook-prestart", "hook-host-binary", AUDIT_HIGH, "hooks.prestart[0].path", 1 },
  { "hook-create-container", "hook-host-binary", AUDIT_MEDIUM, "hooks.createContainer[0].path", 1 },
  { "hook-start-container", "hook-container-binary", AUDIT_INFO, "hooks.startContainer[0].path", 1 },
  { "clean", "apparmor-profile-missing", AUDIT_MEDIUM, "process.apparmorProfile", 1, false, true },
  { "apparmor-unconfined", "apparmor-profile-missing", AUDIT_MEDIUM, "process.apparmorProfile", 1, false, true },
  { "apparmor-unconfined", NULL, 0, NULL, 0, false, false },
  { "clean", "selinux-label-missing", AUDIT_MEDIUM, "process.selinuxLabel", 1, true, false },
  { "selinux-labelled", NULL, 0, NULL, 0, true, false },
};

static void
dump (const char *what, const struct audit_report *r)
{
  for (size_t i = 0; i < r->len; i++)
    fprintf (stderr, "  %s: %s %s %s: %s\n", what, audit_severity_name (r->findings[i].severity),
             r->findings[i].rule, r->findings[i].path, r->findings[i].message);
}

static struct audit_report *
audit_text (const char *json, const char *name, const struct audit_host *host)
{
  struct error *err = NULL;
  struct audit_report *r = NULL;
  struct spec_config *c = spec_config_parse_data (json, strlen (json), name, &err);
  if (c == NULL)
    {
      fprintf (stderr, "%s: %s\n", name, err ? err->msg : "?");
      error_free (&err);
      return NULL;
    }
  if (audit_config (c, host, &r, &err) < 0)
    {
      fprintf (stderr, "audit %s: %s\n", name, err->msg);
      error_free (&err);
    }
  spec_config_free (c);
  return r;
}

static void
test_fixtures (void)
{
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      const struct fixture_case *t = &cases[i];
      struct audit_host host = { .selinux_enabled = t->selinux, .apparmor_enabled = t->apparmor };
      char path[256];
      struct error *err = NULL;
      struct audit_report *r = NULL;
      struct spec_config *c;

      snprintf (path, sizeof path, "fixtures/audit/%s.json", t->file);
      c = spec_config_parse_file (path, &err);
      CHECK (c != NULL);
      if (c == NULL)
        {
          fprintf (stderr, "%s: %s\n", path, err ? err->msg : "?");
          error_free (&err);
          continue;
        }
      CHECK (audit_config (c, &host, &r, &err) == 0);
      spec_config_free (c);
      if (r == NULL)
        continue;
      if (r->len != t->total)
        {
          fprintf (stderr, "%s: %zu findings, expected %zu\n", t->file, r->len, t->total);
          dump (t->file, r);
        }
      CHECK (r->len == t->total);
      if (t->rule)
        {
          const struct audit_finding *f = NULL;
          for (size_t k = 0; k < r->len && !f; k++)
            if (strcmp (r->findings[k].rule, t->rule) == 0 && strcmp (r->findings[k].path, t->path) == 0)
              f = &r->findings[k];
          if (f == NULL)
            {
              fprintf (stderr, "%s: no %s at %s\n", t->file, t->rule, t->path);
              dump (t->file, r);
            }
          CHECK (f != NULL);
          if (f)
            {
              CHECK_STR (audit_severity_name (f->severity), audit_severity_name (t->severity));
              CHECK (f->fix && f->fix[0]);
              CHECK (f->message && f->message[0]);
            }
        }
      audit_report_free (r);
    }
}

static void
test_order_and_json (void)
{
  struct error *err = NULL;
  struct spec_config *c = spec_config_parse_file ("fixtures/audit/bind-dev-ro.json", &err);
  struct audit_report *r = NULL;
  char *json = NULL;
  char errbuf[128];

  CHECK (c != NULL);
  if (c == NULL)
    return;
  CHECK (audit_config (c, NULL, &r, &err) == 0);
  spec_config_free (c);
  if (r == NULL)
    return;
  /* High first. */
  CHECK (r->len == 2 && r->findings[0].severity == AUDIT_HIGH && r->findings[1].severity == AUDIT_MEDIUM);
  CHECK (audit_report_count (r, AUDIT_HIGH) == 1);
  CHECK (audit_report_find (r, "mount-options") == &r->findings[1]);
  CHECK (audit_report_json (r, false, &json, &err) == 0);
  struct json_value *v = json ? json_parse (json, strlen (json), errbuf, sizeof errbuf) : NULL;
  CHECK (v != NULL);
  if (v)
    {
      const struct json_value *f0 = json_array_get (json_object_get (v, "findings"), 0);
      int64_t high = -1;
      CHECK_STR (json_string (json_object_get (f0, "severity")), "high");
      CHECK_STR (json_string (json_object_get (f0, "rule")), "mount-host-path");
      CHECK_STR (json_string (json_object_get (f0, "path")), "mounts[4].source");
      CHECK (json_int64 (json_object_get (json_object_get (v, "summary"), "high"), &high) && high == 1);
      json_free (v);
    }
  free (json);
  audit_report_free (r);
}

/* `capsa spec` (runc's default): no seccomp is the one high finding; root without
 * a user namespace, ambient caps and missing limits are medium. */
static void
test_default_spec (void)
{
  struct error *err = NULL;
  char *json = NULL;
  CHECK (spec_default_config_json (false, &json, &err) == 0);
  struct audit_report *r = json ? audit_text (json, "default", NULL) : NULL;
  CHECK (r != NULL);
  if (r)
    {
      CHECK (audit_report_find (r, "seccomp-missing") != NULL);
      CHECK (audit_report_count (r, AUDIT_HIGH) == 1);
      CHECK (audit_report_find (r, "root-without-userns") != NULL);
      CHECK (audit_report_find (r, "memory-limit-missing") != NULL);
      CHECK (audit_report_find (r, "pids-limit-missing") != NULL);
      dump ("default", r);
      audit_report_free (r);
    }
  free (json);
}

static void
test_hardened_spec (void)
{
  for (int rootless = 0; rootless <= 1; rootless++)
    {
      struct error *err = NULL;
      char *json = NULL;
      struct audit_host host = { 0 };
      int rc = spec_hardened_config_json (rootless, &json, &err);
      CHECK (rc == 0);
      if (rc < 0)
        {
          fprintf (stderr, "hardened: %s\n", err->msg);
          error_free (&err);
          continue;
        }
      struct audit_report *r = audit_text (json, rootless ? "hardened-rootless" : "hardened", &host);
      CHECK (r != NULL);
      if (r == NULL)
        {
          free (json);
          continue;
        }
      dump (rootless ? "hardened --rootless" : "hardened", r);
      CHECK (audit_report_count (r, AUDIT_HIGH) == 0);
      CHECK (audit_report_find (r, "seccomp-missing") == NULL);
      CHECK (audit_report_find (r, "capability-privileged") == NULL);
      CHECK (audit_report_find (r, "memory-limit-missing") == NULL);
      CHECK (audit_report_find (r, "pids-limit-missing") == NULL);
      CHECK (audit_report_find (r, "no-new-privileges-off") == NULL);
      CHECK (audit_report_find (r, "rootfs-writable") == NULL);
      /* As root without --rootless the process is host root; rootless maps it. */
      CHECK ((audit_report_find (r, "root-without-userns") != NULL) == !rootless);
      CHECK_CONTAINS (json, "\"defaultAction\": \"SCMP_ACT_ERRNO\"");
      CHECK_CONTAINS (json, "\"CAP_NET_BIND_SERVICE\"");
      CHECK (strstr (json, "CAP_NET_RAW") == NULL);
      CHECK (strstr (json, "\"note\"") == NULL);
      CHECK ((strstr (json, "\"uidMappings\"") != NULL) == rootless);
      audit_report_free (r);
      free (json);
    }
}

/* The built-in profile survives the parser and keeps the argument rules. */
static void
test_hardened_seccomp (void)
{
  struct error *err = NULL;
  char *json = NULL;
  CHECK (spec_hardened_config_json (false, &json, &err) == 0);
  if (json == NULL)
    {
      error_free (&err);
      return;
    }
  struct spec_config *c = spec_config_parse_data (json, strlen (json), "hardened", &err);
  CHECK (c != NULL && c->linux_ && c->linux_->seccomp);
  if (c && c->linux_ && c->linux_->seccomp)
    {
      const struct spec_seccomp *s = c->linux_->seccomp;
      bool clone_masked = false, clone3_enosys = false, read_allowed = false, mount_allowed = false;
      CHECK_STR (s->default_action, "SCMP_ACT_ERRNO");
      CHECK (s->has_default_errno_ret && s->default_errno_ret == 1);
      CHECK (s->architectures_len > 0);
      for (size_t i = 0; i < s->syscalls_len; i++)
        for (size_t n = 0; n < s->syscalls[i].names_len; n++)
          {
            const char *name = s->syscalls[i].names[n];
            if (strcmp (name, "clone") == 0 && s->syscalls[i].args_len == 1)
              clone_masked = strcmp (s->syscalls[i].args[0].op, "SCMP_CMP_MASKED_EQ") == 0
                             && s->syscalls[i].args[0].value == 0x7e020000;
            if (strcmp (name, "clone3") == 0)
              clone3_enosys = s->syscalls[i].has_errno_ret && s->syscalls[i].errno_ret == 38;
            if (strcmp (name, "read") == 0)
              read_allowed = true;
            if (strcmp (name, "mount") == 0 || strcmp (name, "unshare") == 0 || strcmp (name, "bpf") == 0)
              mount_allowed = true;
          }
      CHECK (clone_masked);
      CHECK (clone3_enosys);
      CHECK (read_allowed);
      CHECK (!mount_allowed);
    }
  else if (err)
    fprintf (stderr, "parse hardened: %s\n", err->msg);
  error_free (&err);
  spec_config_free (c);
  free (json);
}

int
main (void)
{
  test_fixtures ();
  test_order_and_json ();
  test_default_spec ();
  test_hardened_spec ();
  test_hardened_seccomp ();
  return unit_finish ("test_audit");
}
