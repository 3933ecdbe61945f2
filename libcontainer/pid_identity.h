/* Is a recorded pid still the process we started? PIDs are reused, so a bare
 * kill(pid, 0) proves nothing. Two witnesses, the cheap one first:
 *  - the pidfs inode number (Linux 6.9+): each struct pid gets a 64-bit inode
 *    number that is never handed out again, so fstat of a fresh pidfd proves
 *    identity without /proc; one file object instead of /proc/<pid>/stat's text;
 *  - /proc/<pid>/stat's start time (container_state.c), on older kernels. */
#ifndef CAPSA_PID_IDENTITY_H
#define CAPSA_PID_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The pidfs inode number of pidfd, or 0 when pidfds are not on pidfs (older
 * kernels give every pidfd the same anonymous inode: no identity there). */
uint64_t pidfd_identity (int pidfd);

/* Whether the process behind an open pidfd is the one with that identity and
 * has not exited. */
bool pidfd_has_identity (int pidfd, uint64_t identity);

/* 1 when pid is alive (not a zombie) and its pidfs inode is `identity`;
 * 0 when it is gone, exited or another process; -1 when pidfd_open failed
 * for another reason (out of fds...): ask /proc instead. */
int pid_has_identity (pid_t pid, uint64_t identity);

#endif
