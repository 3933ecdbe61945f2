/* The init's stdio that are the host's /dev/null, reopened on the container's. */
#ifndef CAPSA_STDIO_NULL_H
#define CAPSA_STDIO_NULL_H

/* After pivot_root: each of fds 0-2 that is /dev/null (char 1:3) becomes the
 * container's /dev/null. An fd on a host mount is not in the container's mount
 * namespace, and criu cannot dump it ("Can't lookup mount"): engines (conmon)
 * give a container /dev/null as stdin. Best effort, as a container without a
 * /dev/null of its own keeps the one it was given. */
void stdio_reopen_dev_null (void);

#endif
