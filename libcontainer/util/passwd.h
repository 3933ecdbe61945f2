/* The host's /etc/passwd, read directly: the static binary has no NSS. */
#ifndef CAPSA_UTIL_PASSWD_H
#define CAPSA_UTIL_PASSWD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The login name of uid into buf (truncated to size); false when none. */
bool passwd_name_of (uid_t uid, char *buf, size_t size);

#endif
