/* v1 -> v2 conversions and the device rule list: pure functions, no root. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "cgroups/convert.h"
#include "cgroups/devices_bpf.h"

int
main (void)
{
  /* cpu.weight = 1 + ((shares - 2) * 9999) / 262142 */
  CHECK (cg_shares_to_weight (0) == 0);
  CHECK (cg_shares_to_weight (2) == 1);
  CHECK (cg_shares_to_weight (1024) == 39);
  CHECK (cg_shares_to_weight (262144) == 10000);
  CHECK (cg_shares_to_weight (1000000) == 10000);
  /* io.weight = 1 + (weight - 10) * 9999 / 990 */
  CHECK (cg_blkio_to_io_weight (10) == 1);
  CHECK (cg_blkio_to_io_weight (500) == 4950);
  CHECK (cg_blkio_to_io_weight (1000) == 10000);

  /* memory.swap.max = memsw - limit */
  int64_t out = 99;
  const char *why = NULL;
  CHECK (cg_swap_to_v2 (300, true, 100, true, &out, &why) == 0 && out == 200);
  CHECK (cg_swap_to_v2 (-1, true, 100, true, &out, &why) == 0 && out == -1);
  CHECK (cg_swap_to_v2 (0, false, 100, true, &out, &why) == 0 && out == 0);
  CHECK (cg_swap_to_v2 (0, false, -1, true, &out, &why) == 0 && out == -1);
  CHECK (cg_swap_to_v2 (100, true, 100, true, &out, &why) == 0 && out == 0);
  CHECK (cg_swap_to_v2 (50, true, 100, true, &out, &why) < 0);
  CHECK_CONTAINS (why, ">= memory limit");
  CHECK (cg_swap_to_v2 (50, true, 0, false, &out, &why) < 0);
  CHECK_CONTAINS (why, "needs a memory limit");

  /* cpu.max */
  char buf[64];
  struct spec_cpu cpu = { .quota = 50000, .has_quota = true, .period = 100000, .has_period = true };
  CHECK (cg_cpu_max (&cpu, buf, sizeof buf));
  CHECK_STR (buf, "50000 100000");
  cpu.quota = -1;
  CHECK (cg_cpu_max (&cpu, buf, sizeof buf));
  CHECK_STR (buf, "max 100000");
  cpu.has_period = false;
  CHECK (cg_cpu_max (&cpu, buf, sizeof buf));
  CHECK_STR (buf, "max");
  struct spec_cpu none = { 0 };
  CHECK (!cg_cpu_max (&none, buf, sizeof buf));

  /* device rules: spec order, then the defaults (linux.devices add none) */
  struct spec_device_cgroup rules[] = {
    { .allow = false, .type = 0, .major = -1, .minor = -1, .access = "rwm" },
    { .allow = true, .type = 'c', .major = 10, .minor = 200, .access = "rw" },
  };
  struct spec_resources r = { .devices = rules, .devices_len = 2 };
  struct cg_dev_rule *d = NULL;
  size_t n = 0;
  CHECK (cg_device_rules (&r, &d, &n) == 0);
  CHECK (n > 4);
  cg_dev_rule_format (&d[0], buf, sizeof buf);
  CHECK_STR (buf, "a *:* rwm");
  cg_dev_rule_format (&d[1], buf, sizeof buf);
  CHECK_STR (buf, "c 10:200 rw");
  cg_dev_rule_format (&d[2], buf, sizeof buf);
  CHECK_STR (buf, "c *:* m");
  CHECK (cg_dev_rules_allow (d, n, 'c', 1, 3, 'r'));       /* /dev/null by default */
  CHECK (cg_dev_rules_allow (d, n, 'c', 136, 4, 'w'));     /* pts */
  CHECK (cg_dev_rules_allow (d, n, 'c', 10, 200, 'w'));
  CHECK (!cg_dev_rules_allow (d, n, 'c', 10, 201, 'r'));
  CHECK (!cg_dev_rules_allow (d, n, 'b', 8, 0, 'r'));
  CHECK (!cg_dev_rules_allow (d, n, 'b', 8, 1, 'r'));
  CHECK (cg_dev_rules_allow (d, n, 'b', 8, 1, 'm'));       /* mknod of anything */
  CHECK (!cg_dev_rules_allow (d, n, 'c', 1, 11, 'r'));     /* kmsg */

  /* the eBPF program: prologue 6 + epilogue 2 + one block per rule */
  struct bpf_insn *prog = NULL;
  size_t plen = 0;
  CHECK (cg_bpf_device_program (d, n, &prog, &plen) == 0);
  CHECK (plen > 8 + n * 2 && plen <= 8 + n * 8);
  CHECK (prog && prog[plen - 1].code == (BPF_JMP | BPF_EXIT));
  free (prog);
  free (d);
  return unit_finish ("test_cgroup_convert");
}
