/* `capsa check`: what this host offers containers. Each probe is read-only or
 * runs in a short-lived child (namespace creation), except the cgroup v1
 * attach timing, which creates and removes one empty cgroup of its own. */
#ifndef CAPSA_HOSTCHECK_H
#define CAPSA_HOSTCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "spec/audit.h"
#include "spec/util/error.h"

enum host_status
{
  HOST_OK,        /* present and usable */
  HOST_LIMITED,   /* present with a restriction, or a cost */
  HOST_MISSING,   /* not available */
  HOST_INFO,      /* a fact, neither good nor bad */
};

struct host_item
{
  char *name;      /* "namespace.user", "cgroup.layout", ... */
  enum host_status status;
  char *value;     /* what was found, e.g. "hybrid" or "6.18.4" */
  char *meaning;   /* what it means for containers */
  char *fix;       /* how to improve it; NULL when nothing to do */
  bool required;   /* capsa needs it for a default container */
};

struct host_report
{
  struct host_item *items;
  size_t len;
};

struct host_check_options
{
  /* Time a cgroup v1 attach (creates/removes a temporary cgroup). */
  bool measure;
};

int host_check_run (const struct host_check_options *o, struct host_report **out,
                    struct error **err);
void host_report_free (struct host_report *r);
const struct host_item *host_report_get (const struct host_report *r, const char *name);
const char *host_status_name (enum host_status s); /* "ok", "limited", "missing", "info" */
/* true when no required item is missing. */
bool host_report_ready (const struct host_report *r);

/* The facts `capsa audit` needs about this host (LSMs active). */
void host_audit_facts (struct audit_host *out);

#endif
