/* libFuzzer harness for the config parser: any byte string must either parse
 * (and then free cleanly) or fail with a message; never crash or leak.
 * Seeds: tests/unit/fixtures/ and the output of `capsa spec`. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "spec/config.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct error *e = NULL;
  struct spec_config *c = spec_config_parse_data ((const char *) data, size, "config.json", &e);
  /* Exactly one of the two outcomes, and a failure always explains itself. */
  if ((c == NULL) == (e == NULL) || (e != NULL && (e->msg == NULL || e->msg[0] == '\0')))
    __builtin_trap ();
  spec_config_free (c);
  error_free (&e);

  /* The same bytes as a `capsa update --resources` document. */
  struct spec_resources *r = spec_resources_parse_data ((const char *) data, size, "resources", &e);
  if ((r == NULL) == (e == NULL))
    __builtin_trap ();
  spec_resources_free (r);
  error_free (&e);
  return 0;
}
