/* The `capsa` command table and what every command shares.  Adding a command:
 * write cmd_<family>.c with `int cmd_<name> (struct cli *cli, int argc, char **argv)`,
 * declare it below, and add one line to the table in main.c. */
#ifndef CAPSA_COMMANDS_H
#define CAPSA_COMMANDS_H

#include <errno.h>  /* LC_ENOTEXIST and friends are errno values */
#include <stdbool.h>

#include "libcontainer/container.h"
#include "options.h"

struct cli;

/* argv[0] is the command name; returns the process exit status. */
typedef int (*cmd_fn) (struct cli *cli, int argc, char **argv);

struct command
{
  const char *name;
  const char *usage;   /* one line, shown in `capsa --help` and in the command's NAME */
  cmd_fn run;
};

/* Global state: the parsed global options and the command being run. */
struct cli
{
  const char *argv0;            /* as invoked, used in messages like runc's os.Args[0] */
  const struct command *cmd;
  struct lc_context lc;         /* --root, --systemd-cgroup, --rootless, --log */
  bool debug;
  const char *criu;             /* the criu binary of checkpoint and restore */
};

/* Help text of one command beyond its table line. */
struct cmd_doc
{
  const char *args_usage;       /* e.g. "<container-id>\n\nWhere ..."; NULL = none */
  const char *description;      /* NULL = none */
};

/* Parse the command's flags from argv[1..]. Returns 0 with the positional
 * arguments in *args and *nargs, or -1 with *exit_status set: 0 after printing the
 * help for -h/--help, 1 after reporting a usage error (runc's "Incorrect Usage"). */
int cli_parse (struct cli *cli, const struct cmd_doc *doc, const struct opt_spec *specs,
               int argc, char **argv, char ***args, int *nargs, int *exit_status);
/* The same, except that flags stop at the first positional argument (runc's
 * SkipArgReorder): what follows the container id belongs to the command run,
 * so `exec ID ls -l` keeps its -l. */
int cli_parse_leading_flags (struct cli *cli, const struct cmd_doc *doc,
                             const struct opt_spec *specs, int argc, char **argv, char ***args,
                             int *nargs, int *exit_status);

enum cli_nargs { CLI_EXACT, CLI_MIN, CLI_MAX };
/* runc's checkArgs: on mismatch prints "Incorrect Usage." and the help to stdout,
 * reports `<argv0>: "kill" requires a minimum of 1 argument(s)` and returns 1. */
int cli_check_args (struct cli *cli, const struct cmd_doc *doc, const struct opt_spec *specs,
                    int nargs, int expected, enum cli_nargs kind);

/* Report an error (stderr and --log) and return exit status 1. */
int cli_fail (struct cli *cli, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Report *err (prefixed with "prefix: " when prefix is not NULL), free it, return 1. */
int cli_fail_err (struct cli *cli, struct error **err, const char *prefix);
/* The same for an error from an lc_* call on an existing container (state, start,
 * kill, delete...): lc_error_is_not_exist() becomes runc's "container does not exist". */
int cli_fail_lookup (struct cli *cli, struct error **err);

void cli_print_command_help (struct cli *cli, const struct cmd_doc *doc,
                             const struct opt_spec *specs);

/* cmd_lifecycle.c */
int cmd_create (struct cli *cli, int argc, char **argv);
int cmd_start (struct cli *cli, int argc, char **argv);
int cmd_run (struct cli *cli, int argc, char **argv);
/* cmd_query.c */
int cmd_state (struct cli *cli, int argc, char **argv);
int cmd_list (struct cli *cli, int argc, char **argv);
/* cmd_signal.c */
int cmd_kill (struct cli *cli, int argc, char **argv);
int cmd_delete (struct cli *cli, int argc, char **argv);
/* cmd_audit.c */
int cmd_audit (struct cli *cli, int argc, char **argv);
/* cmd_check.c */
int cmd_check (struct cli *cli, int argc, char **argv);
/* cmd_exec.c */
int cmd_exec (struct cli *cli, int argc, char **argv);
/* cmd_features.c */
int cmd_features (struct cli *cli, int argc, char **argv);
/* cmd_pause.c */
int cmd_pause (struct cli *cli, int argc, char **argv);
int cmd_resume (struct cli *cli, int argc, char **argv);
/* cmd_update.c */
int cmd_update (struct cli *cli, int argc, char **argv);
/* cmd_ps.c */
int cmd_ps (struct cli *cli, int argc, char **argv);
/* cmd_events.c */
int cmd_events (struct cli *cli, int argc, char **argv);
/* cmd_checkpoint.c */
int cmd_checkpoint (struct cli *cli, int argc, char **argv);
int cmd_restore (struct cli *cli, int argc, char **argv);
/* cmd_spec.c */
int cmd_spec (struct cli *cli, int argc, char **argv);

#endif
