/* linux.seccomp with libseccomp (named seccomp_filter.h: "seccomp.h" would shadow
 * libseccomp's <seccomp.h> on the libcontainer/ include path). The filter is compiled
 * before pivot_root
 * (seccomp_plan_compile) and loaded later (seccomp_plan_load) at the point
 * security.c chooses. */
#ifndef CAPSA_SECCOMP_FILTER_H
#define CAPSA_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "spec/config.h"
#include "spec/state.h"

struct seccomp_plan;

/* Build the libseccomp filter. Errors name the JSON path
 * (linux.seccomp.syscalls[2].action). Unknown syscall names are skipped (debug log)
 * as runc does; unknown architectures, actions, operators and flags are errors. */
int seccomp_plan_compile (const struct spec_seccomp *s, struct seccomp_plan **out,
                          struct error **err);
/* Load the filter into the calling thread (all threads with TSYNC). With a
 * SCMP_ACT_NOTIFY rule, the notify fd becomes available below. */
int seccomp_plan_load (struct seccomp_plan *p, struct error **err);
/* The notify fd after load (owned by the plan, O_CLOEXEC), or -1. */
int seccomp_plan_listener_fd (const struct seccomp_plan *p);
/* Hand the notify fd over: the plan no longer closes it. */
int seccomp_plan_steal_listener_fd (struct seccomp_plan *p);
bool seccomp_plan_uses_notify (const struct seccomp_plan *p);

/* Raw BPF: export the compiled filter (the libseccomp context is released), or
 * adopt a program read from the cache (takes ownership of bpf). A plan holding
 * BPF loads it with one seccomp(2) call. */
struct sock_filter;
int seccomp_plan_export (struct seccomp_plan *p, struct error **err);
int seccomp_plan_set_bpf (struct seccomp_plan *p, struct sock_filter *bpf, size_t len,
                          unsigned int filter_flags, bool notify, struct error **err);
struct seccomp_plan *seccomp_plan_new_empty (void);
/* Changes whenever the compile logic is rebuilt: part of the cache key. */
const char *seccomp_compiler_stamp (void);
void seccomp_plan_get_bpf (const struct seccomp_plan *p, const struct sock_filter **bpf,
                           size_t *len, unsigned int *filter_flags, bool *notify);

/* seccomp_enosys.c: per arch of a filter, the highest syscall number its profile
 * names (x32 numbers carry the x32 bit; -1: none). Put the stub in front of bpf
 * (replaced, *len grown): every number above that answers ENOSYS. */
struct seccomp_enosys_arch
{
  uint32_t audit_arch;   /* AUDIT_ARCH_* (= libseccomp's SCMP_ARCH_* token) */
  int64_t max;
  int64_t x32_max;       /* with AUDIT_ARCH_X86_64 only */
};
int seccomp_enosys_prepend (const struct seccomp_enosys_arch *arches, size_t narches,
                            struct sock_filter **bpf, size_t *len, struct error **err);

/* seccomp_cache.c: the plan for `s`, from <cache_dir> when an earlier compile of
 * the same profile (same capsa, libseccomp and kernel) is there, else compiled,
 * exported and stored. cache_dir NULL: compile and export only. */
int seccomp_plan_cached (const struct spec_seccomp *s, const char *cache_dir,
                         struct seccomp_plan **out, struct error **err);
void seccomp_plan_free (struct seccomp_plan *p);

/* "SCMP_ACT_ERRNO" + errnoRet -> libseccomp action; -1 + error when unknown. */
int seccomp_action_from_name (const char *name, bool has_errno_ret, uint32_t errno_ret,
                              uint32_t *out);
/* "SCMP_CMP_MASKED_EQ" -> enum scmp_compare; -1 when unknown. */
int seccomp_op_from_name (const char *name);
/* "SCMP_ARCH_X86_64" -> libseccomp arch token; 0 when unknown. */
uint32_t seccomp_arch_from_name (const char *name);

/* seccomp_notify.c: connect to the unix socket listener_path and send, in one
 * message, the containerProcessState JSON (runtime-spec runtime.md: ociVersion,
 * fds ["seccompFd"], pid, metadata, state) with notify_fd attached (SCM_RIGHTS). */
int seccomp_send_listener (const char *listener_path, int notify_fd, const struct spec_state *st,
                           const char *metadata, struct error **err);

#endif
