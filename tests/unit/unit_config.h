/* Config tests: a config.json text must parse and validate, or fail with exactly
 * the expected message. */
#ifndef CAPSA_UNIT_CONFIG_H
#define CAPSA_UNIT_CONFIG_H

#include <stdlib.h>
#include <string.h>

#include "spec/config.h"
#include "unit.h"

/* want NULL: the config must parse and validate. Frees json. */
static inline void
unit_expect_config (const char *file, int line, char *json, const char *want)
{
  struct error *e = NULL;
  struct spec_config *c = spec_config_parse_data (json, strlen (json), "config.json", &e);
  bool ok = want ? (c == NULL && e && strcmp (e->msg, want) == 0) : (c != NULL && e == NULL);
  if (ok)
    unit_passed++;
  else
    {
      unit_failed++;
      fprintf (stderr, "%s:%d: expected %s%s%s, got %s%s%s\n", file, line, want ? "\"" : "",
               want ? want : "success", want ? "\"" : "", c ? "success" : "\"",
               e ? e->msg : "(no error)", c ? "" : "\"");
    }
  spec_config_free (c);
  error_free (&e);
  free (json);
}

#endif
