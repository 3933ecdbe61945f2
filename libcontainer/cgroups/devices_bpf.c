/* cgroup v2 device access: a BPF_PROG_TYPE_CGROUP_DEVICE program assembled here
 * from the rule list (no libbpf), attached to the container's cgroup and
 * replacing any program attached before. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "convert.h"
#include "devices_bpf.h"
#include "spec/util/cleanup.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static int
access_mask (const char *acc)
{
  int m = 0;
  if (strchr (acc, 'm'))
    m |= BPF_DEVCG_ACC_MKNOD;
  if (strchr (acc, 'r'))
    m |= BPF_DEVCG_ACC_READ;
  if (strchr (acc, 'w'))
    m |= BPF_DEVCG_ACC_WRITE;
  return m;
}

int
cg_bpf_device_program (const struct cg_dev_rule *rules, size_t n, struct bpf_insn **out,
                       size_t *len)
{
  /* prologue (6) + per rule at most 8 + epilogue (2) */
  struct bpf_insn *p = calloc (6 + 8 * n + 2, sizeof *p);
  size_t k = 0;
  if (p == NULL)
    return -1;
  /* r2 = type, r3 = access, r4 = major, r5 = minor */
  p[k++] = INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0);
  p[k++] = INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
  p[k++] = INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0);
  p[k++] = INSN (BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
  p[k++] = INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0);
  p[k++] = INSN (BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0);
  /* one block per rule, last rule first: the last matching rule decides */
  for (size_t i = n; i-- > 0;)
    {
      const struct cg_dev_rule *d = &rules[i];
      int mask = access_mask (d->access);
      bool t = d->type != 'a', a = mask != 7, ma = d->major >= 0, mi = d->minor >= 0;
      int body = (t ? 1 : 0) + (a ? 3 : 0) + (ma ? 1 : 0) + (mi ? 1 : 0);
      int left = body; /* instructions before the match action, for the skip offsets */
      if (t)
        {
          left--;
          p[k++] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, left + 2,
                         d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        }
      if (a)
        {
          /* allow: the request must be a subset; deny: any overlap matches */
          p[k++] = INSN (BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
          if (d->allow)
            {
              p[k++] = INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, ~mask & 7);
              left -= 3;
              p[k++] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, left + 2, 0);
            }
          else
            {
              p[k++] = INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, mask);
              left -= 3;
              p[k++] = INSN (BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, left + 2, 0);
            }
        }
      if (ma)
        {
          left--;
          p[k++] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, left + 2, (int32_t) d->major);
        }
      if (mi)
        {
          left--;
          p[k++] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, left + 2, (int32_t) d->minor);
        }
      p[k++] = INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, d->allow ? 1 : 0);
      p[k++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
      /* A rule matching everything decides alone: the verifier refuses the
       * unreachable code after it. */
      if (body == 0)
        break;
      if (i == 0)
        {
          p[k++] = INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
          p[k++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        }
    }
  if (n == 0)
    {
      p[k++] = INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
      p[k++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    }
  *out = p;
  *len = k;
  return 0;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

int
cg_bpf_attach_devices (int cgroup_fd, const char *where, const struct cg_dev_rule *rules,
                       size_t n, struct error **err)
{
  _cleanup_free_ struct bpf_insn *prog = NULL;
  size_t len = 0;
  char log[4096] = "";
  union bpf_attr attr;

  if (cg_bpf_device_program (rules, n, &prog, &len) < 0)
    return error_set (err, ENOMEM, "device program");

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) prog;
  attr.insn_cnt = (uint32_t) len;
  attr.license = (uint64_t) (uintptr_t) "GPL";
  attr.log_buf = (uint64_t) (uintptr_t) log;
  attr.log_size = sizeof log;
  attr.log_level = 1;
  _cleanup_close_ int prog_fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (prog_fd < 0)
    {
      /* retry without a log: some kernels refuse a log for a valid program */
      attr.log_buf = 0;
      attr.log_size = 0;
      attr.log_level = 0;
      prog_fd = sys_bpf (BPF_PROG_LOAD, &attr);
      if (prog_fd < 0)
        return error_set (err, errno, "linux.resources.devices: load the eBPF device program (%s)",
                          log[0] ? log : "no verifier log");
    }

  /* Remember what is attached now, so it can be removed after ours is in. */
  uint32_t ids[64];
  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t) cgroup_fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
  attr.query.prog_cnt = ARRAY_SIZE (ids);
  uint32_t old = 0;
  if (sys_bpf (BPF_PROG_QUERY, &attr) == 0)
    old = attr.query.prog_cnt;

  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t) cgroup_fd;
  attr.attach_bpf_fd = (uint32_t) prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return error_set (err, errno, "linux.resources.devices: attach the eBPF device program to %s", where);

  for (uint32_t i = 0; i < old && i < ARRAY_SIZE (ids); i++)
    {
      memset (&attr, 0, sizeof attr);
      attr.prog_id = ids[i];
      _cleanup_close_ int ofd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
      if (ofd < 0)
        continue;
      memset (&attr, 0, sizeof attr);
      attr.target_fd = (uint32_t) cgroup_fd;
      attr.attach_bpf_fd = (uint32_t) ofd;
      attr.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
        return error_set (err, errno, "linux.resources.devices: detach the previous device program from %s",
                          where);
    }
  return 0;
}
