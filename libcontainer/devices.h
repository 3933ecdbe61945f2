/* /dev inside the container: config devices, default devices, symlinks, ptmx,
 * /dev/console for a terminal. Runs before pivot, relative to rootfs_fd. */
#ifndef CAPSA_DEVICES_H
#define CAPSA_DEVICES_H

#include "rootfs.h"

/* Creates linux.devices and the default devices (null zero full random urandom tty,
 * ptmx -> pts/ptmx, fd/stdin/stdout/stderr symlinks) unless /dev is a bind mount
 * from the host. With r->userns, device nodes are bind mounts of the host's. */
int devices_setup (struct rootfs_ctx *r, struct error **err);

/* Bind the pty slave (host path /dev/pts/N of the container devpts, opened as
 * fd pty_slave) onto <rootfs>/dev/console. */
int devices_setup_console (struct rootfs_ctx *r, int pty_slave, struct error **err);

#endif
