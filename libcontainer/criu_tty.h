/* The container's terminal across a checkpoint. Its pty master lives outside
 * the container (with the console socket's receiver), so criu cannot dump the
 * pair: the slave is declared external at dump time, and a restore hands criu
 * the slave of a new pty in its place, the master going to --console-socket. */
#ifndef CAPSA_CRIU_TTY_H
#define CAPSA_CRIU_TTY_H

#include <stdbool.h>
#include <sys/types.h>

#include "criu.h"
#include "spec/util/error.h"

/* Dump: for each pty slave among the init's fds 0-2, `--external tty[rdev:dev]`,
 * and tty.json in the image directory (its keys, owner, mode, termios and
 * window size) for the restore. Nothing when the stdio hold no pty. */
int criu_tty_dump (struct criu_cmd *c, pid_t pid, const char *image_path, struct error **err);

/* Whether the images hold a terminal (tty.json). */
bool criu_tty_in_images (const char *image_path);

/* The new terminal of a restore: -1 when none. */
struct criu_tty
{
  int master;  /* for the console socket or the foreground proxy */
  int slave;   /* criu's --inherit-fd: keep it open in criu */
  int devpts;  /* the detached devpts instance: criu_mntns attaches it at devpts_at */
};

/* Restore: a new pty, its slave set up as the old one was and passed to criu
 * (`--inherit-fd fd[N]:tty[...]` for each key) and bound on /dev/console as the
 * old one was, from devpts_at/N in criu's mount namespace. */
int criu_tty_restore (struct criu_cmd *c, const char *image_path, const char *devpts_at,
                      struct criu_tty *t, struct error **err);

#endif
