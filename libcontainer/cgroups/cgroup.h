/* One cgroup manager interface for v1, hybrid, v2 and systemd. The container's
 * manager is rebuilt from its saved description (cgroup_manager_save/load) by
 * every later command. */
#ifndef CAPSA_CGROUP_H
#define CAPSA_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/config.h"

enum cgroup_layout
{
  CGROUP_LAYOUT_V1,
  CGROUP_LAYOUT_HYBRID,   /* v1 controllers + cgroup2 at /sys/fs/cgroup/unified */
  CGROUP_LAYOUT_V2,
};

enum cgroup_layout cgroup_detect_layout (void);
const char *cgroup_layout_name (enum cgroup_layout l); /* "v1", "hybrid", "v2" */

struct cgroup_manager;

/* Build a manager for a new container from its config (linux.cgroupsPath, resources).
 * With no cgroupsPath the path is /capsa/<id> (systemd: system.slice:capsa:<id>). */
int cgroup_manager_new (const struct spec_config *c, const char *id, bool systemd,
                        struct cgroup_manager **out, struct error **err);
/* Leave linux.resources.devices out (rootless: the eBPF program and v1's
 * devices.allow need CAP_SYS_ADMIN in the initial user namespace). */
void cgroup_manager_skip_devices (struct cgroup_manager *m);
/* Create the cgroup (directories, or systemd scope later in enter) and apply
 * linux.resources. Refuses a cgroup that is frozen or already has processes. */
int cgroup_create (struct cgroup_manager *m, struct error **err);
/* v2: an O_DIRECTORY fd of the leaf for clone3(CLONE_INTO_CGROUP), or -1.
 * The fd is owned by the manager (closed by destroy/free): do not close it. */
int cgroup_clone_into_fd (struct cgroup_manager *m);
/* Move pid into the cgroup(s) (no-op when it was born there). */
int cgroup_enter (struct cgroup_manager *m, pid_t pid, struct error **err);

/* The cgroup a new process can be born in with clone3(CLONE_INTO_CGROUP): the v2
 * leaf, or on a hybrid host the container's cgroup in the cgroup2 tree (the v1
 * hierarchies then need self-attach or cgroup_enter_some); -1 when none. */
int cgroup_birth_fd (struct cgroup_manager *m);

/* self_attach.c: v1 placement by the child itself (no RCU wait). The parent
 * opens each v1 hierarchy's `tasks` file of the container's cgroup (n == 0 when
 * it does not apply: v2, systemd, a file it cannot open); the still
 * single-threaded child writes "0" to each and closes them
 * (cgroup_self_attach_run, returns how many failed); the parent completes what
 * is left with cgroup_enter_some (v1: its own write for every v1 hierarchy, v2:
 * the cgroup2 tree) and checks with cgroup_check_placed. */
struct cgroup_self_attach
{
  int *fds;
  size_t n;
};
bool cgroup_self_attach_enabled (void);
int cgroup_self_attach_open (struct cgroup_manager *m, struct cgroup_self_attach *sa,
                             struct error **err);
void cgroup_self_attach_close (struct cgroup_self_attach *sa);
int cgroup_self_attach_run (int *fds, size_t n);
int cgroup_enter_some (struct cgroup_manager *m, pid_t pid, bool v1, bool v2, struct error **err);
/* Every (non-optional) hierarchy lists pid in the container's cgroup. */
int cgroup_check_placed (struct cgroup_manager *m, pid_t pid, struct error **err);
/* Apply (updated) resources. */
int cgroup_update (struct cgroup_manager *m, const struct spec_resources *r, struct error **err);
/* Signal every process in the cgroup (cgroup.kill on v2 for SIGKILL; thaws first). */
int cgroup_kill_all (struct cgroup_manager *m, int signo, struct error **err);
int cgroup_pids (struct cgroup_manager *m, pid_t **pids, size_t *n, struct error **err);
int cgroup_freeze (struct cgroup_manager *m, bool frozen, struct error **err);
/* 1 frozen, 0 not, -1 error/unknown */
int cgroup_is_frozen (struct cgroup_manager *m);
/* The file that tells whether the container is frozen (v1 freezer.state, or
 * cgroup.freeze on pure v2), malloc'd; NULL when the host has no freezer.
 * `state` and `list` keep it in the record and read it without loading the
 * manager. */
char *cgroup_freezer_file (struct cgroup_manager *m);
bool cgroup_freezer_file_is_v1 (const char *file);
/* 1 frozen, 0 not, -1 error/unknown; the same answers as cgroup_is_frozen. */
int cgroup_freezer_file_frozen (const char *file);
/* Remove the cgroups this manager created; tolerates concurrent removal. */
int cgroup_destroy (struct cgroup_manager *m, struct error **err);

/* The path of the container's cgroup relative to the cgroup root (for the state
 * and for mounting /sys/fs/cgroup in the container). */
const char *cgroup_path (struct cgroup_manager *m);

/* Additions (cgroups helper): the host directory of the container's cgroup for
 * one controller ("memory", "cpu", ...; "" = the cgroup2 tree), NULL if the host
 * lacks it; and every hierarchy the manager uses (controllers is "" for cgroup2,
 * "name=systemd" for named v1 trees). Returns the count, fills up to max. */
const char *cgroup_controller_dir (struct cgroup_manager *m, const char *controller);
size_t cgroup_hierarchies (struct cgroup_manager *m, const char **controllers,
                           const char **dirs, size_t max);
enum cgroup_layout cgroup_manager_layout (struct cgroup_manager *m);

/* Serialize to a string stored in the container state, and back. */
char *cgroup_manager_save (struct cgroup_manager *m);
int cgroup_manager_load (const char *saved, struct cgroup_manager **out, struct error **err);
void cgroup_manager_free (struct cgroup_manager *m);

/* Statistics in the shape of runc's `events --stats` (types/events.go).
 * Values are in bytes and nanoseconds; 0 where the host lacks the file. */
struct cgroup_kv
{
  char *key;
  uint64_t value;
};

struct cgroup_mem_entry
{
  uint64_t limit, usage, max, failcnt;
};

struct cgroup_blkio_entry
{
  uint64_t major, minor;
  char op[16];
  uint64_t value;
};

enum cgroup_blkio_kind
{
  CG_BLKIO_SERVICE_BYTES,
  CG_BLKIO_SERVICED,
  CG_BLKIO_QUEUED,
  CG_BLKIO_SERVICE_TIME,
  CG_BLKIO_WAIT_TIME,
  CG_BLKIO_MERGED,
  CG_BLKIO_TIME,
  CG_BLKIO_SECTORS,
  CG_BLKIO_KINDS,
};

struct cgroup_hugetlb_stat
{
  char page_size[24]; /* "2MB" */
  uint64_t usage, max, failcnt;
};

struct cgroup_stats
{
  struct
  {
    uint64_t total, kernel, user;
    uint64_t *percpu, *percpu_kernel, *percpu_user;
    size_t npercpu, npercpu_kernel, npercpu_user;
    uint64_t periods, throttled_periods, throttled_time;
  } cpu;
  struct
  {
    uint16_t *cpus, *mems;
    size_t ncpus, nmems;
    uint64_t cpu_exclusive, mem_hardwall, mem_exclusive, memory_migrate;
    uint64_t memory_spread_page, memory_spread_slab, memory_pressure, sched_load_balance;
    int64_t sched_relax_domain_level;
  } cpuset;
  struct
  {
    uint64_t cache;
    struct cgroup_mem_entry usage, swap, kernel, kernel_tcp;
    struct cgroup_kv *raw; /* memory.stat, in file order */
    size_t nraw;
  } memory;
  struct
  {
    uint64_t current, limit;
  } pids;
  struct cgroup_blkio_entry *blkio[CG_BLKIO_KINDS];
  size_t nblkio[CG_BLKIO_KINDS];
  struct cgroup_hugetlb_stat *hugetlb;
  size_t nhugetlb;
};

int cgroup_stats (struct cgroup_manager *m, struct cgroup_stats *out, struct error **err);
void cgroup_stats_clear (struct cgroup_stats *s);
/* The "data" object of runc's stats event, written with spec/util/json.h. */
struct json_writer;
void cgroup_stats_write_json (struct json_writer *w, const struct cgroup_stats *s);

/* OOM notifications: v1 memory.oom_control through cgroup.event_control, v2
 * memory.events (oom_kill) watched with inotify. poll() the fd for POLLIN, then
 * cgroup_oom_read returns how many OOM kills happened since the last read. */
struct cgroup_oom_watch;
int cgroup_oom_watch (struct cgroup_manager *m, struct cgroup_oom_watch **out,
                      struct error **err);
int cgroup_oom_fd (struct cgroup_oom_watch *w);
int cgroup_oom_read (struct cgroup_oom_watch *w, struct error **err);
void cgroup_oom_watch_free (struct cgroup_oom_watch *w);

#endif
