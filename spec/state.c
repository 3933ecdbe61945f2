/* OCI state JSON: `capsa state` output (runc's key order) and the state that
 * hooks read on stdin, plus the reverse for round trips. */
#define _GNU_SOURCE
#include "state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse_util.h"

static void
write_annotations (struct json_writer *w, const struct spec_state *s)
{
  if (s->annotations_len == 0)
    return;
  json_w_key (w, "annotations");
  json_w_begin_object (w);
  for (size_t i = 0; i < s->annotations_len; i++)
    {
      json_w_key (w, s->annotations[i].key);
      json_w_string (w, s->annotations[i].value ? s->annotations[i].value : "");
    }
  json_w_end_object (w);
}

static int
finish (struct json_writer *w, char **out, struct error **err)
{
  if (json_writer_finish (w, out, NULL) < 0)
    return error_set (err, ENOMEM, "generate state JSON");
  return 0;
}

/* Go prints a nil string as ""; so do we, rather than null. */
static const char *
str (const char *s)
{
  return s ? s : "";
}

int
spec_state_to_json (const struct spec_state *s, bool pretty, char **out, struct error **err)
{
  struct json_writer *w = json_writer_new (pretty);
  json_w_begin_object (w);
  json_w_key (w, "ociVersion");
  json_w_string (w, str (s->oci_version));
  json_w_key (w, "id");
  json_w_string (w, str (s->id));
  json_w_key (w, "pid");
  json_w_int (w, s->pid);
  json_w_key (w, "status");
  json_w_string (w, str (s->status));
  json_w_key (w, "bundle");
  json_w_string (w, str (s->bundle));
  json_w_key (w, "rootfs");
  json_w_string (w, str (s->rootfs));
  json_w_key (w, "created");
  json_w_string (w, str (s->created));
  /* runc's order: annotations (omitted when empty) come before owner. */
  write_annotations (w, s);
  json_w_key (w, "owner");
  json_w_string (w, str (s->owner));
  json_w_end_object (w);
  return finish (w, out, err);
}

int
spec_state_hook_json (const struct spec_state *s, char **out, struct error **err)
{
  struct json_writer *w = json_writer_new (false);
  json_w_begin_object (w);
  json_w_key (w, "ociVersion");
  json_w_string (w, str (s->oci_version));
  json_w_key (w, "id");
  json_w_string (w, str (s->id));
  json_w_key (w, "status");
  json_w_string (w, str (s->status));
  /* The spec: pid is REQUIRED while the container process exists only. */
  if (s->pid > 0)
    {
      json_w_key (w, "pid");
      json_w_int (w, s->pid);
    }
  json_w_key (w, "bundle");
  json_w_string (w, str (s->bundle));
  write_annotations (w, s);
  json_w_end_object (w);
  return finish (w, out, err);
}

static int
parse_state (struct pctx *p, const struct json_value *doc, struct spec_state *s)
{
  int64_t pid = 0;
  P_TRY (pv_expect (p, doc, JSON_OBJECT));
  P_TRY (p_required (p, p_string (p, doc, "ociVersion", &s->oci_version), "ociVersion"));
  P_TRY (p_required (p, p_string (p, doc, "id", &s->id), "id"));
  P_TRY (p_required (p, p_string (p, doc, "status", &s->status), "status"));
  int rc = p_i64 (p, doc, "pid", &pid);
  if (rc < 0)
    return -1;
  if (pid < 0 || pid > INT32_MAX)
    return pfail_key (p, "pid", "out of range: %lld", (long long) pid);
  s->pid = (pid_t) pid;
  P_TRY (p_string (p, doc, "bundle", &s->bundle));
  P_TRY (p_string (p, doc, "rootfs", &s->rootfs));
  P_TRY (p_string (p, doc, "created", &s->created));
  P_TRY (p_string (p, doc, "owner", &s->owner));
  P_TRY (p_kv (p, doc, "annotations", &s->annotations, &s->annotations_len));
  return 0;
}

struct spec_state *
spec_state_parse (const char *data, size_t len, struct error **err)
{
  struct pctx p;
  struct json_value *doc = pctx_parse_doc (&p, "state.json", data, len, err);
  if (doc == NULL)
    return NULL;
  struct spec_state *s = calloc (1, sizeof *s);
  int rc = -1;
  if (s == NULL)
    error_set (err, ENOMEM, "%s: parse", p.name);
  else
    rc = parse_state (&p, doc, s);
  json_free (doc);
  if (rc < 0)
    {
      spec_state_free (s);
      return NULL;
    }
  return s;
}

void
spec_state_free (struct spec_state *s)
{
  if (s == NULL)
    return;
  free (s->oci_version);
  free (s->id);
  free (s->status);
  free (s->bundle);
  free (s->rootfs);
  free (s->created);
  free (s->owner);
  spec_kv_free (s->annotations, s->annotations_len);
  free (s);
}
