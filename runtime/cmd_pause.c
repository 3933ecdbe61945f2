/* pause, resume: freeze and thaw every process of a container. */
#define _GNU_SOURCE
#include <stdio.h>

#include "commands.h"

static const struct cmd_doc pause_doc = {
  "<container-id>\n\n"
  "Where \"<container-id>\" is the name for the instance of the container to be\n"
  "paused. ",
  "The pause command suspends all processes in the instance of the container.\n\n"
  "Use capsa list to identify instances of containers and their current status.",
};

static const struct cmd_doc resume_doc = {
  "<container-id>\n\n"
  "Where \"<container-id>\" is the name for the instance of the container to be\n"
  "resumed.",
  "The resume command resumes all processes in the instance of the container.\n\n"
  "Use capsa list to identify instances of containers and their current status.",
};

static int
freeze_command (struct cli *cli, const struct cmd_doc *doc, bool pause, int argc, char **argv)
{
  const struct opt_spec specs[] = { { NULL } };
  struct error *err = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, doc, specs, nargs, 1, CLI_EXACT)) != 0)
    return status;
  if (lc_validate_id (args[0], &err) < 0)
    return cli_fail_err (cli, &err, NULL);
  if ((pause ? lc_pause : lc_resume) (&cli->lc, args[0], &err) < 0)
    return cli_fail_lookup (cli, &err);
  return 0;
}

int
cmd_pause (struct cli *cli, int argc, char **argv)
{
  return freeze_command (cli, &pause_doc, true, argc, argv);
}

int
cmd_resume (struct cli *cli, int argc, char **argv)
{
  return freeze_command (cli, &resume_doc, false, argc, argv);
}
