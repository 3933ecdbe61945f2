/* Private to spec/parse*.c: a parse context that tracks the JSON path of the
 * value being read, so that every error names it ("process.user.uid"), and
 * typed getters. Getters return 1 when the field is present, 0 when it is
 * absent or null (output untouched), -1 on error (context's error filled). */
#ifndef CAPSA_SPEC_PARSE_UTIL_H
#define CAPSA_SPEC_PARSE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "util/json.h"

struct pctx
{
  const char *name;      /* message prefix: "config.json" */
  struct error **err;
  char path[1024];
  size_t len;
};

void pctx_init (struct pctx *p, const char *name, struct error **err);
/* pctx_init, then parse the document text; NULL on invalid JSON, with
 * "<name>: invalid JSON: <reason>" in *err. The caller json_free()s it. */
struct json_value *pctx_parse_doc (struct pctx *p, const char *name, const char *data,
                                   size_t len, struct error **err);
/* Push a path component; returns the length to restore with pctx_pop. */
size_t pctx_push_key (struct pctx *p, const char *key);
size_t pctx_push_index (struct pctx *p, size_t i);
size_t pctx_push_map_key (struct pctx *p, const char *key);
void pctx_pop (struct pctx *p, size_t saved);

/* "<name>: <path>: <message>"; returns -1. */
int pfail (struct pctx *p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Same, for the field `key` of the current object. */
int pfail_key (struct pctx *p, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

void *p_calloc (struct pctx *p, size_t n, size_t size);

/* Value-level: the path already names v. */
int pv_expect (struct pctx *p, const struct json_value *v, enum json_type t);
int pv_string (struct pctx *p, const struct json_value *v, char **out);
int pv_u64 (struct pctx *p, const struct json_value *v, uint64_t max, uint64_t *out);
int pv_i64 (struct pctx *p, const struct json_value *v, int64_t min, int64_t max, int64_t *out);

/* Field-level: read obj[key]. */
int p_child (struct pctx *p, const struct json_value *obj, const char *key, enum json_type t,
             const struct json_value **out);
int p_string (struct pctx *p, const struct json_value *obj, const char *key, char **out);
int p_bool (struct pctx *p, const struct json_value *obj, const char *key, bool *out);
int p_u64 (struct pctx *p, const struct json_value *obj, const char *key, uint64_t *out);
int p_u32 (struct pctx *p, const struct json_value *obj, const char *key, uint32_t *out);
int p_u16 (struct pctx *p, const struct json_value *obj, const char *key, uint16_t *out);
int p_i64 (struct pctx *p, const struct json_value *obj, const char *key, int64_t *out);
int p_i32 (struct pctx *p, const struct json_value *obj, const char *key, int32_t *out);
/* An array of strings. */
int p_strv (struct pctx *p, const struct json_value *obj, const char *key, char ***out,
            size_t *len);
/* An object of string values, kept in file order. */
int p_kv (struct pctx *p, const struct json_value *obj, const char *key, struct spec_kv **out,
          size_t *len);
/* Report a missing required field when rc == 0; passes other rc through. */
int p_required (struct pctx *p, int rc, const char *key);

/* Field-level with the has_ flag set on presence. */
#define P_OPT(call, hasflag)                                                    \
  do {                                                                          \
    int rc_ = (call);                                                           \
    if (rc_ < 0)                                                                \
      return -1;                                                                \
    (hasflag) = rc_ > 0;                                                        \
  } while (0)
#define P_TRY(call)                                                             \
  do {                                                                          \
    if ((call) < 0)                                                             \
      return -1;                                                                \
  } while (0)

/* Iterate the elements of obj[key] (an array): allocates `n` zeroed structs
 * into field/field_len, pushes "key[i]" around each call of parser. */
#define P_ARRAY_OF(p, obj, key, field, field_len, parser)                       \
  ({                                                                            \
    const struct json_value *arr_;                                              \
    int rc_ = p_child ((p), (obj), (key), JSON_ARRAY, &arr_);                   \
    if (rc_ > 0)                                                                \
      {                                                                         \
        size_t n_ = json_array_len (arr_);                                      \
        (field) = p_calloc ((p), n_, sizeof *(field));                          \
        if ((field) == NULL)                                                    \
          rc_ = -1;                                                             \
        else                                                                    \
          {                                                                     \
            (field_len) = n_;                                                   \
            size_t saved_ = pctx_push_key ((p), (key));                         \
            for (size_t i_ = 0; i_ < n_ && rc_ > 0; i_++)                       \
              {                                                                 \
                size_t s2_ = pctx_push_index ((p), i_);                         \
                const struct json_value *e_ = json_array_get (arr_, i_);        \
                if (pv_expect ((p), e_, JSON_OBJECT) < 0                        \
                    || parser ((p), e_, &(field)[i_]) < 0)                      \
                  rc_ = -1;                                                     \
                else                                                            \
                  pctx_pop ((p), s2_);                                          \
              }                                                                 \
            if (rc_ > 0)                                                        \
              pctx_pop ((p), saved_);                                           \
          }                                                                     \
      }                                                                         \
    rc_;                                                                        \
  })

/* Allocate and parse obj[key] when it is present. */
#define P_SUBOBJECT(p, obj, key, field, parser)                                 \
  ({                                                                            \
    const struct json_value *sv_;                                               \
    int rc_ = p_child ((p), (obj), (key), JSON_OBJECT, &sv_);                   \
    if (rc_ > 0)                                                                \
      {                                                                         \
        (field) = p_calloc ((p), 1, sizeof *(field));                           \
        if ((field) == NULL)                                                    \
          rc_ = -1;                                                             \
        else                                                                    \
          {                                                                     \
            size_t saved_ = pctx_push_key ((p), (key));                         \
            if (parser ((p), sv_, (field)) < 0)                                 \
              rc_ = -1;                                                         \
            else                                                                \
              pctx_pop ((p), saved_);                                           \
          }                                                                     \
      }                                                                         \
    rc_;                                                                        \
  })

int p_id_mappings (struct pctx *p, const struct json_value *obj, const char *key,
                   struct spec_id_mapping **out, size_t *len);

/* Parsers of sub-objects, shared between files. */
int parse_linux (struct pctx *p, const struct json_value *v, struct spec_linux *l);
int parse_resources (struct pctx *p, const struct json_value *v, struct spec_resources *r);
int parse_seccomp (struct pctx *p, const struct json_value *v, struct spec_seccomp *s);

/* Freeing helpers (free.c). */
void spec_strv_free (char **v, size_t len);
void spec_kv_free (struct spec_kv *kv, size_t len);
void spec_linux_free (struct spec_linux *l);
void spec_seccomp_free (struct spec_seccomp *s);
void spec_process_free (struct spec_process *p);

#endif
