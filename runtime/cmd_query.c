/* state, list: report containers without changing them. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "spec/util/cleanup.h"

static const struct cmd_doc state_doc = {
  "<container-id>\n\nWhere \"<container-id>\" is your name for the instance of the container.",
  "The state command outputs current state information for the\ninstance of a container.",
};

static const struct cmd_doc list_doc = {
  "\n\nWhere the given root is specified via the global option \"--root\"\n"
  "(default: \"/run/capsa\").\n\n"
  "EXAMPLE 1:\n"
  "To list containers created via the default \"--root\":\n"
  "       # capsa list\n\n"
  "EXAMPLE 2:\n"
  "To list containers created using a non-default value for \"--root\":\n"
  "       # capsa --root value list",
  NULL,
};

int
cmd_state (struct cli *cli, int argc, char **argv)
{
  const struct opt_spec specs[] = { { NULL } };
  struct spec_state *st = NULL;
  _cleanup_free_ char *json = NULL;
  struct error *err = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &state_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &state_doc, specs, nargs, 1, CLI_EXACT)) != 0)
    return status;
  if (lc_validate_id (args[0], &err) < 0 || lc_state (&cli->lc, args[0], &st, &err) < 0)
    return cli_fail_lookup (cli, &err);
  status = spec_state_to_json (st, true, &json, &err);
  spec_state_free (st);
  if (status < 0)
    return cli_fail_err (cli, &err, NULL);
  /* runc writes the JSON without a trailing newline. */
  fputs (json, stdout);
  return fflush (stdout) == 0 ? 0 : cli_fail (cli, "write state: %m");
}

/* runc's list shows the owner's user name; an empty owner means root-owned. */
static const char *
owner_of (const struct spec_state *s)
{
  return s->owner && *s->owner ? s->owner : "root";
}

/* Go text/tabwriter with minwidth 12, padding 3, as runc's list uses: every
 * column but the last is as wide as its widest cell plus 3, at least 12. */
static void
print_table (FILE *f, struct spec_state **states, size_t n)
{
  enum { NCOLS = 6, MINWIDTH = 12, PADDING = 3 };
  static const char *const header[NCOLS] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  size_t width[NCOLS];
  char pid[32];

  for (int c = 0; c < NCOLS; c++)
    width[c] = strlen (header[c]) + PADDING;
  for (size_t i = 0; i < n; i++)
    {
      const struct spec_state *s = states[i];
      const char *cells[NCOLS] = { s->id, pid, s->status, s->bundle, s->created, owner_of (s) };
      snprintf (pid, sizeof pid, "%d", (int) s->pid);
      for (int c = 0; c < NCOLS; c++)
        if (cells[c] && strlen (cells[c]) + PADDING > width[c])
          width[c] = strlen (cells[c]) + PADDING;
    }
  for (int c = 0; c < NCOLS; c++)
    if (width[c] < MINWIDTH)
      width[c] = MINWIDTH;

  for (size_t i = 0; i <= n; i++)
    {
      const struct spec_state *s = i ? states[i - 1] : NULL;
      const char *row[NCOLS];
      if (s == NULL)
        memcpy (row, header, sizeof row);
      else
        {
          snprintf (pid, sizeof pid, "%d", (int) s->pid);
          const char *cells[NCOLS] = { s->id, pid, s->status, s->bundle, s->created, owner_of (s) };
          memcpy (row, cells, sizeof row);
        }
      for (int c = 0; c < NCOLS - 1; c++)
        fprintf (f, "%-*s", (int) width[c], row[c] ? row[c] : "");
      fprintf (f, "%s\n", row[NCOLS - 1] ? row[NCOLS - 1] : "");
    }
}

/* An array of compact state objects; `null` when empty, as Go encodes a nil slice. */
static int
print_json (struct cli *cli, FILE *f, struct spec_state **states, size_t n)
{
  struct error *err = NULL;
  if (n == 0)
    {
      fputs ("null\n", f);
      return 0;
    }
  fputc ('[', f);
  for (size_t i = 0; i < n; i++)
    {
      _cleanup_free_ char *json = NULL;
      struct spec_state s = *states[i];
      s.owner = (char *) owner_of (&s);
      if (spec_state_to_json (&s, false, &json, &err) < 0)
        return cli_fail_err (cli, &err, NULL);
      if (i)
        fputc (',', f);
      fputs (json, f);
    }
  fputs ("]\n", f);
  return 0;
}

int
cmd_list (struct cli *cli, int argc, char **argv)
{
  const char *format = "table";
  bool quiet = false;
  const struct opt_spec specs[] = {
    { "format, f", OPT_STRING, &format, "select one of: table or json", "\"table\"" },
    { "quiet, q", OPT_BOOL, &quiet, "display only container IDs", NULL },
    { NULL },
  };
  struct spec_state **states = NULL;
  size_t n = 0;
  struct error *err = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &list_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &list_doc, specs, nargs, 0, CLI_EXACT)) != 0)
    return status;
  if (lc_list (&cli->lc, &states, &n, &err) < 0)
    return cli_fail_err (cli, &err, NULL);

  if (quiet)
    for (size_t i = 0; i < n; i++)
      printf ("%s\n", states[i]->id);
  else if (strcmp (format, "table") == 0)
    print_table (stdout, states, n);
  else if (strcmp (format, "json") == 0)
    status = print_json (cli, stdout, states, n);
  else
    status = cli_fail (cli, "invalid format option");

  for (size_t i = 0; i < n; i++)
    spec_state_free (states[i]);
  free (states);
  if (fflush (stdout) != 0 && status == 0)
    status = cli_fail (cli, "write list: %m");
  return status;
}
