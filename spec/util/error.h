/* Error objects shared by every layer: 0 or a negative return plus a filled
 * struct error, whose message names the operation and the object. */
#ifndef CAPSA_ERROR_H
#define CAPSA_ERROR_H

#include <stdarg.h>

struct error {
  int errnum;   /* errno value, 0 when not a system error */
  char *msg;    /* full message, already including strerror(errnum) */
};

/* Fill *err (if err and *err is NULL) and return -1. errnum 0 = no strerror suffix. */
int error_set (struct error **err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int error_setv (struct error **err, int errnum, const char *fmt, va_list ap);
/* Prefix an existing error with context: "ctx: old message". Returns -1. */
int error_wrap (struct error **err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void error_free (struct error **err);
/* Hand a local error to the caller's *err if that is still empty (the first
 * error wins, as with error_set), else free it; *src is NULL afterwards.
 * Returns -1. */
int error_propagate (struct error **err, struct error **src);

/* Debug/warning logging sink, set by runtime/. Libraries log through these. */
enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
typedef void (*log_sink_fn) (enum log_level lvl, const char *msg);
void log_set_sink (log_sink_fn fn, enum log_level max_level);
void log_msg (enum log_level lvl, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
extern enum log_level log_max_level;
#define log_debug(...) do { if (log_max_level >= LOG_LVL_DEBUG) log_msg (LOG_LVL_DEBUG, __VA_ARGS__); } while (0)
#define log_warn(...) log_msg (LOG_LVL_WARN, __VA_ARGS__)

#endif
