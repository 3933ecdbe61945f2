/* update: change a container's cgroup resources, from an OCI resources JSON
 * (--resources FILE|-) or from runc's individual flags. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "spec/util/cleanup.h"

static const struct cmd_doc update_doc = {
  "<container-id>\n\n"
  "Where \"<container-id>\" is the name for the instance of the container.",
  NULL,
};

static const char resources_usage[] =
  "path to the file containing the resources to update or '-' to read from the standard input\n\n"
  "The accepted format is as follow (unchanged values can be omitted):\n\n"
  "{\n"
  "  \"memory\": {\n"
  "    \"limit\": 0,\n"
  "    \"reservation\": 0,\n"
  "    \"swap\": 0\n"
  "  },\n"
  "  \"cpu\": {\n"
  "    \"shares\": 0,\n"
  "    \"quota\": 0,\n"
  "    \"burst\": 0,\n"
  "    \"period\": 0,\n"
  "    \"realtimeRuntime\": 0,\n"
  "    \"realtimePeriod\": 0,\n"
  "    \"cpus\": \"\",\n"
  "    \"mems\": \"\"\n"
  "  },\n"
  "  \"blockIO\": {\n"
  "    \"weight\": 0\n"
  "  }\n"
  "}\n\n"
  "Note: if data is to be read from a file or the standard input, all\n"
  "other options are ignored.";

/* docker/go-units RAMInBytes, as runc parses --memory: "512", "1.5g", "100 MiB";
 * binary multipliers. */
static int
update_parse_size (const char *s, int64_t *out)
{
  static const char units[] = "kmgtp";
  char *end;
  if (!isdigit ((unsigned char) s[0]))
    return -1;
  errno = 0;
  double v = strtod (s, &end);
  if (errno != 0 || end == s)
    return -1;
  if (*end == ' ')
    end++;
  double mult = 1;
  const char *u = *end ? strchr (units, tolower ((unsigned char) *end)) : NULL;
  if (u && *u)
    {
      for (const char *p = units; p <= u; p++)
        mult *= 1024;
      end++;
    }
  if (*end == 'i' || *end == 'I')
    end++;
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end != '\0')
    return -1;
  v *= mult;
  if (v >= 9223372036854775807.0)
    return -1;
  *out = (int64_t) v;
  return 0;
}

static int
parse_u64 (struct cli *cli, const char *name, const char *s, uint64_t *out)
{
  char *end;
  errno = 0;
  if (!isdigit ((unsigned char) s[0]))
    errno = EINVAL;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno == 0 && *end == '\0')
    {
      *out = v;
      return 0;
    }
  cli_fail (cli, "invalid value for %s: strconv.ParseUint: parsing \"%s\": %s", name, s,
            errno == ERANGE ? "value out of range" : "invalid syntax");
  return -1;
}

static int
parse_i64 (struct cli *cli, const char *name, const char *s, int64_t *out)
{
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (errno == 0 && end != s && *end == '\0')
    {
      *out = v;
      return 0;
    }
  cli_fail (cli, "invalid value for %s: strconv.ParseInt: parsing \"%s\": %s", name, s,
            errno == ERANGE ? "value out of range" : "invalid syntax");
  return -1;
}

/* "-1" means unlimited; anything else is a size. */
static int
parse_mem (struct cli *cli, const char *name, const char *s, int64_t *out)
{
  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  if (update_parse_size (s, out) == 0)
    return 0;
  cli_fail (cli, "invalid value for %s: invalid size: '%s'", name, s);
  return -1;
}

static int
read_resources (struct cli *cli, const char *path, struct spec_resources **out)
{
  FILE *f = strcmp (path, "-") == 0 ? stdin : fopen (path, "re");
  _cleanup_free_ char *data = NULL;
  size_t len = 0, cap = 0;
  struct error *err = NULL;
  if (f == NULL)
    return cli_fail (cli, "open %s: %m", path), -1;
  for (;;)
    {
      if (cap - len < 4096)
        {
          char *g = realloc (data, cap += 65536);
          if (g == NULL)
            break;
          data = g;
        }
      size_t n = fread (data + len, 1, cap - len, f);
      len += n;
      if (n == 0)
        break;
    }
  bool bad = ferror (f);
  if (f != stdin)
    fclose (f);
  if (bad || data == NULL)
    return cli_fail (cli, "read %s: %m", path), -1;
  *out = spec_resources_parse_data (data, len, strcmp (path, "-") == 0 ? "stdin" : path, &err);
  if (*out == NULL)
    return cli_fail_err (cli, &err, NULL), -1;
  return 0;
}

int
cmd_update (struct cli *cli, int argc, char **argv)
{
  const char *resources = NULL, *blkio_weight = NULL, *cpu_period = NULL, *cpu_quota = NULL,
             *cpu_burst = NULL, *cpu_share = NULL, *cpu_rt_period = NULL, *cpu_rt_runtime = NULL,
             *cpuset_cpus = NULL, *cpuset_mems = NULL, *memory = NULL, *memory_reservation = NULL,
             *memory_swap = NULL, *pids_limit = NULL, *l3 = NULL, *mbw = NULL;
  const struct opt_spec specs[] = {
    { "resources, r", OPT_STRING, &resources, resources_usage, NULL },
    { "blkio-weight", OPT_STRING, &blkio_weight,
      "Specifies per cgroup weight, range is from 10 to 1000", "0" },
    { "cpu-period", OPT_STRING, &cpu_period,
      "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default", NULL },
    { "cpu-quota", OPT_STRING, &cpu_quota,
      "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period", NULL },
    { "cpu-burst", OPT_STRING, &cpu_burst,
      "CPU CFS hardcap burst limit (in usecs). Allowed accumulated cpu time additionally for "
      "burst a given period", NULL },
    { "cpu-share", OPT_STRING, &cpu_share, "CPU shares (relative weight vs. other containers)",
      NULL },
    { "cpu-rt-period", OPT_STRING, &cpu_rt_period,
      "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default", NULL },
    { "cpu-rt-runtime", OPT_STRING, &cpu_rt_runtime,
      "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period", NULL },
    { "cpuset-cpus", OPT_STRING, &cpuset_cpus, "CPU(s) to use", NULL },
    { "cpuset-mems", OPT_STRING, &cpuset_mems, "Memory node(s) to use", NULL },
    { "memory", OPT_STRING, &memory, "Memory limit (in bytes)", NULL },
    { "memory-reservation", OPT_STRING, &memory_reservation,
      "Memory reservation or soft_limit (in bytes)", NULL },
    { "memory-swap", OPT_STRING, &memory_swap,
      "Total memory usage (memory + swap); set '-1' to enable unlimited swap", NULL },
    { "pids-limit", OPT_STRING, &pids_limit, "Maximum number of pids allowed in the container",
      "0" },
    { "l3-cache-schema", OPT_STRING, &l3, "The string of Intel RDT/CAT L3 cache schema", NULL },
    { "mem-bw-schema", OPT_STRING, &mbw, "The string of Intel RDT/MBA memory bandwidth schema",
      NULL },
    { NULL },
  };
  struct error *err = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &update_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &update_doc, specs, nargs, 1, CLI_EXACT)) != 0)
    return status;
  if (lc_validate_id (args[0], &err) < 0)
    return cli_fail_err (cli, &err, NULL);

  if (resources)
    {
      struct spec_resources *r = NULL;
      if (read_resources (cli, resources, &r) < 0)
        return 1;
      int ret = lc_update (&cli->lc, args[0], r, &err);
      spec_resources_free (r);
      return ret < 0 ? cli_fail_lookup (cli, &err) : 0;
    }

  struct spec_memory mem = { 0 };
  struct spec_cpu cpu = { 0 };
  struct spec_blkio blkio = { 0 };
  struct spec_resources r = { 0 };
  uint64_t u;
  if (blkio_weight)
    {
      if (parse_u64 (cli, "blkio-weight", blkio_weight, &u) < 0)
        return 1;
      if (u > UINT16_MAX)
        return cli_fail (cli, "invalid value for blkio-weight: %s out of range", blkio_weight);
      /* runc: 0 leaves the weight unchanged */
      if (u != 0)
        {
          blkio.weight = (uint16_t) u;
          blkio.has_weight = true;
          r.block_io = &blkio;
        }
    }
#define U64_FLAG(var, name, field)                                      \
  if (var)                                                              \
    {                                                                   \
      if (parse_u64 (cli, name, var, &cpu.field) < 0)                   \
        return 1;                                                       \
      cpu.has_##field = true;                                           \
      r.cpu = &cpu;                                                     \
    }
#define I64_FLAG(var, name, field)                                      \
  if (var)                                                              \
    {                                                                   \
      if (parse_i64 (cli, name, var, &cpu.field) < 0)                   \
        return 1;                                                       \
      cpu.has_##field = true;                                           \
      r.cpu = &cpu;                                                     \
    }
  U64_FLAG (cpu_period, "cpu-period", period);
  I64_FLAG (cpu_quota, "cpu-quota", quota);
  U64_FLAG (cpu_burst, "cpu-burst", burst);
  U64_FLAG (cpu_share, "cpu-share", shares);
  U64_FLAG (cpu_rt_period, "cpu-rt-period", realtime_period);
  I64_FLAG (cpu_rt_runtime, "cpu-rt-runtime", realtime_runtime);
#undef U64_FLAG
#undef I64_FLAG
  if (cpuset_cpus && *cpuset_cpus)
    {
      cpu.cpus = (char *) cpuset_cpus;
      r.cpu = &cpu;
    }
  if (cpuset_mems && *cpuset_mems)
    {
      cpu.mems = (char *) cpuset_mems;
      r.cpu = &cpu;
    }
#define MEM_FLAG(var, name, field)                                      \
  if (var && *var)                                                      \
    {                                                                   \
      if (parse_mem (cli, name, var, &mem.field) < 0)                   \
        return 1;                                                       \
      mem.has_##field = true;                                           \
      r.memory = &mem;                                                  \
    }
  MEM_FLAG (memory, "memory", limit);
  MEM_FLAG (memory_reservation, "memory-reservation", reservation);
  MEM_FLAG (memory_swap, "memory-swap", swap);
#undef MEM_FLAG
  if (pids_limit)
    {
      if (parse_i64 (cli, "pids-limit", pids_limit, &r.pids_limit) < 0)
        return 1;
      /* runc: 0 leaves the limit unchanged, a negative value means unlimited */
      r.has_pids = r.pids_limit != 0;
    }
  if ((l3 && *l3) || (mbw && *mbw))
    return cli_fail (cli, "%s", access ("/sys/fs/resctrl/schemata", F_OK) == 0
                                  ? "Intel RDT: not supported by capsa"
                                  : (l3 && *l3) ? "Intel RDT/CAT: l3 cache schema is not enabled"
                                                : "Intel RDT/MBA: memory bandwidth schema is not enabled");
  if (lc_update (&cli->lc, args[0], &r, &err) < 0)
    return cli_fail_lookup (cli, &err);
  return 0;
}
