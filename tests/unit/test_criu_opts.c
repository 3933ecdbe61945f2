/* The criu command lines capsa builds from runc's checkpoint/restore options
 * (libcontainer/criu_opts.c): which flags each option turns into, and the
 * options refused before criu runs. */
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "libcontainer/criu_opts.h"
#include "unit.h"

/* argv joined by spaces (argv[0] included), for readable comparisons. */
static char *
joined (const struct criu_cmd *c)
{
  size_t len = 1;
  for (size_t i = 0; i < c->n; i++)
    len += strlen (c->argv[i]) + 1;
  char *s = calloc (1, len);
  for (size_t i = 0; s && i < c->n; i++)
    {
      if (i)
        strcat (s, " ");
      strcat (s, c->argv[i]);
    }
  return s;
}

static bool
has_arg (const struct criu_cmd *c, const char *a)
{
  for (size_t i = 0; i < c->n; i++)
    if (strcmp (c->argv[i], a) == 0)
      return true;
  return false;
}

static struct lc_criu_opts
opts (void)
{
  return (struct lc_criu_opts) { .criu = "criu", .image_path = "/img", .status_fd = -1 };
}

static void
test_cmd_growth (void)
{
  struct criu_cmd c = { 0 };
  for (int i = 0; i < 100; i++)
    criu_cmd_add (&c, "--arg=%d", i);
  CHECK (c.n == 100 && !c.oom);
  CHECK_STR (c.argv[0], "--arg=0");
  CHECK_STR (c.argv[99], "--arg=99");
  CHECK (c.argv[100] == NULL); /* execvp's terminator */
  criu_cmd_free (&c);
  CHECK (c.argv == NULL && c.n == 0);
}

static void
test_common_defaults (void)
{
  struct lc_criu_opts o = opts ();
  struct criu_cmd c = { 0 };
  criu_common_args (&c, &o, "/work", "dump.log");
  char *s = joined (&c);
  /* nothing but the places and the log: no option is on by default */
  CHECK_STR (s, "--images-dir=/img --work-dir=/work --log-file=dump.log -v4");
  free (s);
  criu_cmd_free (&c);
}

static void
test_common_every_option (void)
{
  struct lc_criu_opts o = opts ();
  o.tcp_established = o.ext_unix_sk = o.shell_job = o.file_locks = o.lazy_pages = true;
  o.manage_cgroups_mode = "strict";
  o.status_fd = 7;
  struct criu_cmd c = { 0 };
  criu_common_args (&c, &o, "/img", "restore.log");
  CHECK (has_arg (&c, "--tcp-established"));
  CHECK (has_arg (&c, "--ext-unix-sk"));
  CHECK (has_arg (&c, "--shell-job"));
  CHECK (has_arg (&c, "--file-locks"));
  CHECK (has_arg (&c, "--lazy-pages"));
  CHECK (has_arg (&c, "--manage-cgroups=strict"));
  CHECK (has_arg (&c, "--status-fd=7"));
  CHECK (has_arg (&c, "--work-dir=/img"));
  CHECK (c.n == 11);
  criu_cmd_free (&c);
}

static void
test_dump_args (void)
{
  struct lc_criu_opts o = opts ();
  struct criu_cmd c = { 0 };
  criu_dump_args (&c, &o);
  CHECK (c.n == 0); /* a plain dump: criu kills the tree, no memory tracking */
  criu_cmd_free (&c);

  o.leave_running = true;
  criu_dump_args (&c, &o);
  char *s = joined (&c);
  CHECK_STR (s, "--leave-running");
  free (s);
  criu_cmd_free (&c);

  /* pre-dump: memory tracking for the next dump; --leave-running is implied and
   * criu's pre-dump would refuse it */
  o.pre_dump = true;
  criu_dump_args (&c, &o);
  s = joined (&c);
  CHECK_STR (s, "--track-mem");
  free (s);
  criu_cmd_free (&c);

  /* the final dump on top of a pre-dump */
  o = opts ();
  o.parent_path = "../pre";
  o.auto_dedup = true;
  criu_dump_args (&c, &o);
  s = joined (&c);
  CHECK_STR (s, "--track-mem --prev-images-dir=../pre --auto-dedup");
  free (s);
  criu_cmd_free (&c);
}

static void
test_page_server_and_empty_ns (void)
{
  struct lc_criu_opts o = opts ();
  char *ns[] = { (char *) "network", NULL };
  o.page_server = "10.0.0.2:27";
  o.empty_ns = ns;
  struct criu_cmd c = { 0 };
  criu_dump_args (&c, &o);
  char *s = joined (&c);
  CHECK_STR (s, "--page-server --address=10.0.0.2 --port=27 --empty-ns=net");
  free (s);
  criu_cmd_free (&c);

  /* IPv6: the port follows the last colon */
  o.page_server = "fd00::2:9000";
  o.empty_ns = NULL;
  criu_dump_args (&c, &o);
  CHECK (has_arg (&c, "--address=fd00::2") && has_arg (&c, "--port=9000"));
  criu_cmd_free (&c);
}

static void
test_restore_args (void)
{
  struct lc_criu_opts o = opts ();
  struct criu_cmd c = { 0 };
  criu_restore_args (&c, &o);
  CHECK (c.n == 0);
  o.lsm_profile = "apparmor:capsa-default";
  o.lsm_mount_context = "system_u:object_r:container_file_t:s0:c1,c2";
  criu_restore_args (&c, &o);
  char *s = joined (&c);
  CHECK_STR (s, "--lsm-profile=apparmor:capsa-default "
                "--lsm-mount-context=system_u:object_r:container_file_t:s0:c1,c2");
  free (s);
  criu_cmd_free (&c);
}

static bool
refused (struct lc_criu_opts *o, const char *needle)
{
  struct error *e = NULL;
  int r = criu_check_opts (o, &e);
  bool ok = r < 0 && e && strstr (e->msg, needle);
  if (!ok)
    fprintf (stderr, "criu_check_opts: r=%d, message %s\n", r, e ? e->msg : "(none)");
  error_free (&e);
  return ok;
}

static void
test_check_opts (void)
{
  struct lc_criu_opts o = opts ();
  struct error *e = NULL;
  CHECK (criu_check_opts (&o, &e) == 0 && e == NULL);
  static const char *const modes[] = { "soft", "full", "strict", "ignore" };
  for (size_t i = 0; i < 4; i++)
    {
      o.manage_cgroups_mode = modes[i];
      CHECK (criu_check_opts (&o, &e) == 0);
    }
  o.manage_cgroups_mode = "props";
  CHECK (refused (&o, "--manage-cgroups-mode \"props\""));
  o.manage_cgroups_mode = "";
  CHECK (refused (&o, "want soft, full, strict or ignore"));
  o = opts ();

  char *net[] = { (char *) "network", NULL }, *pid[] = { (char *) "network", (char *) "pid", NULL };
  o.empty_ns = net;
  CHECK (criu_check_opts (&o, &e) == 0);
  o.empty_ns = pid;
  CHECK (refused (&o, "--empty-ns \"pid\""));
  o = opts ();

  static const char *const good[] = { "host:1", "10.0.0.2:27", "fd00::2:65535" };
  for (size_t i = 0; i < 3; i++)
    {
      o.page_server = good[i];
      CHECK (criu_check_opts (&o, &e) == 0);
    }
  static const char *const bad[] = { "host", "host:", ":80", "host:0", "host:65536",
                                     "host:80x", "host:-1" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      o.page_server = bad[i];
      CHECK (refused (&o, "want ADDRESS:PORT"));
    }
  error_free (&e);
}

static void
test_ext_keys_and_binds (void)
{
  /* runc's keys: images move between the two runtimes */
  CHECK_STR (criu_ext_ns_key (NS_NETWORK), "extRootNetNS");
  CHECK_STR (criu_ext_ns_key (NS_PID), "extRootPidNS");
  CHECK (criu_ext_ns_key (NS_MOUNT) == NULL);
  CHECK (criu_ext_ns_key (NS_USER) == NULL);
  CHECK (criu_ext_ns_key (NS_IPC) == NULL);

  char *rbind[] = { (char *) "rbind", (char *) "ro" }, *bind[] = { (char *) "bind" },
       *plain[] = { (char *) "nosuid", (char *) "bindx" };
  struct spec_mount by_type = { .destination = (char *) "/a", .type = (char *) "bind" };
  struct spec_mount by_rbind = { .destination = (char *) "/b", .type = (char *) "none",
                                 .options = rbind, .options_len = 2 };
  struct spec_mount by_bind = { .destination = (char *) "/c", .options = bind,
                                .options_len = 1 };
  struct spec_mount tmpfs = { .destination = (char *) "/d", .type = (char *) "tmpfs",
                              .options = plain, .options_len = 2 };
  struct spec_mount proc = { .destination = (char *) "/proc", .type = (char *) "proc" };
  CHECK (criu_mount_is_bind (&by_type));
  CHECK (criu_mount_is_bind (&by_rbind));
  CHECK (criu_mount_is_bind (&by_bind));
  CHECK (!criu_mount_is_bind (&tmpfs));
  CHECK (!criu_mount_is_bind (&proc));
}

int
main (void)
{
  test_cmd_growth ();
  test_common_defaults ();
  test_common_every_option ();
  test_dump_args ();
  test_page_server_and_empty_ns ();
  test_restore_args ();
  test_check_opts ();
  test_ext_keys_and_binds ();
  return unit_finish ("test_criu_opts");
}
