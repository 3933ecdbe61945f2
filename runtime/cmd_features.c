/* features: print features.json (what capsa supports on this host). */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "spec/util/cleanup.h"

static const struct cmd_doc features_doc = {
  NULL,
  "Show the enabled features.\n"
  "   The result is parsable as a JSON.\n"
  "   See https://github.com/opencontainers/runtime-spec/blob/main/features.md for the "
  "semantics.",
};

int
cmd_features (struct cli *cli, int argc, char **argv)
{
  const struct opt_spec specs[] = { { NULL } };
  _cleanup_free_ char *json = NULL;
  struct error *err = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &features_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &features_doc, specs, nargs, 0, CLI_EXACT)) != 0)
    return status;
  if (lc_features_json (cli->criu, &json, &err) < 0)
    return cli_fail_err (cli, &err, "features");
  printf ("%s\n", json);
  return 0;
}
