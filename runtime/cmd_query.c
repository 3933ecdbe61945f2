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
 * column but the last is as wide as its widest cell plus 3, at least 12.
 * Cells are written with fputs and runs of spaces: printf's "%-*s" was most of
 * list's user time. */
static void
put_padded (FILE *f, const char *cell, size_t width)
{
  static const char spaces[64] = "                                                               ";
  size_t len = strlen (cell);
  fputs (cell, f);
  for (size_t pad = width > len ? width - len : 0; pad > 0;)
    {
      size_t k = pad < sizeof spaces - 1 ? pad : sizeof spaces - 1;
      fwrite (spaces, 1, k, f);
      pad -= k;
    }
}

enum { NCOLS = 6, MINWIDTH = 12, PADDING = 3 };

/* Row i of the table: 0 is the header, then the containers. */
static void
table_row (struct spec_state **states, size_t i, char *pid, size_t pid_size,
           const char *row[NCOLS])
{
  static const char *const header[NCOLS] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  if (i == 0)
    {
      memcpy (row, header, sizeof header);
      return;
    }
  const struct spec_state *s = states[i - 1];
  snprintf (pid, pid_size, "%d", (int) s->pid);
  const char *cells[NCOLS] = { s->id, pid, s->status, s->bundle, s->created, owner_of (s) };
  for (int c = 0; c < NCOLS; c++)
    row[c] = cells[c] ? cells[c] : "";
}

static void
print_table (FILE *f, struct spec_state **states, size_t n)
{
  size_t width[NCOLS] = { 0 };
  const char *row[NCOLS];
  char pid[32];

  for (size_t i = 0; i <= n; i++)
    {
      table_row (states, i, pid, sizeof pid, row);
      for (int c = 0; c < NCOLS; c++)
        if (strlen (row[c]) + PADDING > width[c])
          width[c] = strlen (row[c]) + PADDING;
    }
  for (int c = 0; c < NCOLS; c++)
    if (width[c] < MINWIDTH)
      width[c] = MINWIDTH;
  for (size_t i = 0; i <= n; i++)
    {
      table_row (states, i, pid, sizeof pid, row);
      for (int c = 0; c < NCOLS - 1; c++)
        put_padded (f, row[c], width[c]);
      fputs (row[NCOLS - 1], f);
      fputc ('\n', f);
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
