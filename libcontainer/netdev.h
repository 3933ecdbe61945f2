/* linux.netDevices: host network devices moved into the container's network
 * namespace (runtime-spec 1.3, config-linux.md "Network Devices"). */
#ifndef CAPSA_NETDEV_H
#define CAPSA_NETDEV_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec/config.h"
#include "spec/util/error.h"

/* Before anything is made: the names were validated with the config; here, what
 * needs the host: privilege, and each device existing in our network namespace. */
int netdev_check (const struct spec_config *c, bool rootless, struct error **err);

/* P, after the clone and before GO (the init has its network namespace and runs
 * nothing of the container yet): move each device into the init's network
 * namespace under its new name, with its permanent global addresses, and up.
 * If one fails, those already moved are moved back. *out (NULL when there is
 * nothing to move) lets a later failure of create move them back too. */
struct netdev_session;
int netdev_move_in (const struct spec_config *c, pid_t pid, int pidfd, struct netdev_session **out,
                    struct error **err);
/* create failed after the move: take every moved device back to the host. */
void netdev_session_return (struct netdev_session *s);
void netdev_session_free (struct netdev_session *s);

#endif
