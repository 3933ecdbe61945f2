#include <errno.h>
/* runtime/log.c: lines in runc's (logrus) text and JSON forms, which containerd
 * and podman parse out of the --log file. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "log.c"  /* runtime/ is not a library; compile the unit in */

int
main (void)
{
  char *l;
  struct error *err = NULL;
  enum log_format fmt;
  time_t t = 1795896000;  /* 2026-11-28T20:00:00Z */

  setenv ("TZ", "UTC", 1);
  tzset ();

  l = log_format_line (LOG_FORMAT_JSON, LOG_LVL_ERROR, "container does not exist", t, false);
  CHECK_STR (l, "{\"level\":\"error\",\"msg\":\"container does not exist\",\"time\":\"2026-11-28T20:00:00Z\"}\n");
  free (l);
  l = log_format_line (LOG_FORMAT_JSON, LOG_LVL_WARN, "a \"q\" \\ <x>\n\t\x01", t, false);
  CHECK_STR (l, "{\"level\":\"warning\",\"msg\":\"a \\\"q\\\" \\\\ \\u003cx\\u003e\\n\\t\\u0001\",\"time\":\"2026-11-28T20:00:00Z\"}\n");
  free (l);
  l = log_format_line (LOG_FORMAT_TEXT, LOG_LVL_ERROR, "container does not exist", t, false);
  CHECK_STR (l, "time=\"2026-11-28T20:00:00Z\" level=error msg=\"container does not exist\"\n");
  free (l);
  /* logrus leaves simple words unquoted */
  l = log_format_line (LOG_FORMAT_TEXT, LOG_LVL_DEBUG, "ready", t, false);
  CHECK_STR (l, "time=\"2026-11-28T20:00:00Z\" level=debug msg=ready\n");
  free (l);
  l = log_format_line (LOG_FORMAT_TEXT, LOG_LVL_INFO, "say \"hi\"\n", t, false);
  CHECK_STR (l, "time=\"2026-11-28T20:00:00Z\" level=info msg=\"say \\\"hi\\\"\\n\"\n");
  free (l);
  l = log_format_line (LOG_FORMAT_TEXT, LOG_LVL_ERROR, "boom", t, true);
  CHECK_CONTAINS (l, "ERRO");
  CHECK_CONTAINS (l, "[0000] boom");
  free (l);

  /* a non-UTC zone gets an offset, as Go's RFC3339 */
  setenv ("TZ", "CET-1", 1);
  tzset ();
  l = log_format_line (LOG_FORMAT_JSON, LOG_LVL_ERROR, "x", t, false);
  CHECK_CONTAINS (l, "\"time\":\"2026-11-28T21:00:00+01:00\"");
  free (l);

  CHECK (log_parse_format ("json", &fmt, &err) == 0 && fmt == LOG_FORMAT_JSON);
  CHECK (log_parse_format ("text", &fmt, &err) == 0 && fmt == LOG_FORMAT_TEXT);
  CHECK (log_parse_format ("", &fmt, &err) == 0 && fmt == LOG_FORMAT_TEXT);
  CHECK (log_parse_format ("xml", &fmt, &err) < 0);
  CHECK (err && strcmp (err->msg, "invalid log-format: xml") == 0);
  error_free (&err);

  /* --log FILE: libcontainer's log_msg and the fatal error land in the file */
  char path[] = "/tmp/capsa-test-log-XXXXXX";
  int fd = mkstemp (path);
  CHECK (fd >= 0);
  close (fd);
  CHECK (log_setup (path, LOG_FORMAT_JSON, false, &err) == 0);
  log_debug ("hidden without --debug");
  log_warn ("careful %d", 1);
  log_fatal ("it failed");
  char buf[4096] = { 0 };
  fd = open (path, O_RDONLY);
  CHECK (fd >= 0 && read (fd, buf, sizeof buf - 1) > 0);
  close (fd);
  unlink (path);
  CHECK (strstr (buf, "hidden") == NULL);
  CHECK_CONTAINS (buf, "{\"level\":\"warning\",\"msg\":\"careful 1\",\"time\":");
  CHECK_CONTAINS (buf, "{\"level\":\"error\",\"msg\":\"it failed\",\"time\":");
  CHECK (log_setup ("/nonexistent-dir/x.log", LOG_FORMAT_TEXT, false, &err) < 0);
  CHECK (err && strcmp (err->msg, "open /nonexistent-dir/x.log: No such file or directory") == 0);
  error_free (&err);
  /* error_propagate: the caller's first error wins; the local one is consumed. */
  {
    struct error *outer = NULL, *local = NULL, *later = NULL;
    error_set (&local, ENOENT, "first");
    CHECK (error_propagate (&outer, &local) == -1);
    CHECK (local == NULL && outer && outer->errnum == ENOENT);
    CHECK_CONTAINS (outer ? outer->msg : NULL, "first");
    error_set (&later, EPERM, "second");
    CHECK (error_propagate (&outer, &later) == -1 && later == NULL);
    CHECK_CONTAINS (outer ? outer->msg : NULL, "first");
    error_set (&later, EPERM, "third");
    CHECK (error_propagate (NULL, &later) == -1 && later == NULL);
    error_free (&outer);
  }
  return unit_finish ("test_log");
}
