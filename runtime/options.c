/* Flag parsing with Go "flag" package semantics (what runc's urfave/cli v1 uses),
 * so scripts written for runc parse identically. getopt_long is not used because
 * it permutes every argument, accepts abbreviations and rejects "-long". */
#define _GNU_SOURCE
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
opts_parse_bool (const char *s, bool *out)
{
  static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
  static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
    if (strcmp (s, yes[i]) == 0)
      {
        *out = true;
        return true;
      }
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
    if (strcmp (s, no[i]) == 0)
      {
        *out = false;
        return true;
      }
  return false;
}

/* The next name in an option's list "bundle, b": skips separators, returns
 * where the name starts and sets *len (0 at the end of the list) and *p past it. */
static const char *
next_name (const char **p, size_t *len)
{
  const char *q = *p;
  while (*q == ' ' || *q == ',')
    q++;
  const char *start = q;
  while (*q && *q != ',' && *q != ' ')
    q++;
  *len = (size_t) (q - start);
  *p = q;
  return start;
}

/* Does the comma-separated list "bundle, b" contain name (length len)? */
static bool
names_match (const char *names, const char *name, size_t len)
{
  const char *p = names;
  while (*p)
    {
      size_t n;
      const char *start = next_name (&p, &n);
      if (n == len && len > 0 && strncmp (start, name, len) == 0)
        return true;
    }
  return false;
}

static const struct opt_spec *
find_spec (const struct opt_spec *specs, const char *name, size_t len)
{
  for (const struct opt_spec *s = specs; s && s->names; s++)
    if (names_match (s->names, name, len))
      return s;
  return NULL;
}

static bool
is_help_name (const char *name, size_t len)
{
  return (len == 4 && strncmp (name, "help", 4) == 0) || (len == 1 && name[0] == 'h');
}

/* The flag name inside "-name", "--name" or "--name=v"; NULL when arg is no flag. */
static const char *
flag_name (const char *arg, size_t *len)
{
  if (arg[0] != '-' || arg[1] == '\0' || strcmp (arg, "--") == 0)
    return NULL;
  const char *name = arg + (arg[1] == '-' ? 2 : 1);
  const char *eq = strchr (name, '=');
  *len = eq ? (size_t) (eq - name) : strlen (name);
  return name;
}

/* urfave/cli v1 reorderArgs: known flags (and the value that may follow a flag
 * without "=") move before the other arguments; everything after "--" stays.
 * One deliberate difference: urfave also glues the next word to a bool flag, so
 * runc reads `kill ID --all 9` as container "9"; here a bool flag takes no value
 * word, which only turns such failing command lines into working ones. */
static void
reorder_args (const struct opt_spec *specs, int argc, char **argv)
{
  char **flags = calloc (argc + 1, sizeof *flags);
  char **rest = calloc (argc + 1, sizeof *rest);
  int nf = 0, nr = 0;
  bool next_may_be_value = false;
  if (flags == NULL || rest == NULL)
    goto out;
  for (int i = 0; i < argc; i++)
    {
      const char *arg = argv[i];
      size_t len;
      const char *name;
      const struct opt_spec *spec = NULL;
      /* urfave's argIsFlag: a defined flag (or help), in any spelling. Anything
       * else after a flag that takes a value is that value: "-1" (update
       * --memory -1 ID means unlimited), "-" (--resources - reads stdin). */
      bool is_flag = (name = flag_name (arg, &len)) != NULL
                     && ((spec = find_spec (specs, name, len)) || is_help_name (name, len));
      if (next_may_be_value && !is_flag)
        {
          next_may_be_value = false;
          flags[nf++] = argv[i];
        }
      else if (strcmp (arg, "--") == 0)
        {
          while (i < argc)
            rest[nr++] = argv[i++];
          break;
        }
      else if (is_flag)
        {
          flags[nf++] = argv[i];
          next_may_be_value = spec && spec->type != OPT_BOOL && strchr (arg, '=') == NULL;
        }
      else
        rest[nr++] = argv[i];
    }
  memcpy (argv, flags, nf * sizeof *argv);
  memcpy (argv + nf, rest, nr * sizeof *argv);
out:
  free (flags);
  free (rest);
}

static enum opts_status
fail (char **errmsg, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (errmsg, fmt, ap) < 0)
    *errmsg = NULL;
  va_end (ap);
  return OPTS_ERROR;
}

static bool
parse_int (const char *s, int *out)
{
  char *end;
  long v;
  if (*s == '\0')
    return false;
  errno = 0;
  v = strtol (s, &end, 0);
  if (errno != 0 || *end != '\0' || v < INT_MIN || v > INT_MAX)
    return false;
  *out = (int) v;
  return true;
}

enum opts_status
opts_parse (const struct opt_spec *specs, int argc, char **argv, bool reorder, int *first_arg,
            char **errmsg)
{
  int i = 0;
  *errmsg = NULL;
  if (reorder)
    reorder_args (specs, argc, argv);
  while (i < argc)
    {
      const char *s = argv[i];
      if (s[0] != '-' || s[1] == '\0')
        break;
      if (strcmp (s, "--") == 0)
        {
          i++;
          break;
        }
      const char *name = s + (s[1] == '-' ? 2 : 1);
      if (name[0] == '\0' || name[0] == '-' || name[0] == '=')
        return fail (errmsg, "bad flag syntax: %s", s);
      i++;
      const char *eq = strchr (name, '=');
      size_t len = eq ? (size_t) (eq - name) : strlen (name);
      const char *value = eq ? eq + 1 : NULL;
      const struct opt_spec *spec = find_spec (specs, name, len);
      if (spec == NULL)
        {
          if (is_help_name (name, len))
            return OPTS_HELP;
          return fail (errmsg, "flag provided but not defined: -%.*s", (int) len, name);
        }
      if (spec->type == OPT_BOOL)
        {
          bool b = true;
          if (value && !opts_parse_bool (value, &b))
            return fail (errmsg, "invalid boolean value \"%s\" for -%.*s: parse error", value,
                         (int) len, name);
          *(bool *) spec->dest = b;
          continue;
        }
      if (value == NULL)
        {
          if (i >= argc)
            return fail (errmsg, "flag needs an argument: -%.*s", (int) len, name);
          value = argv[i++];
        }
      if (spec->type == OPT_STRING)
        *(const char **) spec->dest = value;
      else if (spec->type == OPT_STRINGS)
        {
          char ***list = spec->dest;
          size_t n = 0;
          while (*list && (*list)[n])
            n++;
          char **grown = realloc (*list, (n + 2) * sizeof *grown);
          if (grown == NULL)
            return fail (errmsg, "out of memory");
          grown[n] = (char *) value;
          grown[n + 1] = NULL;
          *list = grown;
        }
      else if (!parse_int (value, (int *) spec->dest))
        return fail (errmsg, "invalid value \"%s\" for flag -%.*s: parse error", value, (int) len,
                     name);
    }
  *first_arg = i;
  return OPTS_OK;
}

/* "--bundle value, -b value" */
static size_t
format_names (const struct opt_spec *s, char *buf, size_t size)
{
  size_t n = 0;
  const char *p = s->names;
  buf[0] = '\0';
  while (*p)
    {
      size_t name_len;
      const char *start = next_name (&p, &name_len);
      int len = (int) name_len;
      if (len == 0)
        continue;
      int w = snprintf (buf + n, size - n, "%s%s%.*s%s", n ? ", " : "", len > 1 ? "--" : "-",
                        len, start, s->type == OPT_BOOL ? "" : " value");
      if (w < 0 || (size_t) w >= size - n)
        break;
      n += w;
    }
  return n;
}

void
opts_print_help (FILE *f, const struct opt_spec *specs)
{
  char buf[256];
  size_t width = 0;
  for (const struct opt_spec *s = specs; s && s->names; s++)
    {
      size_t n = format_names (s, buf, sizeof buf);
      if (n > width)
        width = n;
    }
  for (const struct opt_spec *s = specs; s && s->names; s++)
    {
      format_names (s, buf, sizeof buf);
      fprintf (f, "   %-*s  %s", (int) width, buf, s->usage ? s->usage : "");
      if (s->default_text)
        fprintf (f, " (default: %s)", s->default_text);
      fputc ('\n', f);
    }
}
