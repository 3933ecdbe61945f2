/* The VM control channel's framing and its validation (see control_protocol.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_protocol.h"

void
vm_put_u32 (char *out, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    out[i] = (char) ((v >> (8 * i)) & 0xff);
}

uint32_t
vm_get_u32 (const char *in)
{
  uint32_t v = 0;
  for (int i = 0; i < 4; i++)
    v |= (uint32_t) (unsigned char) in[i] << (8 * i);
  return v;
}

/* 1 = EOF before the first byte, 0 = all read, -1 = error or EOF in the middle. */
static int
read_full (int fd, void *buf, size_t len)
{
  size_t off = 0;
  while (off < len)
    {
      ssize_t n = read (fd, (char *) buf + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        {
          if (off == 0)
            return 1;
          errno = EPROTO;
          return -1;
        }
      off += (size_t) n;
    }
  return 0;
}

static bool
type_known (uint8_t t)
{
  return (t >= VM_CONFIG && t <= VM_RESIZE) || (t >= VM_BOOTED && t <= VM_EXIT);
}

static int
check_header (const unsigned char *h, struct vm_frame *f, struct error **err)
{
  f->type = h[0];
  f->stream = h[1];
  f->len = vm_get_u32 ((const char *) h + 4);
  if (h[2] || h[3] || !type_known (f->type) || f->len > VM_FRAME_MAX
      || f->stream >= VM_STREAMS_MAX)
    return error_set (err, EPROTO, "vm control channel: malformed frame (type %u, stream %u, "
                      "length %u)", f->type, f->stream, f->len);
  return 0;
}

int
vm_frame_parse (const char *buf, size_t n, struct vm_frame *f, struct error **err)
{
  if (n < VM_FRAME_HDR || check_header ((const unsigned char *) buf, f, err) < 0)
    return error_set (err, EPROTO, "vm control channel: short or malformed message");
  if (f->len != n - VM_FRAME_HDR)
    return error_set (err, EPROTO, "vm control channel: message length mismatch");
  memcpy (f->data, buf + VM_FRAME_HDR, f->len);
  f->data[f->len] = '\0';
  return 0;
}

int
vm_frame_read (int fd, struct vm_frame *f, struct error **err)
{
  unsigned char h[VM_FRAME_HDR];
  int r = read_full (fd, h, sizeof h);
  if (r == 1)
    return 1;
  if (r < 0)
    return error_set (err, errno, "vm control channel: read frame header");
  if (check_header (h, f, err) < 0)
    return -1;
  r = f->len ? read_full (fd, f->data, f->len) : 0;
  if (r != 0)
    return error_set (err, r == 1 ? EPROTO : errno, "vm control channel: read frame payload");
  f->data[f->len] = '\0';
  return 0;
}

int
vm_frame_write (int fd, uint8_t type, uint8_t stream, const void *data, size_t len,
                struct error **err)
{
  if (len > VM_FRAME_MAX)
    return error_set (err, EMSGSIZE, "vm control channel: frame of %zu bytes", len);
  char buf[VM_FRAME_HDR + VM_FRAME_MAX];
  memset (buf, 0, VM_FRAME_HDR);
  buf[0] = (char) type;
  buf[1] = (char) stream;
  vm_put_u32 (buf + 4, (uint32_t) len);
  if (len)
    memcpy (buf + VM_FRAME_HDR, data, len);
  if (vm_write_all (fd, buf, VM_FRAME_HDR + len) < 0)
    return error_set (err, errno, "vm control channel: write frame");
  return 0;
}

bool
vm_frame_from_guest_ok (const struct vm_frame *f)
{
  switch (f->type)
    {
    case VM_BOOTED:
      return f->stream == 0 && f->len == 0;
    case VM_OK:
    case VM_ERROR:
      return f->stream == 0;
    case VM_STDOUT:
    case VM_STDERR:
      return true;
    case VM_EXIT:
      return f->len == 4;
    default:
      return false;
    }
}

bool
vm_frame_is_control (const struct vm_frame *f)
{
  return f->type == VM_PS || f->type == VM_PAUSE || f->type == VM_RESUME || f->type == VM_UPDATE;
}

bool
vm_frame_from_client_ok (const struct vm_frame *f)
{
  switch (f->type)
    {
    case VM_PS:
    case VM_PAUSE:
    case VM_RESUME:
      return f->stream == 0 && f->len == 0;
    case VM_UPDATE:
      return f->stream == 0 && f->len >= 2 && f->data[f->len - 1] == '\0';
    case VM_EXEC:
      return f->len >= 2;
    case VM_SIGNAL:
      return f->len == 4;
    default:
      return false;
    }
}

#define VM_PS_PID_MAX (1 << 22) /* the kernel's PID_MAX_LIMIT */

int
vm_ps_reply_parse (char *text, size_t len, struct vm_ps_entry **out, size_t *n,
                   struct error **err)
{
  *out = NULL;
  *n = 0;
  struct vm_ps_entry *v = NULL;
  size_t count = 0;
  for (size_t i = 0; i < len;)
    {
      long pid = 0;
      size_t start = i;
      while (i < len && text[i] >= '0' && text[i] <= '9' && i - start < 8)
        pid = pid * 10 + (text[i++] - '0');
      char *nl = memchr (text + i, '\n', len - i);
      if (i == start || i >= len || text[i] != '\t' || pid < 1 || pid > VM_PS_PID_MAX
          || nl == NULL || count >= VM_PS_MAX)
        {
          free (v);
          return error_set (err, EPROTO, "ps: malformed reply from the guest (line %zu)",
                            count + 1);
        }
      text[i++] = '\0';
      *nl = '\0';
      vm_sanitize_text (text + i, (size_t) (nl - (text + i)));
      struct vm_ps_entry *nv = realloc (v, (count + 1) * sizeof *v);
      if (nv == NULL)
        {
          free (v);
          return error_set (err, ENOMEM, "ps");
        }
      v = nv;
      v[count++] = (struct vm_ps_entry) { .pid = (int) pid, .cmd = text + i };
      i = (size_t) (nl - text) + 1;
    }
  *out = v;
  *n = count;
  return 0;
}

void
vm_sanitize_text (char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e)
      s[i] = s[i] == '\n' ? ' ' : '?';
}

int
vm_write_all (int fd, const void *buf, size_t len)
{
  size_t off = 0;
  while (off < len)
    {
      ssize_t n = write (fd, (const char *) buf + off, len - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      off += (size_t) n;
    }
  return 0;
}

int vm_sig_w = -1;

static void
on_signal (int sig)
{
  int saved = errno;
  unsigned char b = (unsigned char) sig;
  if (write (vm_sig_w, &b, 1) < 0)
    {
    }
  errno = saved;
}

void
vm_signals_to_pipe (int write_fd, const int *sigs, size_t n, struct sigaction *old)
{
  struct sigaction act = { .sa_handler = on_signal };
  sigemptyset (&act.sa_mask);
  vm_sig_w = write_fd;
  for (size_t i = 0; i < n; i++)
    sigaction (sigs[i], &act, old ? &old[i] : NULL);
}
