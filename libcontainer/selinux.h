/* SELinux labels (libselinux only for the "is it enabled" question). */
#ifndef CAPSA_SELINUX_H
#define CAPSA_SELINUX_H

#include <stdbool.h>
#include "spec/util/error.h"

bool selinux_enabled (void);
/* Before pivot: a process label on a host without SELinux is an error, with
 * runc 1.1's message (checked against runc 1.1.5 on this machine). */
int selinux_check_process_label (const char *label, struct error **err);
/* Just before execve: write the label to our thread's attr/exec through the
 * verified procfs handle (not by path, CVE-2019-16884). */
int selinux_set_exec_label (const char *label, struct error **err);
/* Label the file behind fd (may be O_PATH): for filesystems that take no
 * context= mount option (mqueue, as runc does). No-op without SELinux. */
int selinux_label_fd (int fd, const char *label, struct error **err);

#endif
