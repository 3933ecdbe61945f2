/* The parent's half of bind mounts into a user namespace (mount_sources.c). */
#ifndef CAPSA_MOUNT_SOURCES_H
#define CAPSA_MOUNT_SOURCES_H

#include <sys/types.h>
#include "spec/config.h"

/* For each bind mount of c: a detached, idmapped where asked, copy of its source
 * made as host root, sent to the init as SYNC_MOUNT_SOURCE (value: the mount's
 * index). Sources the parent cannot make are left to the init. */
int mount_sources_send (const struct spec_config *c, const char *bundle, pid_t init, int sock,
                        struct error **err);

#endif
