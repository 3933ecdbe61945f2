/* `capsa update --resources` JSON (linux.resources alone): parse or fail with a
 * message; what parses goes through the pure v1 -> v2 conversions the update
 * applies (weights stay in the kernel's ranges, cpu.max and the swap
 * conversion never overflow). Seeds: corpus/update_resources/. */
#include <inttypes.h>

#include "fuzz_common.h"
#include "libcontainer/cgroups/convert.h"
#include "libcontainer/cgroups/resources.h"
#include "spec/config.h"

static void
check_conversions (const struct spec_resources *r)
{
  if (r->cpu)
    {
      const struct spec_cpu *cpu = r->cpu;
      uint64_t w = cg_shares_to_weight (cpu->has_shares ? cpu->shares : 0);
      FUZZ_ASSERT (cpu->has_shares && cpu->shares ? w >= 1 && w <= 10000 : w == 0);
      char buf[64];
      if (cg_cpu_max (cpu, buf, sizeof buf))
        {
          /* "max" or a positive quota, then an optional period. */
          FUZZ_ASSERT (strncmp (buf, "max", 3) == 0 || (buf[0] >= '1' && buf[0] <= '9'));
          FUZZ_ASSERT (strlen (buf) < sizeof buf - 1);
        }
    }
  if (r->block_io && r->block_io->has_weight)
    {
      uint64_t w = cg_blkio_to_io_weight (r->block_io->weight);
      FUZZ_ASSERT (r->block_io->weight ? w >= 1 && w <= 10000 : w == 0);
    }
  if (r->memory)
    {
      struct cg_v2_memory v;
      struct error *e = NULL;
      int rc = cg_v2_memory_values (NULL, r->memory, &v, &e);
      fuzz_check_outcome (rc == 0, e);
      /* memory.swap.max is "max" (-1), unchanged (0) or a real size. */
      FUZZ_ASSERT (rc < 0 || v.swap >= -1);
      error_free (&e);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct error *e = NULL;
  struct spec_resources *r = spec_resources_parse_data ((const char *) data, size, "resources", &e);
  fuzz_check_outcome (r != NULL, e);
  error_free (&e);
  if (r)
    check_conversions (r);
  spec_resources_free (r);
  return 0;
}
