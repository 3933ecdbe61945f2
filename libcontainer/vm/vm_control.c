/* ps, pause, resume and update of a VM container: a control request to the
 * supervisor on vm.sock, which forwards it to the guest and hands back the
 * guest's OK or ERROR. The guest acts on the container's cgroup in the guest;
 * the host cgroup (qemu, sized at create) is left as it is. The reply comes from
 * the guest (the attacker): it is parsed with bounds (vm_ps_reply_parse) and
 * its text sanitized before anyone sees it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control_protocol.h"
#include "spec/util/cleanup.h"
#include "util/fs.h"
#include "vm_internal.h"

#define REQUEST_TIMEOUT_MS (60 * 1000)

/* One request and its reply: f gets the guest's OK (an ERROR becomes err). */
static int
vm_request (int dirfd, const char *id, uint8_t type, const char *data, size_t len,
            struct vm_frame *f, struct error **err)
{
  static const char *const names[] = { [VM_PS] = "ps", [VM_PAUSE] = "pause",
                                       [VM_RESUME] = "resume", [VM_UPDATE] = "update" };
  struct timespec t0, now;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (;;)
    {
      struct sockaddr_un sa = { .sun_family = AF_UNIX };
      snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dirfd, VM_SOCKET_NAME);
      _cleanup_close_ int sock = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
      if (sock < 0 || connect (sock, (struct sockaddr *) &sa, sizeof sa) < 0)
        return error_set (err, errno, "%s: connect to the VM supervisor of %s", names[type], id);
      char msg[VM_FRAME_HDR + VM_FRAME_MAX];
      memset (msg, 0, VM_FRAME_HDR);
      msg[0] = (char) type;
      vm_put_u32 (msg + 4, (uint32_t) len);
      if (len)
        memcpy (msg + VM_FRAME_HDR, data, len);
      if (send (sock, msg, VM_FRAME_HDR + len, MSG_NOSIGNAL) < 0)
        return error_set (err, errno, "%s: send the request to the VM supervisor", names[type]);
      struct pollfd p = { .fd = sock, .events = POLLIN };
      ssize_t n = poll (&p, 1, REQUEST_TIMEOUT_MS) == 1 ? recv (sock, msg, sizeof msg, 0) : -1;
      struct error *e = NULL;
      if (n <= 0 || vm_frame_parse (msg, (size_t) n, f, &e) < 0
          || (f->type != VM_OK && f->type != VM_ERROR))
        {
          error_free (&e);
          return error_set (err, EPIPE, "%s: no reply from the VM of %s (the container stopped?)",
                            names[type], id);
        }
      if (f->type == VM_OK)
        return 0;
      vm_sanitize_text (f->data, f->len);
      clock_gettime (CLOCK_MONOTONIC, &now);
      /* Another request is under way: its reply comes first, then ours. */
      if (strcmp (f->data, VM_BUSY) == 0 && now.tv_sec - t0.tv_sec < REQUEST_TIMEOUT_MS / 1000)
        {
          usleep (20 * 1000);
          continue;
        }
      return error_set (err, 0, "%s: %s", names[type], f->data);
    }
}

int
vm_ps (int dirfd, const char *id, pid_t **pids, size_t *n, char **table, struct error **err)
{
  _cleanup_free_ struct vm_frame *f = malloc (sizeof *f);
  _cleanup_free_ struct vm_ps_entry *v = NULL;
  size_t count = 0;
  *pids = NULL;
  *n = 0;
  if (f == NULL)
    return error_set (err, ENOMEM, "ps");
  if (vm_request (dirfd, id, VM_PS, NULL, 0, f, err) < 0
      || vm_ps_reply_parse (f->data, f->len, &v, &count, err) < 0)
    return -1;
  *pids = calloc (count + 1, sizeof **pids);
  if (*pids == NULL)
    return error_set (err, ENOMEM, "ps");
  size_t size = 0;
  FILE *t = table ? open_memstream (table, &size) : NULL;
  if (t)
    fprintf (t, "%7s %s\n", "PID", "CMD");
  for (size_t i = 0; i < count; i++)
    {
      (*pids)[i] = v[i].pid;
      if (t)
        fprintf (t, "%7d %s\n", v[i].pid, v[i].cmd);
    }
  *n = count;
  if (t && fclose (t) != 0)
    return error_set (err, ENOMEM, "ps");
  if (table && *table == NULL)
    return error_set (err, ENOMEM, "ps");
  return 0;
}

int
vm_pause (int dirfd, const char *id, bool freeze, struct error **err)
{
  _cleanup_free_ struct vm_frame *f = malloc (sizeof *f);
  if (f == NULL)
    return error_set (err, ENOMEM, "pause");
  if (vm_request (dirfd, id, freeze ? VM_PAUSE : VM_RESUME, NULL, 0, f, err) < 0)
    return -1;
  /* state's "paused": the container's cgroup is frozen in the guest, where the
   * host cannot look. */
  if (freeze)
    {
      int fd = openat (dirfd, VM_PAUSED_NAME, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0)
        return error_set (err, errno, "pause: mark %s paused", id);
      close (fd);
    }
  else if (unlinkat (dirfd, VM_PAUSED_NAME, 0) < 0 && errno != ENOENT)
    return error_set (err, errno, "resume: unmark %s", id);
  return 0;
}

struct pairs
{
  char data[4096];
  size_t len;
};

static void
pair (struct pairs *p, const char *key, const char *fmt, ...)
{
  char value[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (value, sizeof value, fmt, ap);
  va_end (ap);
  size_t k = strlen (key) + 1, v = strlen (value) + 1;
  if (p->len + k + v > sizeof p->data)
    return;
  memcpy (p->data + p->len, key, k);
  memcpy (p->data + p->len + k, value, v);
  p->len += k + v;
}

/* What a VM container's update cannot apply: named, not silently dropped. */
static const char *
unsupported (const struct spec_resources *r)
{
  if (r->devices_len)
    return "linux.resources.devices";
  if (r->hugepage_limits_len)
    return "linux.resources.hugepageLimits";
  if (r->rdma_len)
    return "linux.resources.rdma";
  if (r->unified_len)
    return "linux.resources.unified";
  if (r->network)
    return "linux.resources.network";
  if (r->cpu && (r->cpu->has_realtime_period || r->cpu->has_realtime_runtime))
    return "linux.resources.cpu.realtimeRuntime";
  if (r->block_io && (r->block_io->weight_device_len || r->block_io->throttle_read_bps_len
                      || r->block_io->throttle_write_bps_len
                      || r->block_io->throttle_read_iops_len
                      || r->block_io->throttle_write_iops_len))
    return "linux.resources.blockIO (per-device: the guest's disks are not the host's)";
  return NULL;
}

int
vm_update (int dirfd, const char *id, const struct spec_resources *r, struct error **err)
{
  const char *no = unsupported (r);
  if (no)
    return error_set (err, ENOTSUP, "update: %s: not supported in a VM container", no);
  if (r->memory && r->memory->has_limit && r->memory->limit > 0)
    {
      _cleanup_free_ char *data = NULL;
      size_t len;
      if (fs_read_file_at (dirfd, "config.json", &data, &len, err) < 0)
        return -1;
      struct spec_config *c = spec_config_parse_data (data, len, "config.json", err);
      if (c == NULL)
        return -1;
      unsigned mem_mib, cpus;
      vm_size (c, &mem_mib, &cpus);
      spec_config_free (c);
      if ((uint64_t) r->memory->limit > (uint64_t) mem_mib << 20)
        return error_set (err, EINVAL, "update: linux.resources.memory.limit: %" PRId64
                          " bytes is more than the VM's memory (%u MiB, fixed at create)",
                          r->memory->limit, mem_mib);
    }
  _cleanup_free_ struct pairs *p = calloc (1, sizeof *p);
  _cleanup_free_ struct vm_frame *f = malloc (sizeof *f);
  if (p == NULL || f == NULL)
    return error_set (err, ENOMEM, "update");
  const struct spec_memory *m = r->memory;
  const struct spec_cpu *cpu = r->cpu;
  if (m && m->has_limit)
    pair (p, "memory.limit", "%" PRId64, m->limit);
  if (m && m->has_reservation)
    pair (p, "memory.reservation", "%" PRId64, m->reservation);
  if (m && m->has_swap)
    pair (p, "memory.swap", "%" PRId64, m->swap);
  if (r->has_pids)
    pair (p, "pids.limit", "%" PRId64, r->pids_limit);
  if (cpu && cpu->has_shares)
    pair (p, "cpu.shares", "%" PRIu64, cpu->shares);
  if (cpu && cpu->has_quota)
    pair (p, "cpu.quota", "%" PRId64, cpu->quota);
  if (cpu && cpu->has_period)
    pair (p, "cpu.period", "%" PRIu64, cpu->period);
  if (cpu && cpu->has_burst)
    pair (p, "cpu.burst", "%" PRIu64, cpu->burst);
  if (cpu && cpu->cpus)
    pair (p, "cpu.cpus", "%s", cpu->cpus);
  if (cpu && cpu->mems)
    pair (p, "cpu.mems", "%s", cpu->mems);
  if (r->block_io && r->block_io->has_weight)
    pair (p, "blkio.weight", "%u", (unsigned) r->block_io->weight);
  if (p->len == 0)
    return 0;
  return vm_request (dirfd, id, VM_UPDATE, p->data, p->len, f, err);
}
