/* spec/'s JSON layer over yajl: yajl_tree for reading, yajl_gen for writing.
 * The rest of capsa sees only json.h. */
#define _GNU_SOURCE
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* A json_value is a yajl_val; the cast keeps yajl out of the header. */
#define YV(v) ((yajl_val) (v))
#define JV(v) ((const struct json_value *) (v))

/* yajl_tree_free recurses once per nesting level, so a hostile document of a
 * million '[' would overflow the stack when freed. Real configs nest < 10. */
#define JSON_MAX_DEPTH 512

static bool
nesting_too_deep (const char *data, size_t len)
{
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < len; i++)
    {
      char c = data[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = false;
          continue;
        }
      if (c == '"')
        in_string = true;
      else if (c == '[' || c == '{')
        {
          if (++depth > JSON_MAX_DEPTH)
            return true;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return false;
}

struct json_value *
json_parse (const char *data, size_t len, char *errbuf, size_t errlen)
{
  char reason[1024] = "";
  if (errlen > 0)
    errbuf[0] = '\0';
  if (nesting_too_deep (data, len))
    {
      snprintf (errbuf, errlen, "nesting deeper than %d levels", JSON_MAX_DEPTH);
      return NULL;
    }
  /* yajl_tree_parse wants a NUL-terminated string. */
  char *copy = malloc (len + 1);
  if (copy == NULL)
    {
      snprintf (errbuf, errlen, "out of memory");
      return NULL;
    }
  memcpy (copy, data, len);
  copy[len] = '\0';
  if (memchr (data, '\0', len) != NULL)
    {
      free (copy);
      snprintf (errbuf, errlen, "NUL byte in JSON text");
      return NULL;
    }
  yajl_val v = yajl_tree_parse (copy, reason, sizeof reason);
  free (copy);
  if (v == NULL)
    {
      /* yajl's reason spans lines (a caret under the bad text): keep the first. */
      char *nl = strchr (reason, '\n');
      if (nl)
        *nl = '\0';
      snprintf (errbuf, errlen, "%s", reason[0] ? reason : "parse error");
      return NULL;
    }
  return (struct json_value *) v;
}

void
json_free (struct json_value *v)
{
  if (v)
    yajl_tree_free (YV (v));
}

enum json_type
json_type_of (const struct json_value *v)
{
  if (v == NULL)
    return JSON_NULL;
  switch (YV (v)->type)
    {
    case yajl_t_string:
      return JSON_STRING;
    case yajl_t_number:
      return JSON_NUMBER;
    case yajl_t_object:
      return JSON_OBJECT;
    case yajl_t_array:
      return JSON_ARRAY;
    case yajl_t_true:
    case yajl_t_false:
      return JSON_BOOL;
    default:
      return JSON_NULL;
    }
}

const char *
json_type_name (enum json_type t)
{
  switch (t)
    {
    case JSON_NULL:
      return "null";
    case JSON_BOOL:
      return "boolean";
    case JSON_NUMBER:
      return "number";
    case JSON_STRING:
      return "string";
    case JSON_ARRAY:
      return "array";
    case JSON_OBJECT:
      return "object";
    }
  return "unknown";
}

const struct json_value *
json_object_get (const struct json_value *obj, const char *key)
{
  if (json_type_of (obj) != JSON_OBJECT)
    return NULL;
  const yajl_val o = YV (obj);
  /* A repeated key: the last one wins, as with Go's encoding/json (runc). */
  for (size_t i = o->u.object.len; i > 0; i--)
    if (strcmp (o->u.object.keys[i - 1], key) == 0)
      return JV (o->u.object.values[i - 1]);
  return NULL;
}

size_t
json_object_len (const struct json_value *obj)
{
  return json_type_of (obj) == JSON_OBJECT ? YV (obj)->u.object.len : 0;
}

const char *
json_object_key (const struct json_value *obj, size_t i)
{
  if (i >= json_object_len (obj))
    return NULL;
  return YV (obj)->u.object.keys[i];
}

const struct json_value *
json_object_value (const struct json_value *obj, size_t i)
{
  if (i >= json_object_len (obj))
    return NULL;
  return JV (YV (obj)->u.object.values[i]);
}

size_t
json_array_len (const struct json_value *arr)
{
  return json_type_of (arr) == JSON_ARRAY ? YV (arr)->u.array.len : 0;
}

const struct json_value *
json_array_get (const struct json_value *arr, size_t i)
{
  if (i >= json_array_len (arr))
    return NULL;
  return JV (YV (arr)->u.array.values[i]);
}

const char *
json_string (const struct json_value *v)
{
  return json_type_of (v) == JSON_STRING ? YV (v)->u.string : NULL;
}

bool
json_bool (const struct json_value *v)
{
  return v != NULL && YV (v)->type == yajl_t_true;
}

/* yajl keeps every number's source text; parse integers from it ourselves so
 * that uint64 values above INT64_MAX survive, and "1.0"/"1e3" are refused as
 * integers (as Go's encoding/json does). */
static const char *
integer_text (const struct json_value *v)
{
  if (json_type_of (v) != JSON_NUMBER)
    return NULL;
  const char *r = YV (v)->u.number.r;
  if (r == NULL)
    return NULL;
  const char *p = r + (*r == '-');
  if (*p == '\0')
    return NULL;
  for (; *p; p++)
    if (*p < '0' || *p > '9')
      return NULL;
  return r;
}

bool
json_int64 (const struct json_value *v, int64_t *out)
{
  const char *r = integer_text (v);
  if (r == NULL)
    return false;
  errno = 0;
  char *end;
  long long n = strtoll (r, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *out = n;
  return true;
}

bool
json_uint64 (const struct json_value *v, uint64_t *out)
{
  const char *r = integer_text (v);
  if (r == NULL || r[0] == '-')
    return false;
  errno = 0;
  char *end;
  unsigned long long n = strtoull (r, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *out = n;
  return true;
}

bool
json_double (const struct json_value *v, double *out)
{
  if (json_type_of (v) != JSON_NUMBER || YV (v)->u.number.r == NULL)
    return false;
  errno = 0;
  char *end;
  double d = strtod (YV (v)->u.number.r, &end);
  if (errno != 0 || *end != '\0')
    return false;
  *out = d;
  return true;
}

/* ---- writer ---- */

struct json_writer
{
  yajl_gen g;
  yajl_gen_status status; /* first failure, sticky */
};

struct json_writer *
json_writer_new (bool pretty)
{
  struct json_writer *w = calloc (1, sizeof *w);
  if (w == NULL)
    return NULL;
  w->g = yajl_gen_alloc (NULL);
  if (w->g == NULL)
    {
      free (w);
      return NULL;
    }
  if (pretty)
    {
      yajl_gen_config (w->g, yajl_gen_beautify, 1);
      yajl_gen_config (w->g, yajl_gen_indent_string, "  ");
    }
  w->status = yajl_gen_status_ok;
  return w;
}

static void
track (struct json_writer *w, yajl_gen_status st)
{
  if (w->status == yajl_gen_status_ok && st != yajl_gen_status_ok)
    w->status = st;
}

/* Every call is a no-op on a NULL writer (allocation failed) so callers can
 * check once, at json_writer_finish. */
#define W_GUARD(w)                                                              \
  do {                                                                          \
    if ((w) == NULL || (w)->status != yajl_gen_status_ok)                       \
      return;                                                                   \
  } while (0)

void
json_w_begin_object (struct json_writer *w)
{
  W_GUARD (w);
  track (w, yajl_gen_map_open (w->g));
}

void
json_w_end_object (struct json_writer *w)
{
  W_GUARD (w);
  track (w, yajl_gen_map_close (w->g));
}

void
json_w_begin_array (struct json_writer *w)
{
  W_GUARD (w);
  track (w, yajl_gen_array_open (w->g));
}

void
json_w_end_array (struct json_writer *w)
{
  W_GUARD (w);
  track (w, yajl_gen_array_close (w->g));
}

void
json_w_key (struct json_writer *w, const char *key)
{
  W_GUARD (w);
  track (w, yajl_gen_string (w->g, (const unsigned char *) key, strlen (key)));
}

void
json_w_string (struct json_writer *w, const char *s)
{
  W_GUARD (w);
  if (s == NULL)
    track (w, yajl_gen_null (w->g));
  else
    track (w, yajl_gen_string (w->g, (const unsigned char *) s, strlen (s)));
}

void
json_w_int (struct json_writer *w, int64_t n)
{
  W_GUARD (w);
  track (w, yajl_gen_integer (w->g, (long long) n));
}

void
json_w_uint (struct json_writer *w, uint64_t n)
{
  W_GUARD (w);
  /* yajl_gen_integer takes a long long: print the digits ourselves. */
  char buf[32];
  int len = snprintf (buf, sizeof buf, "%llu", (unsigned long long) n);
  track (w, yajl_gen_number (w->g, buf, (size_t) len));
}

void
json_w_double (struct json_writer *w, double d)
{
  W_GUARD (w);
  track (w, yajl_gen_double (w->g, d));
}

void
json_w_bool (struct json_writer *w, bool b)
{
  W_GUARD (w);
  track (w, yajl_gen_bool (w->g, b));
}

void
json_w_null (struct json_writer *w)
{
  W_GUARD (w);
  track (w, yajl_gen_null (w->g));
}

int
json_writer_finish (struct json_writer *w, char **out, size_t *len)
{
  const unsigned char *buf;
  size_t blen;
  int ret = -1;
  if (w == NULL)
    return -1;
  if (w->status == yajl_gen_status_ok
      && yajl_gen_get_buf (w->g, &buf, &blen) == yajl_gen_status_ok)
    {
      /* yajl ends a pretty document with a newline; compact ones without.
       * Drop it so both forms look alike and the caller decides. */
      while (blen > 0 && buf[blen - 1] == '\n')
        blen--;
      char *copy = malloc (blen + 1);
      if (copy != NULL)
        {
          memcpy (copy, buf, blen);
          copy[blen] = '\0';
          *out = copy;
          if (len)
            *len = blen;
          ret = 0;
        }
    }
  json_writer_free (w);
  return ret;
}

void
json_writer_free (struct json_writer *w)
{
  if (w == NULL)
    return;
  yajl_gen_free (w->g);
  free (w);
}

const char *
json_number_text (const struct json_value *v)
{
  return json_type_of (v) == JSON_NUMBER ? YV (v)->u.number.r : NULL;
}
