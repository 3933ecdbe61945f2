#define _GNU_SOURCE
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
error_setv (struct error **err, int errnum, const char *fmt, va_list ap)
{
  char *base = NULL;
  if (err == NULL || *err != NULL)
    return -1;
  if (vasprintf (&base, fmt, ap) < 0)
    base = NULL;
  struct error *e = calloc (1, sizeof *e);
  if (e == NULL)
    {
      free (base);
      return -1;
    }
  e->errnum = errnum;
  if (errnum != 0 && base != NULL)
    {
      if (asprintf (&e->msg, "%s: %s", base, strerror (errnum)) < 0)
        e->msg = NULL;
      free (base);
    }
  else
    e->msg = base;
  if (e->msg == NULL)
    e->msg = strdup ("out of memory");
  *err = e;
  return -1;
}

int
error_set (struct error **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  error_setv (err, errnum, fmt, ap);
  va_end (ap);
  return -1;
}

int
error_wrap (struct error **err, const char *fmt, ...)
{
  char *ctx = NULL, *joined = NULL;
  va_list ap;
  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    ctx = NULL;
  va_end (ap);
  if (ctx != NULL && asprintf (&joined, "%s: %s", ctx, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (ctx);
  return -1;
}

void
error_free (struct error **err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

int
error_propagate (struct error **err, struct error **src)
{
  if (err && *err == NULL)
    {
      *err = *src;
      *src = NULL;
    }
  else
    error_free (src);
  return -1;
}

static log_sink_fn sink;
enum log_level log_max_level = LOG_LVL_WARN;

void
log_set_sink (log_sink_fn fn, enum log_level max_level)
{
  sink = fn;
  log_max_level = max_level;
}

void
log_msg (enum log_level lvl, const char *fmt, ...)
{
  char buf[4096];
  va_list ap;
  if (lvl > log_max_level)
    return;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (sink)
    sink (lvl, buf);
  else
    fprintf (stderr, "%s\n", buf);
}
