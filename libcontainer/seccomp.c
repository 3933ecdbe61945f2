/* Seccomp filters from linux.seccomp with libseccomp. Everything that can fail on
 * the config (names, actions, operators, flags) fails in seccomp_plan_compile,
 * before pivot_root; loading is one syscall at the point security.c picks. */
#define _GNU_SOURCE
#include "seccomp_filter.h"

#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/util/cleanup.h"

/* Syscall numbers above the profile's newest are scanned up to this (x86_64 is
 * near 470 in 2025; numbers without a name in libseccomp's table are skipped). */

struct seccomp_plan
{
  scmp_filter_ctx ctx;          /* NULL once exported to raw BPF */
  bool notify;
  int listener_fd;
  struct sock_filter *bpf;      /* the exported program (seccomp_plan_export) */
  size_t bpf_len;               /* instructions */
  unsigned int filter_flags;    /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  struct seccomp_enosys_arch enosys[8]; /* the ENOSYS stub to put in front on export */
  size_t n_enosys;
};

struct name_value
{
  const char *name;
  uint32_t value;
};

int
seccomp_action_from_name (const char *name, bool has_errno_ret, uint32_t errno_ret,
                          uint32_t *out)
{
  /* runc's defaults: ERRNO and TRACE without errnoRet return EPERM. */
  uint32_t ret = has_errno_ret ? errno_ret : EPERM;
  if (name == NULL)
    return -1;
  if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO (ret);
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE (ret);
  else if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    *out = SCMP_ACT_NOTIFY;
  else
    return -1;
  return 0;
}

int
seccomp_op_from_name (const char *name)
{
  static const struct name_value ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE },
    { "SCMP_CMP_LT", SCMP_CMP_LT },
    { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ },
    { "SCMP_CMP_GE", SCMP_CMP_GE },
    { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };
  for (size_t i = 0; name && i < ARRAY_SIZE (ops); i++)
    if (strcmp (name, ops[i].name) == 0)
      return ops[i].value;
  return -1;
}

uint32_t
seccomp_arch_from_name (const char *name)
{
  char lower[32];
  size_t i;
  if (name == NULL || strncmp (name, "SCMP_ARCH_", 10) != 0)
    return 0;
  name += 10;
  if (strcmp (name, "NATIVE") == 0)
    return SCMP_ARCH_NATIVE;
  /* libseccomp names are the lower-case suffix: X86_64 -> x86_64, PPC64LE -> ppc64le. */
  for (i = 0; name[i] && i < sizeof lower - 1; i++)
    lower[i] = tolower ((unsigned char) name[i]);
  lower[i] = '\0';
  if (name[i] != '\0')
    return 0;
  return seccomp_arch_resolve_name (lower);
}

static int
set_flag (scmp_filter_ctx ctx, const char *flag, size_t i, unsigned int *kflags,
          struct error **err)
{
  enum scmp_filter_attr attr;
  if (strcmp (flag, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
    attr = SCMP_FLTATR_CTL_TSYNC, *kflags |= SECCOMP_FILTER_FLAG_TSYNC;
  else if (strcmp (flag, "SECCOMP_FILTER_FLAG_LOG") == 0)
    attr = SCMP_FLTATR_CTL_LOG, *kflags |= SECCOMP_FILTER_FLAG_LOG;
  else if (strcmp (flag, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
    attr = SCMP_FLTATR_CTL_SSB, *kflags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  else if (strcmp (flag, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
    {
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
      /* The filter is loaded with seccomp(2) from the exported BPF: the flag
       * must reach that call, not only libseccomp's attribute. */
      attr = SCMP_FLTATR_CTL_WAITKILL, *kflags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
#else
      return error_set (err, 0, "linux.seccomp.flags[%zu]: \"%s\" needs libseccomp >= 2.6 "
                        "(built with %d.%d.%d)", i, flag, SCMP_VER_MAJOR, SCMP_VER_MINOR,
                        SCMP_VER_MICRO);
#endif
    }
  else
    return error_set (err, 0, "linux.seccomp.flags[%zu]: unknown seccomp flag \"%s\"", i, flag);
  int r = seccomp_attr_set (ctx, attr, 1);
  if (r < 0)
    return error_set (err, -r, "linux.seccomp.flags[%zu]: set \"%s\"", i, flag);
  return 0;
}

static int
add_rules (scmp_filter_ctx ctx, const struct spec_seccomp_syscall *sc, size_t idx,
           uint32_t action, uint32_t default_action, struct error **err)
{
  struct scmp_arg_cmp cmps[6];
  size_t ncmp = sc->args_len;
  bool same_index = false;

  if (ncmp > ARRAY_SIZE (cmps))
    return error_set (err, 0, "linux.seccomp.syscalls[%zu].args: at most %zu conditions",
                      idx, ARRAY_SIZE (cmps));
  for (size_t a = 0; a < ncmp; a++)
    {
      const struct spec_seccomp_arg *arg = &sc->args[a];
      int op = seccomp_op_from_name (arg->op);
      if (op < 0)
        return error_set (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown "
                          "operator \"%s\"", idx, a, arg->op ? arg->op : "");
      if (arg->index > 5)
        return error_set (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].index: %u is "
                          "not a syscall argument (0-5)", idx, a, arg->index);
      cmps[a] = (struct scmp_arg_cmp) { .arg = arg->index, .op = op,
                                        .datum_a = arg->value, .datum_b = arg->value_two };
      for (size_t b = 0; b < a; b++)
        if (cmps[b].arg == cmps[a].arg)
          same_index = true;
    }

  for (size_t n = 0; n < sc->names_len; n++)
    {
      const char *name = sc->names[n];
      int nr = seccomp_syscall_resolve_name (name);
      if (nr == __NR_SCMP_ERROR)
        {
          /* Profiles list syscalls of newer kernels and other arches: as runc. */
          log_debug ("seccomp: unknown syscall \"%s\", skipping it", name);
          continue;
        }
      if (action == SCMP_ACT_NOTIFY && strcmp (name, "write") == 0)
        return error_set (err, 0, "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY cannot be "
                          "used for the write syscall", idx);
      if (action == default_action)
        {
          log_debug ("seccomp: rule for \"%s\" has the default action, skipping it", name);
          continue;
        }
      int r;
      /* libseccomp cannot AND two conditions on one argument: like runc, such
       * conditions become one rule each (OR). */
      if (same_index)
        {
          for (size_t a = 0; a < ncmp; a++)
            if ((r = seccomp_rule_add_array (ctx, action, nr, 1, &cmps[a])) < 0)
              return error_set (err, -r, "linux.seccomp.syscalls[%zu]: add rule for \"%s\"",
                                idx, name);
        }
      else if ((r = seccomp_rule_add_array (ctx, action, nr, ncmp, cmps)) < 0)
        return error_set (err, -r, "linux.seccomp.syscalls[%zu]: add rule for \"%s\"", idx,
                          name);
    }
  return 0;
}

/* The highest syscall number the profile names on `arch` (resolvable names only,
 * no pseudo-syscalls), or -1 when it names none there. */
static int64_t
highest_named_syscall (const struct spec_seccomp *s, uint32_t arch)
{
  int64_t max = -1;
  for (size_t i = 0; i < s->syscalls_len; i++)
    for (size_t n = 0; n < s->syscalls[i].names_len; n++)
      {
        int nr = seccomp_syscall_resolve_name_arch (arch, s->syscalls[i].names[n]);
        if (nr >= 0 && nr > max)
          max = nr;
      }
  return max;
}

/* A profile written before a syscall existed denies it with the default action
 * (EPERM, or a kill), and glibc then fails instead of falling back (clone3 ->
 * clone, close_range, openat2, faccessat2). Like runc's ENOSYS stub: every syscall
 * newer than the newest one the profile names answers ENOSYS, "not implemented",
 * which callers treat as "use the old way" (seccomp_enosys.c). Not under the
 * permissive defaults (allow, log, trace: a tracer handles new syscalls itself,
 * as runc reasons), nor when the default already is ENOSYS. */
static bool
wants_enosys_stub (uint32_t default_action)
{
  if (default_action == SCMP_ACT_ALLOW || default_action == SCMP_ACT_LOG
      || default_action == SCMP_ACT_ERRNO (ENOSYS))
    return false;
  /* The action is in the high 16 bits, the errno or trace value in the low ones. */
  return (default_action & 0xffff0000U) != SCMP_ACT_TRACE (0);
}

/* The stub's bounds for every arch of the filter (the native one and the
 * profile's), x32 folded into x86_64 where the kernel reports it. */
static void
plan_enosys_stub (struct seccomp_plan *p, const struct spec_seccomp *s)
{
  uint32_t arches[ARRAY_SIZE (p->enosys) + 1];
  size_t n = 0;
  arches[n++] = seccomp_arch_native ();
  for (size_t i = 0; i < s->architectures_len && n < ARRAY_SIZE (arches); i++)
    arches[n++] = seccomp_arch_from_name (s->architectures[i]);
  int64_t x32_max = -1;
  for (size_t i = 0; i < n; i++)
    if (arches[i] == SCMP_ARCH_X32)
      x32_max = highest_named_syscall (s, SCMP_ARCH_X32);
  p->n_enosys = 0;
  for (size_t i = 0; i < n; i++)
    {
      uint32_t a = arches[i];
      bool dup = false;
      for (size_t j = 0; j < p->n_enosys; j++)
        dup = dup || p->enosys[j].audit_arch == a;
      if (a == 0 || a == SCMP_ARCH_X32 || dup || p->n_enosys == ARRAY_SIZE (p->enosys))
        continue;
      int64_t max = highest_named_syscall (s, a);
      if (max < 0)
        continue;
      p->enosys[p->n_enosys++] = (struct seccomp_enosys_arch) {
        .audit_arch = a, .max = max, .x32_max = a == SCMP_ARCH_X86_64 ? x32_max : -1 };
    }
}

int
seccomp_plan_compile (const struct spec_seccomp *s, struct seccomp_plan **out,
                      struct error **err)
{
  uint32_t default_action;
  if (seccomp_action_from_name (s->default_action, s->has_default_errno_ret,
                                s->default_errno_ret, &default_action) < 0)
    return error_set (err, 0, "linux.seccomp.defaultAction: unknown action \"%s\"",
                      s->default_action ? s->default_action : "");

  struct seccomp_plan *p = calloc (1, sizeof *p);
  if (p == NULL)
    return error_set (err, ENOMEM, "seccomp plan");
  p->listener_fd = -1;
  p->notify = default_action == SCMP_ACT_NOTIFY;
  p->ctx = seccomp_init (default_action);
  if (p->ctx == NULL)
    {
      free (p);
      return error_set (err, EINVAL, "seccomp_init(%s)", s->default_action);
    }

  /* libseccomp sets no_new_privs on load by default; NNP is the config's choice. */
  int r = seccomp_attr_set (p->ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (r < 0)
    {
      error_set (err, -r, "seccomp: clear the NNP attribute");
      goto fail;
    }
  /* A binary tree over syscall numbers: fewer BPF instructions per syscall for
   * the long allow lists of real profiles. An optimisation only. */
  (void) seccomp_attr_set (p->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  for (size_t i = 0; i < s->architectures_len; i++)
    {
      uint32_t arch = seccomp_arch_from_name (s->architectures[i]);
      if (arch == 0)
        {
          error_set (err, 0, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"",
                     i, s->architectures[i]);
          goto fail;
        }
      r = seccomp_arch_add (p->ctx, arch);
      if (r < 0 && r != -EEXIST)
        {
          error_set (err, -r, "linux.seccomp.architectures[%zu]: add \"%s\"", i,
                     s->architectures[i]);
          goto fail;
        }
    }
  for (size_t i = 0; i < s->flags_len; i++)
    if (set_flag (p->ctx, s->flags[i], i, &p->filter_flags, err) < 0)
      goto fail;

  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      const struct spec_seccomp_syscall *sc = &s->syscalls[i];
      uint32_t action;
      if (seccomp_action_from_name (sc->action, sc->has_errno_ret, sc->errno_ret, &action) < 0)
        {
          error_set (err, 0, "linux.seccomp.syscalls[%zu].action: unknown action \"%s\"", i,
                     sc->action ? sc->action : "");
          goto fail;
        }
      if (action == SCMP_ACT_NOTIFY)
        p->notify = true;
      if (add_rules (p->ctx, sc, i, action, default_action, err) < 0)
        goto fail;
    }

  if (wants_enosys_stub (default_action))
    plan_enosys_stub (p, s);

  if (p->notify && s->listener_path == NULL)
    {
      error_set (err, 0, "linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY");
      goto fail;
    }
  if (p->notify && seccomp_api_get () < 5)
    {
      error_set (err, 0, "linux.seccomp: SCMP_ACT_NOTIFY is not supported by this kernel "
                 "and libseccomp (API level %u)", seccomp_api_get ());
      goto fail;
    }
  *out = p;
  return 0;

fail:
  seccomp_plan_free (p);
  return -1;
}

/* Part of the BPF cache key: a rebuild of this file may change what a profile
 * compiles to (rules, the ENOSYS stub), so its build time invalidates the cache. */
const char *
seccomp_compiler_stamp (void)
{
  return __DATE__ " " __TIME__;
}

int
seccomp_plan_export (struct seccomp_plan *p, struct error **err)
{
  if (p->ctx == NULL)
    return 0;
  _cleanup_close_ int fd = memfd_create ("capsa-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "seccomp: memfd for the BPF export");
  int r = seccomp_export_bpf (p->ctx, fd);
  if (r < 0)
    return error_set (err, -r, "seccomp: export the BPF program");
  off_t size = lseek (fd, 0, SEEK_END);
  if (size <= 0 || size % sizeof (struct sock_filter) != 0 || size > BPF_MAXINSNS * 8 * 2)
    return error_set (err, EINVAL, "seccomp: exported BPF program of %lld bytes", (long long) size);
  struct sock_filter *bpf = malloc (size);
  if (bpf == NULL)
    return error_set (err, ENOMEM, "seccomp: BPF program");
  if (pread (fd, bpf, size, 0) != size)
    {
      free (bpf);
      return error_set (err, errno, "seccomp: read the BPF program back");
    }
  size_t len = size / sizeof (struct sock_filter);
  if (seccomp_enosys_prepend (p->enosys, p->n_enosys, &bpf, &len, err) < 0)
    {
      free (bpf);
      return -1;
    }
  p->n_enosys = 0;
  return seccomp_plan_set_bpf (p, bpf, len, p->filter_flags, p->notify, err);
}

int
seccomp_plan_set_bpf (struct seccomp_plan *p, struct sock_filter *bpf, size_t len,
                      unsigned int filter_flags, bool notify, struct error **err)
{
  if (len == 0 || len > BPF_MAXINSNS)
    {
      free (bpf);
      return error_set (err, E2BIG, "seccomp: BPF program of %zu instructions", len);
    }
  if (p->ctx)
    seccomp_release (p->ctx);
  p->ctx = NULL;
  free (p->bpf);
  p->bpf = bpf;
  p->bpf_len = len;
  p->filter_flags = filter_flags;
  p->notify = notify;
  return 0;
}

struct seccomp_plan *
seccomp_plan_new_empty (void)
{
  struct seccomp_plan *p = calloc (1, sizeof *p);
  if (p)
    p->listener_fd = -1;
  return p;
}

void
seccomp_plan_get_bpf (const struct seccomp_plan *p, const struct sock_filter **bpf, size_t *len,
                      unsigned int *filter_flags, bool *notify)
{
  *bpf = p->bpf;
  *len = p->bpf_len;
  *filter_flags = p->filter_flags;
  *notify = p->notify;
}

int
seccomp_plan_load (struct seccomp_plan *p, struct error **err)
{
  if (p->bpf)
    {
      /* A program compiled (or cached) by the parent: one seccomp(2), no
       * libseccomp work in the container's process. */
      struct sock_fprog prog = { .len = (unsigned short) p->bpf_len, .filter = p->bpf };
      unsigned int flags = p->filter_flags;
      if (p->notify)
        /* The kernel refuses TSYNC with a listener; we are single-threaded. */
        flags = (flags & ~SECCOMP_FILTER_FLAG_TSYNC) | SECCOMP_FILTER_FLAG_NEW_LISTENER;
      long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
      if (r < 0)
        return error_set (err, errno, "load the seccomp filter");
      if (p->notify)
        p->listener_fd = (int) r;
      return 0;
    }
  /* The ENOSYS stub exists only in front of the exported program. */
  if (p->n_enosys > 0)
    {
      if (seccomp_plan_export (p, err) < 0)
        return -1;
      return seccomp_plan_load (p, err);
    }
  int r = seccomp_load (p->ctx);
  if (r < 0)
    return error_set (err, -r, "load the seccomp filter");
  if (p->notify)
    {
      r = seccomp_notify_fd (p->ctx);
      if (r < 0)
        return error_set (err, -r, "get the seccomp notify fd");
      p->listener_fd = r;
    }
  return 0;
}

int
seccomp_plan_listener_fd (const struct seccomp_plan *p)
{
  return p ? p->listener_fd : -1;
}

int
seccomp_plan_steal_listener_fd (struct seccomp_plan *p)
{
  return p ? steal_fd (&p->listener_fd) : -1;
}

bool
seccomp_plan_uses_notify (const struct seccomp_plan *p)
{
  return p && p->notify;
}

void
seccomp_plan_free (struct seccomp_plan *p)
{
  if (p == NULL)
    return;
  if (p->listener_fd >= 0)
    close (p->listener_fd);
  if (p->ctx)
    seccomp_release (p->ctx);
  free (p->bpf);
  free (p);
}
