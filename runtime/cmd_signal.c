/* kill, delete: signal a container, or tear it down. */
#define _GNU_SOURCE
#include <stdio.h>

#include "commands.h"
#include "signals.h"

static const struct cmd_doc kill_doc = {
  "<container-id> [signal]\n\n"
  "Where \"<container-id>\" is the name for the instance of the container and\n"
  "\"[signal]\" is the signal to be sent to the init process.\n\n"
  "EXAMPLE:\n"
  "For example, if the container id is \"ubuntu01\" the following will send a \"KILL\"\n"
  "signal to the init process of the \"ubuntu01\" container:\n\n"
  "       # capsa kill ubuntu01 KILL",
  NULL,
};

static const struct cmd_doc delete_doc = {
  "<container-id>\n\n"
  "Where \"<container-id>\" is the name for the instance of the container.\n\n"
  "EXAMPLE:\n"
  "For example, if the container id is \"ubuntu01\" and capsa list currently shows the\n"
  "status of \"ubuntu01\" as \"stopped\" the following will delete resources held for\n"
  "\"ubuntu01\" removing \"ubuntu01\" from the capsa list of containers:\n\n"
  "       # capsa delete ubuntu01",
  NULL,
};

int
cmd_kill (struct cli *cli, int argc, char **argv)
{
  bool all = false;
  const struct opt_spec specs[] = {
    { "all, a", OPT_BOOL, &all, "send the specified signal to all processes inside the container",
      NULL },
    { NULL },
  };
  struct error *err = NULL;
  char **args;
  int nargs, status, signo;

  if (cli_parse (cli, &kill_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &kill_doc, specs, nargs, 1, CLI_MIN)) != 0
      || (status = cli_check_args (cli, &kill_doc, specs, nargs, 2, CLI_MAX)) != 0)
    return status;
  const char *sig = nargs > 1 && *args[1] ? args[1] : "SIGTERM";
  if ((signo = signal_parse (sig)) < 0)
    return cli_fail (cli, "unknown signal \"%s\"", sig);
  if (lc_validate_id (args[0], &err) < 0 || lc_kill (&cli->lc, args[0], signo, all, &err) < 0)
    return cli_fail_lookup (cli, &err);
  return 0;
}

int
cmd_delete (struct cli *cli, int argc, char **argv)
{
  bool force = false;
  const struct opt_spec specs[] = {
    { "force, f", OPT_BOOL, &force,
      "Forcibly deletes the container if it is still running (uses SIGKILL)", NULL },
    { NULL },
  };
  struct error *err = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &delete_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &delete_doc, specs, nargs, 1, CLI_EXACT)) != 0)
    return status;
  if (lc_validate_id (args[0], &err) < 0)
    return cli_fail_err (cli, &err, NULL);
  if (lc_delete (&cli->lc, args[0], force, &err) < 0)
    {
      /* runc: `delete --force` of a container that is already gone succeeds, so
       * shims can call it unconditionally. */
      if (force && lc_error_is_not_exist (err))
        {
          error_free (&err);
          return 0;
        }
      return cli_fail_lookup (cli, &err);
    }
  return 0;
}
