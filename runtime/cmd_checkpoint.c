/* checkpoint, restore: runc's CRIU commands, through the criu binary. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "libcontainer/checkpoint.h"

static const struct cmd_doc checkpoint_doc = {
  "<container-id>\n\n"
  "Where \"<container-id>\" is the name for the instance of the container to be\n"
  "checkpointed.",
  "The checkpoint command saves the state of the container instance (with CRIU).",
};

static const struct cmd_doc restore_doc = {
  "<container-id>\n\n"
  "Where \"<container-id>\" is the name for the instance of the container to be\n"
  "restored.",
  "Restores the saved state of the container instance that was previously saved\n"
  "using the capsa checkpoint command.",
};

/* runc's default image path: ./checkpoint */
static const char *
default_image_path (const char *given, char *buf, size_t size)
{
  if (given && given[0])
    return given;
  if (getcwd (buf, size - sizeof "/checkpoint") == NULL)
    return "checkpoint";
  snprintf (buf + strlen (buf), sizeof "/checkpoint", "/checkpoint");
  return buf;
}

#define IMAGE_OPTS(o)                                                                        \
  { "image-path", OPT_STRING, &(o).image_path, "path for saving criu image files", NULL },    \
  { "work-path", OPT_STRING, &(o).work_path, "path for saving work files and logs", NULL },   \
  { "tcp-established", OPT_BOOL, &(o).tcp_established, "allow open tcp connections", NULL },  \
  { "ext-unix-sk", OPT_BOOL, &(o).ext_unix_sk, "allow external unix sockets", NULL },         \
  { "shell-job", OPT_BOOL, &(o).shell_job, "allow shell jobs", NULL },                         \
  { "lazy-pages", OPT_BOOL, &(o).lazy_pages, "use userfaultfd to lazily restore memory pages", \
    NULL },                                                                                  \
  { "file-locks", OPT_BOOL, &(o).file_locks, "handle file locks, for safety", NULL },          \
  { "manage-cgroups-mode", OPT_STRING, &(o).manage_cgroups_mode,                              \
    "cgroups mode: soft|full|strict|ignore (default: soft)", NULL },                          \
  { "empty-ns", OPT_STRINGS, &(o).empty_ns,                                                   \
    "create a namespace, but don't restore its properties", NULL },                           \
  { "auto-dedup", OPT_BOOL, &(o).auto_dedup, "enable auto deduplication of memory images",    \
    NULL }

int
cmd_checkpoint (struct cli *cli, int argc, char **argv)
{
  struct lc_criu_opts o = { .criu = cli->criu, .status_fd = -1 };
  char buf[PATH_MAX];
  const struct opt_spec specs[] = {
    IMAGE_OPTS (o),
    { "parent-path", OPT_STRING, &o.parent_path,
      "path for previous criu image files in pre-dump (relative to --image-path)", NULL },
    { "leave-running", OPT_BOOL, &o.leave_running, "leave the process running after checkpointing",
      NULL },
    { "status-fd", OPT_INT, &o.status_fd, "criu writes \\0 to this FD once lazy-pages is ready",
      NULL },
    { "page-server", OPT_STRING, &o.page_server, "ADDRESS:PORT of the page server", NULL },
    { "pre-dump", OPT_BOOL, &o.pre_dump, "dump container's memory information only, leave the "
      "container running after this", NULL },
    { NULL },
  };
  struct error *err = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &checkpoint_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &checkpoint_doc, specs, nargs, 1, CLI_EXACT)) != 0)
    return status;
  o.image_path = default_image_path (o.image_path, buf, sizeof buf);
  int r = lc_checkpoint (&cli->lc, args[0], &o, &err);
  free (o.empty_ns);
  return r < 0 ? cli_fail_lookup (cli, &err) : 0;
}

int
cmd_restore (struct cli *cli, int argc, char **argv)
{
  struct lc_criu_opts o = { .criu = cli->criu, .status_fd = -1 };
  struct lc_create_opts co = { 0 };
  bool no_subreaper = false;
  char buf[PATH_MAX];
  const struct opt_spec specs[] = {
    IMAGE_OPTS (o),
    { "console-socket", OPT_STRING, &co.console_socket,
      "path to an AF_UNIX socket which will receive a file descriptor referencing the master "
      "end of the console's pseudoterminal", NULL },
    { "bundle, b", OPT_STRING, &co.bundle, "path to the root of the bundle directory", NULL },
    { "detach, d", OPT_BOOL, &co.detach, "detach from the container's process", NULL },
    { "pid-file", OPT_STRING, &co.pid_file, "specify the file to write the process id to", NULL },
    { "no-subreaper", OPT_BOOL, &no_subreaper, "disable the use of the subreaper used to reap "
      "reparented processes", NULL },
    { "no-pivot", OPT_BOOL, &co.no_pivot, "do not use pivot root to jail process inside rootfs",
      NULL },
    { "lsm-profile", OPT_STRING, &o.lsm_profile,
      "Specify an LSM profile to be used during restore in the form of TYPE:NAME", NULL },
    { "lsm-mount-context", OPT_STRING, &o.lsm_mount_context,
      "Specify an LSM mount context to be used during restore", NULL },
    { NULL },
  };
  struct error *err = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &restore_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &restore_doc, specs, nargs, 1, CLI_EXACT)) != 0)
    return status;
  o.image_path = default_image_path (o.image_path, buf, sizeof buf);
  int exit_status = 0;
  int r = lc_restore (&cli->lc, args[0], &co, &o, &exit_status, &err);
  free (o.empty_ns);
  if (r < 0)
    return cli_fail_err (cli, &err, NULL);
  return exit_status;
}
