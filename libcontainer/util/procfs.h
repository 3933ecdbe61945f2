/* Access to /proc through a private, verified procfs instance (fsopen("proc") or a
 * fresh mount), never through paths an attacker could redirect (CVE-2019-16884,
 * CVE-2025-52881). */
#ifndef CAPSA_PROCFS_H
#define CAPSA_PROCFS_H

#include <stddef.h>
#include "spec/util/error.h"

/* Open `subpath` (e.g. "self/attr/exec", "sys/net/ipv4/ip_forward") relative to a
 * verified procfs root of the calling process's pid namespace. */
int procfs_open (const char *subpath, int flags, struct error **err);
/* Write a whole string to a procfs file, verified to be on procfs. */
int procfs_write (const char *subpath, const char *data, size_t len, struct error **err);

/* The cached, verified procfs root fd (O_CLOEXEC; opened on first use). Call it
 * once while the process still has mount rights (before pivot_root and the
 * capability drop) so later opens need none. */
int procfs_root (struct error **err);
/* Fail unless fd is on procfs (fstatfs PROC_SUPER_MAGIC); `what` names it. */
int procfs_check_fd (int fd, const char *what, struct error **err);
/* Drop the cached root (tests). */
void procfs_reset (void);

#endif
