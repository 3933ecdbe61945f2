/* hooks.c with real hook programs (shell scripts in a temp dir). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "libcontainer/hooks.h"

static char tmpdir[] = "/tmp/capsa-test-hooks-XXXXXX";

static char *
script (const char *name, const char *body)
{
  char *path = NULL;
  if (asprintf (&path, "%s/%s", tmpdir, name) < 0)
    return NULL;
  FILE *f = fopen (path, "w");
  if (f == NULL)
    return path;
  fprintf (f, "#!/bin/sh\n%s\n", body);
  fclose (f);
  chmod (path, 0755);
  return path;
}

static char *
slurp (const char *path)
{
  static char buf[8192];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return buf;
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct spec_kv annotations[] = { { "org.example.key", "value" } };
static struct spec_state state = {
  .oci_version = "1.3.0", .id = "c1", .pid = 4242, .status = "creating",
  .bundle = "/tmp/bundle", .annotations = annotations, .annotations_len = 1,
};

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL)
    return 1;
  struct error *err = NULL;

  /* 1. state on stdin, args and env as configured. */
  char out[PATH_MAX], env_out[PATH_MAX], args_out[PATH_MAX];
  snprintf (out, sizeof out, "%s/state.out", tmpdir);
  snprintf (env_out, sizeof env_out, "%s/env.out", tmpdir);
  snprintf (args_out, sizeof args_out, "%s/args.out", tmpdir);
  char *record = script ("record.sh", "cat > \"$1\"\necho \"$FOO|$HOME\" > \"$2\"\n"
                                      "echo \"$0 $#\" > \"$3\"\necho noise; echo noise >&2");
  char *rec_args[] = { record, out, env_out, args_out };
  char *rec_env[] = { "FOO=bar baz" };
  struct spec_hook create_runtime[2] = {
    { .path = record, .args = rec_args, .args_len = 4, .env = rec_env, .env_len = 1 },
  };
  struct spec_config c = { 0 };
  c.hooks.list[HOOK_CREATE_RUNTIME] = create_runtime;
  c.hooks.len[HOOK_CREATE_RUNTIME] = 1;

  CHECK (hooks_run (&c, HOOK_CREATE_RUNTIME, &state, &err) == 0);
  if (err)
    fprintf (stderr, "%s\n", err->msg);
  error_free (&err);
  char *want = NULL;
  CHECK (spec_state_hook_json (&state, &want, &err) == 0);
  CHECK_STR (slurp (out), want);
  CHECK_CONTAINS (slurp (out), "\"id\":\"c1\"");
  CHECK_CONTAINS (slurp (out), "\"pid\":4242");
  CHECK_CONTAINS (slurp (out), "org.example.key");
  free (want);
  CHECK_STR (slurp (env_out), "bar baz|\n"); /* only the configured env: no HOME */
  char want_args[PATH_MAX + 8];
  snprintf (want_args, sizeof want_args, "%s 3\n", record);
  CHECK_STR (slurp (args_out), want_args);

  /* No hooks of a kind: nothing runs, success. */
  CHECK (hooks_run (&c, HOOK_POSTSTOP, &state, &err) == 0);

  /* 2. a failing second hook: the first ran, the error names #1, status and stderr. */
  char *fail = script ("fail.sh", "echo to-stdout; echo 'oops: broken' >&2; exit 3");
  create_runtime[1] = (struct spec_hook){ .path = fail };
  c.hooks.len[HOOK_CREATE_RUNTIME] = 2;
  unlink (out);
  CHECK (hooks_run (&c, HOOK_CREATE_RUNTIME, &state, &err) < 0);
  CHECK (access (out, F_OK) == 0);
  char want_err[PATH_MAX + 128];
  snprintf (want_err, sizeof want_err,
            "createRuntime hook #1 (%s): exit status 3, stdout: to-stdout, stderr: oops: broken",
            fail);
  CHECK_STR (err ? err->msg : NULL, want_err);
  error_free (&err);

  /* A failing poststop hook is a warning: success, with no error to hand back
   * (err may be NULL), and an error the caller already holds stays intact. */
  struct spec_hook failing_poststop[] = { { .path = fail } };
  c.hooks.list[HOOK_POSTSTOP] = failing_poststop;
  c.hooks.len[HOOK_POSTSTOP] = 1;
  CHECK (hooks_run (&c, HOOK_POSTSTOP, &state, NULL) == 0);
  error_set (&err, 0, "earlier");
  CHECK (hooks_run (&c, HOOK_POSTSTOP, &state, &err) == 0);
  CHECK_STR (err ? err->msg : NULL, "earlier");
  error_free (&err);
  c.hooks.len[HOOK_POSTSTOP] = 0;

  /* 3. timeout: killed after ~1 s. */
  char *slow = script ("slow.sh", "sleep 10");
  struct spec_hook poststart[] = { { .path = slow, .timeout = 1, .has_timeout = true } };
  c.hooks.list[HOOK_POSTSTART] = poststart;
  c.hooks.len[HOOK_POSTSTART] = 1;
  double t0 = now ();
  CHECK (hooks_run (&c, HOOK_POSTSTART, &state, &err) < 0);
  double took = now () - t0;
  snprintf (want_err, sizeof want_err, "poststart hook #0 (%s): timed out after 1s", slow);
  CHECK_STR (err ? err->msg : NULL, want_err);
  CHECK (took >= 0.9 && took < 2.5);
  error_free (&err);

  /* 4. a hook that leaves a background child holding its stdout does not hold us. */
  char *bg = script ("bg.sh", "sleep 5 & exit 0");
  struct spec_hook prestart[] = { { .path = bg } };
  c.hooks.list[HOOK_PRESTART] = prestart;
  c.hooks.len[HOOK_PRESTART] = 1;
  t0 = now ();
  CHECK (hooks_run (&c, HOOK_PRESTART, &state, &err) == 0);
  CHECK (now () - t0 < 2.0);
  error_free (&err);

  /* 5. exec failures and signals. */
  struct spec_hook missing[] = { { .path = "/nonexistent/hook" } };
  c.hooks.list[HOOK_START_CONTAINER] = missing;
  c.hooks.len[HOOK_START_CONTAINER] = 1;
  CHECK (hooks_run (&c, HOOK_START_CONTAINER, &state, &err) < 0);
  CHECK_STR (err ? err->msg : NULL,
             "startContainer hook #0 (/nonexistent/hook): exec: No such file or directory");
  error_free (&err);

  char *killed = script ("killed.sh", "kill -TERM $$");
  struct spec_hook create_container[] = { { .path = killed } };
  c.hooks.list[HOOK_CREATE_CONTAINER] = create_container;
  c.hooks.len[HOOK_CREATE_CONTAINER] = 1;
  CHECK (hooks_run (&c, HOOK_CREATE_CONTAINER, &state, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "createContainer hook #0");
  CHECK_CONTAINS (err ? err->msg : NULL, "killed by signal 15");
  error_free (&err);

  /* 6. a large state (annotations past a pipe's 64 KiB) still arrives whole. */
  static char big[200 * 1024];
  memset (big, 'x', sizeof big - 1);
  struct spec_kv big_kv[] = { { "big", big } };
  struct spec_state big_state = state;
  big_state.annotations = big_kv;
  big_state.annotations_len = 1;
  char *count = script ("count.sh", "wc -c > \"$1\"");
  char *count_args[] = { count, out };
  struct spec_hook poststop[] = { { .path = count, .args = count_args, .args_len = 2 } };
  c.hooks.list[HOOK_POSTSTOP] = poststop;
  c.hooks.len[HOOK_POSTSTOP] = 1;
  CHECK (hooks_run (&c, HOOK_POSTSTOP, &big_state, &err) == 0);
  error_free (&err);
  want = NULL;
  CHECK (spec_state_hook_json (&big_state, &want, &err) == 0);
  const char *counted = slurp (out);
  CHECK (want && counted && (size_t) atol (counted) == strlen (want));
  free (want);

  free (record);
  free (fail);
  free (slow);
  free (bg);
  free (killed);
  free (count);
  char cmd[PATH_MAX + 16];
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", tmpdir);
  return unit_finish ("test_hooks");
}
