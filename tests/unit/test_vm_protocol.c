/* libcontainer/vm/control_protocol.c: what the host accepts from a guest (the
 * attacker) and from exec clients. Every malformed frame must be refused. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"
#include "vm/control_protocol.h"

static int
parse (const char *hdr, size_t hlen, size_t payload, struct vm_frame *f)
{
  static char buf[VM_FRAME_HDR + VM_FRAME_MAX + 16];
  memcpy (buf, hdr, hlen);
  memset (buf + hlen, 'x', payload);
  struct error *e = NULL;
  int r = vm_frame_parse (buf, hlen + payload, f, &e);
  error_free (&e);
  return r;
}

int
main (void)
{
  struct vm_frame *f = malloc (sizeof *f);
  CHECK (f != NULL);
  char h[VM_FRAME_HDR];

  /* A well-formed STDOUT frame of 5 bytes on stream 3. */
  memset (h, 0, sizeof h);
  h[0] = VM_STDOUT, h[1] = 3;
  vm_put_u32 (h + 4, 5);
  CHECK (parse (h, sizeof h, 5, f) == 0);
  CHECK (f->type == VM_STDOUT && f->stream == 3 && f->len == 5 && f->data[5] == '\0');
  CHECK (vm_frame_from_guest_ok (f));
  CHECK (!vm_frame_from_client_ok (f));

  /* Length that lies about the payload, in both directions. */
  vm_put_u32 (h + 4, 6);
  CHECK (parse (h, sizeof h, 5, f) < 0);
  vm_put_u32 (h + 4, 4);
  CHECK (parse (h, sizeof h, 5, f) < 0);
  /* Too long, however it is sent. */
  vm_put_u32 (h + 4, VM_FRAME_MAX + 1);
  CHECK (parse (h, sizeof h, VM_FRAME_MAX + 1, f) < 0);
  vm_put_u32 (h + 4, 0xffffffffu);
  CHECK (parse (h, sizeof h, 0, f) < 0);
  /* Reserved bytes, unknown types, a stream out of range, a short header. */
  vm_put_u32 (h + 4, 0);
  h[2] = 1;
  CHECK (parse (h, sizeof h, 0, f) < 0);
  h[2] = 0;
  h[0] = 99;
  CHECK (parse (h, sizeof h, 0, f) < 0);
  h[0] = 0;
  CHECK (parse (h, sizeof h, 0, f) < 0);
  h[0] = VM_STDOUT, h[1] = VM_STREAMS_MAX;
  CHECK (parse (h, sizeof h, 0, f) < 0);
  h[1] = 0;
  CHECK (parse (h, 7, 0, f) < 0);

  /* Host-only types from a guest; EXIT must carry exactly a status. */
  static const uint8_t host_only[] = { VM_CONFIG, VM_SHARE, VM_CREATE, VM_START, VM_SIGNAL,
                                       VM_STDIN, VM_EXEC, VM_PS, VM_PAUSE, VM_RESUME,
                                       VM_UPDATE, VM_RESIZE };
  for (size_t i = 0; i < sizeof host_only; i++)
    {
      *f = (struct vm_frame) { .type = host_only[i], .stream = 0, .len = 4 };
      CHECK (!vm_frame_from_guest_ok (f));
    }
  *f = (struct vm_frame) { .type = VM_EXIT, .stream = 1, .len = 3 };
  CHECK (!vm_frame_from_guest_ok (f));
  f->len = 4;
  CHECK (vm_frame_from_guest_ok (f));
  /* Replies and the boot notice belong to stream 0. */
  *f = (struct vm_frame) { .type = VM_OK, .stream = 2 };
  CHECK (!vm_frame_from_guest_ok (f));
  *f = (struct vm_frame) { .type = VM_BOOTED, .stream = 0, .len = 1 };
  CHECK (!vm_frame_from_guest_ok (f));
  /* Clients: exec (with a flag byte and something), signals of 4 bytes. */
  *f = (struct vm_frame) { .type = VM_EXEC, .len = 1 };
  CHECK (!vm_frame_from_client_ok (f));
  *f = (struct vm_frame) { .type = VM_SIGNAL, .len = 5 };
  CHECK (!vm_frame_from_client_ok (f));
  *f = (struct vm_frame) { .type = VM_CREATE, .len = 4 };
  CHECK (!vm_frame_from_client_ok (f));

  struct error *e = NULL;
  /* Control requests of ps/pause/resume (empty) and update (NUL-ended pairs),
   * on stream 0 only. */
  static const uint8_t empty_ctl[] = { VM_PS, VM_PAUSE, VM_RESUME };
  for (size_t i = 0; i < sizeof empty_ctl; i++)
    {
      *f = (struct vm_frame) { .type = empty_ctl[i] };
      CHECK (vm_frame_is_control (f) && vm_frame_from_client_ok (f));
      f->len = 1;
      CHECK (!vm_frame_from_client_ok (f));
      *f = (struct vm_frame) { .type = empty_ctl[i], .stream = 1 };
      CHECK (!vm_frame_from_client_ok (f));
    }
  *f = (struct vm_frame) { .type = VM_UPDATE, .len = 0 };
  CHECK (!vm_frame_from_client_ok (f));
  *f = (struct vm_frame) { .type = VM_UPDATE, .len = 3 };
  memcpy (f->data, "a\0b", 3);
  CHECK (!vm_frame_from_client_ok (f));
  memcpy (f->data, "ab\0", 3);
  CHECK (vm_frame_from_client_ok (f));
  f->stream = 2;
  CHECK (!vm_frame_from_client_ok (f));
  *f = (struct vm_frame) { .type = VM_EXEC, .len = 4 };
  CHECK (!vm_frame_is_control (f));

  /* The guest's ps reply: "pid TAB cmd LF" lines, pids in range, bounded count. */
  {
    struct vm_ps_entry *v = NULL;
    size_t n = 0;
    char ok[] = "1\tsh -c x\n42\tsleep \x1b[2J9\n";
    CHECK (vm_ps_reply_parse (ok, sizeof ok - 1, &v, &n, &e) == 0 && n == 2);
    CHECK (v[0].pid == 1 && strcmp (v[0].cmd, "sh -c x") == 0);
    CHECK (v[1].pid == 42 && strcmp (v[1].cmd, "sleep ?[2J9") == 0);
    free (v);
    char empty[] = "";
    CHECK (vm_ps_reply_parse (empty, 0, &v, &n, &e) == 0 && n == 0 && v == NULL);
    static const char *const bad[] = {
      "1\tsh",              /* no newline */
      "\tsh\n",            /* no pid */
      "0\tsh\n",           /* pid 0 */
      "-5\tsh\n",          /* negative */
      "4194305\tsh\n",     /* beyond PID_MAX_LIMIT */
      "999999999999\tx\n", /* overflow */
      "12 sh\n",            /* no tab */
      "1\ta\n\n",         /* an empty line */
      "1\ta\nx",           /* trailing garbage */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
      {
        char buf[64];
        size_t l = strlen (bad[i]);
        memcpy (buf, bad[i], l + 1);
        CHECK (vm_ps_reply_parse (buf, l, &v, &n, &e) < 0 && v == NULL && n == 0);
        error_free (&e);
      }
    /* An embedded NUL in a command cannot hide the next line's checks. */
    char nul[] = "1\ta\0b\n2\tc\n";
    CHECK (vm_ps_reply_parse (nul, sizeof nul - 1, &v, &n, &e) == 0 && n == 2 && v[1].pid == 2);
    free (v);
    /* More lines than VM_PS_MAX. */
    size_t big_len = (VM_PS_MAX + 1) * 4;
    char *big = malloc (big_len + 1);
    CHECK (big != NULL);
    for (size_t i = 0; i <= VM_PS_MAX; i++)
      memcpy (big + i * 4, "7\tx\n", 4);
    CHECK (vm_ps_reply_parse (big, big_len, &v, &n, &e) < 0 && v == NULL);
    error_free (&e);
    free (big);
  }

  /* Over a stream: a frame cut short is an error, a clean end is 1. */
  int sp[2];
  CHECK (socketpair (AF_UNIX, SOCK_STREAM, 0, sp) == 0);
  CHECK (vm_frame_write (sp[0], VM_STDERR, 1, "hello", 5, &e) == 0);
  CHECK (vm_frame_read (sp[1], f, &e) == 0 && f->len == 5 && memcmp (f->data, "hello", 5) == 0);
  memset (h, 0, sizeof h);
  h[0] = VM_STDOUT;
  vm_put_u32 (h + 4, 10);
  CHECK (write (sp[0], h, sizeof h) == sizeof h && write (sp[0], "abc", 3) == 3);
  close (sp[0]);
  CHECK (vm_frame_read (sp[1], f, &e) < 0);
  error_free (&e);
  CHECK (vm_frame_read (sp[1], f, &e) == 1);
  close (sp[1]);

  /* Guest text: no escapes reach a terminal. */
  char text[] = "bad\x1b[2Jthing\n\x80";
  vm_sanitize_text (text, sizeof text - 1);
  CHECK (strcmp (text, "bad?[2Jthing ?") == 0);
  free (f);
  return unit_finish ("test_vm_protocol");
}
