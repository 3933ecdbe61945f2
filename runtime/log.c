#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_fd = STDERR_FILENO;
static bool log_to_file;
static bool log_tty;
static enum log_format log_fmt = LOG_FORMAT_TEXT;
static time_t log_start;

int
log_parse_format (const char *s, enum log_format *out, struct error **err)
{
  if (s == NULL || *s == '\0' || strcmp (s, "text") == 0)
    *out = LOG_FORMAT_TEXT;
  else if (strcmp (s, "json") == 0)
    *out = LOG_FORMAT_JSON;
  else
    return error_set (err, 0, "invalid log-format: %s", s);
  return 0;
}

/* logrus level names. */
static const char *
level_name (enum log_level lvl)
{
  switch (lvl)
    {
    case LOG_LVL_ERROR: return "error";
    case LOG_LVL_WARN: return "warning";
    case LOG_LVL_INFO: return "info";
    default: return "debug";
    }
}

/* RFC 3339 in local time, "Z" for UTC, as Go's time.RFC3339. */
static void
format_time (char *buf, size_t size, time_t when)
{
  struct tm tm;
  localtime_r (&when, &tm);
  size_t n = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  long off = tm.tm_gmtoff;
  if (off == 0)
    snprintf (buf + n, size - n, "Z");
  else
    snprintf (buf + n, size - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs (off) / 3600,
              (labs (off) % 3600) / 60);
}

/* Go's strconv.Quote for the bytes logrus may meet (UTF-8 passes through). */
static void
put_go_quoted (FILE *f, const char *s)
{
  fputc ('"', f);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    switch (*p)
      {
      case '"': fputs ("\\\"", f); break;
      case '\\': fputs ("\\\\", f); break;
      case '\n': fputs ("\\n", f); break;
      case '\r': fputs ("\\r", f); break;
      case '\t': fputs ("\\t", f); break;
      case '\a': fputs ("\\a", f); break;
      case '\b': fputs ("\\b", f); break;
      case '\f': fputs ("\\f", f); break;
      case '\v': fputs ("\\v", f); break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          fprintf (f, "\\x%02x", *p);
        else
          fputc (*p, f);
      }
  fputc ('"', f);
}

/* logrus quotes a text value unless it is only [A-Za-z0-9-._/@^+]. */
static bool
needs_quoting (const char *s)
{
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
          || strchr ("-._/@^+", *p)))
      return true;
  return false;
}

/* Go's encoding/json string escaping, HTML-safe as logrus's JSON formatter. */
static void
put_json_string (FILE *f, const char *s)
{
  fputc ('"', f);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    switch (*p)
      {
      case '"': fputs ("\\\"", f); break;
      case '\\': fputs ("\\\\", f); break;
      case '\n': fputs ("\\n", f); break;
      case '\r': fputs ("\\r", f); break;
      case '\t': fputs ("\\t", f); break;
      case '<': case '>': case '&':
        fprintf (f, "\\u%04x", *p);
        break;
      default:
        if (*p < 0x20)
          fprintf (f, "\\u%04x", *p);
        else
          fputc (*p, f);
      }
  fputc ('"', f);
}

char *
log_format_line (enum log_format fmt, enum log_level lvl, const char *msg, time_t when, bool tty)
{
  char *buf = NULL, ts[64];
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    return NULL;
  format_time (ts, sizeof ts, when);
  if (fmt == LOG_FORMAT_JSON)
    {
      fprintf (f, "{\"level\":\"%s\",\"msg\":", level_name (lvl));
      put_json_string (f, msg);
      fprintf (f, ",\"time\":\"%s\"}\n", ts);
    }
  else if (tty)
    {
      /* logrus on a terminal: coloured 4-letter level and seconds since start. */
      static const int colour[] = { 31, 33, 36, 37 };
      char upper[5] = { 0 };
      const char *name = level_name (lvl);
      for (int i = 0; i < 4 && name[i]; i++)
        upper[i] = name[i] - 'a' + 'A';
      fprintf (f, "\x1b[%dm%s\x1b[0m[%04ld] %-44s \n", colour[lvl], upper,
               log_start ? (long) (when - log_start) : 0L, msg);
    }
  else
    {
      fprintf (f, "time=\"%s\" level=%s msg=", ts, level_name (lvl));
      if (needs_quoting (msg))
        put_go_quoted (f, msg);
      else
        fputs (msg, f);
      fputc ('\n', f);
    }
  if (fclose (f) != 0)
    {
      free (buf);
      return NULL;
    }
  return buf;
}

static void
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      buf += n;
      len -= n;
    }
}

static void
log_sink (enum log_level lvl, const char *msg)
{
  char *line = log_format_line (log_fmt, lvl, msg, time (NULL), log_tty);
  if (line)
    write_all (log_fd, line, strlen (line));
  free (line);
}

int
log_setup (const char *path, enum log_format fmt, bool debug, struct error **err)
{
  log_start = time (NULL);
  log_fmt = fmt;
  if (path && *path)
    {
      /* O_SYNC like runc: the caller reads this file right after we exit. */
      int fd = open (path, O_CREAT | O_WRONLY | O_APPEND | O_SYNC | O_CLOEXEC, 0644);
      if (fd < 0)
        return error_set (err, errno, "open %s", path);
      log_fd = fd;
      log_to_file = true;
      log_tty = false;
    }
  else
    log_tty = fmt == LOG_FORMAT_TEXT && isatty (STDERR_FILENO);
  log_set_sink (log_sink, debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
  return 0;
}

void
log_fatal (const char *msg)
{
  log_sink (LOG_LVL_ERROR, msg);
  if (log_to_file)
    {
      write_all (STDERR_FILENO, msg, strlen (msg));
      write_all (STDERR_FILENO, "\n", 1);
    }
}
