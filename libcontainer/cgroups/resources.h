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

int cg_v1_memory (const char *dir, const struct spec_memory *mem, struct error **err);
int cg_v1_cpu (const char *dir, const struct spec_cpu *cpu, struct error **err);
int cg_v1_blkio (const char *dir, const struct spec_blkio *b, struct error **err);
int cg_v1_devices (const char *dir, const struct cg_dev_rule *rules, size_t n, struct error **err);

int cg_v2_memory (const char *dir, const struct spec_memory *mem, struct error **err);
int cg_v2_cpu (const char *dir, const struct spec_cpu *cpu, struct error **err);
int cg_v2_io (const char *dir, const struct spec_blkio *b, struct error **err);
int cg_v2_unified (const char *dir, const struct spec_resources *r, struct error **err);

#endif
