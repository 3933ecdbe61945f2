/* events: the container's stats (once with --stats, else every --interval) and
 * its OOM kills as they happen, one JSON object per line like runc. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "spec/util/cleanup.h"
#include "spec/util/clock.h"

static const struct cmd_doc events_doc = {
  "<container-id>\n\nWhere \"<container-id>\" is the name for the instance of the container.",
  "The events command displays information about the container. By default the\n"
  "information is displayed once every 5 seconds.",
};

/* Go's time.ParseDuration ("5s", "1.5s", "250ms", "1m30s") in milliseconds. */
static int
parse_duration_ms (const char *s, double *out)
{
  static const struct { const char *unit; double ms; } units[] = {
    { "ns", 1e-6 }, { "us", 1e-3 }, { "µs", 1e-3 }, { "ms", 1 }, { "s", 1000 },
    { "m", 60000 }, { "h", 3600000 },
  };
  double total = 0;
  bool neg = false;
  if (*s == '-' || *s == '+')
    neg = *s++ == '-';
  if (strcmp (s, "0") == 0)
    {
      *out = 0;
      return 0;
    }
  if (*s == '\0')
    return -1;
  while (*s)
    {
      char *end;
      if (!isdigit ((unsigned char) *s) && *s != '.')
        return -1;
      double v = strtod (s, &end);
      if (end == s)
        return -1;
      s = end;
      size_t best = 0;
      double mult = 0;
      for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        {
          size_t l = strlen (units[i].unit);
          if (strncmp (s, units[i].unit, l) == 0 && l > best)
            {
              best = l;
              mult = units[i].ms;
            }
        }
      if (best == 0)
        return -1;
      s += best;
      total += v * mult;
    }
  *out = neg ? -total : total;
  return 0;
}

static int
print_event (struct cli *cli, char *json)
{
  if (json == NULL)
    return cli_fail (cli, "events: out of memory");
  printf ("%s\n", json);
  free (json);
  return fflush (stdout) == 0 ? 0 : cli_fail (cli, "write event: %m");
}

int
cmd_events (struct cli *cli, int argc, char **argv)
{
  const char *interval = "5s";
  bool stats_once = false;
  const struct opt_spec specs[] = {
    { "interval", OPT_STRING, &interval, "set the stats collection interval", "5s" },
    { "stats", OPT_BOOL, &stats_once, "display the container's stats then exit", NULL },
    { NULL },
  };
  struct error *err = NULL;
  struct lc_events *ev = NULL;
  struct lc_stats st = { 0 };
  char **args;
  int nargs, status;
  double every;

  if (cli_parse (cli, &events_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &events_doc, specs, nargs, 1, CLI_EXACT)) != 0)
    return status;
  if (parse_duration_ms (interval, &every) < 0)
    return cli_fail (cli, "invalid value \"%s\" for flag -interval: parse error", interval);
  if (every <= 0)
    return cli_fail (cli, "duration interval must be greater than 0");
  const char *id = args[0];
  if (lc_validate_id (id, &err) < 0)
    return cli_fail_err (cli, &err, NULL);

  if (stats_once)
    {
      if (lc_stats (&cli->lc, id, &st, &err) < 0)
        return cli_fail_lookup (cli, &err);
      status = print_event (cli, lc_stats_event_json (id, &st));
      lc_stats_clear (&st);
      return status;
    }

  if (lc_events_open (&cli->lc, id, &ev, &err) < 0)
    return cli_fail_lookup (cli, &err);
  long step = every < 1 ? 1 : (long) every;
  long next = clock_monotonic_ms () + step;
  status = 0;
  for (;;)
    {
      bool stopped = false;
      long left = next - clock_monotonic_ms ();
      int n = lc_events_wait (ev, left < 0 ? 0 : (int) left, &stopped, &err);
      if (n < 0)
        {
          status = cli_fail_err (cli, &err, NULL);
          break;
        }
      for (int i = 0; i < n && status == 0; i++)
        status = print_event (cli, lc_oom_event_json (id));
      if (status != 0 || stopped)
        break;
      if (clock_monotonic_ms () >= next)
        {
          next += step;
          if (lc_events_stats (ev, &st, &err) < 0)
            {
              /* runc logs a failed collection and keeps going */
              log_msg (LOG_LVL_ERROR, "%s", err->msg);
              error_free (&err);
              continue;
            }
          status = print_event (cli, lc_stats_event_json (id, &st));
          lc_stats_clear (&st);
          if (status != 0)
            break;
        }
    }
  lc_events_close (ev);
  return status;
}
