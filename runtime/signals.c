#define _GNU_SOURCE
#include "signals.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sig_entry
{
  const char *name;  /* without the SIG prefix */
  int signo;
};

/* The first name for a number is the canonical one (signal_name). */
static const struct sig_entry sig_table[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },       { "QUIT", SIGQUIT },
  { "ILL", SIGILL },       { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },
  { "IOT", SIGIOT },       { "BUS", SIGBUS },       { "FPE", SIGFPE },
  { "KILL", SIGKILL },     { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },
  { "TERM", SIGTERM },     { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
  { "CLD", SIGCHLD },      { "CONT", SIGCONT },     { "STOP", SIGSTOP },
  { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU },
  { "URG", SIGURG },       { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ },
  { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },     { "WINCH", SIGWINCH },
  { "IO", SIGIO },         { "POLL", SIGPOLL },     { "PWR", SIGPWR },
  { "SYS", SIGSYS },
};

/* Decimal with an optional sign, like Go's strconv.Atoi which runc uses. */
static int
parse_number (const char *s, long *out)
{
  const char *p = s;
  char *end;
  if (*p == '+' || *p == '-')
    p++;
  if (!isdigit ((unsigned char) *p))
    return -1;
  errno = 0;
  *out = strtol (s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  return 0;
}

/* "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n" (name already without SIG). */
static int
parse_realtime (const char *name)
{
  long off = 0;
  int base, sign;
  if (strncasecmp (name, "RTMIN", 5) == 0)
    base = SIGRTMIN, sign = 1;
  else if (strncasecmp (name, "RTMAX", 5) == 0)
    base = SIGRTMAX, sign = -1;
  else
    return -1;
  name += 5;
  if (*name != '\0')
    {
      if (*name != (sign > 0 ? '+' : '-') || !isdigit ((unsigned char) name[1])
          || parse_number (name + 1, &off) < 0 || off > SIGRTMAX - SIGRTMIN)
        return -1; /* the bound first: RTMIN+9223372036854775807 overflowed */
    }
  long signo = base + sign * off;
  if (signo < SIGRTMIN || signo > SIGRTMAX)
    return -1;
  return (int) signo;
}

int
signal_parse (const char *s)
{
  long n;
  if (s == NULL || *s == '\0')
    return -1;
  if (parse_number (s, &n) == 0)
    return n >= 0 && n < NSIG ? (int) n : -1;
  const char *name = strncasecmp (s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < sizeof sig_table / sizeof sig_table[0]; i++)
    if (strcasecmp (name, sig_table[i].name) == 0)
      return sig_table[i].signo;
  return parse_realtime (name);
}

const char *
signal_name (int signo)
{
  static const char *const canonical[] = {
    [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",       [SIGQUIT] = "SIGQUIT",
    [SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP",     [SIGABRT] = "SIGABRT",
    [SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",       [SIGKILL] = "SIGKILL",
    [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",     [SIGUSR2] = "SIGUSR2",
    [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",     [SIGTERM] = "SIGTERM",
    [SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
    [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",     [SIGTTIN] = "SIGTTIN",
    [SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU",
    [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
    [SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO",       [SIGPWR] = "SIGPWR",
    [SIGSYS] = "SIGSYS",
  };
  static char rt[32];
  if (signo > 0 && (size_t) signo < sizeof canonical / sizeof canonical[0] && canonical[signo])
    return canonical[signo];
  if (signo >= SIGRTMIN && signo <= SIGRTMAX)
    {
      int from_min = signo - SIGRTMIN, from_max = SIGRTMAX - signo;
      if (from_min == 0)
        return "SIGRTMIN";
      if (from_max == 0)
        return "SIGRTMAX";
      if (from_min <= from_max)
        snprintf (rt, sizeof rt, "SIGRTMIN+%d", from_min);
      else
        snprintf (rt, sizeof rt, "SIGRTMAX-%d", from_max);
      return rt;
    }
  return NULL;
}
