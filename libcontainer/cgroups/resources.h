/* Per-layout writers of linux.resources, called by the dispatch in resources.c
 * with the directory of the tree that hosts each controller. Errors name the
 * JSON path and the file. */
#ifndef CAPSA_CGROUP_RESOURCES_H
#define CAPSA_CGROUP_RESOURCES_H

#include "cgroup_internal.h"
#include "convert.h"

/* cg_writef, then prefix the error with the JSON path. */
int cg_set (const char *dir, const char *file, const char *jpath, struct error **err,
            const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));

/* The number in a cgroup file ("50000 100000": the first); -1 when the file is
 * missing or holds no number ("max"). */
int cg_get_i64 (const char *dir, const char *file, int64_t *out);

/* runc's reading of a memory value: 0 (Docker sends it for every value the user
 * left out) or absent means "leave unchanged"; -1 is unlimited. */
static inline int64_t
cg_mem_value (bool has, int64_t v)
{
  return has ? v : 0;
}

/* The v2 memory knobs to write, 0 = leave unchanged, -1 = "max". What an update
 * leaves out and the kernel needs is taken from the cgroup in dir as it is, as
 * runc takes it from the config it saved: memory alone keeps memory + swap,
 * swap alone is converted against the memory limit in force. dir may be NULL
 * (nothing in force yet). */
struct cg_v2_memory
{
  int64_t max, low, swap;
  bool swap_set; /* swap 0 is "no swap" here (memory+swap == memory) */
};
int cg_v2_memory_values (const char *dir, const struct spec_memory *mem, struct cg_v2_memory *out,
                         struct error **err);

/* cpu with quota and period as the kernel will hold them: what an update leaves
 * out (0) of the pair, when the other is set, from the cgroup in dir (v2
 * cpu.max, v1 cfs files; quota -1 = none). dir may be NULL. */
void cg_cpu_in_force (const char *dir, bool v2, const struct spec_cpu *cpu, struct spec_cpu *out);

int cg_v1_memory (const char *dir, const struct spec_memory *mem, struct error **err);
int cg_v1_cpu (const char *dir, const struct spec_cpu *cpu, struct error **err);
int cg_v1_blkio (const char *dir, const struct spec_blkio *b, struct error **err);
int cg_v1_devices (const char *dir, const struct cg_dev_rule *rules, size_t n, struct error **err);

int cg_v2_memory (const char *dir, const struct spec_memory *mem, struct error **err);
int cg_v2_cpu (const char *dir, const struct spec_cpu *cpu, struct error **err);
int cg_v2_io (const char *dir, const struct spec_blkio *b, struct error **err);
int cg_v2_unified (const char *dir, const struct spec_resources *r, struct error **err);

#endif
