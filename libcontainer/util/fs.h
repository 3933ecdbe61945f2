/* Safe paths inside an untrusted rootfs, atomic writes, small file helpers. */
#ifndef CAPSA_FS_H
#define CAPSA_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "spec/util/error.h"

/* Open `path` (absolute or relative, interpreted inside the rootfs) relative to
 * rootfs_fd with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS), with a userspace
 * fallback when openat2 is missing. flags as for openat (O_PATH etc). */
int fs_open_in_root (int rootfs_fd, const char *path, int flags, mode_t mode, struct error **err);
/* Force the userspace resolver even where openat2 exists (tests; also set by
 * CAPSA_TEST_NO_OPENAT2=1 in the environment). */
void fs_set_openat2_disabled (bool disabled);
/* Read CAPSA_TEST_NO_OPENAT2 now (a child wipes its environment early). */
void fs_openat2_settle (void);

/* mkdir -p inside the rootfs (each component created/resolved safely); returns an
 * O_PATH|O_DIRECTORY fd of the last component. */
int fs_mkdir_p_in_root (int rootfs_fd, const char *path, mode_t mode, struct error **err);
/* Create (if missing) a file (or directory when dir) to serve as a mount target;
 * returns an O_PATH fd of it that does not follow a final symlink. */
int fs_make_mount_target (int rootfs_fd, const char *path, bool dir, struct error **err);

/* mkdir -p of a path as this process sees it, with no confinement to a rootfs
 * (that is fs_mkdir_p_in_root); directories that exist already are fine. Returns -1 with errno set, so each
 * caller words its own message. */
int fs_mkdir_all (const char *path, mode_t mode);

/* Write `len` bytes to path atomically (temp file, fsync, rename). */
int fs_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode,
                          struct error **err);
/* Write to an existing file (no O_CREAT: cgroupfs/procfs callers want ENOENT for a
 * missing knob), in one write(2) call where the kernel allows. */
int fs_write_file (const char *path, const char *data, size_t len, struct error **err);
int fs_write_file_at (int dirfd, const char *name, const char *data, size_t len, struct error **err);
/* Read a whole file (NUL-terminated). Returns 0 and *out, or -1. */
int fs_read_file (const char *path, char **out, size_t *len, struct error **err);
/* Create or truncate dirfd/name with data (not atomic: for files no one reads yet). */
int fs_write_file_new_at (int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                          struct error **err);
/* A small regular file we wrote ourselves: one read() into a buffer larger than
 * the file is all of it (a regular file's short read is its end), saving the
 * read that only finds EOF; larger files take fs_read_file_at. Not for procfs or
 * cgroupfs, whose reads may come short before the end. */
int fs_read_small_file_at (int dirfd, const char *name, char **out, size_t *len,
                           struct error **err);
int fs_read_file_at (int dirfd, const char *name, char **out, size_t *len, struct error **err);
/* rm -rf of a directory tree that holds no mounts. */
int fs_remove_tree (const char *path, struct error **err);

#endif
