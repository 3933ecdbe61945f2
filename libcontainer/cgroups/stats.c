/* Statistics of a container's cgroups for `events --stats`, read from the v1
 * controller files or the cgroup2 ones, in runc's units (bytes, nanoseconds). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "spec/util/cleanup.h"

/* A single-number file; "max" reads as UINT64_MAX, a missing file as 0. */
static uint64_t
read_u64 (const char *dir, const char *file)
{
  _cleanup_free_ char *data = NULL;
  if (dir == NULL || cg_read (dir, file, &data, NULL) < 0)
    return 0;
  if (strncmp (data, "max", 3) == 0)
    return UINT64_MAX;
  return strtoull (data, NULL, 10);
}

/* The value of `key` in a flat keyed file ("key value" lines). */
static bool
keyed (const char *data, const char *key, uint64_t *out)
{
  size_t klen = strlen (key);
  for (const char *p = data; p && *p; p = strchr (p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp (p, key, klen) == 0 && p[klen] == ' ')
      {
        *out = strtoull (p + klen + 1, NULL, 10);
        return true;
      }
  return false;
}

static uint64_t
read_keyed (const char *dir, const char *file, const char *key)
{
  _cleanup_free_ char *data = NULL;
  uint64_t v = 0;
  if (dir && cg_read (dir, file, &data, NULL) == 0)
    keyed (data, key, &v);
  return v;
}

/* Space-separated numbers ("12 34 56") into a malloc'd array. */
static int
read_list (const char *dir, const char *file, uint64_t **out, size_t *n)
{
  _cleanup_free_ char *data = NULL;
  *out = NULL;
  *n = 0;
  if (dir == NULL || cg_read (dir, file, &data, NULL) < 0)
    return 0;
  size_t cap = 0;
  for (char *save = NULL, *t = strtok_r (data, " \n", &save); t; t = strtok_r (NULL, " \n", &save))
    {
      if (*n == cap)
        {
          cap = cap ? cap * 2 : 8;
          uint64_t *g = realloc (*out, cap * sizeof **out);
          if (g == NULL)
            return -1;
          *out = g;
        }
      (*out)[(*n)++] = strtoull (t, NULL, 10);
    }
  return 0;
}

/* "0-3,7" into a malloc'd array of ids. */
static int
read_cpulist (const char *dir, const char *file, uint16_t **out, size_t *n)
{
  _cleanup_free_ char *data = NULL;
  *out = NULL;
  *n = 0;
  if (dir == NULL || cg_read (dir, file, &data, NULL) < 0)
    return 0;
  size_t cap = 0;
  for (char *save = NULL, *t = strtok_r (data, ",\n ", &save); t; t = strtok_r (NULL, ",\n ", &save))
    {
      char *dash = strchr (t, '-');
      unsigned long lo = strtoul (t, NULL, 10), hi = dash ? strtoul (dash + 1, NULL, 10) : lo;
      for (unsigned long i = lo; i <= hi && i < 65536; i++)
        {
          if (*n == cap)
            {
              cap = cap ? cap * 2 : 16;
              uint16_t *g = realloc (*out, cap * sizeof **out);
              if (g == NULL)
                return -1;
              *out = g;
            }
          (*out)[(*n)++] = (uint16_t) i;
        }
    }
  return 0;
}

static const char *
dir_of (struct cgroup_manager *m, const char *controller, bool *v2)
{
  struct cg_hier *h = cg_find (m, controller);
  if (h == NULL)
    return NULL;
  *v2 = h->v2;
  return h->dir;
}

static void
cpu_stats (struct cgroup_manager *m, struct cgroup_stats *s)
{
  bool v2 = false;
  const char *acct = dir_of (m, "cpuacct", &v2);
  const char *cpu = dir_of (m, "cpu", &v2);
  if (cpu && v2)
    {
      _cleanup_free_ char *data = NULL;
      if (cg_read (cpu, "cpu.stat", &data, NULL) < 0)
        return;
      uint64_t v;
      if (keyed (data, "usage_usec", &v))
        s->cpu.total = v * 1000;
      if (keyed (data, "user_usec", &v))
        s->cpu.user = v * 1000;
      if (keyed (data, "system_usec", &v))
        s->cpu.kernel = v * 1000;
      keyed (data, "nr_periods", &s->cpu.periods);
      keyed (data, "nr_throttled", &s->cpu.throttled_periods);
      if (keyed (data, "throttled_usec", &v))
        s->cpu.throttled_time = v * 1000;
      return;
    }
  if (acct)
    {
      s->cpu.total = read_u64 (acct, "cpuacct.usage");
      read_list (acct, "cpuacct.usage_percpu", &s->cpu.percpu, &s->cpu.npercpu);
      read_list (acct, "cpuacct.usage_percpu_sys", &s->cpu.percpu_kernel, &s->cpu.npercpu_kernel);
      read_list (acct, "cpuacct.usage_percpu_user", &s->cpu.percpu_user, &s->cpu.npercpu_user);
      /* cpuacct.stat counts USER_HZ ticks */
      long hz = sysconf (_SC_CLK_TCK);
      if (hz <= 0)
        hz = 100;
      s->cpu.user = read_keyed (acct, "cpuacct.stat", "user") * (1000000000ULL / (uint64_t) hz);
      s->cpu.kernel = read_keyed (acct, "cpuacct.stat", "system") * (1000000000ULL / (uint64_t) hz);
    }
  if (cpu)
    {
      _cleanup_free_ char *data = NULL;
      if (cg_read (cpu, "cpu.stat", &data, NULL) == 0)
        {
          keyed (data, "nr_periods", &s->cpu.periods);
          keyed (data, "nr_throttled", &s->cpu.throttled_periods);
          keyed (data, "throttled_time", &s->cpu.throttled_time);
        }
    }
}

static void
cpuset_stats (struct cgroup_manager *m, struct cgroup_stats *s)
{
  bool v2 = false;
  const char *d = dir_of (m, "cpuset", &v2);
  if (d == NULL)
    return;
  if (v2)
    {
      read_cpulist (d, "cpuset.cpus.effective", &s->cpuset.cpus, &s->cpuset.ncpus);
      read_cpulist (d, "cpuset.mems.effective", &s->cpuset.mems, &s->cpuset.nmems);
      return;
    }
  read_cpulist (d, "cpuset.cpus", &s->cpuset.cpus, &s->cpuset.ncpus);
  read_cpulist (d, "cpuset.mems", &s->cpuset.mems, &s->cpuset.nmems);
  s->cpuset.cpu_exclusive = read_u64 (d, "cpuset.cpu_exclusive");
  s->cpuset.mem_hardwall = read_u64 (d, "cpuset.mem_hardwall");
  s->cpuset.mem_exclusive = read_u64 (d, "cpuset.mem_exclusive");
  s->cpuset.memory_migrate = read_u64 (d, "cpuset.memory_migrate");
  s->cpuset.memory_spread_page = read_u64 (d, "cpuset.memory_spread_page");
  s->cpuset.memory_spread_slab = read_u64 (d, "cpuset.memory_spread_slab");
  s->cpuset.memory_pressure = read_u64 (d, "cpuset.memory_pressure");
  s->cpuset.sched_load_balance = read_u64 (d, "cpuset.sched_load_balance");
  _cleanup_free_ char *lvl = NULL;
  if (cg_read (d, "cpuset.sched_relax_domain_level", &lvl, NULL) == 0)
    s->cpuset.sched_relax_domain_level = strtoll (lvl, NULL, 10);
}

static int
memory_raw (const char *dir, struct cgroup_stats *s)
{
  _cleanup_free_ char *data = NULL;
  if (cg_read (dir, "memory.stat", &data, NULL) < 0)
    return 0;
  for (char *save = NULL, *line = strtok_r (data, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      if (sp == NULL)
        continue;
      *sp = '\0';
      struct cgroup_kv *g = realloc (s->memory.raw, (s->memory.nraw + 1) * sizeof *g);
      if (g == NULL)
        return -1;
      s->memory.raw = g;
      g[s->memory.nraw].key = strdup (line);
      g[s->memory.nraw].value = strtoull (sp + 1, NULL, 10);
      if (g[s->memory.nraw++].key == NULL)
        return -1;
    }
  return 0;
}

static uint64_t
raw_get (const struct cgroup_stats *s, const char *key)
{
  for (size_t i = 0; i < s->memory.nraw; i++)
    if (strcmp (s->memory.raw[i].key, key) == 0)
      return s->memory.raw[i].value;
  return 0;
}

static void
mem_entry_v1 (const char *dir, const char *prefix, struct cgroup_mem_entry *e)
{
  char file[64];
#define R(field, name)                                          \
  snprintf (file, sizeof file, "%s%s", prefix, name);           \
  e->field = read_u64 (dir, file);
  R (usage, "usage_in_bytes");
  R (max, "max_usage_in_bytes");
  R (failcnt, "failcnt");
  R (limit, "limit_in_bytes");
#undef R
}

static int
memory_stats (struct cgroup_manager *m, struct cgroup_stats *s)
{
  bool v2 = false;
  const char *d = dir_of (m, "memory", &v2);
  if (d == NULL)
    return 0;
  if (memory_raw (d, s) < 0)
    return -1;
  if (!v2)
    {
      s->memory.cache = raw_get (s, "cache");
      mem_entry_v1 (d, "memory.", &s->memory.usage);
      mem_entry_v1 (d, "memory.memsw.", &s->memory.swap);
      mem_entry_v1 (d, "memory.kmem.", &s->memory.kernel);
      mem_entry_v1 (d, "memory.kmem.tcp.", &s->memory.kernel_tcp);
      return 0;
    }
  s->memory.cache = raw_get (s, "file");
  struct cgroup_mem_entry *u = &s->memory.usage, *sw = &s->memory.swap;
  u->usage = read_u64 (d, "memory.current");
  u->limit = read_u64 (d, "memory.max");
  u->max = read_u64 (d, "memory.peak");
  u->failcnt = read_keyed (d, "memory.events", "max");
  /* runc reports swap as memory+swap, the v1 memsw meaning */
  if (cg_file_exists (d, "memory.swap.current"))
    {
      uint64_t swap = read_u64 (d, "memory.swap.current");
      uint64_t smax = read_u64 (d, "memory.swap.max");
      sw->usage = u->usage + swap;
      sw->limit = (smax == UINT64_MAX || u->limit == UINT64_MAX) ? UINT64_MAX : u->limit + smax;
      sw->max = read_u64 (d, "memory.swap.peak");
      sw->failcnt = read_keyed (d, "memory.swap.events", "max");
    }
  return 0;
}

static void
pids_stats (struct cgroup_manager *m, struct cgroup_stats *s)
{
  bool v2 = false;
  const char *d = dir_of (m, "pids", &v2);
  if (d == NULL)
    return;
  s->pids.current = read_u64 (d, "pids.current");
  uint64_t limit = read_u64 (d, "pids.max");
  s->pids.limit = limit == UINT64_MAX ? 0 : limit;
}

static int
blkio_add (struct cgroup_stats *s, enum cgroup_blkio_kind k, uint64_t major, uint64_t minor,
           const char *op, uint64_t value)
{
  struct cgroup_blkio_entry *g = realloc (s->blkio[k], (s->nblkio[k] + 1) * sizeof *g);
  if (g == NULL)
    return -1;
  s->blkio[k] = g;
  struct cgroup_blkio_entry *e = &g[s->nblkio[k]++];
  e->major = major;
  e->minor = minor;
  snprintf (e->op, sizeof e->op, "%s", op);
  e->value = value;
  return 0;
}

/* v1 lines: "8:0 Read 4096", "8:0 4096" (no op), "Total 4096" (skipped). */
static int
blkio_v1_file (const char *dir, const char *file, struct cgroup_stats *s, enum cgroup_blkio_kind k)
{
  _cleanup_free_ char *data = NULL;
  if (cg_read (dir, file, &data, NULL) < 0)
    return 0;
  for (char *save = NULL, *line = strtok_r (data, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min, v;
      char op[16] = "";
      if (sscanf (line, "%llu:%llu %15s %llu", &maj, &min, op, &v) == 4)
        ;
      else if (sscanf (line, "%llu:%llu %llu", &maj, &min, &v) == 3)
        op[0] = '\0';
      else
        continue;
      if (blkio_add (s, k, maj, min, op, v) < 0)
        return -1;
    }
  return 0;
}

static int
blkio_stats (struct cgroup_manager *m, struct cgroup_stats *s)
{
  bool v2 = false;
  const char *d = dir_of (m, m->layout == CGROUP_LAYOUT_V2 ? "io" : "blkio", &v2);
  if (d == NULL)
    return 0;
  if (v2)
    {
      _cleanup_free_ char *data = NULL;
      if (cg_read (d, "io.stat", &data, NULL) < 0)
        return 0;
      for (char *save = NULL, *line = strtok_r (data, "\n", &save); line;
           line = strtok_r (NULL, "\n", &save))
        {
          unsigned long long maj, min;
          if (sscanf (line, "%llu:%llu", &maj, &min) != 2)
            continue;
          static const struct { const char *key; enum cgroup_blkio_kind k; const char *op; } map[] = {
            { "rbytes", CG_BLKIO_SERVICE_BYTES, "Read" }, { "wbytes", CG_BLKIO_SERVICE_BYTES, "Write" },
            { "rios", CG_BLKIO_SERVICED, "Read" }, { "wios", CG_BLKIO_SERVICED, "Write" },
          };
          for (size_t i = 0; i < ARRAY_SIZE (map); i++)
            {
              _cleanup_free_ char *pat = NULL;
              if (asprintf (&pat, " %s=", map[i].key) < 0)
                return -1;
              char *at = strstr (line, pat);
              if (at && blkio_add (s, map[i].k, maj, min, map[i].op,
                                   strtoull (at + strlen (pat), NULL, 10)) < 0)
                return -1;
            }
        }
      return 0;
    }
  /* CFQ/BFQ statistics when the scheduler provides them, else the throttle ones. */
  static const struct { enum cgroup_blkio_kind k; const char *file; } files[] = {
    { CG_BLKIO_SERVICE_BYTES, "blkio.io_service_bytes_recursive" },
    { CG_BLKIO_SERVICED, "blkio.io_serviced_recursive" },
    { CG_BLKIO_QUEUED, "blkio.io_queued_recursive" },
    { CG_BLKIO_SERVICE_TIME, "blkio.io_service_time_recursive" },
    { CG_BLKIO_WAIT_TIME, "blkio.io_wait_time_recursive" },
    { CG_BLKIO_MERGED, "blkio.io_merged_recursive" },
    { CG_BLKIO_TIME, "blkio.time_recursive" },
    { CG_BLKIO_SECTORS, "blkio.sectors_recursive" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    if (blkio_v1_file (d, files[i].file, s, files[i].k) < 0)
      return -1;
  if (s->nblkio[CG_BLKIO_SERVICED] == 0)
    {
      for (size_t k = 0; k < CG_BLKIO_KINDS; k++)
        {
          free (s->blkio[k]);
          s->blkio[k] = NULL;
          s->nblkio[k] = 0;
        }
      if (blkio_v1_file (d, "blkio.throttle.io_service_bytes_recursive", s, CG_BLKIO_SERVICE_BYTES) < 0
          || blkio_v1_file (d, "blkio.throttle.io_serviced_recursive", s, CG_BLKIO_SERVICED) < 0)
        return -1;
    }
  return 0;
}

/* Page sizes the kernel offers, named as in hugetlb files ("2MB", "1GB"). */
static int
hugetlb_stats (struct cgroup_manager *m, struct cgroup_stats *s)
{
  bool v2 = false;
  const char *d = dir_of (m, "hugetlb", &v2);
  if (d == NULL)
    return 0;
  _cleanup_closedir_ DIR *dir = opendir ("/sys/kernel/mm/hugepages");
  if (dir == NULL)
    return 0;
  struct dirent *de;
  while ((de = readdir (dir)))
    {
      unsigned long kb;
      if (sscanf (de->d_name, "hugepages-%lukB", &kb) != 1)
        continue;
      struct cgroup_hugetlb_stat h = { 0 };
      if (kb >= 1024 * 1024)
        snprintf (h.page_size, sizeof h.page_size, "%luGB", kb / (1024 * 1024));
      else if (kb >= 1024)
        snprintf (h.page_size, sizeof h.page_size, "%luMB", kb / 1024);
      else
        snprintf (h.page_size, sizeof h.page_size, "%luKB", kb);
      char file[64];
      snprintf (file, sizeof file, "hugetlb.%s.%s", h.page_size, v2 ? "current" : "usage_in_bytes");
      if (!cg_file_exists (d, file))
        continue;
      h.usage = read_u64 (d, file);
      if (v2)
        {
          snprintf (file, sizeof file, "hugetlb.%s.events", h.page_size);
          h.failcnt = read_keyed (d, file, "max");
        }
      else
        {
          snprintf (file, sizeof file, "hugetlb.%s.max_usage_in_bytes", h.page_size);
          h.max = read_u64 (d, file);
          snprintf (file, sizeof file, "hugetlb.%s.failcnt", h.page_size);
          h.failcnt = read_u64 (d, file);
        }
      struct cgroup_hugetlb_stat *g = realloc (s->hugetlb, (s->nhugetlb + 1) * sizeof *g);
      if (g == NULL)
        return -1;
      s->hugetlb = g;
      g[s->nhugetlb++] = h;
    }
  return 0;
}

void
cgroup_stats_clear (struct cgroup_stats *s)
{
  free (s->cpu.percpu);
  free (s->cpu.percpu_kernel);
  free (s->cpu.percpu_user);
  free (s->cpuset.cpus);
  free (s->cpuset.mems);
  for (size_t i = 0; i < s->memory.nraw; i++)
    free (s->memory.raw[i].key);
  free (s->memory.raw);
  for (size_t k = 0; k < CG_BLKIO_KINDS; k++)
    free (s->blkio[k]);
  free (s->hugetlb);
  memset (s, 0, sizeof *s);
}

int
cgroup_stats (struct cgroup_manager *m, struct cgroup_stats *out, struct error **err)
{
  memset (out, 0, sizeof *out);
  struct cg_hier *p = cg_primary (m);
  if (p == NULL || access (p->dir, F_OK) < 0)
    return error_set (err, ENOENT, "cgroup \"%s\" does not exist", m->path);
  cpu_stats (m, out);
  cpuset_stats (m, out);
  pids_stats (m, out);
  if (memory_stats (m, out) < 0 || blkio_stats (m, out) < 0 || hugetlb_stats (m, out) < 0)
    {
      cgroup_stats_clear (out);
      return error_set (err, ENOMEM, "cgroup \"%s\": stats", m->path);
    }
  return 0;
}
