/* The container's terminal across a checkpoint. Its pty master lives outside
 * the container (with the console socket's receiver), so criu cannot dump the
 * pair: the slave is declared external at dump time, and a restore hands criu
 * the slave of a new pty in its place, the master going to --console-socket. */
#ifndef CAPSA_CRIU_TTY_H
#define CAPSA_CRIU_TTY_H

#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "criu.h"
#include "spec/util/error.h"

/* Dump: for each pty slave among the init's fds 0-2, `--external tty[rdev:dev]`,
 * and tty.json in the image directory for the restore: which stdio it was,
 * whether it is capsa's console (process.terminal: `console`) and then its
 * owner, mode, termios and size, and its bind on /dev/console. Nothing when the
 * stdio hold no pty (a tty.json of an earlier dump is removed). */
int criu_tty_dump (struct criu_cmd *c, pid_t pid, bool console, const char *image_path,
                   struct error **err);

/* tty.json of the images, checked. */
struct criu_tty_desc
{
  bool present;    /* the images hold a terminal */
  bool console;    /* capsa's console: a new pty; else capsa's own stdio take its place */
  bool devconsole; /* bound on /dev/console */
  char keys[3][64];
  size_t nkeys;
  int stdio[3];    /* fd 0-2 -> index in keys, -1 for no terminal */
  uid_t uid;
  gid_t gid;
  mode_t mode;
  bool have_tio;
  struct termios tio;
  unsigned rows, cols;
};

int criu_tty_load (const char *image_path, struct criu_tty_desc *d, struct error **err);

/* The new terminal of a restore: -1 when none. */
struct criu_tty
{
  int master;  /* for the console socket or the foreground proxy */
  int slave;   /* criu's --inherit-fd: keep it open in criu */
  int devpts;  /* the detached devpts instance: criu_mntns attaches it at devpts_at */
  int own[3];  /* an inherited terminal: copies of capsa's stdio, to keep open in criu */
};

/* Restore: for a console, a new pty, its slave set up as the old one was and
 * passed to criu (`--inherit-fd fd[N]:tty[...]` for each key) and bound on
 * /dev/console as the old one was, from devpts_at/N in criu's mount namespace.
 * For an inherited terminal, capsa's own fd of the same number (as runc does
 * for pipes). Nothing when !d->present. */
int criu_tty_restore (struct criu_cmd *c, const struct criu_tty_desc *d, const char *devpts_at,
                      struct criu_tty *t, struct error **err);

#endif
