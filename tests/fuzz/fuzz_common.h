/* Shared by the libFuzzer harnesses: input as a C string, and invariant checks
 * that abort with a readable line (libFuzzer then saves the input as crash-*). */
#ifndef CAPSA_FUZZ_COMMON_H
#define CAPSA_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/util/error.h"
#include "spec/util/json.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                         \
  do {                                                                            \
    if (!(cond))                                                                  \
      {                                                                           \
        fprintf (stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
        abort ();                                                                 \
      }                                                                           \
  } while (0)

/* The bytes as a NUL-terminated string (it ends at the first NUL byte). */
static inline char *
fuzz_cstr (const uint8_t *data, size_t size)
{
  char *s = malloc (size + 1);
  if (s == NULL)
    abort ();
  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}

/* A parser's outcome: exactly one of a result and an error, and an error
 * always says something. */
static inline void
fuzz_check_outcome (bool ok, const struct error *e)
{
  FUZZ_ASSERT (ok == (e == NULL));
  FUZZ_ASSERT (e == NULL || (e->msg != NULL && e->msg[0] != '\0'));
}

/* Text capsa generated as JSON must read back as JSON. */
static inline void
fuzz_assert_json (const char *text)
{
  char errbuf[128];
  struct json_value *v = json_parse (text, strlen (text), errbuf, sizeof errbuf);
  if (v == NULL)
    fprintf (stderr, "not JSON (%s): %s\n", errbuf, text);
  FUZZ_ASSERT (v != NULL);
  json_free (v);
}

/* Structured inputs: take bytes from the front, zeros once they run out. */
struct fuzz_bytes
{
  const uint8_t *p;
  size_t left;
};

static inline uint64_t
fuzz_take (struct fuzz_bytes *b, size_t n)
{
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    {
      v = (v << 8) | (b->left ? *b->p : 0);
      if (b->left)
        b->p++, b->left--;
    }
  return v;
}

#endif
