/* capsa's logging: --log FILE, --log-format text|json, --debug.  Lines look like
 * runc's (logrus): text `time="..." level=error msg="..."`, json
 * {"level":"error","msg":"...","time":"..."}; containerd and podman parse them. */
#ifndef CAPSA_LOG_H
#define CAPSA_LOG_H

#include <stdbool.h>
#include <time.h>

#include "spec/util/error.h"

enum log_format
{
  LOG_FORMAT_TEXT,
  LOG_FORMAT_JSON,
};

/* Parse "text"/"json" ("" means text, like runc). */
int log_parse_format (const char *s, enum log_format *out, struct error **err);

/* Open path (NULL = stderr) in append mode, select the format and the level
 * (debug or info) and route libcontainer's log_msg() here via log_set_sink(). */
int log_setup (const char *path, enum log_format fmt, bool debug, struct error **err);

/* Report the error that ends the command, as runc's fatal() does: formatted to the
 * log, and also as a plain line on stderr when the log is a file. */
void log_fatal (const char *msg);

/* One formatted line, '\n'-terminated, malloc'd (NULL on ENOMEM). tty selects
 * logrus's terminal form ("ERRO[0000] msg") for the text format. */
char *log_format_line (enum log_format fmt, enum log_level lvl, const char *msg, time_t when,
                       bool tty);

#endif
