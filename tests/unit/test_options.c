/* runtime/options.c: flags parse like runc's urfave/cli v1 + Go flag package. */
#define _GNU_SOURCE
#include <stdlib.h>

#include "unit.h"
#include "options.c"  /* runtime/ is not a library; compile the unit in */

struct flags
{
  const char *bundle, *format;
  bool detach, force;
  int fds;
};

static enum opts_status
parse (struct flags *f, bool reorder, int *first, char **msg, int argc, char **argv)
{
  const struct opt_spec specs[] = {
    { "bundle, b", OPT_STRING, &f->bundle, "bundle", NULL },
    { "format", OPT_STRING, &f->format, "format", "\"table\"" },
    { "detach, d", OPT_BOOL, &f->detach, "detach", NULL },
    { "force, f", OPT_BOOL, &f->force, "force", NULL },
    { "preserve-fds", OPT_INT, &f->fds, "fds", "0" },
    { NULL },
  };
  memset (f, 0, sizeof *f);
  free (*msg);
  *msg = NULL;
  *first = -1;
  return opts_parse (specs, argc, argv, reorder, first, msg);
}

#define ARGV(...) (char *[]) { __VA_ARGS__, NULL }, (int) (sizeof ((char *[]) { __VA_ARGS__ }) / sizeof (char *))
#define RUN(reorder, ...) run_ (&f, reorder, &first, &msg, &av, ARGV (__VA_ARGS__))

static enum opts_status
run_ (struct flags *f, bool reorder, int *first, char **msg, char ***avp, char **argv, int argc)
{
  /* copy: opts_parse may permute */
  static char *copy[32];
  memcpy (copy, argv, (argc + 1) * sizeof *argv);
  *avp = copy;
  return parse (f, reorder, first, msg, argc, copy);
}

int
main (void)
{
  struct flags f;
  int first;
  char *msg = NULL;
  char **av;

  /* --flag value, --flag=value, -short value, single-dash long names */
  CHECK (RUN (false, "--bundle", "/b", "id") == OPTS_OK);
  CHECK_STR (f.bundle, "/b");
  CHECK (first == 2);
  CHECK_STR (av[first], "id");
  CHECK (RUN (false, "--bundle=/c", "id") == OPTS_OK);
  CHECK_STR (f.bundle, "/c");
  CHECK (first == 1);
  CHECK (RUN (false, "-b", "/d", "-d", "id") == OPTS_OK);
  CHECK_STR (f.bundle, "/d");
  CHECK (f.detach);
  CHECK (first == 3);
  CHECK (RUN (false, "-bundle", "/e", "-detach", "id") == OPTS_OK);
  CHECK_STR (f.bundle, "/e");
  CHECK (f.detach);
  /* a string flag takes the next word even when it starts with '-' (Go flag) */
  CHECK (RUN (false, "--bundle", "-x", "id") == OPTS_OK);
  CHECK_STR (f.bundle, "-x");
  /* bool values */
  CHECK (RUN (false, "--detach=false", "id") == OPTS_OK);
  CHECK (!f.detach);
  CHECK (RUN (false, "--detach=true", "id") == OPTS_OK);
  CHECK (f.detach);
  CHECK (RUN (false, "--detach=yes", "id") == OPTS_ERROR);
  CHECK_STR (msg, "invalid boolean value \"yes\" for -detach: parse error");
  /* ints */
  CHECK (RUN (false, "--preserve-fds", "3", "id") == OPTS_OK);
  CHECK (f.fds == 3);
  CHECK (RUN (false, "--preserve-fds=0x10", "id") == OPTS_OK);
  CHECK (f.fds == 16);
  CHECK (RUN (false, "--preserve-fds=three", "id") == OPTS_ERROR);
  CHECK_STR (msg, "invalid value \"three\" for flag -preserve-fds: parse error");
  /* Go flag's error texts, which runc prints */
  CHECK (RUN (false, "--bogus", "id") == OPTS_ERROR);
  CHECK_STR (msg, "flag provided but not defined: -bogus");
  CHECK (RUN (false, "-x=1", "id") == OPTS_ERROR);
  CHECK_STR (msg, "flag provided but not defined: -x");
  CHECK (RUN (false, "-b") == OPTS_ERROR);
  CHECK_STR (msg, "flag needs an argument: -b");
  CHECK (RUN (false, "---b", "x") == OPTS_ERROR);
  CHECK_STR (msg, "bad flag syntax: ---b");
  /* help when not defined by the command */
  CHECK (RUN (false, "--help") == OPTS_HELP);
  CHECK (RUN (false, "-h", "id") == OPTS_HELP);
  /* stops at the first positional, "-" and "--" */
  CHECK (RUN (false, "id", "--force") == OPTS_OK);
  CHECK (!f.force);
  CHECK (first == 0);
  CHECK (RUN (false, "--", "--force") == OPTS_OK);
  CHECK (!f.force);
  CHECK (first == 1);
  CHECK_STR (av[first], "--force");
  CHECK (RUN (false, "-", "x") == OPTS_OK);
  CHECK (first == 0);

  /* reorder (subcommands): known flags after the id move to the front */
  CHECK (RUN (true, "nonexist", "--force") == OPTS_OK);
  CHECK (f.force);
  CHECK (first == 1);
  CHECK_STR (av[first], "nonexist");
  CHECK (RUN (true, "ctr", "--bundle", "/b", "extra") == OPTS_OK);
  CHECK_STR (f.bundle, "/b");
  CHECK_STR (av[first], "ctr");
  CHECK_STR (av[first + 1], "extra");
  /* "-" is a flag's value (stdin), in front of and after the id: update -r - ctr */
  CHECK (RUN (true, "--bundle", "-", "ctr") == OPTS_OK);
  CHECK_STR (f.bundle, "-");
  CHECK_STR (av[first], "ctr");
  CHECK (RUN (true, "ctr", "--bundle", "-") == OPTS_OK);
  CHECK_STR (f.bundle, "-");
  CHECK_STR (av[first], "ctr");
  /* Any word that is not a defined flag is a value flag's value, as urfave's
   * argIsFlag decides: `update --memory -1 ctr` (-1 = unlimited), either side
   * of the id. Regression: "-1" was taken for an undefined flag. */
  CHECK (RUN (true, "--preserve-fds", "-1", "ctr") == OPTS_OK);
  CHECK (f.fds == -1);
  CHECK_STR (av[first], "ctr");
  CHECK (RUN (true, "ctr", "--preserve-fds", "-1") == OPTS_OK);
  CHECK (f.fds == -1);
  CHECK_STR (av[first], "ctr");
  CHECK (RUN (true, "--bundle", "-x", "ctr") == OPTS_OK);
  CHECK_STR (f.bundle, "-x");
  CHECK_STR (av[first], "ctr");
  /* A defined flag stays a flag in the reordering, but Go's flag package then
   * takes whatever follows a value flag: --bundle gets "--force". */
  CHECK (RUN (true, "ctr", "--bundle", "--force") == OPTS_OK);
  CHECK_STR (f.bundle, "--force");
  CHECK (!f.force);
  /* a bool flag does not swallow the next word: `kill ctr --all 9` */
  CHECK (RUN (true, "ctr", "--force", "9") == OPTS_OK);
  CHECK (f.force);
  CHECK_STR (av[first], "ctr");
  CHECK_STR (av[first + 1], "9");
  /* unknown flags after the id stay positional, as in runc */
  CHECK (RUN (true, "ctr", "--bogus") == OPTS_OK);
  CHECK_STR (av[first + 1], "--bogus");
  /* nothing after "--" is reordered */
  CHECK (RUN (true, "ctr", "--", "--force") == OPTS_OK);
  CHECK (!f.force);
  CHECK_STR (av[first], "ctr");
  CHECK (RUN (true, "ctr", "--help") == OPTS_HELP);

  CHECK (opts_parse_bool ("True", &f.force) && f.force);
  CHECK (opts_parse_bool ("0", &f.force) && !f.force);
  CHECK (!opts_parse_bool ("on", &f.force));

  /* help lines as urfave prints them */
  {
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream (&buf, &len);
    const struct opt_spec specs[] = {
      { "bundle, b", OPT_STRING, &f.bundle, "path to the bundle", NULL },
      { "keep", OPT_BOOL, &f.force, "keep it", NULL },
      { "format, f", OPT_STRING, &f.format, "table or json", "\"table\"" },
      { NULL },
    };
    opts_print_help (mf, specs);
    fclose (mf);
    CHECK_STR (buf, "   --bundle value, -b value  path to the bundle\n"
                    "   --keep                    keep it\n"
                    "   --format value, -f value  table or json (default: \"table\")\n");
    free (buf);
  }
  free (msg);
  return unit_finish ("test_options");
}
