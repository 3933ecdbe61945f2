/* cgroup v2 device filter as a hand-assembled eBPF program. */
#ifndef CAPSA_CGROUP_DEVICES_BPF_H
#define CAPSA_CGROUP_DEVICES_BPF_H

#include <linux/bpf.h>
#include <stddef.h>

#include "convert.h"
#include "spec/util/error.h"

/* The program for these rules (last match wins, default deny). *out malloc'd. */
int cg_bpf_device_program (const struct cg_dev_rule *rules, size_t n, struct bpf_insn **out,
                           size_t *len);
/* Load it, attach it to cgroup_fd and detach whatever device programs were there. */
int cg_bpf_attach_devices (int cgroup_fd, const char *where, const struct cg_dev_rule *rules,
                           size_t n, struct error **err);

#endif
