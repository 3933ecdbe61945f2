/* Scheduling and placement of the container process: process.scheduler,
 * process.ioPriority, process.execCPUAffinity and linux.memoryPolicy. */
#define _GNU_SOURCE
#include "process.h"
#include "util/id_list.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spec/util/cleanup.h"

/* ---- scheduler ---- */

struct sched_attr_
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

static const struct
{
  const char *name;
  unsigned value;
} sched_policies[] = {
  { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 },  { "SCHED_RR", 2 },       { "SCHED_BATCH", 3 },
  { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 },  { "SCHED_DEADLINE", 6 },
}, sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

int
process_set_scheduler (const struct spec_process *p, struct error **err)
{
  if (p == NULL || p->scheduler == NULL)
    return 0;
  const struct spec_scheduler *s = p->scheduler;
  struct sched_attr_ attr = { .size = sizeof attr };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (sched_policies); i++)
    if (s->policy && strcmp (s->policy, sched_policies[i].name) == 0)
      break;
  if (i == ARRAY_SIZE (sched_policies))
    return error_set (err, 0, "process.scheduler.policy: unknown policy \"%s\"",
                      s->policy ? s->policy : "");
  attr.sched_policy = sched_policies[i].value;

  for (size_t f = 0; f < s->flags_len; f++)
    {
      for (i = 0; i < ARRAY_SIZE (sched_flags); i++)
        if (strcmp (s->flags[f], sched_flags[i].name) == 0)
          break;
      if (i == ARRAY_SIZE (sched_flags))
        return error_set (err, 0, "process.scheduler.flags[%zu]: unknown flag \"%s\"", f,
                          s->flags[f]);
      attr.sched_flags |= sched_flags[i].value;
    }
  if (s->has_nice)
    attr.sched_nice = s->nice;
  if (s->has_priority)
    attr.sched_priority = (uint32_t) s->priority;
  if (s->has_runtime)
    attr.sched_runtime = s->runtime;
  if (s->has_deadline)
    attr.sched_deadline = s->deadline;
  if (s->has_period)
    attr.sched_period = s->period;

  if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
    return error_set (err, errno,
                      "process.scheduler: sched_setattr policy %s nice %d priority %u"
                      " runtime %llu deadline %llu period %llu",
                      s->policy, attr.sched_nice, attr.sched_priority,
                      (unsigned long long) attr.sched_runtime,
                      (unsigned long long) attr.sched_deadline,
                      (unsigned long long) attr.sched_period);
  return 0;
}

/* ---- I/O priority ---- */

#define IOPRIO_WHO_PROCESS_ 1
#define IOPRIO_CLASS_SHIFT_ 13

int
process_set_io_priority (const struct spec_process *p, struct error **err)
{
  if (p == NULL || p->io_priority == NULL)
    return 0;
  const struct spec_io_priority *io = p->io_priority;
  int cls;
  if (io->class_ && strcmp (io->class_, "IOPRIO_CLASS_RT") == 0)
    cls = 1;
  else if (io->class_ && strcmp (io->class_, "IOPRIO_CLASS_BE") == 0)
    cls = 2;
  else if (io->class_ && strcmp (io->class_, "IOPRIO_CLASS_IDLE") == 0)
    cls = 3;
  else
    return error_set (err, 0, "process.ioPriority.class: unknown class \"%s\"",
                      io->class_ ? io->class_ : "");
  if (io->priority < 0 || io->priority > 7)
    return error_set (err, 0, "process.ioPriority.priority: %d is outside 0-7", io->priority);
  int value = (cls << IOPRIO_CLASS_SHIFT_) | io->priority;
  if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS_, 0, value) < 0)
    return error_set (err, errno, "process.ioPriority: ioprio_set %s priority %d", io->class_,
                      io->priority);
  return 0;
}

/* ---- CPU affinity ---- */

static int
set_affinity (const char *list, const char *json_path, pid_t pid, struct error **err)
{
  if (list == NULL || list[0] == '\0')
    return 0;
  _cleanup_free_ unsigned long *bits = NULL;
  size_t nbits;
  if (id_list_parse (list, &bits, &nbits) < 0 || bits == NULL)
    return error_set (err, 0, "%s: invalid CPU list \"%s\"", json_path, list);
  cpu_set_t *set = CPU_ALLOC (nbits);
  if (set == NULL)
    return error_set (err, ENOMEM, "%s", json_path);
  size_t size = CPU_ALLOC_SIZE (nbits);
  CPU_ZERO_S (size, set);
  for (size_t i = 0; i < nbits; i++)
    if (bits[i / (8 * sizeof (unsigned long))] & (1ul << (i % (8 * sizeof (unsigned long)))))
      CPU_SET_S (i, size, set);
  int r = sched_setaffinity (pid, size, set);
  int saved = errno;
  CPU_FREE (set);
  if (r < 0)
    return error_set (err, saved, "%s: sched_setaffinity \"%s\"", json_path, list);
  return 0;
}

int
process_set_cpu_affinity_initial (const struct spec_process *p, pid_t pid, struct error **err)
{
  if (p == NULL || p->exec_cpu_affinity == NULL)
    return 0;
  return set_affinity (p->exec_cpu_affinity->initial, "process.execCPUAffinity.initial", pid, err);
}

int
process_set_cpu_affinity_final (const struct spec_process *p, struct error **err)
{
  if (p == NULL || p->exec_cpu_affinity == NULL)
    return 0;
  return set_affinity (p->exec_cpu_affinity->final, "process.execCPUAffinity.final", 0, err);
}

/* ---- memory policy ---- */

static const struct
{
  const char *name;
  int value;
} mpol_modes[] = {
  { "MPOL_DEFAULT", 0 }, { "MPOL_PREFERRED", 1 },      { "MPOL_BIND", 2 },
  { "MPOL_INTERLEAVE", 3 }, { "MPOL_LOCAL", 4 },        { "MPOL_PREFERRED_MANY", 5 },
  { "MPOL_WEIGHTED_INTERLEAVE", 6 },
}, mpol_flags[] = {
  { "MPOL_F_NUMA_BALANCING", 1 << 13 },
  { "MPOL_F_RELATIVE_NODES", 1 << 14 },
  { "MPOL_F_STATIC_NODES", 1 << 15 },
};

int
process_set_memory_policy (const struct spec_linux *l, struct error **err)
{
  if (l == NULL || l->memory_policy == NULL)
    return 0;
  const struct spec_memory_policy *mp = l->memory_policy;
  size_t i;
  for (i = 0; i < ARRAY_SIZE (mpol_modes); i++)
    if (mp->mode && strcmp (mp->mode, mpol_modes[i].name) == 0)
      break;
  if (i == ARRAY_SIZE (mpol_modes))
    return error_set (err, 0, "linux.memoryPolicy.mode: unknown mode \"%s\"",
                      mp->mode ? mp->mode : "");
  int mode = mpol_modes[i].value;
  for (size_t f = 0; f < mp->flags_len; f++)
    {
      for (i = 0; i < ARRAY_SIZE (mpol_flags); i++)
        if (strcmp (mp->flags[f], mpol_flags[i].name) == 0)
          break;
      if (i == ARRAY_SIZE (mpol_flags))
        return error_set (err, 0, "linux.memoryPolicy.flags[%zu]: unknown flag \"%s\"", f,
                          mp->flags[f]);
      mode |= mpol_flags[i].value;
    }

  _cleanup_free_ unsigned long *nodes = NULL;
  size_t nbits = 0;
  if (mp->nodes && id_list_parse (mp->nodes, &nodes, &nbits) < 0)
    return error_set (err, 0, "linux.memoryPolicy.nodes: invalid node list \"%s\"", mp->nodes);
  /* The kernel reads maxnode - 1 bits, hence the + 1. */
  if (syscall (SYS_set_mempolicy, mode, nodes, nodes ? nbits + 1 : 0) < 0)
    return error_set (err, errno, "linux.memoryPolicy: set_mempolicy %s nodes \"%s\"", mp->mode,
                      mp->nodes ? mp->nodes : "");
  return 0;
}
