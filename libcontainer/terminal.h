/* Terminals: a pty made inside the container, its master sent to the
 * --console-socket (runc docs/terminals.md), or proxied by a foreground run. */
#ifndef CAPSA_TERMINAL_H
#define CAPSA_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>
#include "spec/util/error.h"

/* Parent: connect to the console socket (a unix stream socket path). */
int terminal_connect_socket (const char *path, struct error **err);

/* Child (after devpts is mounted in the container, before pivot or after): open a
 * new pty from <rootfs>/dev/ptmx via rootfs_fd; returns master, *slave. Sets the
 * window size when width/height > 0. */
int terminal_new_pty (int rootfs_fd, unsigned rows, unsigned cols, int *slave, struct error **err);
/* The same from the ptmx at `ptmx`, relative to dirfd (a devpts mount of our own). */
int terminal_new_pty_at (int dirfd, const char *ptmx, unsigned rows, unsigned cols, int *slave,
                         struct error **err);

/* The N of /dev/pts/N for a pty master or slave (TIOCGPTN). */
int terminal_pty_number (int fd, struct error **err);

/* Send fd over a unix socket with SCM_RIGHTS, with `name` as the message payload. */
int terminal_send_fd (int sock, int fd, const char *name, struct error **err);
/* Receive one fd sent by terminal_send_fd. */
int terminal_recv_fd (int sock, struct error **err);

/* Before the user switch: stdio 0-2 become owned by uid (group kept), as runc's
 * fixStdioPermissions does, so that the process can reopen them (/dev/stdout,
 * `tty` tools; a pty slave is otherwise root's). /dev/null, closed fds, fds
 * already owned by uid, and fds the kernel will not let us chown (unmapped in a
 * user namespace, read-only file system) are left alone. */
int terminal_own_stdio (uid_t uid, struct error **err);

/* A foreground process.terminal is proxied to our terminal: stdin, stdout or
 * stderr, or else the controlling terminal (/dev/tty), as runc looks for it.
 * Without any, the container's shell would wait on a pty nobody can reach:
 * fail at once, saying what to do (`what` names the option that asked). */
int terminal_host_check (const char *what, const char *remedy, struct error **err);

/* Make the slave the controlling terminal and stdio of the calling process. */
int terminal_make_controlling (int slave, struct error **err);

/* Foreground run: copy stdin -> master and master -> stdout until the master hangs
 * up; puts stdin in raw mode if it is a tty and restores it; forwards SIGWINCH.
 * Once *stop becomes true (the process ended) stdin is no longer read, the master
 * is drained until every slave end is closed (or it stays quiet: another process
 * holds a slave), and everything read is written out before returning. */
int terminal_proxy (int master, volatile int *stop, struct error **err);

#endif
