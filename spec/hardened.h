/* `capsa spec --hardened`: a config.json a careful operator can start from.
 * Compared with the default template it adds the built-in seccomp allowlist
 * (spec/seccomp_default.json, embedded at build time), keeps only a small
 * capability set with nothing inheritable or ambient, sets noNewPrivileges,
 * a read-only rootfs, memory and pids limits, the masked and read-only paths,
 * and with `rootless` a user namespace mapping the caller's ids to root. */
#ifndef CAPSA_SPEC_HARDENED_H
#define CAPSA_SPEC_HARDENED_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Limits written into the hardened template; documented in capsa-spec(8). */
#define HARDENED_MEMORY_LIMIT (512LL * 1024 * 1024)
#define HARDENED_PIDS_LIMIT 1024

/* Pretty JSON text of the hardened config in *out (malloc'd). */
int spec_hardened_config_json (bool rootless, char **out, struct error **err);

/* The linux.seccomp object of the hardened config, as compact JSON, for the
 * architectures of the machine capsa was built for. */
int spec_hardened_seccomp_json (char **out, struct error **err);

/* The capabilities the hardened config keeps (NULL-terminated). */
extern const char *const spec_hardened_capabilities[];

#endif
