/* The VM control channel: every byte between the host and the guest of a VM
 * container (issue 15) travels as a frame on ONE virtio-serial port
 * ("capsa.ctl"), and the same frames carry `capsa exec` requests from a host
 * client to the VM's supervisor over <state dir>/vm.sock. This header and
 * control_protocol.c are the protocol's one source; docs/vm-isolation.md
 * describes it for readers.
 *
 * Frame: an 8-byte header, then `len` payload bytes.
 *   byte 0     type  (enum vm_frame_type)
 *   byte 1     stream: 0 = the container's process, 1..VM_STREAMS_MAX-1 = an exec
 *   bytes 2-3  zero
 *   bytes 4-7  len, little endian, <= VM_FRAME_MAX
 *
 * The guest is the attacker: the host reads every frame through vm_frame_read
 * (bounded length, zero padding, known type) and vm_frame_from_guest_ok (types
 * a guest may send, stream in range, payload size the type allows). A frame that
 * fails is a protocol violation: the host stops the VM. */
#ifndef CAPSA_VM_CONTROL_PROTOCOL_H
#define CAPSA_VM_CONTROL_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/util/error.h"

#define VM_FRAME_HDR 8
#define VM_FRAME_MAX 65536
#define VM_STREAMS_MAX 64
/* config.json may exceed one frame (a seccomp profile): sent in VM_CONFIG chunks. */
#define VM_CONFIG_MAX (4u << 20)
#define VM_PORT_NAME "capsa.ctl"
/* The supervisor's ERROR while another control request waits for its reply. */
#define VM_BUSY "busy: another request is under way"

enum vm_frame_type
{
  /* host -> guest */
  VM_CONFIG = 1,    /* a chunk of config.json (stream 0) */
  VM_SHARE = 2,     /* "d|r" NUL tag NUL path: mount 9p `tag` at the host's `path`
                       (r = read-only); "v" NUL tag NUL path: virtio-fs `tag`;
                       "f" NUL path NUL content: write a file */
  VM_CREATE = 3,    /* payload: container id; flag byte 't' prefix = terminal */
  VM_START = 4,     /* empty */
  VM_SIGNAL = 5,    /* 4 bytes: signal number, for `stream`'s process */
  VM_STDIN = 6,     /* data for `stream`'s stdin; len 0 = end of input */
  VM_EXEC = 7,      /* 1 flag byte ('t' terminal, '-' none), then process.json */
  VM_PS = 8,        /* empty: the container's processes; OK: "pid TAB cmd LF" lines */
  VM_PAUSE = 9,     /* empty: freeze the container's cgroup in the guest */
  VM_RESUME = 10,   /* empty: thaw it */
  VM_UPDATE = 11,   /* "key NUL value NUL" pairs of linux.resources (vm_control.c) */
  VM_RESIZE = 12,   /* 4 bytes: rows, cols (16 bits each, little endian) of a terminal */
  /* guest -> host */
  VM_BOOTED = 32,   /* empty: the guest's init is up and reads frames */
  VM_OK = 33,       /* the last request of stream 0 succeeded; payload: reply text */
  VM_ERROR = 34,    /* it failed; payload: message (shown to the user, sanitized) */
  VM_STDOUT = 35,   /* data from `stream`'s stdout (the terminal, with one) */
  VM_STDERR = 36,   /* data from `stream`'s stderr */
  VM_EXIT = 37,     /* 4 bytes: `stream`'s process ended; a wait(2) status */
};

struct vm_frame
{
  uint8_t type;
  uint8_t stream;
  uint32_t len;
  char data[VM_FRAME_MAX + 1]; /* NUL-terminated for text payloads */
};

/* A frame from one received message (a SOCK_SEQPACKET datagram). */
int vm_frame_parse (const char *buf, size_t n, struct vm_frame *f, struct error **err);
/* Read one frame from fd (blocking). 0 = a frame, 1 = clean end of stream
 * before a header, -1 = error or malformed (err says which). */
int vm_frame_read (int fd, struct vm_frame *f, struct error **err);
/* Write one frame (len <= VM_FRAME_MAX), retrying short writes. */
int vm_frame_write (int fd, uint8_t type, uint8_t stream, const void *data, size_t len,
                    struct error **err);
/* Whether a guest may send this frame (type, stream, payload size). */
bool vm_frame_from_guest_ok (const struct vm_frame *f);
/* Whether a host client of vm.sock may send it (exec, signal, stdin). */
bool vm_frame_from_client_ok (const struct vm_frame *f);
/* Whether a frame is a control request (PS, PAUSE, RESUME, UPDATE). */
bool vm_frame_is_control (const struct vm_frame *f);
/* The guest's reply to VM_PS, parsed IN PLACE: lines "pid TAB cmd LF", pid in
 * 1..2^22, at most VM_PS_MAX lines; tabs and newlines become NULs and cmd is
 * sanitized. *out is malloc'd; entries point into text. */
#define VM_PS_MAX 4096
struct vm_ps_entry
{
  int pid;
  const char *cmd;
};
int vm_ps_reply_parse (char *text, size_t len, struct vm_ps_entry **out, size_t *n,
                       struct error **err);
/* The 4-byte little-endian integer of VM_SIGNAL and VM_EXIT. */
void vm_put_u32 (char *out, uint32_t v);
uint32_t vm_get_u32 (const char *in);
/* write(2) until done; -1 on error. */
int vm_write_all (int fd, const void *buf, size_t len);
/* The self-pipe of the host's relays: each of sigs writes its number (one byte)
 * to write_fd, no SA_RESTART (a blocking call sees EINTR); old[] gets the
 * previous actions when not NULL. */
struct sigaction;
void vm_signals_to_pipe (int write_fd, const int *sigs, size_t n, struct sigaction *old);
/* Guest text shown to a user: printable ASCII only (no terminal escapes), in place. */
void vm_sanitize_text (char *s, size_t len);

#endif
