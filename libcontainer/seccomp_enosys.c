/* The ENOSYS stub: a few BPF instructions put in front of libseccomp's program so
 * that every syscall number above the newest one a profile names answers ENOSYS,
 * whatever its number, also those libseccomp has no name for (syscalls newer than
 * the library). A profile written before a syscall existed would otherwise deny
 * it with its default action, and glibc would fail instead of falling back
 * (clone3 -> clone, openat2, faccessat2, close_range, ...). runc does the same. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp_filter.h"

/* x32 syscalls come under AUDIT_ARCH_X86_64 with this bit set in the number. */
#define X32_SYSCALL_BIT 0x40000000U

static size_t
block_len (const struct seccomp_enosys_arch *a)
{
  /* jeq arch; ld nr; [x86_64: jge x32 bit; [jgt x32 max]]; jgt max */
  size_t n = 3;
  if (a->audit_arch == AUDIT_ARCH_X86_64)
    n += 1 + (a->x32_max >= 0);
  return n;
}

static struct sock_filter
jump (unsigned short code, uint32_t k, size_t pc, size_t jt, size_t jf)
{
  /* Targets are absolute; BPF offsets count from the next instruction. */
  struct sock_filter f = { code, (unsigned char) (jt - pc - 1), (unsigned char) (jf - pc - 1), k };
  return f;
}

int
seccomp_enosys_prepend (const struct seccomp_enosys_arch *arches, size_t narches,
                        struct sock_filter **bpf, size_t *len, struct error **err)
{
  size_t total = 1 + 2; /* ld arch ... ja filter; ret ENOSYS */
  for (size_t i = 0; i < narches; i++)
    total += block_len (&arches[i]);
  /* Jump offsets are 8 bits: the stub must stay short (a handful of arches). */
  if (narches == 0 || total > 200 || *len + total > BPF_MAXINSNS)
    return narches == 0 ? 0 : error_set (err, E2BIG, "seccomp: ENOSYS stub too long");
  const size_t enosys = total - 1, filter = total;

  struct sock_filter *out = calloc (total + *len, sizeof *out);
  if (out == NULL)
    return error_set (err, ENOMEM, "seccomp: ENOSYS stub");
  size_t pc = 0;
  out[pc++] = (struct sock_filter) BPF_STMT (BPF_LD | BPF_W | BPF_ABS,
                                             offsetof (struct seccomp_data, arch));
  for (size_t i = 0; i < narches; i++)
    {
      const struct seccomp_enosys_arch *a = &arches[i];
      size_t next = pc + block_len (a);
      /* Not this arch: A still holds the arch for the next block's check. */
      out[pc] = jump (BPF_JMP | BPF_JEQ | BPF_K, a->audit_arch, pc, pc + 1, next);
      pc++;
      out[pc++] = (struct sock_filter) BPF_STMT (BPF_LD | BPF_W | BPF_ABS,
                                                 offsetof (struct seccomp_data, nr));
      if (a->audit_arch == AUDIT_ARCH_X86_64)
        {
          /* An x32 call goes to its own bound, or to the filter, which knows
           * what to do with an arch it was not given. */
          size_t x32 = a->x32_max >= 0 ? next - 1 : filter;
          out[pc] = jump (BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, pc, x32, pc + 1);
          pc++;
        }
      out[pc] = jump (BPF_JMP | BPF_JGT | BPF_K, (uint32_t) a->max, pc, enosys, filter);
      pc++;
      if (a->audit_arch == AUDIT_ARCH_X86_64 && a->x32_max >= 0)
        {
          out[pc] = jump (BPF_JMP | BPF_JGT | BPF_K, (uint32_t) a->x32_max, pc, enosys, filter);
          pc++;
        }
    }
  /* No arch of the stub: the filter decides. */
  out[pc] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JA, (uint32_t) (filter - pc - 1), 0, 0);
  pc++;
  out[pc++] = (struct sock_filter) BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  memcpy (out + pc, *bpf, *len * sizeof *out);
  free (*bpf);
  *bpf = out;
  *len += total;
  return 0;
}
