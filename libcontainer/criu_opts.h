/* Shared by checkpoint.c and restore.c. */
#ifndef CAPSA_CRIU_OPTS_H
#define CAPSA_CRIU_OPTS_H

#include "checkpoint.h"
#include "criu.h"

/* --images-dir, --work-dir, --log-file and the image options both sides take. */
void criu_common_args (struct criu_cmd *c, const struct lc_criu_opts *o, const char *work,
                       const char *log_name);
/* dump and pre-dump: --leave-running, memory tracking and parent images,
 * --auto-dedup, the page server, --empty-ns (after criu_common_args). */
void criu_dump_args (struct criu_cmd *c, const struct lc_criu_opts *o);
/* restore: the LSM profile and mount context. */
void criu_restore_args (struct criu_cmd *c, const struct lc_criu_opts *o);
/* The options criu would refuse late, or runc refuses: cgroup mode, --empty-ns,
 * --page-server's form. */
int criu_check_opts (const struct lc_criu_opts *o, struct error **err);
/* The --external key of a namespace joined by path (net, pid), NULL for others. */
const char *criu_ext_ns_key (enum spec_ns_type t);

/* A bind mount of the config (type "bind" or a bind/rbind option): external to criu. */
bool criu_mount_is_bind (const struct spec_mount *m);

#endif
