/* cgroup v1 -> v2 value conversions (runtime-spec / crun's documented tables)
 * and the effective device rule list. Pure functions, unit tested. */
#ifndef CAPSA_CGROUP_CONVERT_H
#define CAPSA_CGROUP_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/config.h"

/* cpu.shares [2, 262144] -> cpu.weight [1, 10000]; 0 (unset) -> 0. */
uint64_t cg_shares_to_weight (uint64_t shares);
/* blkio.weight [10, 1000] -> io.weight [1, 10000]; 0 (unset) -> 0. */
uint64_t cg_blkio_to_io_weight (uint64_t weight);
/* memory.memsw (memory+swap) -> memory.swap.max (swap only). -1 = "max",
 * 0 = leave unset. Returns -1 with a message for impossible combinations. */
int cg_swap_to_v2 (int64_t memsw, bool has_memsw, int64_t limit, bool has_limit,
                   int64_t *out, const char **why);
/* "quota period" for cpu.max: quota <= 0 -> "max"; period 0 -> omitted.
 * Writes into buf; returns false when neither is set. */
bool cg_cpu_max (const struct spec_cpu *cpu, char *buf, size_t len);

/* One device rule with wildcards resolved: type 'a', 'c' or 'b'; -1 = any. */
struct cg_dev_rule
{
  bool allow;
  char type;
  int64_t major, minor;
  char access[4]; /* subset of "rwm" */
};
/* linux.resources.devices in order, then the devices every container gets
 * (mknod of any node; null, zero, full, random, urandom, tty, console, ptmx,
 * pts), as runc does; never a rule for a linux.devices node. *out is malloc'd. */
int cg_device_rules (const struct spec_resources *r, struct cg_dev_rule **out, size_t *n);
/* "c 1:3 rwm" / "a *:* rwm" as written to v1 devices.allow/deny. */
void cg_dev_rule_format (const struct cg_dev_rule *d, char *buf, size_t len);
/* Evaluate the rules as the eBPF program does (the last match wins, default
 * deny): for tests and for reasoning. acc is one of 'r','w','m'. */
bool cg_dev_rules_allow (const struct cg_dev_rule *rules, size_t n, char type, int64_t major,
                         int64_t minor, char acc);

/* One entry of systemd's DeviceAllow= (DevicePolicy=strict): type 'c' or 'b';
 * major -1 = the whole type, minor -1 = the whole major. */
struct cg_dev_allow
{
  char type;
  int64_t major, minor;
  char access[4];
};
/* The rules (last match wins, default deny) as an allow list, which is all
 * systemd can express. *exact is false when it is wider than the rules: a deny
 * that cuts a hole in an earlier, wider allow (allow c *:*, deny c 1:11), or
 * an allow "*:N". Never narrower: systemd's filter and ours both apply on v2.
 * *out malloc'd. */
int cg_dev_allow_list (const struct cg_dev_rule *rules, size_t n, struct cg_dev_allow **out,
                       size_t *len, bool *exact);
/* Whether systemd's DevicePolicy=strict with this list lets the access through
 * (any entry covering the device with it): for tests, like cg_dev_rules_allow. */
bool cg_dev_allow_list_allows (const struct cg_dev_allow *a, size_t n, char type, int64_t major,
                               int64_t minor, char acc);
/* The DeviceAllow path: "/dev/char/1:3", "char-136", "block-*". */
void cg_dev_allow_path (const struct cg_dev_allow *a, char *buf, size_t len);

#endif
