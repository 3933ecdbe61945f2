/* OCI state (runtime-spec state.md) as runc prints it for `state`, and as the
 * hooks receive it on stdin. */
#ifndef CAPSA_SPEC_STATE_H
#define CAPSA_SPEC_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct spec_state
{
  char *oci_version;
  char *id;
  pid_t pid;        /* 0 when stopped: printed as 0 like runc */
  char *status;     /* creating | created | running | paused | stopped */
  char *bundle;
  char *rootfs;
  char *created;    /* RFC 3339 with nanoseconds, UTC */
  char *owner;      /* "" for root-owned containers */
  struct spec_kv *annotations;
  size_t annotations_len;
};

/* `capsa state` output: pretty JSON with runc's key order; annotations omitted when none. */
int spec_state_to_json (const struct spec_state *s, bool pretty, char **out, struct error **err);
/* The state given to hooks on stdin: compact, keys ociVersion,id,status,pid,bundle,annotations. */
int spec_state_hook_json (const struct spec_state *s, char **out, struct error **err);
struct spec_state *spec_state_parse (const char *data, size_t len, struct error **err);
void spec_state_free (struct spec_state *s);

#endif
