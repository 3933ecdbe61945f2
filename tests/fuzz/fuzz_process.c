/* `capsa exec --process process.json`: parse or fail with a message; a process
 * that parses has something to run and, when it names a cwd, an absolute one
 * (what exec relies on without checking again). Seeds: corpus/process/. */
#include "fuzz_common.h"
#include "spec/config.h"
#include "spec/parse_util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct error *e = NULL;
  struct spec_process *p = spec_process_parse_data ((const char *) data, size, "process.json", &e);
  fuzz_check_outcome (p != NULL, e);
  error_free (&e);
  if (p == NULL)
    return 0;
  FUZZ_ASSERT (p->args_len > 0 || p->command_line != NULL);
  for (size_t i = 0; i < p->args_len; i++)
    FUZZ_ASSERT (p->args[i] != NULL);
  for (size_t i = 0; i < p->env_len; i++)
    FUZZ_ASSERT (p->env[i] != NULL);
  FUZZ_ASSERT (p->cwd == NULL || p->cwd[0] == '/');
  FUZZ_ASSERT (p->user.additional_gids_len == 0 || p->user.additional_gids != NULL);
  spec_process_free (p);
  return 0;
}
