/* CVE-2019-5736: a container process must not be able to write the capsa binary
 * through /proc/<capsa pid>/exe. Commands that put processes into a container
 * (create, run, exec) call exe_seal_ensure() first. */
#ifndef CAPSA_EXE_SEAL_H
#define CAPSA_EXE_SEAL_H

#include <stdbool.h>

/* Set in the environment of the re-executed image so a failed seal cannot
 * loop; exe_seal_ensure removes it. runtime/early_seal.c sets it too. */
#define EXE_SEAL_ENV "_CAPSA_EXE_SEALED"
/* The memfd seals that make a copy unwritable. */
#define EXE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#include "spec/util/error.h"

/* Returns 0 when /proc/self/exe is already unwritable (a read-only mount, or a
 * sealed memfd). Otherwise re-executes the binary from a read-only detached bind
 * mount of itself (open_tree + mount_setattr, no copy), or from a sealed memfd
 * copy when we may not mount (rootless), and does not return; -1 on failure. */
int exe_seal_ensure (char **argv, char **envp, struct error **err);

/* true when the running binary cannot be written through /proc/self/exe; *how
 * names the reason ("read-only mount", "sealed memfd") for the debug log. */
bool exe_seal_is_sealed (const char **how);

#endif
