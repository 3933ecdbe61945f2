/* What an update leaves out, taken from the cgroup as it is (resources.h): the
 * v2 memory values and the CFS pair, against fake cgroup files in a temp dir. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "cgroups/resources.h"

static char dir[] = "/tmp/capsa-unit-inforce-XXXXXX";

static void
put (const char *file, const char *value)
{
  char path[256];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen (path, "we");
  if (f == NULL || fprintf (f, "%s\n", value) < 0 || fclose (f) != 0)
    {
      perror (path);
      exit (1);
    }
}

static struct cg_v2_memory
mem_values (const char *d, struct spec_memory m, int want_rc, const char *why)
{
  struct cg_v2_memory v = { 99, 99, 99, true };
  struct error *err = NULL;
  int rc = cg_v2_memory_values (d, &m, &v, &err);
  CHECK (rc == want_rc);
  if (why)
    CHECK_CONTAINS (err ? err->msg : NULL, why);
  error_free (&err);
  return v;
}

static void
test_memory (void)
{
  struct cg_v2_memory v;
  put ("memory.max", "67108864");
  put ("memory.swap.max", "67108864");
  /* Docker's zeros: nothing to write */
  v = mem_values (dir, (struct spec_memory) { .has_limit = true, .has_swap = true,
                                              .has_reservation = true }, 0, NULL);
  CHECK (v.max == 0 && v.low == 0 && !v.swap_set);
  /* memory alone keeps memory+swap (128M): swap.max follows */
  v = mem_values (dir, (struct spec_memory) { .limit = 96 << 20, .has_limit = true }, 0, NULL);
  CHECK (v.max == 96 << 20 && v.swap_set && v.swap == 32 << 20);
  mem_values (dir, (struct spec_memory) { .limit = 200 << 20, .has_limit = true }, -1,
              "above the memory+swap limit in force");
  /* swap alone: against the memory limit in force; memory.max stays */
  v = mem_values (dir, (struct spec_memory) { .swap = 256 << 20, .has_swap = true }, 0, NULL);
  CHECK (v.max == 0 && v.swap_set && v.swap == 192 << 20);
  /* memory+swap == memory: no swap at all, not "unset" */
  v = mem_values (dir, (struct spec_memory) { .limit = 64 << 20, .has_limit = true,
                                              .swap = 64 << 20, .has_swap = true }, 0, NULL);
  CHECK (v.swap_set && v.swap == 0);
  /* unlimited memory, swap left alone: both unlimited */
  v = mem_values (dir, (struct spec_memory) { .limit = -1, .has_limit = true }, 0, NULL);
  CHECK (v.max == -1 && v.swap_set && v.swap == -1);

  put ("memory.swap.max", "max");
  v = mem_values (dir, (struct spec_memory) { .limit = 96 << 20, .has_limit = true }, 0, NULL);
  CHECK (v.max == 96 << 20 && !v.swap_set);
  put ("memory.max", "max");
  mem_values (dir, (struct spec_memory) { .swap = 256 << 20, .has_swap = true }, -1,
              "needs a memory limit");
  /* nothing in force yet (create under systemd) */
  v = mem_values (NULL, (struct spec_memory) { .limit = 96 << 20, .has_limit = true }, 0, NULL);
  CHECK (v.max == 96 << 20 && !v.swap_set);
}

static void
test_cpu (void)
{
  struct spec_cpu out;
  put ("cpu.max", "50000 100000");
  cg_cpu_in_force (dir, true, &(struct spec_cpu) { .period = 10000, .has_period = true }, &out);
  CHECK (out.has_quota && out.quota == 50000 && out.period == 10000);
  cg_cpu_in_force (dir, true, &(struct spec_cpu) { .quota = 20000, .has_quota = true }, &out);
  CHECK (out.has_period && out.period == 100000 && out.quota == 20000);
  /* both 0 (Docker's update), or both given: as they are */
  cg_cpu_in_force (dir, true, &(struct spec_cpu) { .has_quota = true, .has_period = true }, &out);
  CHECK (out.quota == 0 && out.period == 0);
  cg_cpu_in_force (dir, true, &(struct spec_cpu) { .quota = 1, .has_quota = true, .period = 2,
                                                   .has_period = true }, &out);
  CHECK (out.quota == 1 && out.period == 2);
  put ("cpu.max", "max 100000");
  cg_cpu_in_force (dir, true, &(struct spec_cpu) { .period = 50000, .has_period = true }, &out);
  CHECK (out.has_quota && out.quota == -1 && out.period == 50000);
  put ("cpu.cfs_quota_us", "-1");
  put ("cpu.cfs_period_us", "20000");
  cg_cpu_in_force (dir, false, &(struct spec_cpu) { .quota = 30000, .has_quota = true }, &out);
  CHECK (out.has_period && out.period == 20000);
  cg_cpu_in_force (NULL, true, &(struct spec_cpu) { .quota = 30000, .has_quota = true }, &out);
  CHECK (!out.has_period);

  int64_t n = 7;
  CHECK (cg_get_i64 (dir, "cpu.cfs_period_us", &n) == 0 && n == 20000);
  CHECK (cg_get_i64 (dir, "memory.max", &n) < 0 && n == 20000);
  CHECK (cg_get_i64 (dir, "no.such.file", &n) < 0);
}

int
main (void)
{
  if (mkdtemp (dir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  test_memory ();
  test_cpu ();
  const char *files[] = { "memory.max", "memory.swap.max", "cpu.max", "cpu.cfs_quota_us",
                          "cpu.cfs_period_us" };
  for (size_t i = 0; i < sizeof files / sizeof *files; i++)
    {
      char path[256];
      snprintf (path, sizeof path, "%s/%s", dir, files[i]);
      unlink (path);
    }
  rmdir (dir);
  return unit_finish ("test_cgroup_in_force");
}
