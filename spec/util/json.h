/* spec/'s own small JSON layer: the only place that knows yajl, so it could be
 * swapped for json-c here alone. A read-only tree for parsing and a streaming
 * writer for generating. */
#ifndef CAPSA_JSON_H
#define CAPSA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_value;

enum json_type
{
  JSON_NULL,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT,
};

/* Parse a document; on failure returns NULL with a one-line reason in errbuf. */
struct json_value *json_parse (const char *data, size_t len, char *errbuf, size_t errlen);
void json_free (struct json_value *v);

enum json_type json_type_of (const struct json_value *v);
const char *json_type_name (enum json_type t); /* "string", "object", ... */

/* Objects: lookup by key (NULL when absent), or iterate in file order. */
const struct json_value *json_object_get (const struct json_value *obj, const char *key);
size_t json_object_len (const struct json_value *obj);
const char *json_object_key (const struct json_value *obj, size_t i);
const struct json_value *json_object_value (const struct json_value *obj, size_t i);

size_t json_array_len (const struct json_value *arr);
const struct json_value *json_array_get (const struct json_value *arr, size_t i);

const char *json_string (const struct json_value *v); /* NULL unless a string */
bool json_bool (const struct json_value *v);
/* Numbers: false when not a number or not representable in the target type. */
bool json_int64 (const struct json_value *v, int64_t *out);
bool json_uint64 (const struct json_value *v, uint64_t *out);
bool json_double (const struct json_value *v, double *out);
/* A number's text as written in the document (for messages); NULL otherwise. */
const char *json_number_text (const struct json_value *v);

/* Writer. Errors are sticky and reported by json_writer_finish. */
struct json_writer;
struct json_writer *json_writer_new (bool pretty);
void json_w_begin_object (struct json_writer *w);
void json_w_end_object (struct json_writer *w);
void json_w_begin_array (struct json_writer *w);
void json_w_end_array (struct json_writer *w);
void json_w_key (struct json_writer *w, const char *key);
void json_w_string (struct json_writer *w, const char *s); /* NULL writes null */
void json_w_int (struct json_writer *w, int64_t n);
void json_w_uint (struct json_writer *w, uint64_t n);
void json_w_double (struct json_writer *w, double d);
void json_w_bool (struct json_writer *w, bool b);
void json_w_null (struct json_writer *w);
/* Takes ownership of w. Returns 0 and a malloc'd NUL-terminated buffer, or -1.
 * The text has no trailing newline, pretty or not. */
int json_writer_finish (struct json_writer *w, char **out, size_t *len);
void json_writer_free (struct json_writer *w);

#endif
