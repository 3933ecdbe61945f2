/* create, start, run: bring a container from a bundle to a running process. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "spec/util/cleanup.h"

#define ARGS_NEW_ID                                                                    \
  "<container-id>\n\n"                                                                 \
  "Where \"<container-id>\" is your name for the instance of the container that you\n" \
  "are starting. The name you provide for the container instance must be unique on\n"  \
  "your host."

#define BUNDLE_DESCRIPTION                                                                 \
  "instance of a container for a bundle. The bundle\n"                                     \
  "is a directory with a specification file named \"config.json\" and a root\n"            \
  "filesystem.\n\n"                                                                        \
  "The specification file includes an args parameter. The args parameter is used\n"       \
  "to specify command(s) that get run when the container is started. To change the\n"      \
  "command(s) that get executed on start, edit the args parameter of the spec. See\n"      \
  "\"capsa spec --help\" for more explanation."

static const struct cmd_doc create_doc = {
  ARGS_NEW_ID, "The create command creates an " BUNDLE_DESCRIPTION,
};
static const struct cmd_doc run_doc = {
  ARGS_NEW_ID, "The run command creates an " BUNDLE_DESCRIPTION,
};
static const struct cmd_doc start_doc = {
  ARGS_NEW_ID, "The start command executes the user defined process in a created container.",
};

/* Flags shared by create and run. */
struct create_flags
{
  const char *bundle, *console_socket, *pid_file, *pidfd_socket;
  bool no_pivot, no_new_keyring, detach, keep, no_subreaper;
  int preserve_fds;
};

#define F_BUNDLE(f)                                                                          \
  { "bundle, b", OPT_STRING, &(f).bundle,                                                    \
    "path to the root of the bundle directory, defaults to the current directory", NULL }
#define F_CONSOLE(f)                                                                         \
  { "console-socket", OPT_STRING, &(f).console_socket,                                       \
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master " \
    "end of the console's pseudoterminal", NULL }
#define F_PIDFD(f)                                                                           \
  { "pidfd-socket", OPT_STRING, &(f).pidfd_socket,                                           \
    "path to an AF_UNIX socket which will receive a file descriptor referencing the init "   \
    "process", NULL }
#define F_PIDFILE(f)                                                                         \
  { "pid-file", OPT_STRING, &(f).pid_file, "specify the file to write the process id to", NULL }
#define F_NOPIVOT(f)                                                                         \
  { "no-pivot", OPT_BOOL, &(f).no_pivot,                                                     \
    "do not use pivot root to jail process inside rootfs.  This should be used whenever "    \
    "the rootfs is on top of a ramdisk", NULL }
#define F_NOKEYRING(f)                                                                       \
  { "no-new-keyring", OPT_BOOL, &(f).no_new_keyring,                                         \
    "do not create a new session keyring for the container.  This will cause the "           \
    "container to inherit the calling processes session key", NULL }
#define F_PRESERVE(f)                                                                        \
  { "preserve-fds", OPT_INT, &(f).preserve_fds,                                              \
    "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in "       \
    "total)", "0" }

static int
make_absolute (const char *path, char **out)
{
  _cleanup_free_ char *cwd = get_current_dir_name ();
  if (cwd == NULL)
    return -1;
  if (path == NULL)
    return (*out = steal_pointer (&cwd)) ? 0 : -1;
  if (path[0] == '/')
    return (*out = strdup (path)) ? 0 : -1;
  return asprintf (out, "%s/%s", cwd, path) < 0 ? -1 : 0;
}

/* systemd socket activation, as runc honours it: when LISTEN_PID is us, the
 * LISTEN_FDS fds from 3 on are passed to the container before the --preserve-fds
 * ones ("stdio + $LISTEN_FDS + N in total"). */
static int
listen_fds (void)
{
  const char *pid = getenv ("LISTEN_PID"), *fds = getenv ("LISTEN_FDS");
  char *end;
  long n;
  if (pid == NULL || fds == NULL || strtol (pid, &end, 10) != (long) getpid () || *end)
    return 0;
  n = strtol (fds, &end, 10);
  return *end || n < 0 || n > 1024 ? 0 : (int) n;
}

/* Fill lc_create_opts from the flags: bundle and pid file made absolute as runc
 * does; the bundle is resolved like runc's chdir + getcwd (symlinks, "."), and
 * becomes our working directory. */
static int
to_create_opts (struct cli *cli, const struct create_flags *f, struct lc_create_opts *o,
                char **bundle, char **pid_file)
{
  if (f->preserve_fds < 0)
    return cli_fail (cli, "invalid --preserve-fds value: %d", f->preserve_fds);
  if ((*bundle = realpath (f->bundle ? f->bundle : ".", NULL)) == NULL)
    return cli_fail (cli, "capsa %s failed: chdir %s: %s", cli->cmd->name,
                     f->bundle ? f->bundle : ".", strerror (errno));
  if (f->pid_file && make_absolute (f->pid_file, pid_file) < 0)
    return cli_fail (cli, "pid file path: %s", strerror (errno));
  /* Work from the bundle, as runc does: the host-side hooks (prestart,
   * createRuntime, and poststart/poststop of `run`) start there, and a relative
   * --console-socket or --pidfd-socket is relative to it. */
  if (chdir (*bundle) < 0)
    return cli_fail (cli, "capsa %s failed: chdir %s: %s", cli->cmd->name, *bundle,
                     strerror (errno));
  *o = (struct lc_create_opts) {
    .bundle = *bundle,
    .pid_file = *pid_file,
    .console_socket = f->console_socket,
    .pidfd_socket = f->pidfd_socket,
    .no_pivot = f->no_pivot,
    .no_new_keyring = f->no_new_keyring,
    .preserve_fds = listen_fds () + f->preserve_fds,
    .detach = f->detach,
    .keep = f->keep,
  };
  return 0;
}

int
cmd_create (struct cli *cli, int argc, char **argv)
{
  struct create_flags f = { 0 };
  const struct opt_spec specs[] = {
    F_BUNDLE (f), F_CONSOLE (f), F_PIDFD (f), F_PIDFILE (f), F_NOPIVOT (f), F_NOKEYRING (f),
    F_PRESERVE (f), { NULL },
  };
  _cleanup_free_ char *bundle = NULL, *pid_file = NULL;
  struct lc_create_opts o;
  struct error *err = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &create_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &create_doc, specs, nargs, 1, CLI_EXACT)) != 0)
    return status;
  if ((status = to_create_opts (cli, &f, &o, &bundle, &pid_file)) != 0)
    return status;
  if (lc_validate_id (args[0], &err) < 0 || lc_create (&cli->lc, args[0], &o, &err) < 0)
    return cli_fail_err (cli, &err, "capsa create failed");
  return 0;
}

int
cmd_run (struct cli *cli, int argc, char **argv)
{
  struct create_flags f = { 0 };
  const struct opt_spec specs[] = {
    F_BUNDLE (f), F_CONSOLE (f), F_PIDFD (f),
    { "detach, d", OPT_BOOL, &f.detach, "detach from the container's process", NULL },
    { "keep", OPT_BOOL, &f.keep, "do not delete the container after it exits", NULL },
    F_PIDFILE (f),
    /* capsa does not become a subreaper; accepted so runc command lines work. */
    { "no-subreaper", OPT_BOOL, &f.no_subreaper,
      "disable the use of the subreaper used to reap reparented processes", NULL },
    F_NOPIVOT (f), F_NOKEYRING (f), F_PRESERVE (f), { NULL },
  };
  _cleanup_free_ char *bundle = NULL, *pid_file = NULL;
  struct lc_create_opts o;
  struct error *err = NULL;
  char **args;
  int nargs, status, exit_status = 0;

  if (cli_parse (cli, &run_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &run_doc, specs, nargs, 1, CLI_EXACT)) != 0)
    return status;
  if ((status = to_create_opts (cli, &f, &o, &bundle, &pid_file)) != 0)
    return status;
  if (lc_validate_id (args[0], &err) < 0
      || lc_run (&cli->lc, args[0], &o, &exit_status, &err) < 0)
    return cli_fail_err (cli, &err, "capsa run failed");
  /* The container's exit status becomes ours, so a supervisor sees it. */
  return exit_status;
}

int
cmd_start (struct cli *cli, int argc, char **argv)
{
  const struct opt_spec specs[] = { { NULL } };
  struct error *err = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &start_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &start_doc, specs, nargs, 1, CLI_EXACT)) != 0)
    return status;
  if (lc_validate_id (args[0], &err) < 0 || lc_start (&cli->lc, args[0], &err) < 0)
    return cli_fail_lookup (cli, &err);
  return 0;
}
