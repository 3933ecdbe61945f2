/* spec/util/json: tree access, exact 64-bit integers, error reasons, writer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/util/json.h"
#include "unit.h"

static struct json_value *
parse (const char *text)
{
  char eb[256];
  return json_parse (text, strlen (text), eb, sizeof eb);
}

static void
test_tree (void)
{
  struct json_value *v = parse ("{\"a\": \"x\", \"b\": [1, true, null, {\"c\": false}], \"a\": \"y\"}");
  CHECK (v != NULL);
  CHECK (json_type_of (v) == JSON_OBJECT);
  CHECK (json_object_len (v) == 3);
  CHECK_STR (json_object_key (v, 0), "a");
  CHECK_STR (json_object_key (v, 1), "b");
  /* duplicate key: last wins */
  CHECK_STR (json_string (json_object_get (v, "a")), "y");
  CHECK (json_object_get (v, "missing") == NULL);
  const struct json_value *b = json_object_get (v, "b");
  CHECK (json_type_of (b) == JSON_ARRAY);
  CHECK (json_array_len (b) == 4);
  CHECK (json_type_of (json_array_get (b, 1)) == JSON_BOOL);
  CHECK (json_bool (json_array_get (b, 1)));
  CHECK (json_type_of (json_array_get (b, 2)) == JSON_NULL);
  CHECK (json_array_get (b, 4) == NULL);
  CHECK (!json_bool (json_object_get (json_array_get (b, 3), "c")));
  CHECK (json_string (b) == NULL);
  CHECK_STR (json_type_name (json_type_of (b)), "array");
  CHECK_STR (json_type_name (JSON_BOOL), "boolean");
  json_free (v);
}

static void
test_numbers (void)
{
  struct json_value *v = parse ("[18446744073709551615, 9223372036854775807, -9223372036854775808,"
                                " 18446744073709551616, -1, 1.5, 1e3, 0, -0]");
  CHECK (v != NULL);
  uint64_t u = 0;
  int64_t i = 0;
  double d = 0;
  CHECK (json_uint64 (json_array_get (v, 0), &u) && u == UINT64_MAX);
  CHECK (!json_int64 (json_array_get (v, 0), &i));
  CHECK (json_int64 (json_array_get (v, 1), &i) && i == INT64_MAX);
  CHECK (json_uint64 (json_array_get (v, 1), &u) && u == (uint64_t) INT64_MAX);
  CHECK (json_int64 (json_array_get (v, 2), &i) && i == INT64_MIN);
  CHECK (!json_uint64 (json_array_get (v, 2), &u));
  CHECK (!json_uint64 (json_array_get (v, 3), &u)); /* 2^64 overflows */
  CHECK (!json_uint64 (json_array_get (v, 4), &u)); /* negative */
  CHECK (json_int64 (json_array_get (v, 4), &i) && i == -1);
  CHECK (!json_int64 (json_array_get (v, 5), &i)); /* fraction */
  CHECK (json_double (json_array_get (v, 5), &d) && d == 1.5);
  CHECK (!json_int64 (json_array_get (v, 6), &i)); /* exponent */
  CHECK (json_double (json_array_get (v, 6), &d) && d == 1000.0);
  CHECK (json_uint64 (json_array_get (v, 7), &u) && u == 0);
  CHECK (json_int64 (json_array_get (v, 8), &i) && i == 0);
  CHECK (!json_int64 (NULL, &i));
  json_free (v);
}

static void
test_errors (void)
{
  char eb[256];
  CHECK (json_parse ("{\"a\": }", 7, eb, sizeof eb) == NULL);
  CHECK (eb[0] != '\0' && strchr (eb, '\n') == NULL);
  CHECK (json_parse ("", 0, eb, sizeof eb) == NULL);
  CHECK (eb[0] != '\0');
  CHECK (json_parse ("{} x", 4, eb, sizeof eb) == NULL);
  CHECK_CONTAINS (eb, "trailing garbage");
  /* Length is honoured: the text after len is not parsed. */
  struct json_value *v = json_parse ("[1]garbage", 3, eb, sizeof eb);
  CHECK (v != NULL);
  json_free (v);
  /* Deep nesting is refused while parsing, so no later recursive walk can
   * overflow the stack. */
  size_t n = 100000;
  char *deep = malloc (n);
  memset (deep, '[', n);
  CHECK (json_parse (deep, n, eb, sizeof eb) == NULL);
  CHECK_CONTAINS (eb, "nesting deeper");
  free (deep);
  /* Brackets inside strings do not count as nesting. */
  char *str = malloc (n + 3);
  str[0] = '"';
  memset (str + 1, '[', n);
  str[n + 1] = '"';
  str[n + 2] = '\0';
  v = json_parse (str, n + 2, eb, sizeof eb);
  CHECK (v != NULL && json_type_of (v) == JSON_STRING && strlen (json_string (v)) == n);
  json_free (v);
  free (str);
}

static char *
nested (size_t depth)
{
  char *t = malloc (2 * depth + 1);
  memset (t, '[', depth);
  memset (t + depth, ']', depth);
  t[2 * depth] = '\0';
  return t;
}

static void
test_limits (void)
{
  char eb[256];
  /* 512 levels are fine, 513 are not. */
  char *t = nested (512);
  struct json_value *v = parse (t);
  CHECK (v != NULL && json_array_len (v) == 1);
  json_free (v);
  free (t);
  t = nested (513);
  CHECK (json_parse (t, strlen (t), eb, sizeof eb) == NULL);
  CHECK_STR (eb, "nesting deeper than 512 levels");
  free (t);

  CHECK (json_parse ("[1,\0]", 5, eb, sizeof eb) == NULL);
  CHECK_STR (eb, "NUL byte in JSON text");
  CHECK (parse ("[1,2") == NULL);
  CHECK (json_parse ("[1,2", 4, eb, sizeof eb) == NULL);
  CHECK_STR (eb, "parse error: premature EOF");
  CHECK (json_parse ("[1,x]", 5, eb, sizeof eb) == NULL);
  CHECK_STR (eb, "lexical error: invalid char in json text.");
  /* A tiny errbuf is truncated, never overrun. */
  char small[6] = "XXXXX";
  CHECK (json_parse ("[", 1, small, 4) == NULL);
  CHECK_STR (small, "par");

  /* Comments are accepted, as yajl_tree did. */
  v = parse ("/* c */ {\"a\": [1, // x\n 2]}");
  CHECK (v != NULL && json_array_len (json_object_get (v, "a")) == 2);
  json_free (v);

  /* Top-level scalars, escapes; an escaped \u0000 in a string or key is refused:
   * the C string would end there and mean something else. */
  v = parse (" 42 ");
  int64_t i = 0;
  CHECK (v && json_type_of (v) == JSON_NUMBER && json_int64 (v, &i) && i == 42);
  CHECK_STR (json_number_text (v), "42");
  json_free (v);
  CHECK (json_parse ("[\"x\\u0000y\"]", 12, eb, sizeof eb) == NULL);
  CHECK_STR (eb, "NUL byte (\\u0000) in a JSON string");
  CHECK (json_parse ("{\"k\\u0000\": 1}", 14, eb, sizeof eb) == NULL);
  CHECK_STR (eb, "NUL byte (\\u0000) in a JSON string");
  v = parse ("[\"a\\u00e9\\n\", \"x\\u0001y\", {}, []]");
  CHECK (v != NULL);
  CHECK_STR (json_string (json_array_get (v, 0)), "a\xc3\xa9\n");
  CHECK_STR (json_string (json_array_get (v, 1)), "x\001y");
  CHECK (json_type_of (json_array_get (v, 2)) == JSON_OBJECT && json_object_len (json_array_get (v, 2)) == 0);
  CHECK (json_object_key (json_array_get (v, 2), 0) == NULL);
  CHECK (json_type_of (json_array_get (v, 3)) == JSON_ARRAY && json_array_len (json_array_get (v, 3)) == 0);
  json_free (v);

  /* Containers larger than the builder's first stack and the arena's first
   * block: 20000 objects with a key each, nested in arrays. */
  size_t n = 20000;
  char *big = malloc (n * 24 + 16);
  size_t len = 0;
  big[len++] = '[';
  for (size_t k = 0; k < n; k++)
    len += (size_t) sprintf (big + len, "%s{\"k%zu\": [%zu, \"s\"]}", k ? "," : "", k, k);
  big[len++] = ']';
  v = json_parse (big, len, eb, sizeof eb);
  CHECK (v != NULL && json_array_len (v) == n);
  bool all = v != NULL;
  for (size_t k = 0; all && k < n; k++)
    {
      char key[32];
      uint64_t u = 0;
      snprintf (key, sizeof key, "k%zu", k);
      const struct json_value *o = json_array_get (v, k);
      all = json_object_len (o) == 1 && strcmp (json_object_key (o, 0), key) == 0
            && json_uint64 (json_array_get (json_object_get (o, key), 0), &u) && u == k
            && strcmp (json_string (json_array_get (json_object_value (o, 0), 1)), "s") == 0;
    }
  CHECK (all);
  json_free (v);
  free (big);
  json_free (NULL);
}

static void
test_writer (void)
{
  struct json_writer *w = json_writer_new (true);
  json_w_begin_object (w);
  json_w_key (w, "s");
  json_w_string (w, "a\"b/c\n");
  json_w_key (w, "u");
  json_w_uint (w, UINT64_MAX);
  json_w_key (w, "i");
  json_w_int (w, INT64_MIN);
  json_w_key (w, "b");
  json_w_bool (w, true);
  json_w_key (w, "n");
  json_w_string (w, NULL);
  json_w_key (w, "a");
  json_w_begin_array (w);
  json_w_int (w, 1);
  json_w_null (w);
  json_w_end_array (w);
  json_w_end_object (w);
  char *out = NULL;
  size_t len = 0;
  CHECK (json_writer_finish (w, &out, &len) == 0);
  CHECK_STR (out, "{\n"
                  "  \"s\": \"a\\\"b/c\\n\",\n"
                  "  \"u\": 18446744073709551615,\n"
                  "  \"i\": -9223372036854775808,\n"
                  "  \"b\": true,\n"
                  "  \"n\": null,\n"
                  "  \"a\": [\n"
                  "    1,\n"
                  "    null\n"
                  "  ]\n"
                  "}");
  CHECK (out && len == strlen (out));

  /* Round trip through the parser keeps the 64-bit extremes exactly. */
  char eb[128];
  struct json_value *v = json_parse (out, len, eb, sizeof eb);
  uint64_t u = 0;
  int64_t i = 0;
  CHECK (v && json_uint64 (json_object_get (v, "u"), &u) && u == UINT64_MAX);
  CHECK (v && json_int64 (json_object_get (v, "i"), &i) && i == INT64_MIN);
  CHECK_STR (json_string (json_object_get (v, "s")), "a\"b/c\n");
  json_free (v);
  free (out);

  w = json_writer_new (false);
  json_w_begin_object (w);
  json_w_key (w, "k");
  json_w_double (w, 0.5);
  json_w_end_object (w);
  CHECK (json_writer_finish (w, &out, NULL) == 0);
  CHECK_STR (out, "{\"k\":0.5}");
  free (out);

  /* Misuse is sticky and reported at finish: a value where a key belongs. */
  w = json_writer_new (false);
  json_w_begin_object (w);
  json_w_int (w, 1);
  json_w_end_object (w);
  out = NULL;
  CHECK (json_writer_finish (w, &out, NULL) == -1);
  CHECK (out == NULL);
}

int
main (void)
{
  test_tree ();
  test_numbers ();
  test_errors ();
  test_limits ();
  test_writer ();
  return unit_finish ("test_json");
}
