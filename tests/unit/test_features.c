/* features.json: the shape of spec_features_json's output (runtime-spec
 * features.md) and what lc_features_json reports for this build and host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcontainer/container.h"
#include "libcontainer/criu.h"
#include "spec/features_json.h"
#include "spec/util/json.h"
#include "unit.h"

static const struct json_value *
path (const struct json_value *v, const char *a, const char *b, const char *c)
{
  if (v && a)
    v = json_object_get (v, a);
  if (v && b)
    v = json_object_get (v, b);
  if (v && c)
    v = json_object_get (v, c);
  return v;
}

static bool
array_has (const struct json_value *arr, const char *s)
{
  for (size_t i = 0; arr && i < json_array_len (arr); i++)
    if (json_string (json_array_get (arr, i)) && strcmp (json_string (json_array_get (arr, i)), s) == 0)
      return true;
  return false;
}

static void
test_shape (void)
{
  const char *opts[] = { "rw", "bind", "ro" };
  const char *caps[] = { "CAP_CHOWN", "CAP_KILL" };
  const char *archs[] = { "SCMP_ARCH_X86_64" };
  const char *flags[] = { "SECCOMP_FILTER_FLAG_LOG" };
  struct spec_kv ann[] = { { (char *) "a.b", (char *) "1" } };
  struct spec_features f = {
    .oci_version_min = "1.0.0", .oci_version_max = "1.3.0",
    .mount_options = { opts, 3 }, .capabilities = { caps, 2 },
    .seccomp_enabled = true, .seccomp_archs = { archs, 1 },
    .seccomp_supported_flags = { flags, 1 },
    .apparmor_enabled = true, .cgroup_v2 = true, .cgroup_rdma = true, .idmap_mounts = true,
    .annotations = ann, .annotations_len = 1,
  };
  char *out = NULL, reason[256];
  struct error *e = NULL;
  CHECK (spec_features_json (&f, &out, &e) == 0);
  struct json_value *doc = out ? json_parse (out, strlen (out), reason, sizeof reason) : NULL;
  CHECK (doc != NULL);
  CHECK_STR (json_string (path (doc, "ociVersionMin", NULL, NULL)), "1.0.0");
  CHECK_STR (json_string (path (doc, "ociVersionMax", NULL, NULL)), "1.3.0");
  const struct json_value *hooks = path (doc, "hooks", NULL, NULL);
  CHECK (json_array_len (hooks) == 6 && array_has (hooks, "createRuntime"));
  /* mount options come out sorted, like runc's */
  const struct json_value *mo = path (doc, "mountOptions", NULL, NULL);
  CHECK (json_array_len (mo) == 3);
  CHECK_STR (json_string (json_array_get (mo, 0)), "bind");
  CHECK_STR (json_string (json_array_get (mo, 2)), "rw");
  const struct json_value *ns = path (doc, "linux", "namespaces", NULL);
  CHECK (json_array_len (ns) == NS_TYPE_COUNT && array_has (ns, "cgroup") && array_has (ns, "time"));
  CHECK (json_array_len (path (doc, "linux", "capabilities", NULL)) == 2);
  CHECK (json_type_of (path (doc, "linux", "cgroup", "v1")) == JSON_BOOL);
  CHECK (!json_bool (path (doc, "linux", "cgroup", "v1")));
  CHECK (json_bool (path (doc, "linux", "cgroup", "v2")));
  CHECK (json_bool (path (doc, "linux", "cgroup", "rdma")));
  CHECK (json_type_of (path (doc, "linux", "cgroup", "systemdUser")) == JSON_BOOL);
  const struct json_value *sc = path (doc, "linux", "seccomp", NULL);
  CHECK (json_bool (json_object_get (sc, "enabled")));
  CHECK (array_has (json_object_get (sc, "actions"), "SCMP_ACT_NOTIFY"));
  CHECK (array_has (json_object_get (sc, "operators"), "SCMP_CMP_MASKED_EQ"));
  CHECK (array_has (json_object_get (sc, "archs"), "SCMP_ARCH_X86_64"));
  CHECK (json_array_len (json_object_get (sc, "knownFlags")) == 4);
  CHECK (json_array_len (json_object_get (sc, "supportedFlags")) == 1);
  CHECK (json_bool (path (doc, "linux", "apparmor", "enabled")));
  CHECK (!json_bool (path (doc, "linux", "selinux", "enabled")));
  CHECK (json_type_of (path (doc, "linux", "intelRdt", "enabled")) == JSON_BOOL);
  CHECK (json_bool (path (path (doc, "linux", "mountExtensions", "idmap"), "enabled", NULL, NULL)));
  CHECK_STR (json_string (path (doc, "annotations", "a.b", NULL)), "1");
  json_free (doc);
  free (out);

  /* seccomp disabled: only "enabled" in the object, as the spec allows */
  f.seccomp_enabled = false;
  out = NULL;
  CHECK (spec_features_json (&f, &out, &e) == 0);
  doc = out ? json_parse (out, strlen (out), reason, sizeof reason) : NULL;
  CHECK (json_object_len (path (doc, "linux", "seccomp", NULL)) == 1);
  json_free (doc);
  free (out);
}

static void
test_host (void)
{
  char *out = NULL, reason[256];
  struct error *e = NULL;
  CHECK (lc_features_json ("criu", &out, &e) == 0);
  struct json_value *doc = out ? json_parse (out, strlen (out), reason, sizeof reason) : NULL;
  CHECK (doc != NULL);
  CHECK_STR (json_string (path (doc, "ociVersionMax", NULL, NULL)), CAPSA_OCI_VERSION);
  const struct json_value *caps = path (doc, "linux", "capabilities", NULL);
  /* libcap has known at least up to CAP_AUDIT_READ (37) for a decade */
  CHECK (json_array_len (caps) >= 38);
  CHECK_STR (json_string (json_array_get (caps, 0)), "CAP_CHOWN");
  CHECK (array_has (caps, "CAP_SYS_ADMIN"));
  const struct json_value *mo = path (doc, "mountOptions", NULL, NULL);
  CHECK (array_has (mo, "rbind") && array_has (mo, "rro") && array_has (mo, "tmpcopyup"));
  CHECK (!array_has (mo, "mode=755"));
  const struct json_value *archs = path (doc, "linux", "seccomp", "archs");
#if defined(__x86_64__)
  CHECK (array_has (archs, "SCMP_ARCH_X86_64"));
#endif
  CHECK (json_array_len (archs) > 0);
  /* TSYNC is in every kernel since 3.17 */
  CHECK (array_has (path (doc, "linux", "seccomp", "supportedFlags"), "SECCOMP_FILTER_FLAG_TSYNC"));
  CHECK (json_type_of (path (doc, "annotations", "io.github.seccomp.libseccomp.version", NULL))
         == JSON_STRING);
  json_free (doc);
  free (out);
}

/* criu check's output as this host's 6.18 kernel makes criu 3.17 print it. */
static void
test_criu_check_reason (void)
{
  const char *vdso = "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\n"
                     "Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable\n"
                     "Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed\n";
  char *r = criu_check_reason (vdso, 1 << 8);
  CHECK_STR (r, "vdso: Unexpected rt vDSO area bounds; vdso: Failed to fill self vdso symtable");
  free (r);
  CHECK (criu_check_reason ("Looks good.\n", 0) == NULL);
  CHECK (criu_check_reason ("Warn (criu/cr-check.c:1): x\nLooks good.\n", 0) == NULL);
  r = criu_check_reason ("Must be run as root\nmore\n", 1 << 8);
  CHECK_STR (r, "Must be run as root");
  free (r);
  r = criu_check_reason ("", 3 << 8);
  CHECK_STR (r, "exit status 3");
  free (r);
  r = criu_check_reason (NULL, 9); /* killed by SIGKILL */
  CHECK_STR (r, "signal 9");
  free (r);
  /* an Error line without criu's source position is kept whole */
  r = criu_check_reason ("(0.01) Error (oops\n", 1 << 8);
  CHECK_STR (r, "Error (oops");
  free (r);
}

static struct json_value *
features_with (const char *criu)
{
  char *out = NULL, reason[256];
  struct error *e = NULL;
  if (lc_features_json (criu, &out, &e) < 0)
    return NULL;
  struct json_value *doc = json_parse (out, strlen (out), reason, sizeof reason);
  free (out);
  return doc;
}

/* The checkpoint annotations follow what criu says: fake criu binaries that
 * pass and fail `criu check`, and one that does not exist. */
static void
test_criu_annotations (void)
{
  char dir[] = "/tmp/capsa-test-features-XXXXXX", ok[64], bad[64];
  if (mkdtemp (dir) == NULL)
    {
      CHECK (!"mkdtemp");
      return;
    }
  snprintf (ok, sizeof ok, "%s/criu-ok", dir);
  snprintf (bad, sizeof bad, "%s/criu-bad", dir);
  static const char fmt[] = "#!/bin/sh\n"
                            "[ \"$1\" = --version ] && { echo 'Version: 3.99.1'; exit 0; }\n"
                            "[ \"$1\" = check ] || exit 2\n%s\n";
  FILE *f = fopen (ok, "we");
  if (f)
    fprintf (f, fmt, "echo 'Looks good.'; exit 0"), fclose (f);
  f = fopen (bad, "we");
  if (f)
    fprintf (f, fmt, "echo 'Error (criu/kerndat.c:1): no userfaultfd' >&2; exit 1"), fclose (f);
  chmod (ok, 0755);
  chmod (bad, 0755);

  struct json_value *doc = features_with (ok);
  const struct json_value *ann = path (doc, "annotations", NULL, NULL);
  CHECK_STR (json_string (json_object_get (ann, "org.opencontainers.runc.checkpoint.enabled")),
             "true");
  CHECK_STR (json_string (json_object_get (ann, "run.capsa.criu.version")), "3.99.1");
  CHECK_STR (json_string (json_object_get (ann, "run.capsa.criu.check")), "ok");
  json_free (doc);

  doc = features_with (bad);
  ann = path (doc, "annotations", NULL, NULL);
  CHECK_STR (json_string (json_object_get (ann, "org.opencontainers.runc.checkpoint.enabled")),
             "false");
  CHECK_STR (json_string (json_object_get (ann, "run.capsa.criu.version")), "3.99.1");
  CHECK_STR (json_string (json_object_get (ann, "run.capsa.criu.check")),
             "failed: no userfaultfd");
  json_free (doc);

  char missing[80];
  snprintf (missing, sizeof missing, "%s/no-criu", dir);
  doc = features_with (missing);
  ann = path (doc, "annotations", NULL, NULL);
  CHECK_STR (json_string (json_object_get (ann, "org.opencontainers.runc.checkpoint.enabled")),
             "false");
  CHECK (json_object_get (ann, "run.capsa.criu.version") == NULL);
  CHECK_CONTAINS (json_string (json_object_get (ann, "run.capsa.criu.check")), "cannot run");
  json_free (doc);
  unlink (ok);
  unlink (bad);
  rmdir (dir);
}

int
main (void)
{
  test_shape ();
  test_host ();
  test_criu_check_reason ();
  test_criu_annotations ();
  return unit_finish ("test_features");
}
