/* `exec --cgroup` forms (runc's) and sub-cgroup path cleaning: pure, no root. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "cgroups/exec_cgroup.h"
#include "spec/util/error.h"

/* The parse as "ctrl=path;ctrl=path", or the error message. */
static char *
parse (char **args)
{
  struct exec_cgroup_sub *subs;
  size_t n;
  struct error *err = NULL;
  if (exec_cgroup_parse (args, &subs, &n, &err) < 0)
    {
      char *msg = strdup (err->msg);
      error_free (&err);
      return msg;
    }
  char *out = calloc (1, 512);
  for (size_t i = 0; i < n; i++)
    {
      strcat (out, i ? ";" : "");
      strcat (out, subs[i].controller);
      strcat (out, "=");
      strcat (out, subs[i].path);
    }
  exec_cgroup_subs_free (subs, n);
  return out;
}

static char *
clean (const char *path)
{
  struct error *err = NULL;
  char *out = exec_cgroup_clean_path (path, &err);
  if (out == NULL)
    {
      out = strdup (err->msg);
      error_free (&err);
    }
  return out;
}

#define CHECK_OWNED(expr, want)                                                      \
  do {                                                                               \
    char *got_ = (expr);                                                             \
    CHECK_STR (got_, want);                                                          \
    free (got_);                                                                     \
  } while (0)

#define ARGS(...) ((char *[]){ __VA_ARGS__, NULL })

int
main (void)
{
  CHECK_OWNED (parse (NULL), "");
  CHECK_OWNED (parse (ARGS ("sub")), "=sub");
  CHECK_OWNED (parse (ARGS ("/")), "=/");
  CHECK_OWNED (parse (ARGS ("memory:sub")), "memory=sub");
  CHECK_OWNED (parse (ARGS ("memory:a", "cpu,cpuacct:b")), "memory=a;cpu=b;cpuacct=b");
  CHECK_OWNED (parse (ARGS ("name=systemd:x")), "name=systemd=x");
  CHECK_OWNED (parse (ARGS ("memory:a:b")), "memory=a:b"); /* cut at the first colon */
  CHECK_OWNED (parse (ARGS (":x")), "invalid --cgroup argument: :x (empty <controller> prefix)");
  CHECK_OWNED (parse (ARGS ("cpu,,memory:x")),
               "invalid --cgroup argument: cpu,,memory:x (empty <controller> prefix)");
  CHECK_OWNED (parse (ARGS ("cpu,:x")), "invalid --cgroup argument: cpu,:x (empty <controller> prefix)");
  CHECK_OWNED (parse (ARGS ("memory:a", "memory:b")),
               "invalid --cgroup argument(s): controller memory specified multiple times");
  CHECK_OWNED (parse (ARGS ("cpu,cpu:a")),
               "invalid --cgroup argument(s): controller cpu specified multiple times");
  CHECK_OWNED (parse (ARGS ("a", "memory:b")),
               "invalid --cgroup argument: a (missing <controller>: prefix)");
  CHECK_OWNED (parse (ARGS ("memory:b", "a")),
               "invalid --cgroup argument: a (missing <controller>: prefix)");

  CHECK_OWNED (clean (""), "");
  CHECK_OWNED (clean ("/"), "");
  CHECK_OWNED (clean ("."), "");
  CHECK_OWNED (clean ("sub"), "sub");
  CHECK_OWNED (clean ("/a//b/./c/"), "a/b/c");
  CHECK_OWNED (clean ("a/../b"), "b");
  CHECK_OWNED (clean ("a/b/../.."), "");
  CHECK_OWNED (clean ("..a/b.."), "..a/b..");
  CHECK_OWNED (clean (".."), "bad sub cgroup path: ..");
  CHECK_OWNED (clean ("/../x"), "bad sub cgroup path: /../x");
  CHECK_OWNED (clean ("a/../../b"), "bad sub cgroup path: a/../../b");

  return unit_finish ("test_exec_cgroup");
}
