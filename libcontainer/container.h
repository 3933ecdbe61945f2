/* Public API of libcontainer, used by runtime/. Never prints, never exits. */
#ifndef CAPSA_CONTAINER_H
#define CAPSA_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/config.h"
#include "spec/state.h"
#include "spec/util/error.h"

/* Global settings from the command line. */
struct lc_context
{
  const char *root;        /* state root, default /run/capsa */
  bool systemd_cgroup;
  bool rootless;
  const char *log_path;    /* forwarded to hooks' environment only */
  /* How many fds from 3 on the caller passed to capsa, counted before capsa
   * opened anything: the most that --preserve-fds can hand over, so that no fd
   * of capsa's own ever lands in the preserved range (runc#5474). */
  int passed_fds;
  /* --isolation: "vm" runs containers without a run.capsa.isolation annotation
   * in a VM (libcontainer/vm/vm.h); NULL or "container" does not. */
  const char *isolation;
};

struct lc_create_opts
{
  const char *bundle;          /* defaults to cwd */
  const char *config_path;     /* defaults to <bundle>/config.json */
  const char *pid_file;
  const char *console_socket;
  const char *pidfd_socket;
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;            /* fds 3 .. 3+n-1 are passed in */
  /* run only (create always detaches) */
  bool detach;
  bool keep;
};

/* Container ID rules: non-empty, <= 1024 bytes, [A-Za-z0-9_+.-], not "." or "..". */
int lc_validate_id (const char *id, struct error **err);

int lc_create (const struct lc_context *ctx, const char *id, const struct lc_create_opts *o,
               struct error **err);
int lc_start (const struct lc_context *ctx, const char *id, struct error **err);
/* Foreground run: returns the exit status to use (128+N on signal N) in *exit_status.
 * With o->detach it returns after start with *exit_status = 0. */
int lc_run (const struct lc_context *ctx, const char *id, const struct lc_create_opts *o,
            int *exit_status, struct error **err);
int lc_state (const struct lc_context *ctx, const char *id, struct spec_state **out,
              struct error **err);
int lc_kill (const struct lc_context *ctx, const char *id, int signo, bool all,
             struct error **err);
int lc_delete (const struct lc_context *ctx, const char *id, bool force, struct error **err);
/* All containers under ctx->root, sorted by id. */
int lc_list (const struct lc_context *ctx, struct spec_state ***out, size_t *n,
             struct error **err);

/* `exec`: a new process in a running container. The process comes from
 * process_path (a process.json) or from the container's config.process with
 * args and the overrides below. */
struct lc_exec_opts
{
  const char *process_path;
  char **args;                 /* NULL-terminated; used when process_path is NULL */
  bool tty, tty_set;           /* --tty given (overrides process.terminal) */
  const char *console_socket;
  const char *pid_file;
  const char *pidfd_socket;
  bool detach;
  const char *cwd;
  char **env;                  /* NULL-terminated KEY=VALUE, appended/replacing */
  const char *user;            /* "uid[:gid]" */
  char **additional_gids;      /* NULL-terminated decimal strings */
  char **caps;                 /* NULL-terminated: added to all cap sets but ambient */
  bool no_new_privs;
  const char *apparmor;
  const char *process_label;
  int preserve_fds;
  char **cgroups;              /* --cgroup values, NULL-terminated (or NULL): a bare
                                  "path", or "ctrl[,ctrl...]:path" ones (exec_cgroup.h) */
  bool ignore_paused;
};

/* Foreground: *exit_status is the process's (128+N on signal N). */
int lc_exec (const struct lc_context *ctx, const char *id, const struct lc_exec_opts *o,
             int *exit_status, struct error **err);

/* Strict "uid[:gid]" (decimal) as `exec --user` takes it. */
int lc_parse_user (const char *spec, uint32_t *uid, uint32_t *gid, bool *has_gid,
                   struct error **err);
/* The decimal gids of `exec --additional-gids`, each as strict as a --user id;
 * *out malloc'd (NULL when n is 0). */
int lc_parse_additional_gids (char *const *strs, size_t n, uint32_t **out, struct error **err);

/* features.json for this build and host (capabilities libcap knows, mount
 * options, seccomp archs and the filter flags this kernel takes, and whether
 * the criu binary `criu` can checkpoint here). */
int lc_features_json (const char *criu, char **out, struct error **err);

/* cgroup_ops.c (cgroups helper): operations through the container's cgroup. */
int lc_pause (const struct lc_context *ctx, const char *id, struct error **err);
int lc_resume (const struct lc_context *ctx, const char *id, struct error **err);
/* Apply resources to a created/running/paused container (unset fields unchanged). */
int lc_update (const struct lc_context *ctx, const char *id, const struct spec_resources *r,
               struct error **err);
/* Every pid in the container's cgroup (none when stopped); *pids is malloc'd. */
int lc_ps (const struct lc_context *ctx, const char *id, pid_t **pids, size_t *n,
           struct error **err);
/* A VM container's ps table ("PID CMD", guest pids, made in its guest) in
 * *table (malloc'd); *table stays NULL for any other container. */
int lc_ps_vm_table (const struct lc_context *ctx, const char *id, char **table,
                    struct error **err);

struct cgroup_stats; /* libcontainer/cgroups/cgroup.h */
struct lc_stats
{
  struct cgroup_stats *cgroup;
};
int lc_stats (const struct lc_context *ctx, const char *id, struct lc_stats *out,
              struct error **err);
void lc_stats_clear (struct lc_stats *s);
/* runc's events, one JSON object without newline (malloc'd, NULL on ENOMEM):
 * {"type":"stats","id":ID,"data":{cpu, cpuset, memory, pids, blkio, hugetlb, ...}}
 * and {"type":"oom","id":ID}. */
char *lc_stats_event_json (const char *id, const struct lc_stats *s);
char *lc_oom_event_json (const char *id);

/* `events`: a watch on a running container's OOM kills. */
struct lc_events;
int lc_events_open (const struct lc_context *ctx, const char *id, struct lc_events **out,
                    struct error **err);
/* Wait up to timeout_ms (-1: no limit) for OOM kills; returns how many happened
 * (0 on timeout) and sets *stopped once the container's init is gone. */
int lc_events_wait (struct lc_events *ev, int timeout_ms, bool *stopped, struct error **err);
int lc_events_stats (struct lc_events *ev, struct lc_stats *out, struct error **err);
void lc_events_close (struct lc_events *ev);

/* Error numbers callers can test for to choose runc's message/exit code. */
#define LC_ENOTEXIST ENOENT  /* "container does not exist" */
#define LC_EEXIST EEXIST     /* "container with id exists" */
/* true when err says the container does not exist (not any ENOENT). */
bool lc_error_is_not_exist (const struct error *err);

#endif
