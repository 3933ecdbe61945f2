/* spec/'s JSON layer over yajl: yajl's callback parser builds our own arena
 * tree for reading, yajl_gen writes. The rest of capsa sees only json.h. */
#define _GNU_SOURCE
#include "json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

/* The tree lives in an arena: a few big blocks freed at once by json_free.
 * Containers are contiguous arrays, copied into the arena when they close;
 * strings, keys and numbers' source text are copied in, NUL-terminated. */
struct json_member;

struct json_value
{
  uint32_t type; /* enum json_type */
  uint32_t len;  /* elements of an array/object; 1 for true */
  union
  {
    const char *text; /* string, or a number as written */
    struct json_value *items;
    struct json_member *members;
  } u;
};

struct json_member
{
  const char *key;
  struct json_value value;
};

struct arena_block
{
  struct arena_block *next;
  char *data; /* right after this header */
  size_t used, cap;
};

/* What json_parse returns points at root; json_free finds the rest from it. */
struct json_doc
{
  struct arena_block *extra; /* blocks after the first, newest first */
  struct arena_block *cur;
  struct json_value root;
  struct arena_block first; /* its data follows this struct */
};

/* Nesting is bounded so that the recursive walks of the config parsers over
 * a hostile document (a million '[') cannot overflow the stack. Real configs
 * nest < 10. */
#define JSON_MAX_DEPTH 512
#define JSON_XSTR(x) #x
#define JSON_STR(x) JSON_XSTR (x)

static void *
arena_alloc (struct json_doc *doc, size_t size, size_t align)
{
  struct arena_block *b = doc->cur;
  size_t at = (b->used + align - 1) & ~(align - 1);
  if (at > b->cap || b->cap - at < size)
    {
      /* Grow geometrically; a block always fits the request. */
      size_t cap = b->cap * 2;
      if (cap < size + align)
        cap = size + align;
      b = malloc (sizeof *b + cap);
      if (b == NULL)
        return NULL;
      b->data = (char *) (b + 1);
      b->used = 0;
      b->cap = cap;
      b->next = doc->extra;
      doc->extra = b;
      doc->cur = b;
      at = ((uintptr_t) b->data % align) ? align - (uintptr_t) b->data % align : 0;
    }
  b->used = at + size;
  return b->data + at;
}

static char *
arena_strndup (struct json_doc *doc, const unsigned char *s, size_t len)
{
  char *p = arena_alloc (doc, len + 1, 1);
  if (p != NULL)
    {
      memcpy (p, s, len);
      p[len] = '\0';
    }
  return p;
}

/* One open array or object: where its children start on the member stack. */
struct frame
{
  uint32_t start;
  uint32_t type;
};

/* yajl's own handle, lexer, state stack and escape-decoding buffer: a
 * handful of small blocks per parse, bump-allocated on the stack instead of
 * malloc'd. Each block is preceded by its size (for realloc); whatever does
 * not fit goes to malloc. */
struct yajl_pool
{
  size_t used;
  _Alignas (16) char buf[4096];
};

#define POOL_HDR 16

static bool
in_pool (struct yajl_pool *p, void *ptr)
{
  return (char *) ptr >= p->buf && (char *) ptr < p->buf + sizeof p->buf;
}

static void *
pool_malloc (void *ctx, size_t size)
{
  struct yajl_pool *p = ctx;
  size_t need = POOL_HDR + ((size + 15) & ~(size_t) 15);
  if (size > sizeof p->buf || need > sizeof p->buf - p->used)
    return malloc (size);
  char *blk = p->buf + p->used;
  p->used += need;
  memcpy (blk, &size, sizeof size);
  return blk + POOL_HDR;
}

static void
pool_free (void *ctx, void *ptr)
{
  struct yajl_pool *p = ctx;
  if (!in_pool (p, ptr))
    free (ptr);
  /* Pool blocks go away with the pool. */
}

static void *
pool_realloc (void *ctx, void *ptr, size_t size)
{
  struct yajl_pool *p = ctx;
  if (ptr == NULL)
    return pool_malloc (ctx, size);
  if (!in_pool (p, ptr))
    return realloc (ptr, size);
  size_t old;
  memcpy (&old, (char *) ptr - POOL_HDR, sizeof old);
  if (size <= old)
    return ptr;
  void *n = pool_malloc (ctx, size);
  if (n != NULL)
    memcpy (n, ptr, old);
  return n;
}

struct builder
{
  struct json_doc *doc;
  /* Children of the open containers, innermost last. Arrays leave key NULL;
   * an object's key is pushed before its value arrives. */
  struct json_member *stack;
  size_t used, cap;
  struct json_member inline_stack[64];
  struct frame frames[JSON_MAX_DEPTH];
  size_t depth;
  bool have_root;
  const char *error; /* our own reason for aborting, if any */
};

static struct json_member *
push_member (struct builder *b)
{
  if (b->used == b->cap)
    {
      size_t cap = b->cap * 2;
      struct json_member *s;
      if (b->stack == b->inline_stack)
        {
          s = malloc (cap * sizeof *s);
          if (s != NULL)
            memcpy (s, b->stack, b->used * sizeof *s);
        }
      else
        s = realloc (b->stack, cap * sizeof *s);
      if (s == NULL)
        {
          b->error = "out of memory";
          return NULL;
        }
      b->stack = s;
      b->cap = cap;
    }
  return &b->stack[b->used++];
}

/* Place a finished value: as the root, the next array element, or the
 * value of the key the object pushed last. */
static int
add_value (struct builder *b, struct json_value v)
{
  if (b->depth == 0)
    {
      b->doc->root = v;
      b->have_root = true;
      return 1;
    }
  if (b->frames[b->depth - 1].type == JSON_OBJECT)
    {
      b->stack[b->used - 1].value = v;
      return 1;
    }
  struct json_member *m = push_member (b);
  if (m == NULL)
    return 0;
  m->key = NULL;
  m->value = v;
  return 1;
}

static int
on_null (void *ctx)
{
  return add_value (ctx, (struct json_value) { .type = JSON_NULL });
}

static int
on_boolean (void *ctx, int b)
{
  return add_value (ctx, (struct json_value) { .type = JSON_BOOL, .len = b != 0 });
}

static int
on_number (void *ctx, const char *s, size_t len)
{
  struct builder *b = ctx;
  const char *text = arena_strndup (b->doc, (const unsigned char *) s, len);
  if (text == NULL)
    {
      b->error = "out of memory";
      return 0;
    }
  return add_value (b, (struct json_value) { .type = JSON_NUMBER, .u.text = text });
}

/* "\u0000" is valid JSON but would cut our C string short, turning e.g.
 * "CAP_SYS_ADMIN\u0000x" (unknown to any runtime) into CAP_SYS_ADMIN. */
static bool
holds_nul (struct builder *b, const unsigned char *s, size_t len)
{
  if (memchr (s, '\0', len) == NULL)
    return false;
  b->error = "NUL byte (\\u0000) in a JSON string";
  return true;
}

static int
on_string (void *ctx, const unsigned char *s, size_t len)
{
  struct builder *b = ctx;
  if (holds_nul (b, s, len))
    return 0;
  const char *text = arena_strndup (b->doc, s, len);
  if (text == NULL)
    {
      b->error = "out of memory";
      return 0;
    }
  return add_value (b, (struct json_value) { .type = JSON_STRING, .u.text = text });
}

static int
on_map_key (void *ctx, const unsigned char *s, size_t len)
{
  struct builder *b = ctx;
  if (holds_nul (b, s, len))
    return 0;
  const char *key = arena_strndup (b->doc, s, len);
  struct json_member *m = key ? push_member (b) : NULL;
  if (m == NULL)
    {
      b->error = "out of memory";
      return 0;
    }
  m->key = key;
  m->value = (struct json_value) { .type = JSON_NULL };
  return 1;
}

static int
open_container (struct builder *b, enum json_type type)
{
  if (b->depth >= JSON_MAX_DEPTH)
    {
      b->error = "nesting deeper than " JSON_STR (JSON_MAX_DEPTH) " levels";
      return 0;
    }
  b->frames[b->depth++] = (struct frame) { .start = (uint32_t) b->used, .type = type };
  return 1;
}

/* Copy the closing container's children from the stack into the arena. */
static int
close_container (struct builder *b)
{
  struct frame f = b->frames[--b->depth];
  size_t n = b->used - f.start;
  struct json_member *kids = b->stack + f.start;
  struct json_value v = { .type = f.type, .len = (uint32_t) n };
  if (n > UINT32_MAX)
    {
      b->error = "too many elements in one array or object";
      return 0;
    }
  if (n > 0 && f.type == JSON_OBJECT)
    {
      v.u.members = arena_alloc (b->doc, n * sizeof *kids, _Alignof (struct json_member));
      if (v.u.members != NULL)
        memcpy (v.u.members, kids, n * sizeof *kids);
    }
  else if (n > 0)
    {
      v.u.items = arena_alloc (b->doc, n * sizeof *v.u.items, _Alignof (struct json_value));
      if (v.u.items != NULL)
        for (size_t i = 0; i < n; i++)
          v.u.items[i] = kids[i].value;
    }
  if (n > 0 && v.u.items == NULL)
    {
      b->error = "out of memory";
      return 0;
    }
  b->used = f.start;
  return add_value (b, v);
}

static int
on_start_map (void *ctx)
{
  return open_container (ctx, JSON_OBJECT);
}

static int
on_start_array (void *ctx)
{
  return open_container (ctx, JSON_ARRAY);
}

static int
on_end (void *ctx)
{
  return close_container (ctx);
}

static const yajl_callbacks builder_callbacks = {
  .yajl_null = on_null,
  .yajl_boolean = on_boolean,
  .yajl_number = on_number, /* keep the text: exact 64-bit integers */
  .yajl_string = on_string,
  .yajl_start_map = on_start_map,
  .yajl_map_key = on_map_key,
  .yajl_end_map = on_end,
  .yajl_start_array = on_start_array,
  .yajl_end_array = on_end,
};

static void
doc_free (struct json_doc *doc)
{
  struct arena_block *b = doc->extra;
  while (b)
    {
      struct arena_block *next = b->next;
      free (b);
      b = next;
    }
  free (doc);
}

struct json_value *
json_parse (const char *data, size_t len, char *errbuf, size_t errlen)
{
  if (errlen > 0)
    errbuf[0] = '\0';
  if (memchr (data, '\0', len) != NULL)
    {
      snprintf (errbuf, errlen, "NUL byte in JSON text");
      return NULL;
    }
  /* A first block sized from the text holds a typical document whole (a
   * config.json's tree takes 1.3-1.9x its text); more blocks if not. */
  size_t cap = 2 * len + 256;
  struct json_doc *doc = malloc (sizeof *doc + cap);
  if (doc == NULL)
    {
      snprintf (errbuf, errlen, "out of memory");
      return NULL;
    }
  doc->extra = NULL;
  doc->cur = &doc->first;
  doc->first.next = NULL;
  doc->first.data = (char *) (doc + 1);
  doc->first.used = 0;
  doc->first.cap = cap;

  struct builder bld, *b = &bld; /* ~10 KiB of stack, no malloc */
  struct yajl_pool pool;
  pool.used = 0;
  yajl_alloc_funcs afs = { pool_malloc, pool_realloc, pool_free, &pool };
  yajl_handle h = yajl_alloc (&builder_callbacks, &afs, b);
  if (h == NULL)
    {
      doc_free (doc);
      snprintf (errbuf, errlen, "out of memory");
      return NULL;
    }
  b->doc = doc;
  b->stack = b->inline_stack;
  b->cap = sizeof b->inline_stack / sizeof b->inline_stack[0];
  b->used = 0;
  b->depth = 0;
  b->have_root = false;
  b->error = NULL;
  yajl_config (h, yajl_allow_comments, 1); /* as yajl_tree_parse did */

  yajl_status st = yajl_parse (h, (const unsigned char *) data, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  bool ok = st == yajl_status_ok && b->have_root;
  if (!ok)
    {
      if (b->error != NULL)
        snprintf (errbuf, errlen, "%s", b->error);
      else
        {
          /* yajl's reason spans lines when verbose; the first is enough. */
          unsigned char *reason = yajl_get_error (h, 0, (const unsigned char *) data, len);
          const char *r = reason ? (const char *) reason : "";
          size_t n = strcspn (r, "\n");
          if (n == 0)
            snprintf (errbuf, errlen, "parse error");
          else
            snprintf (errbuf, errlen, "%.*s", (int) n, r);
          yajl_free_error (h, reason);
        }
    }
  yajl_free (h);
  if (b->stack != b->inline_stack)
    free (b->stack);
  if (!ok)
    {
      doc_free (doc);
      return NULL;
    }
  return &doc->root;
}

void
json_free (struct json_value *v)
{
  if (v)
    doc_free ((struct json_doc *) ((char *) v - offsetof (struct json_doc, root)));
}

enum json_type
json_type_of (const struct json_value *v)
{
  return v == NULL ? JSON_NULL : (enum json_type) v->type;
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
  /* A repeated key: the last one wins, as with Go's encoding/json (runc). */
  for (size_t i = obj->len; i > 0; i--)
    if (strcmp (obj->u.members[i - 1].key, key) == 0)
      return &obj->u.members[i - 1].value;
  return NULL;
}

size_t
json_object_len (const struct json_value *obj)
{
  return json_type_of (obj) == JSON_OBJECT ? obj->len : 0;
}

const char *
json_object_key (const struct json_value *obj, size_t i)
{
  if (i >= json_object_len (obj))
    return NULL;
  return obj->u.members[i].key;
}

const struct json_value *
json_object_value (const struct json_value *obj, size_t i)
{
  if (i >= json_object_len (obj))
    return NULL;
  return &obj->u.members[i].value;
}

size_t
json_array_len (const struct json_value *arr)
{
  return json_type_of (arr) == JSON_ARRAY ? arr->len : 0;
}

const struct json_value *
json_array_get (const struct json_value *arr, size_t i)
{
  if (i >= json_array_len (arr))
    return NULL;
  return &arr->u.items[i];
}

const char *
json_string (const struct json_value *v)
{
  return json_type_of (v) == JSON_STRING ? v->u.text : NULL;
}

bool
json_bool (const struct json_value *v)
{
  return json_type_of (v) == JSON_BOOL && v->len != 0;
}

const char *
json_number_text (const struct json_value *v)
{
  return json_type_of (v) == JSON_NUMBER ? v->u.text : NULL;
}

/* Numbers keep their source text; parse integers from it ourselves so that
 * uint64 values above INT64_MAX survive, and "1.0"/"1e3" are refused as
 * integers (as Go's encoding/json does). */
static const char *
integer_text (const struct json_value *v)
{
  const char *r = json_number_text (v);
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
  const char *r = json_number_text (v);
  if (r == NULL)
    return false;
  errno = 0;
  char *end;
  double d = strtod (r, &end);
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
