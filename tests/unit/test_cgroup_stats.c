/* Stats parsing and runc's JSON shape, and the OOM counter, on fake cgroup trees
 * (plain files under a temp dir, loaded through a saved manager): v1 and v2. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "cgroups/cgroup.h"
#include "spec/util/error.h"
#include "spec/util/json.h"

static char root[] = "/tmp/capsa-cgstats-XXXXXX";

static void
put (const char *dir, const char *file, const char *text)
{
  char path[512];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen (path, "w");
  if (f == NULL)
    {
      perror (path);
      exit (1);
    }
  fputs (text, f);
  fclose (f);
}

static char *
mkdirs (const char *mount, const char *rel)
{
  char *dir = NULL;
  if (asprintf (&dir, "%s/%s", root, mount) < 0)
    exit (1);
  mkdir (dir, 0755);
  char *leaf = NULL;
  if (asprintf (&leaf, "%s%s", dir, rel) < 0)
    exit (1);
  mkdir (leaf, 0755);
  free (dir);
  return leaf;
}

static char *
stats_json (struct cgroup_manager *m)
{
  struct cgroup_stats s;
  struct error *err = NULL;
  char *out = NULL;
  size_t len;
  if (cgroup_stats (m, &s, &err) < 0)
    {
      fprintf (stderr, "stats: %s\n", err->msg);
      error_free (&err);
      return strdup ("");
    }
  struct json_writer *w = json_writer_new (false);
  cgroup_stats_write_json (w, &s);
  cgroup_stats_clear (&s);
  if (json_writer_finish (w, &out, &len) < 0)
    return strdup ("");
  return out;
}

static struct cgroup_manager *
load (const char *saved)
{
  struct cgroup_manager *m = NULL;
  struct error *err = NULL;
  if (cgroup_manager_load (saved, &m, &err) < 0)
    {
      fprintf (stderr, "load: %s\n", err->msg);
      exit (1);
    }
  return m;
}

static void
test_v1 (void)
{
  char *mem = mkdirs ("memory", "/c");
  char *cpu = mkdirs ("cpu,cpuacct", "/c");
  char *pids = mkdirs ("pids", "/c");
  char *blk = mkdirs ("blkio", "/c");
  put (mem, "memory.stat", "cache 4096\nrss 8192\ntotal_rss 8192\n");
  put (mem, "memory.usage_in_bytes", "12288\n");
  put (mem, "memory.max_usage_in_bytes", "20480\n");
  put (mem, "memory.limit_in_bytes", "67108864\n");
  put (mem, "memory.failcnt", "3\n");
  put (mem, "memory.memsw.usage_in_bytes", "12288\n");
  put (mem, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
  put (mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
  put (mem, "cgroup.event_control", "");
  put (cpu, "cpuacct.usage", "5000\n");
  put (cpu, "cpuacct.usage_percpu", "2000 3000 \n");
  put (cpu, "cpuacct.stat", "user 2\nsystem 1\n");
  put (cpu, "cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 777\n");
  put (pids, "pids.current", "3\n");
  put (pids, "pids.max", "max\n");
  put (blk, "blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 0\nTotal 4096\n");
  put (blk, "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 0\nTotal 1\n");

  char *saved = NULL;
  if (asprintf (&saved,
                "capsa-cgroup 1\nv1 0 ctr\n/c\n0\tmemory\t%s/memory\t/c\n"
                "0\tcpu,cpuacct\t%s/cpu,cpuacct\t/c\n0\tpids\t%s/pids\t/c\n0\tblkio\t%s/blkio\t/c\n",
                root, root, root, root) < 0)
    exit (1);
  struct cgroup_manager *m = load (saved);
  char *j = stats_json (m);
  long hz = sysconf (_SC_CLK_TCK);
  char want[256];
  snprintf (want, sizeof want,
            "\"cpu\":{\"usage\":{\"total\":5000,\"percpu\":[2000,3000],\"kernel\":%lld,\"user\":%lld},"
            "\"throttling\":{\"periods\":10,\"throttledPeriods\":4,\"throttledTime\":777}}",
            1000000000LL / hz, 2 * (1000000000LL / hz));
  CHECK_CONTAINS (j, want);
  CHECK_CONTAINS (j, "\"memory\":{\"cache\":4096,\"usage\":{\"limit\":67108864,\"usage\":12288,"
                     "\"max\":20480,\"failcnt\":3},\"swap\":{\"limit\":9223372036854771712,"
                     "\"usage\":12288,\"failcnt\":0},\"kernel\":{\"limit\":0,\"failcnt\":0},"
                     "\"kernelTCP\":{\"limit\":0,\"failcnt\":0},"
                     "\"raw\":{\"cache\":4096,\"rss\":8192,\"total_rss\":8192}}");
  /* "max" is no limit: omitted as runc does */
  CHECK_CONTAINS (j, "\"pids\":{\"current\":3}");
  /* "Total" lines skipped, zero values omitted (Go omitempty) */
  CHECK_CONTAINS (j, "\"blkio\":{\"ioServiceBytesRecursive\":[{\"major\":8,\"op\":\"Read\",\"value\":4096},"
                     "{\"major\":8,\"op\":\"Write\"}],\"ioServicedRecursive\":[{\"major\":8,\"op\":\"Read\","
                     "\"value\":1},{\"major\":8,\"op\":\"Write\"}]}");
  CHECK_CONTAINS (j, "\"hugetlb\":{},\"intel_rdt\":{},\"network_interfaces\":null}");

  /* OOM counter: the eventfd never fires on a plain file, the counter is read anyway */
  struct cgroup_oom_watch *w = NULL;
  struct error *err = NULL;
  CHECK (cgroup_oom_watch (m, &w, &err) == 0);
  if (w)
    {
      CHECK (cgroup_oom_read (w, &err) == 0);
      put (mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
      CHECK (cgroup_oom_read (w, &err) == 2);
      CHECK (cgroup_oom_read (w, &err) == 0);
      cgroup_oom_watch_free (w);
    }
  error_free (&err);
  cgroup_manager_free (m);
  free (j);
  free (saved);
  free (mem);
  free (cpu);
  free (pids);
  free (blk);
}

static void
test_v2 (void)
{
  char *dir = mkdirs ("unified", "/c");
  char *top = NULL;
  if (asprintf (&top, "%s/unified", root) < 0)
    exit (1);
  put (top, "cgroup.controllers", "cpuset cpu io memory pids\n");
  put (dir, "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\n"
                        "nr_throttled 0\nthrottled_usec 0\n");
  put (dir, "cpuset.cpus.effective", "0-2,5\n");
  put (dir, "cpuset.mems.effective", "0\n");
  put (dir, "memory.current", "4096\n");
  put (dir, "memory.max", "max\n");
  put (dir, "memory.peak", "8192\n");
  put (dir, "memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n");
  put (dir, "memory.swap.current", "1024\n");
  put (dir, "memory.swap.max", "0\n");
  put (dir, "memory.stat", "anon 4096\nfile 100\n");
  put (dir, "pids.current", "2\n");
  put (dir, "pids.max", "20\n");
  put (dir, "io.stat", "8:16 rbytes=512 wbytes=1024 rios=1 wios=2 dbytes=0 dios=0\n");

  char *saved = NULL;
  if (asprintf (&saved, "capsa-cgroup 1\nv2 0 ctr\n/c\n1\t\t%s/unified\t/c\n", root) < 0)
    exit (1);
  struct cgroup_manager *m = load (saved);
  char *j = stats_json (m);
  CHECK_CONTAINS (j, "{\"cpu\":{\"usage\":{\"total\":1500000,\"kernel\":500000,\"user\":1000000},"
                     "\"throttling\":{}}");
  CHECK_CONTAINS (j, "\"cpuset\":{\"cpus\":[0,1,2,5],\"cpu_exclusive\":0,\"mems\":[0],");
  /* usage limit "max" = UINT64_MAX; swap is memory+swap like v1's memsw */
  CHECK_CONTAINS (j, "\"memory\":{\"cache\":100,\"usage\":{\"limit\":18446744073709551615,"
                     "\"usage\":4096,\"max\":8192,\"failcnt\":5},\"swap\":{\"limit\":18446744073709551615,"
                     "\"usage\":5120,\"failcnt\":0}");
  CHECK_CONTAINS (j, "\"pids\":{\"current\":2,\"limit\":20}");
  CHECK_CONTAINS (j, "\"blkio\":{\"ioServiceBytesRecursive\":[{\"major\":8,\"minor\":16,\"op\":\"Read\","
                     "\"value\":512},{\"major\":8,\"minor\":16,\"op\":\"Write\",\"value\":1024}],"
                     "\"ioServicedRecursive\":[{\"major\":8,\"minor\":16,\"op\":\"Read\",\"value\":1},"
                     "{\"major\":8,\"minor\":16,\"op\":\"Write\",\"value\":2}]}");

  /* OOM: inotify on memory.events plus the oom_kill counter */
  struct cgroup_oom_watch *w = NULL;
  struct error *err = NULL;
  CHECK (cgroup_oom_watch (m, &w, &err) == 0);
  if (w)
    {
      CHECK (cgroup_oom_read (w, &err) == 0);
      put (dir, "memory.events", "low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n");
      CHECK (cgroup_oom_read (w, &err) == 0); /* changed, but no new kill */
      put (dir, "memory.events", "low 0\nhigh 0\nmax 9\noom 3\noom_kill 2\n");
      CHECK (cgroup_oom_read (w, &err) == 1);
      cgroup_oom_watch_free (w);
    }
  error_free (&err);

  /* a removed cgroup is an error naming it */
  char *gone = NULL;
  if (asprintf (&gone, "capsa-cgroup 1\nv2 0 ctr\n/gone\n1\t\t%s/unified\t/gone\n", root) < 0)
    exit (1);
  struct cgroup_manager *g = load (gone);
  struct cgroup_stats s;
  CHECK (cgroup_stats (g, &s, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : "", "cgroup \"/gone\" does not exist");
  error_free (&err);
  cgroup_manager_free (g);
  free (gone);
  cgroup_manager_free (m);
  free (j);
  free (saved);
  free (dir);
  free (top);
}

int
main (void)
{
  if (mkdtemp (root) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  test_v1 ();
  test_v2 ();
  char cmd[128];
  snprintf (cmd, sizeof cmd, "rm -rf %s", root);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", root);
  return unit_finish ("test_cgroup_stats");
}
