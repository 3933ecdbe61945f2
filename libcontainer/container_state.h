/* The container's state directory <root>/<id>/: state.json (our record), a copy
 * of config.json, exec.fifo while created. Locking and status detection. */
#ifndef CAPSA_CONTAINER_STATE_H
#define CAPSA_CONTAINER_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "spec/config.h"
#include "spec/state.h"

struct lc_record
{
  char *id;
  pid_t pid;
  uint64_t pid_start;     /* /proc/<pid>/stat starttime: detects PID reuse */
  uint64_t pid_identity;  /* pidfs inode of the init (0: kernel without pidfs) */
  char *bundle;
  char *rootfs;
  char *created;
  char *owner;
  char *cgroup;           /* cgroup_manager_save(), in the file `cgroup` beside
                           * state.json: record_read loads it, list does not */
  char *freezer;          /* cgroup_freezer_file(): the status reads only this */
  bool has_poststart;     /* config has poststart hooks: start reads the config copy */
  bool has_poststop;      /* config has poststop hooks: delete reads the config copy */
  struct spec_kv *annotations;
  size_t annotations_len;
};

enum lc_status
{
  LC_CREATING,
  LC_CREATED,
  LC_RUNNING,
  LC_PAUSED,
  LC_STOPPED,
};

const char *lc_status_name (enum lc_status s);

/* <root>/<id>; returns malloc'd path. */
char *statedir_path (const char *root, const char *id);
/* Create <root> (0700) and the container dir exclusively: EEXIST -> "container with
 * id exists". Returns an O_DIRECTORY fd, locked. */
int statedir_create (const char *root, const char *id, struct error **err);
/* The same, and when the dir exists but is the leftover of a create that died
 * (unlocked, no state.json), undo(dirfd, arg) cleans it (and closes dirfd) and
 * the dir is made anew. */
typedef int (*statedir_undo_fn) (int dirfd, void *arg, struct error **err);
int statedir_claim (const char *root, const char *id, statedir_undo_fn undo, void *arg,
                    struct error **err);
/* Open an existing container dir, locked (LOCK_EX) when `lock`. ENOENT -> "container
 * \"id\" does not exist". */
int statedir_open (const char *root, const char *id, bool lock, struct error **err);

/* The saved cgroup manager, into <state>/cgroup, written before the cgroup is
 * made: delete --force undoes a create killed at any point after it. */
struct cgroup_manager;
int statedir_write_cgroup_intent (int dirfd, struct cgroup_manager *cg, struct error **err);

int record_write (int dirfd, const struct lc_record *r, struct error **err);
/* state.json and the saved cgroup manager. */
int record_read (int dirfd, struct lc_record *r, struct error **err);
/* The saved cgroup manager into r->cgroup, for a record read without it (NULL
 * stays NULL when the container has no cgroup). */
int record_read_cgroup (int dirfd, struct lc_record *r, struct error **err);
/* state.json alone, of the container dir `id` below dirfd (the state root),
 * without opening it: list reads every container this way. */
int record_read_in (int dirfd, const char *id, struct lc_record *r, struct error **err);
/* The text of a state.json into r (r cleared first; record_clear frees it). */
int record_parse (const char *data, size_t len, struct lc_record *r, struct error **err);
void record_clear (struct lc_record *r);

/* Status from facts: pid alive with its identity (pid_identity.h), exec.fifo,
 * cgroup frozen. */
enum lc_status record_status (int dirfd, const struct lc_record *r);
enum lc_status record_status_in (int dirfd, const char *id, const struct lc_record *r);
/* Whether the recorded pid is still our process (alive, not a zombie, same start). */
bool record_pid_alive (const struct lc_record *r);
/* The same for the process behind a pidfd the caller holds (one pidfd, not two). */
bool record_pidfd_alive (const struct lc_record *r, int pidfd);
/* starttime of /proc/<pid>/stat, 0 on failure; *zombie set when state Z/X. */
uint64_t proc_start_time (pid_t pid, bool *zombie);
/* The same, with the task's state letter from /proc/<pid>/stat ('S', 'D', 'Z'...). */
uint64_t proc_task_start (pid_t pid, char *state);

/* Fill an OCI state from a record and status. */
struct spec_state *record_to_state (const struct lc_record *r, enum lc_status st);
/* RFC 3339 UTC timestamp with nanoseconds, like Go's RFC3339Nano. */
char *timestamp_now (void);

#endif
