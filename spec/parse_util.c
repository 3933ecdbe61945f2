/* Typed, path-tracking getters for the config parsers (see parse_util.h). */
#define _GNU_SOURCE
#include "parse_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
pctx_init (struct pctx *p, const char *name, struct error **err)
{
  p->name = name ? name : "config.json";
  p->err = err;
  p->path[0] = '\0';
  p->len = 0;
}

struct json_value *
pctx_parse_doc (struct pctx *p, const char *name, const char *data, size_t len,
                struct error **err)
{
  char reason[512];
  pctx_init (p, name, err);
  struct json_value *doc = json_parse (data, len, reason, sizeof reason);
  if (doc == NULL)
    error_set (err, 0, "%s: invalid JSON: %s", p->name, reason);
  return doc;
}

static void
pctx_append (struct pctx *p, const char *fmt, ...)
{
  va_list ap;
  if (p->len >= sizeof p->path - 1)
    return;
  va_start (ap, fmt);
  int n = vsnprintf (p->path + p->len, sizeof p->path - p->len, fmt, ap);
  va_end (ap);
  if (n > 0)
    p->len += (size_t) n;
  if (p->len > sizeof p->path - 1)
    p->len = sizeof p->path - 1; /* truncated, still NUL-terminated */
}

size_t
pctx_push_key (struct pctx *p, const char *key)
{
  size_t saved = p->len;
  pctx_append (p, p->len ? ".%s" : "%s", key);
  return saved;
}

/* A key of a map whose keys are data (a device name), not schema: ["eth5"]. */
size_t
pctx_push_map_key (struct pctx *p, const char *key)
{
  size_t saved = p->len;
  pctx_append (p, "[\"%s\"]", key);
  return saved;
}

size_t
pctx_push_index (struct pctx *p, size_t i)
{
  size_t saved = p->len;
  pctx_append (p, "[%zu]", i);
  return saved;
}

void
pctx_pop (struct pctx *p, size_t saved)
{
  p->len = saved;
  p->path[saved] = '\0';
}

static int
pfailv (struct pctx *p, const char *fmt, va_list ap)
{
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  if (p->len)
    error_set (p->err, 0, "%s: %s: %s", p->name, p->path, msg ? msg : "out of memory");
  else
    error_set (p->err, 0, "%s: %s", p->name, msg ? msg : "out of memory");
  free (msg);
  return -1;
}

int
pfail (struct pctx *p, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  pfailv (p, fmt, ap);
  va_end (ap);
  return -1;
}

int
pfail_key (struct pctx *p, const char *key, const char *fmt, ...)
{
  va_list ap;
  size_t saved = pctx_push_key (p, key);
  va_start (ap, fmt);
  pfailv (p, fmt, ap);
  va_end (ap);
  pctx_pop (p, saved);
  return -1;
}

void *
p_calloc (struct pctx *p, size_t n, size_t size)
{
  void *r = calloc (n ? n : 1, size);
  if (r == NULL)
    error_set (p->err, ENOMEM, "%s: %s", p->name, p->len ? p->path : "parse");
  return r;
}

int
pv_expect (struct pctx *p, const struct json_value *v, enum json_type t)
{
  enum json_type got = json_type_of (v);
  if (got != t)
    return pfail (p, "expected %s, got %s", json_type_name (t), json_type_name (got));
  return 0;
}

int
pv_string (struct pctx *p, const struct json_value *v, char **out)
{
  if (pv_expect (p, v, JSON_STRING) < 0)
    return -1;
  char *s = strdup (json_string (v));
  if (s == NULL)
    return error_set (p->err, ENOMEM, "%s: %s", p->name, p->path);
  free (*out);
  *out = s;
  return 0;
}

/* "expected integer, got string" for a wrong type, the value itself when it
 * is a number that is not an integer of the wanted range. */
static int
bad_integer (struct pctx *p, const struct json_value *v, const char *range)
{
  if (json_type_of (v) != JSON_NUMBER)
    return pfail (p, "expected integer, got %s", json_type_name (json_type_of (v)));
  const char *text = json_number_text (v);
  int64_t i = 0;
  uint64_t u = 0;
  if (!json_int64 (v, &i) && !json_uint64 (v, &u)
      && (text == NULL || strpbrk (text, ".eE") != NULL))
    return pfail (p, "expected integer, got %s", text ? text : "number");
  return pfail (p, "value %s out of range (%s)", text ? text : "?", range);
}

int
pv_u64 (struct pctx *p, const struct json_value *v, uint64_t max, uint64_t *out)
{
  uint64_t u = 0;
  if (!json_uint64 (v, &u) || u > max)
    {
      char range[64];
      snprintf (range, sizeof range, "0 to %llu", (unsigned long long) max);
      return bad_integer (p, v, range);
    }
  *out = u;
  return 0;
}

int
pv_i64 (struct pctx *p, const struct json_value *v, int64_t min, int64_t max, int64_t *out)
{
  int64_t i = 0;
  if (!json_int64 (v, &i) || i < min || i > max)
    {
      char range[64];
      snprintf (range, sizeof range, "%lld to %lld", (long long) min, (long long) max);
      return bad_integer (p, v, range);
    }
  *out = i;
  return 0;
}

int
p_child (struct pctx *p, const struct json_value *obj, const char *key, enum json_type t,
         const struct json_value **out)
{
  const struct json_value *v = json_object_get (obj, key);
  if (v == NULL || json_type_of (v) == JSON_NULL)
    return 0;
  if (json_type_of (v) != t)
    return pfail_key (p, key, "expected %s, got %s", json_type_name (t),
                      json_type_name (json_type_of (v)));
  *out = v;
  return 1;
}

int
p_string (struct pctx *p, const struct json_value *obj, const char *key, char **out)
{
  const struct json_value *v = json_object_get (obj, key);
  if (v == NULL || json_type_of (v) == JSON_NULL)
    return 0;
  size_t saved = pctx_push_key (p, key);
  int rc = pv_string (p, v, out);
  pctx_pop (p, saved);
  return rc < 0 ? -1 : 1;
}

int
p_bool (struct pctx *p, const struct json_value *obj, const char *key, bool *out)
{
  const struct json_value *v = NULL;
  int rc = p_child (p, obj, key, JSON_BOOL, &v);
  if (rc > 0)
    *out = json_bool (v);
  return rc;
}

static int
field_u64 (struct pctx *p, const struct json_value *obj, const char *key, uint64_t max,
           uint64_t *out)
{
  const struct json_value *v = json_object_get (obj, key);
  if (v == NULL || json_type_of (v) == JSON_NULL)
    return 0;
  size_t saved = pctx_push_key (p, key);
  int rc = pv_u64 (p, v, max, out);
  pctx_pop (p, saved);
  return rc < 0 ? -1 : 1;
}

static int
field_i64 (struct pctx *p, const struct json_value *obj, const char *key, int64_t min,
           int64_t max, int64_t *out)
{
  const struct json_value *v = json_object_get (obj, key);
  if (v == NULL || json_type_of (v) == JSON_NULL)
    return 0;
  size_t saved = pctx_push_key (p, key);
  int rc = pv_i64 (p, v, min, max, out);
  pctx_pop (p, saved);
  return rc < 0 ? -1 : 1;
}

int
p_u64 (struct pctx *p, const struct json_value *obj, const char *key, uint64_t *out)
{
  return field_u64 (p, obj, key, UINT64_MAX, out);
}

int
p_u32 (struct pctx *p, const struct json_value *obj, const char *key, uint32_t *out)
{
  uint64_t u = 0;
  int rc = field_u64 (p, obj, key, UINT32_MAX, &u);
  if (rc > 0)
    *out = (uint32_t) u;
  return rc;
}

int
p_u16 (struct pctx *p, const struct json_value *obj, const char *key, uint16_t *out)
{
  uint64_t u = 0;
  int rc = field_u64 (p, obj, key, UINT16_MAX, &u);
  if (rc > 0)
    *out = (uint16_t) u;
  return rc;
}

int
p_i64 (struct pctx *p, const struct json_value *obj, const char *key, int64_t *out)
{
  return field_i64 (p, obj, key, INT64_MIN, INT64_MAX, out);
}

int
p_i32 (struct pctx *p, const struct json_value *obj, const char *key, int32_t *out)
{
  int64_t i = 0;
  int rc = field_i64 (p, obj, key, INT32_MIN, INT32_MAX, &i);
  if (rc > 0)
    *out = (int32_t) i;
  return rc;
}

int
p_strv (struct pctx *p, const struct json_value *obj, const char *key, char ***out,
        size_t *len)
{
  const struct json_value *arr = NULL;
  int rc = p_child (p, obj, key, JSON_ARRAY, &arr);
  if (rc <= 0)
    return rc;
  size_t n = json_array_len (arr);
  char **v = p_calloc (p, n + 1, sizeof *v);
  if (v == NULL)
    return -1;
  /* Publish first so a failure half way is freed by the caller's free. */
  spec_strv_free (*out, *len);
  *out = v;
  *len = n;
  size_t saved = pctx_push_key (p, key);
  for (size_t i = 0; i < n; i++)
    {
      size_t s2 = pctx_push_index (p, i);
      if (pv_string (p, json_array_get (arr, i), &v[i]) < 0)
        return -1;
      pctx_pop (p, s2);
    }
  pctx_pop (p, saved);
  return 1;
}

int
p_kv (struct pctx *p, const struct json_value *obj, const char *key, struct spec_kv **out,
      size_t *len)
{
  const struct json_value *map = NULL;
  int rc = p_child (p, obj, key, JSON_OBJECT, &map);
  if (rc <= 0)
    return rc;
  size_t n = json_object_len (map);
  struct spec_kv *kv = p_calloc (p, n, sizeof *kv);
  if (kv == NULL)
    return -1;
  spec_kv_free (*out, *len);
  *out = kv;
  *len = n;
  size_t saved = pctx_push_key (p, key);
  for (size_t i = 0; i < n; i++)
    {
      size_t s2 = pctx_push_key (p, json_object_key (map, i));
      kv[i].key = strdup (json_object_key (map, i));
      if (kv[i].key == NULL)
        return error_set (p->err, ENOMEM, "%s: %s", p->name, p->path);
      if (pv_string (p, json_object_value (map, i), &kv[i].value) < 0)
        return -1;
      pctx_pop (p, s2);
    }
  pctx_pop (p, saved);
  return 1;
}

int
p_required (struct pctx *p, int rc, const char *key)
{
  if (rc == 0)
    return pfail_key (p, key, "missing required field");
  return rc;
}

int
p_id_mappings (struct pctx *p, const struct json_value *obj, const char *key,
               struct spec_id_mapping **out, size_t *len)
{
  const struct json_value *arr = NULL;
  int rc = p_child (p, obj, key, JSON_ARRAY, &arr);
  if (rc <= 0)
    return rc;
  size_t n = json_array_len (arr);
  struct spec_id_mapping *m = p_calloc (p, n, sizeof *m);
  if (m == NULL)
    return -1;
  free (*out);
  *out = m;
  *len = n;
  size_t saved = pctx_push_key (p, key);
  for (size_t i = 0; i < n; i++)
    {
      size_t s2 = pctx_push_index (p, i);
      const struct json_value *e = json_array_get (arr, i);
      P_TRY (pv_expect (p, e, JSON_OBJECT));
      P_TRY (p_required (p, p_u32 (p, e, "containerID", &m[i].container_id), "containerID"));
      P_TRY (p_required (p, p_u32 (p, e, "hostID", &m[i].host_id), "hostID"));
      P_TRY (p_required (p, p_u32 (p, e, "size", &m[i].size), "size"));
      pctx_pop (p, s2);
    }
  pctx_pop (p, saved);
  return 1;
}
