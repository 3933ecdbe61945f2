/* A foreground `run` or `exec`: forward our signals to the container process,
 * proxy its terminal, wait for it and turn its end into an exit status. */
#ifndef CAPSA_FOREGROUND_H
#define CAPSA_FOREGROUND_H

#include <stdbool.h>
#include <sys/types.h>

/* From now on signals we receive go to the process behind pidfd (not SIGCHLD,
 * and not SIGWINCH when a terminal is proxied). */
void foreground_forward_signals (int pidfd, bool tty);
/* Forget any SIGCHLD seen so far (e.g. from hooks). */
void foreground_reset_child_flag (void);
/* Proxy pty_master (if >= 0) until it hangs up, or after pid ended until its
 * output is drained and written, then reap pid. Returns the exit status: the
 * process's, or 128+N when killed by signal N. */
int foreground_wait (pid_t pid, int pty_master);

#endif
