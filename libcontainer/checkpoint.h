/* Public API of checkpoint and restore (CRIU), used by runtime/cmd_checkpoint.c. */
#ifndef CAPSA_CHECKPOINT_H
#define CAPSA_CHECKPOINT_H

#include <stdbool.h>

#include "container.h"

/* runc's checkpoint/restore image options. */
struct lc_criu_opts
{
  const char *criu;              /* binary, --criu */
  const char *image_path;        /* required: made by checkpoint, must exist for restore */
  const char *work_path;         /* logs and work files; default image_path */
  const char *parent_path;       /* previous images, relative to image_path (criu's rule) */
  const char *manage_cgroups_mode; /* soft|full|strict|ignore; NULL = criu's default (soft) */
  char **empty_ns;               /* namespace types not to dump ("network") */
  const char *page_server;       /* "ADDRESS:PORT" */
  const char *lsm_profile;       /* restore: "apparmor:NAME" or "selinux:LABEL" */
  const char *lsm_mount_context; /* restore */
  int status_fd;                 /* -1: none */
  bool leave_running, tcp_established, ext_unix_sk, shell_job, lazy_pages, file_locks,
    pre_dump, auto_dedup;
};

int lc_checkpoint (const struct lc_context *ctx, const char *id, const struct lc_criu_opts *o,
                   struct error **err);

/* A new container `id` from the images and the bundle's config (o->bundle,
 * pid_file, console_socket, no_pivot, detach). Foreground (no detach): waits
 * for the restored init and sets *exit_status (128+N on signal N). */
int lc_restore (const struct lc_context *ctx, const char *id, const struct lc_create_opts *c,
                const struct lc_criu_opts *o, int *exit_status, struct error **err);

#endif
