/* Command-line flags parsed the way runc's urfave/cli v1 + Go "flag" parse them:
 * "-name" and "--name" are the same flag, values come as "--name=v" or "--name v",
 * bool flags take no separate value ("--detach=false" works), parsing stops at the
 * first positional argument or "--".  For subcommands urfave first moves known
 * flags that follow positional arguments to the front, so `delete ID --force`
 * works; opts_parse does the same when asked to (reorder). */
#ifndef CAPSA_OPTIONS_H
#define CAPSA_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum opt_type
{
  OPT_BOOL,    /* dest: bool * */
  OPT_STRING,  /* dest: const char ** (points into argv) */
  OPT_INT,     /* dest: int * */
  OPT_STRINGS, /* dest: char *** (NULL-terminated, malloc'd array of argv pointers);
                  repeatable, each use appends, like urfave's StringSlice */
};

struct opt_spec
{
  const char *names;    /* "bundle, b": first is the long name, the rest aliases */
  enum opt_type type;
  void *dest;
  const char *usage;
  const char *default_text;  /* shown in help as " (default: ...)"; NULL = none */
};

enum opts_status
{
  OPTS_OK = 0,
  OPTS_HELP = 1,    /* -h/--help/-help seen and not defined by the caller */
  OPTS_ERROR = -1,  /* *errmsg holds Go flag's text, e.g. "flag provided but not defined: -x" */
};

/* Parse argv[0..argc-1] (no program/command name in it) against specs (terminated by
 * an entry with names == NULL).  May permute argv when reorder is set.  On OPTS_OK,
 * *first_arg is the index of the first positional argument. *errmsg is malloc'd. */
enum opts_status opts_parse (const struct opt_spec *specs, int argc, char **argv, bool reorder,
                             int *first_arg, char **errmsg);

/* Go's strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False. */
bool opts_parse_bool (const char *s, bool *out);

/* Help lines as urfave prints them ("   --bundle value, -b value  usage"), to f. */
#include <stdio.h>
void opts_print_help (FILE *f, const struct opt_spec *specs);

#endif
