/* `capsa audit`: a security review of a parsed config.json. Pure logic over
 * struct spec_config; what the host looks like (is SELinux active?) comes in
 * as struct audit_host, filled by the caller (libcontainer/hostcheck.c). */
#ifndef CAPSA_SPEC_AUDIT_H
#define CAPSA_SPEC_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "util/error.h"

enum audit_severity
{
  AUDIT_INFO,
  AUDIT_LOW,
  AUDIT_MEDIUM,
  AUDIT_HIGH,
};

/* Host facts some rules depend on. All false = "not known to be active":
 * the rules that need them stay silent. */
struct audit_host
{
  bool selinux_enabled;   /* enforcing or permissive */
  bool apparmor_enabled;
};

struct audit_finding
{
  enum audit_severity severity;
  const char *rule;   /* stable id, e.g. "capability-privileged" */
  char *path;         /* JSON path, e.g. "process.capabilities.bounding[2]" */
  char *message;      /* what is wrong and why it matters */
  char *fix;          /* what to change */
};

struct audit_report
{
  struct audit_finding *findings;
  size_t len;
};

/* Run every rule. Findings are ordered by severity (high first), then by the
 * order the rules run in. */
int audit_config (const struct spec_config *c, const struct audit_host *host,
                  struct audit_report **out, struct error **err);
void audit_report_free (struct audit_report *r);

const char *audit_severity_name (enum audit_severity s); /* "high", ... */
size_t audit_report_count (const struct audit_report *r, enum audit_severity s);
/* The first finding of a rule, or NULL. */
const struct audit_finding *audit_report_find (const struct audit_report *r, const char *rule);

/* {"findings":[{"severity","rule","path","message","fix"}...],
 *  "summary":{"high":N,"medium":N,"low":N,"info":N}} */
int audit_report_json (const struct audit_report *r, bool pretty, char **out, struct error **err);

#endif
