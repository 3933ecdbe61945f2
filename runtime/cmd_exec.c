/* exec: run a new process inside a running container (runc's flags). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "spec/util/cleanup.h"

static const struct cmd_doc exec_doc = {
  "<container-id> <command> [command options]  || -p process.json <container-id>\n\n"
  "Where \"<container-id>\" is the name for the instance of the container and\n"
  "\"<command>\" is the command to be executed in the container.\n"
  "\"<command>\" can't be empty unless a \"-p\" flag provided.\n\n"
  "EXAMPLE:\n"
  "For example, if the container is configured to run the linux ps command the\n"
  "following will output a list of processes running in the container:\n\n"
  "       # capsa exec <container-id> ps",
  "The exec command runs a new process inside an existing container. The process\n"
  "joins every namespace and the cgroup of the container's init and gets the same\n"
  "security settings; in the foreground its exit status becomes capsa's.",
};

/* urfave/cli v1 StringSlice values and helpers. */
static void
free_list (char ***list)
{
  free (*list);
}

static char *
absolute (const char *path)
{
  char *out = NULL;
  _cleanup_free_ char *cwd = NULL;
  if (path == NULL)
    return NULL;
  if (path[0] == '/')
    return strdup (path);
  cwd = get_current_dir_name ();
  if (cwd == NULL || asprintf (&out, "%s/%s", cwd, path) < 0)
    return NULL;
  return out;
}

int
cmd_exec (struct cli *cli, int argc, char **argv)
{
  const char *process = NULL, *console_socket = NULL, *pidfd_socket = NULL, *cwd = NULL;
  const char *user = NULL, *pid_file = NULL, *process_label = NULL, *apparmor = NULL;
  __attribute__ ((cleanup (free_list))) char **env = NULL;
  __attribute__ ((cleanup (free_list))) char **gids = NULL;
  __attribute__ ((cleanup (free_list))) char **caps = NULL;
  __attribute__ ((cleanup (free_list))) char **cgroups = NULL;
  bool tty = false, detach = false, no_new_privs = false, ignore_paused = false;
  bool no_subreaper = false;
  int preserve_fds = 0;
  const struct opt_spec specs[] = {
    { "console-socket", OPT_STRING, &console_socket,
      "path to an AF_UNIX socket which will receive a file descriptor referencing the master "
      "end of the console's pseudoterminal", NULL },
    { "pidfd-socket", OPT_STRING, &pidfd_socket,
      "path to an AF_UNIX socket which will receive a file descriptor referencing the exec "
      "process", NULL },
    { "cwd", OPT_STRING, &cwd, "current working directory in the container", NULL },
    { "env, e", OPT_STRINGS, &env, "set environment variables", NULL },
    { "tty, t", OPT_BOOL, &tty, "allocate a pseudo-TTY", NULL },
    { "user, u", OPT_STRING, &user, "UID (format: <uid>[:<gid>])", NULL },
    { "additional-gids, g", OPT_STRINGS, &gids, "additional gids", NULL },
    { "process, p", OPT_STRING, &process, "path to the process.json", NULL },
    { "detach, d", OPT_BOOL, &detach, "detach from the container's process", NULL },
    { "pid-file", OPT_STRING, &pid_file, "specify the file to write the process id to", NULL },
    { "process-label", OPT_STRING, &process_label,
      "set the asm process label for the process commonly used with selinux", NULL },
    { "apparmor", OPT_STRING, &apparmor, "set the apparmor profile for the process", NULL },
    { "no-new-privs", OPT_BOOL, &no_new_privs, "set the no new privileges value for the process",
      NULL },
    { "cap, c", OPT_STRINGS, &caps, "add a capability to the bounding set for the process",
      NULL },
    { "preserve-fds", OPT_INT, &preserve_fds,
      "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)",
      "0" },
    { "cgroup", OPT_STRINGS, &cgroups,
      "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.",
      NULL },
    { "ignore-paused", OPT_BOOL, &ignore_paused, "allow exec in a paused container", NULL },
    /* capsa does not become a subreaper; accepted so runc command lines work. */
    { "no-subreaper", OPT_BOOL, &no_subreaper, "disable the use of the subreaper", NULL },
    { NULL },
  };
  _cleanup_free_ char *abs_pid_file = NULL, *abs_process = NULL;
  struct error *err = NULL;
  int status;

  /* Like runc, flags stop at the container id: the rest is the command. */
  char **args;
  int nargs;
  if (cli_parse_leading_flags (cli, &exec_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &exec_doc, specs, nargs, 1, CLI_MIN)) != 0)
    return status;
  if (process == NULL && nargs < 2)
    return cli_fail (cli, "exec failed: exec args cannot be empty");
  if (preserve_fds < 0)
    return cli_fail (cli, "invalid --preserve-fds value: %d", preserve_fds);
  if (pid_file && (abs_pid_file = absolute (pid_file)) == NULL)
    return cli_fail (cli, "pid file path: %s", strerror (errno));
  if (process && (abs_process = absolute (process)) == NULL)
    return cli_fail (cli, "process path: %s", strerror (errno));
  if (user)
    {
      uint32_t uid, gid;
      bool has_gid;
      if (lc_parse_user (user, &uid, &gid, &has_gid, &err) < 0)
        return cli_fail_err (cli, &err, "exec failed");
    }

  struct lc_exec_opts o = {
    .process_path = abs_process,
    .args = process ? NULL : args + 1,
    /* Inline args take --tty as given; a process.json keeps its "terminal". */
    .tty = tty,
    .tty_set = process == NULL || tty,
    .console_socket = console_socket,
    .pid_file = abs_pid_file,
    .pidfd_socket = pidfd_socket,
    .detach = detach,
    .cwd = cwd,
    .env = env,
    .user = user,
    .additional_gids = gids,
    .caps = caps,
    .no_new_privs = no_new_privs,
    .apparmor = apparmor,
    .process_label = process_label,
    .preserve_fds = preserve_fds,
    .cgroups = cgroups,
    .ignore_paused = ignore_paused,
  };
  int exit_status = 0;
  if (lc_exec (&cli->lc, args[0], &o, &exit_status, &err) < 0)
    {
      /* runc's code for a failed exec, so callers tell it from the process's own;
       * a missing container too ("exec failed: container does not exist"). */
      cli_fail_err (cli, &err, "exec failed");
      return 255;
    }
  return exit_status;
}
