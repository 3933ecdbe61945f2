/* cgroupsPath semantics and systemd path parsing: pure functions, no root. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "cgroups/cgroup_internal.h"
#include "spec/util/error.h"

static char *
resolve (const char *cgpath, const char *own, bool v2)
{
  char *out = NULL;
  struct error *err = NULL;
  if (cg_resolve_path (cgpath, "ctr", own, v2, &out, &err) < 0)
    {
      char *msg = strdup (err->msg);
      error_free (&err);
      return msg; /* tests look for the message */
    }
  return out;
}

static char *
sd (const char *cgpath)
{
  char *out = NULL;
  struct error *err = NULL;
  if (cg_systemd_path (cgpath, "ctr", &out, &err) < 0)
    {
      char *msg = strdup (err->msg);
      error_free (&err);
      return msg;
    }
  return out;
}

#define CHECK_OWNED(expr, want)  \
  do {                           \
    char *v_ = (expr);           \
    CHECK_STR (v_, want);        \
    free (v_);                   \
  } while (0)

#define CHECK_OWNED_CONTAINS(expr, want) \
  do {                                   \
    char *v_ = (expr);                   \
    CHECK_CONTAINS (v_, want);           \
    free (v_);                           \
  } while (0)

int
main (void)
{
  /* clean */
  CHECK_OWNED (cg_clean_path (""), "/");
  CHECK_OWNED (cg_clean_path ("a//b/./c/"), "/a/b/c");
  CHECK_OWNED (cg_clean_path ("/a/../../b"), "/b");
  CHECK_OWNED (cg_clean_path("../.."), "/");

  /* unset: /capsa/<id> on every layout */
  CHECK_OWNED (resolve (NULL, "/user.slice", false), "/capsa/ctr");
  CHECK_OWNED (resolve ("", "/user.slice", true), "/capsa/ctr");
  /* absolute: relative to the hierarchy root, cleaned */
  CHECK_OWNED (resolve ("/a/b", "/own", false), "/a/b");
  CHECK_OWNED (resolve ("/a/../../b/", "/own", true), "/b");
  /* relative, v1: below this process's own cgroup */
  CHECK_OWNED (resolve ("a/b", "/process_api/x", false), "/process_api/x/a/b");
  CHECK_OWNED (resolve ("a/b", "/", false), "/a/b");
  /* relative, cgroup2: below the parent of the own cgroup (it holds processes) */
  CHECK_OWNED (resolve ("a/b", "/user.slice/session-1.scope", true), "/user.slice/a/b");
  CHECK_OWNED (resolve ("a", "/init", true), "/a");
  CHECK_OWNED (resolve ("a", "/", true), "/a");
  /* ".." cannot climb out of the base */
  CHECK_OWNED (resolve ("../../etc", "/p/q", false), "/p/q/etc");
  /* the root itself is refused */
  CHECK_OWNED (resolve ("/", "/", false), "linux.cgroupsPath: invalid cgroup path \"/\"");
  CHECK_OWNED (resolve ("/a\nb", "/", false), "linux.cgroupsPath: invalid cgroup path \"/a\nb\"");

  /* systemd slice:prefix:name */
  CHECK_OWNED (sd (NULL), "/system.slice/capsa-ctr.scope");
  CHECK_OWNED (sd ("machine.slice:libpod:abc"), "/machine.slice/libpod-abc.scope");
  CHECK_OWNED (sd ("user-1000.slice:crio:x"), "/user.slice/user-1000.slice/crio-x.scope");
  CHECK_OWNED (sd (":capsa:"), "/system.slice/capsa-ctr.scope");
  CHECK_OWNED (sd ("a-b-c.slice::n"), "/a.slice/a-b.slice/a-b-c.slice/n.scope");
  CHECK_OWNED (sd ("-.slice:p:n"), "/p-n.scope");
  CHECK_OWNED (sd ("system.slice:p:inner.slice"), "/system.slice/inner.slice");
  CHECK_OWNED_CONTAINS (sd ("/abs/path"), "expected \"slice:prefix:name\"");
  CHECK_OWNED_CONTAINS (sd ("a:b:c:d"), "expected \"slice:prefix:name\"");
  CHECK_OWNED_CONTAINS (sd ("bad:p:n"), "invalid systemd slice \"bad\"");
  CHECK_OWNED_CONTAINS (sd ("a--b.slice:p:n"), "invalid systemd slice");

  CHECK (cg_list_has ("cpu,cpuacct", "cpuacct"));
  CHECK (cg_list_has ("cpu,cpuacct", "cpu"));
  CHECK (!cg_list_has ("cpuacct", "cpu"));
  CHECK (cg_list_has ("name=systemd", "name=systemd"));

  return unit_finish ("test_cgroup_path");
}
