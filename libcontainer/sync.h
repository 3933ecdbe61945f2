/* Parent <-> child protocol over a SOCK_SEQPACKET socketpair: small fixed
 * messages, an optional payload (error text) and an optional fd (SCM_RIGHTS). */
#ifndef CAPSA_SYNC_H
#define CAPSA_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "spec/util/error.h"

enum sync_type
{
  SYNC_GO = 1,        /* P -> C: maps written, cgroup joined; payload: host pid (int32) */
  SYNC_MAPS_PLS,      /* C -> P: (intermediate) user ns unshared, write my maps */
  SYNC_MAPS_ACK,      /* P -> C */
  SYNC_CHILD_PID,     /* C1 -> P: pid of the init (payload int32) */
  SYNC_HOOKS,         /* C -> P: run prestart + createRuntime hooks */
  SYNC_HOOKS_DONE,    /* P -> C */
  SYNC_PTY,           /* C -> P: pty master (fd) for a foreground run */
  SYNC_SECCOMP_FD,    /* C -> P: seccomp notify fd (fd) for listenerPath */
  SYNC_SECCOMP_DONE,  /* P -> C */
  SYNC_READY,         /* C -> P: set up; waiting for start */
  SYNC_ERROR,         /* C -> P: payload: error message; errnum in value */
  SYNC_CGROUP_DONE,   /* P -> C: the init is in its cgroup (sent after GO) */
  SYNC_LOG,           /* C -> P: a log line (payload), level in value; sync_recv
                         writes it to the parent's log and reads on */
  SYNC_MOUNT_SOURCE,  /* P -> C, before GO: the detached source (fd) of config
                         mount number value (mount_sources.c) */
  SYNC_ATTACHED,      /* C -> P: v1 self-attach done; value: writes that failed */
  SYNC_READY_ACK,     /* P -> C, after READY: P has recorded the process and
                         lives on without it; C stops dying with P (EOF instead:
                         P died first, C exits) */
};

struct sync_msg
{
  uint32_t type;
  int32_t value;
  char payload[4000];
};

/* Send a message (payload may be NULL); fd >= 0 is passed with SCM_RIGHTS. */
int sync_send (int sock, enum sync_type type, int32_t value, const char *payload, int fd,
               struct error **err);
/* Receive one message; *fd (if non-NULL) gets a passed fd or -1. Returns 0, or -1
 * (EOF is an error "peer closed"). */
int sync_recv (int sock, struct sync_msg *m, int *fd, struct error **err);
/* Receive, and fail unless it is `want`; a SYNC_ERROR becomes the error. */
int sync_expect (int sock, enum sync_type want, struct sync_msg *m, int *fd, struct error **err);
/* A SYNC_ERROR message as our error (its text, its errno). Returns -1. */
int sync_error_from (const struct sync_msg *m, struct error **err);
/* Child side: report err to the parent and _exit(1). */
__attribute__ ((noreturn)) void sync_fail (int sock, struct error *err);

#endif
