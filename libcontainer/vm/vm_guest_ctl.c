/* The guest's half of ps, pause, resume and update (issue 15): the same
 * libcontainer calls as on a host, on the container's cgroup in the guest
 * (G_STATE is the guest's --root). Runs in the guest's init; the host is trusted
 * here, the container is not (its /proc/PID/cmdline is bounded and the host
 * sanitizes it again). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_protocol.h"
#include "spec/util/cleanup.h"
#include "vm_internal.h"

#define CMD_MAX 200

/* "pid TAB cmd LF" for each process of the container (guest pids). */
static int
ps_lines (const struct lc_context *ctx, const char *id, char *out, size_t size, size_t *len,
          struct error **err)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (lc_ps (ctx, id, &pids, &n, err) < 0)
    return -1;
  *len = 0;
  for (size_t i = 0; i < n; i++)
    {
      char path[64], cmd[CMD_MAX + 1] = "";
      ssize_t got = 0;
      snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pids[i]);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          got = read (fd, cmd, CMD_MAX);
          close (fd);
        }
      if (got <= 0)
        {
          /* A kernel thread or a zombie: its name, as ps shows it. */
          snprintf (path, sizeof path, "/proc/%d/comm", (int) pids[i]);
          fd = open (path, O_RDONLY | O_CLOEXEC);
          char comm[32] = "";
          ssize_t c = fd >= 0 ? read (fd, comm, sizeof comm - 1) : 0;
          if (fd >= 0)
            close (fd);
          comm[c > 0 ? c : 0] = '\0';
          comm[strcspn (comm, "\n")] = '\0';
          got = snprintf (cmd, sizeof cmd, "[%s]", comm);
        }
      for (ssize_t k = 0; k < got; k++)
        if (cmd[k] == '\0')
          cmd[k] = ' ';
      while (got > 0 && cmd[got - 1] == ' ')
        got--;
      cmd[got] = '\0';
      vm_sanitize_text (cmd, (size_t) got);
      int w = snprintf (out + *len, size - *len, "%d\t%s\n", (int) pids[i], cmd);
      if (w < 0 || (size_t) w >= size - *len || i >= VM_PS_MAX)
        break; /* the reply is full: the rest is left out */
      *len += (size_t) w;
    }
  return 0;
}

static int
parse_i64 (const char *key, const char *v, int64_t *out, struct error **err)
{
  char *end;
  errno = 0;
  long long x = strtoll (v, &end, 10);
  if (errno || end == v || *end)
    return error_set (err, EINVAL, "update: %s: bad value \"%s\"", key, v);
  *out = x;
  return 0;
}

/* linux.resources from the request's "key NUL value NUL" pairs. */
static int
update (const struct lc_context *ctx, const char *id, const char *d, size_t len,
        struct error **err)
{
  struct spec_memory mem = { 0 };
  struct spec_cpu cpu = { 0 };
  struct spec_blkio blkio = { 0 };
  struct spec_resources r = { 0 };
  for (const char *k = d; k < d + len;)
    {
      const char *v = k + strlen (k) + 1;
      if (v >= d + len)
        return error_set (err, EINVAL, "update: malformed request");
      int64_t x = 0;
      bool num = strcmp (k, "cpu.cpus") != 0 && strcmp (k, "cpu.mems") != 0;
      if (num && parse_i64 (k, v, &x, err) < 0)
        return -1;
      if (strcmp (k, "memory.limit") == 0)
        mem.limit = x, mem.has_limit = true, r.memory = &mem;
      else if (strcmp (k, "memory.reservation") == 0)
        mem.reservation = x, mem.has_reservation = true, r.memory = &mem;
      else if (strcmp (k, "memory.swap") == 0)
        mem.swap = x, mem.has_swap = true, r.memory = &mem;
      else if (strcmp (k, "pids.limit") == 0)
        r.pids_limit = x, r.has_pids = true;
      else if (strcmp (k, "cpu.shares") == 0)
        cpu.shares = (uint64_t) x, cpu.has_shares = true, r.cpu = &cpu;
      else if (strcmp (k, "cpu.quota") == 0)
        cpu.quota = x, cpu.has_quota = true, r.cpu = &cpu;
      else if (strcmp (k, "cpu.period") == 0)
        cpu.period = (uint64_t) x, cpu.has_period = true, r.cpu = &cpu;
      else if (strcmp (k, "cpu.burst") == 0)
        cpu.burst = (uint64_t) x, cpu.has_burst = true, r.cpu = &cpu;
      else if (strcmp (k, "cpu.cpus") == 0)
        cpu.cpus = (char *) v, r.cpu = &cpu;
      else if (strcmp (k, "cpu.mems") == 0)
        cpu.mems = (char *) v, r.cpu = &cpu;
      else if (strcmp (k, "blkio.weight") == 0 && x >= 0 && x <= UINT16_MAX)
        blkio.weight = (uint16_t) x, blkio.has_weight = true, r.block_io = &blkio;
      else
        return error_set (err, EINVAL, "update: unknown field %s", k);
      k = v + strlen (v) + 1;
    }
  return lc_update (ctx, id, &r, err);
}

uint8_t
vm_guest_control (const struct lc_context *ctx, const char *id, const struct vm_frame *req,
                  char *out, size_t size, size_t *len)
{
  struct error *e = NULL;
  int r;
  *len = 0;
  if (id[0] == '\0')
    r = error_set (&e, 0, "no container in this VM");
  else if (req->type == VM_PS)
    r = ps_lines (ctx, id, out, size, len, &e);
  else if (req->type == VM_PAUSE)
    r = lc_pause (ctx, id, &e);
  else if (req->type == VM_RESUME)
    r = lc_resume (ctx, id, &e);
  else
    r = update (ctx, id, req->data, req->len, &e);
  if (r == 0)
    return VM_OK;
  int w = snprintf (out, size, "%s", e ? e->msg : "failed");
  *len = w < 0 ? 0 : (size_t) w < size ? (size_t) w : size - 1;
  error_free (&e);
  return VM_ERROR;
}
