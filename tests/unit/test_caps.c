/* Capability names and the two-step apply, checked in forked children through
 * /proc/self/status. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capabilities.h"
#include "spec/util/cleanup.h"
#include "unit.h"

#define BIT(c) (UINT64_C (1) << (c))

static uint64_t
status_field (const char *key)
{
  char line[256];
  uint64_t v = UINT64_MAX;
  FILE *f = fopen ("/proc/self/status", "re");
  size_t kl = strlen (key);
  while (f && fgets (line, sizeof line, f))
    if (strncmp (line, key, kl) == 0 && line[kl] == ':')
      v = strtoull (line + kl + 1, NULL, 16);
  if (f)
    fclose (f);
  return v;
}

static void
test_names (void)
{
  CHECK (caps_from_name ("CAP_CHOWN") == 0);
  CHECK (caps_from_name ("CAP_SYS_ADMIN") == 21);
  CHECK (caps_from_name ("CAP_NET_BIND_SERVICE") == 10);
  CHECK (caps_from_name ("cap_chown") == -1);   /* exact case, like runc */
  CHECK (caps_from_name ("CHOWN") == -1);
  CHECK (caps_from_name ("12") == -1);
  CHECK (caps_from_name ("CAP_") == -1);
  CHECK (caps_from_name ("CAP_FOO") == -1);
  CHECK (caps_kernel_count () > 37 && caps_kernel_count () <= 64);
}

static void
test_plan (void)
{
  struct caps_plan p;
  struct error *err = NULL;
  const uint64_t all = ~UINT64_C (0);
  /* runtime-spec 1.1: an unknown capability is a warning, not an error. */
  char *bnd[] = { "CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_FOO" };
  char *eff[] = { "CAP_KILL", "CAP_FOO" };
  struct spec_capabilities sc = { .bounding = bnd, .bounding_len = 4, .effective = eff,
                                  .effective_len = 2 };
  caps_plan_build (&sc, all, &p);
  CHECK (p.bounding == (BIT (0) | BIT (5) | BIT (7)));
  CHECK (p.effective == BIT (5));
  CHECK (p.inheritable == 0 && p.permitted == 0 && p.ambient == 0);
  CHECK (caps_plan_from_spec (&sc, &p, &err) == 0 && err == NULL);
  error_free (&err);

  /* A capability the runtime does not hold is left out of every set, the others
   * stay. */
  caps_plan_build (&sc, all & ~BIT (5), &p);
  CHECK (p.bounding == (BIT (0) | BIT (7)));
  CHECK (p.effective == 0);

  /* No capabilities object: every set empty, as runc does. */
  memset (&p, 0xff, sizeof p);
  CHECK (caps_plan_from_spec (NULL, &p, &err) == 0);
  CHECK (p.bounding == 0 && p.effective == 0 && p.permitted == 0 && p.inheritable == 0
         && p.ambient == 0);
}

/* Names that only look like capabilities grant nothing: not a number, not another
 * case, not a list, not a name with trailing bytes, not libcap's "all". */
static void
test_unknown_names_grant_nothing (void)
{
  struct caps_plan p;
  char *names[] = { "CAP_ALL", "ALL", "all", "cap_sys_admin", "21", "CAP_21", "CAP_SYS_ADMIN ",
                    "CAP_SYS_ADMIN\n", "CAP_SYS_ADMIN,CAP_NET_ADMIN", "CAP_SYS_ADMIN=ep",
                    "=ep", "", "CAP_", "CAP_FOO" };
  size_t n = ARRAY_SIZE (names);
  struct spec_capabilities sc = { .bounding = names, .bounding_len = n, .effective = names,
                                  .effective_len = n, .permitted = names, .permitted_len = n,
                                  .inheritable = names, .inheritable_len = n,
                                  .ambient = names, .ambient_len = n };
  caps_plan_build (&sc, ~UINT64_C (0), &p);
  CHECK (p.bounding == 0 && p.effective == 0 && p.permitted == 0 && p.inheritable == 0
         && p.ambient == 0);
}

/* capsa as root holds its bounding set: what caps_grantable reports. */
static void
test_grantable_is_permitted (void)
{
  uint64_t g = 0;
  struct error *err = NULL;
  CHECK (caps_grantable (&g, &err) == 0);
  CHECK (g == status_field ("CapPrm"));
  error_free (&err);
}

/* The child reports its five sets after before/setresuid/after. */
static void
test_apply_in_child (void)
{
  if (geteuid () != 0)
    {
      printf ("SKIP apply: needs root\n");
      return;
    }
  struct caps_plan p = {
    .bounding = BIT (0) | BIT (5) | BIT (10) | BIT (13),   /* CHOWN KILL NET_BIND NET_RAW */
    .permitted = BIT (5) | BIT (10),
    .effective = BIT (5) | BIT (10),
    .inheritable = BIT (10),
    .ambient = BIT (10),
  };
  int fds[2];
  CHECK (pipe (fds) == 0);
  pid_t pid = fork ();
  if (pid == 0)
    {
      struct error *err = NULL;
      uint64_t out[6] = { 0 };
      if (caps_apply_bounding (&p, &err) == 0 && prctl (PR_GET_KEEPCAPS) == 1
          && setresgid (1000, 1000, 1000) == 0 && setresuid (1000, 1000, 1000) == 0
          && caps_apply_sets (&p, &err) == 0)
        {
          out[0] = status_field ("CapBnd");
          out[1] = status_field ("CapPrm");
          out[2] = status_field ("CapEff");
          out[3] = status_field ("CapInh");
          out[4] = status_field ("CapAmb");
          out[5] = prctl (PR_GET_KEEPCAPS);
        }
      else
        fprintf (stderr, "child: %s\n", err ? err->msg : "setresuid failed");
      if (write (fds[1], out, sizeof out) != sizeof out)
        _exit (2);
      _exit (0);
    }
  close (fds[1]);
  uint64_t got[6] = { 0 };
  CHECK (read (fds[0], got, sizeof got) == sizeof got);
  close (fds[0]);
  int st;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  CHECK (got[0] == p.bounding);
  CHECK (got[1] == p.permitted);
  CHECK (got[2] == p.effective);
  CHECK (got[3] == p.inheritable);   /* exactly the config's, nothing added */
  CHECK (got[4] == p.ambient);
  CHECK (got[5] == 0);               /* keepcaps cleared again */
  if (got[0] != p.bounding || got[2] != p.effective)
    fprintf (stderr, "bnd=%" PRIx64 " prm=%" PRIx64 " eff=%" PRIx64 " inh=%" PRIx64
             " amb=%" PRIx64 "\n", got[0], got[1], got[2], got[3], got[4]);
}

/* Dropping a cap already gone from the bounding set is skipped, not an error. */
static void
test_bounding_twice (void)
{
  if (geteuid () != 0)
    return;
  pid_t pid = fork ();
  if (pid == 0)
    {
      struct caps_plan p = { .bounding = BIT (0) };
      struct error *err = NULL;
      if (caps_apply_bounding (&p, &err) < 0 || caps_apply_bounding (&p, &err) < 0)
        _exit (1);
      _exit (status_field ("CapBnd") == BIT (0) ? 0 : 3);
    }
  int st;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

int
main (void)
{
  test_names ();
  test_plan ();
  test_unknown_names_grant_nothing ();
  test_grantable_is_permitted ();
  test_apply_in_child ();
  test_bounding_twice ();
  return unit_finish ("test_caps");
}
