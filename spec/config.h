/* Typed model of the OCI runtime-spec 1.3 config.json (config.md and
 * config-linux.md). Every optional scalar has a has_<field> flag; arrays are
 * (pointer, count) pairs; string maps are struct spec_kv arrays in file order.
 * Parsing: spec_config_parse_file(); freeing: spec_config_free(). */
#ifndef CAPSA_SPEC_CONFIG_H
#define CAPSA_SPEC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CAPSA_OCI_VERSION "1.3.0"

struct spec_kv
{
  char *key;
  char *value;
};

struct spec_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct spec_mount
{
  char *destination;  /* required */
  char *source;
  char *type;
  char **options;
  size_t options_len;
  struct spec_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct spec_id_mapping *gid_mappings;
  size_t gid_mappings_len;
};

struct spec_rlimit
{
  char *type;    /* "RLIMIT_NOFILE" */
  uint64_t soft;
  uint64_t hard;
};

struct spec_capabilities
{
  char **bounding;
  size_t bounding_len;
  bool has_bounding;
  char **effective;
  size_t effective_len;
  bool has_effective;
  char **inheritable;
  size_t inheritable_len;
  bool has_inheritable;
  char **permitted;
  size_t permitted_len;
  bool has_permitted;
  char **ambient;
  size_t ambient_len;
  bool has_ambient;
};

struct spec_scheduler
{
  char *policy; /* required when scheduler present: SCHED_OTHER, ... */
  int32_t nice;
  bool has_nice;
  int32_t priority;
  bool has_priority;
  char **flags;
  size_t flags_len;
  uint64_t runtime;
  bool has_runtime;
  uint64_t deadline;
  bool has_deadline;
  uint64_t period;
  bool has_period;
};

struct spec_io_priority
{
  char *class_;  /* IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE */
  int32_t priority;
};

struct spec_cpu_affinity
{
  char *initial;
  char *final;
};

struct spec_user
{
  uint32_t uid;
  uint32_t gid;
  uint32_t umask;
  bool has_umask;
  uint32_t *additional_gids;
  size_t additional_gids_len;
  char *username;
};

struct spec_process
{
  bool terminal;
  uint32_t console_height, console_width;
  bool has_console_size;
  struct spec_user user;
  char **args;
  size_t args_len;
  char *command_line;
  char **env;
  size_t env_len;
  char *cwd;  /* required, absolute */
  struct spec_capabilities *capabilities;
  struct spec_rlimit *rlimits;
  size_t rlimits_len;
  bool no_new_privileges;
  char *apparmor_profile;
  int32_t oom_score_adj;
  bool has_oom_score_adj;
  struct spec_scheduler *scheduler;
  char *selinux_label;
  struct spec_io_priority *io_priority;
  struct spec_cpu_affinity *exec_cpu_affinity;
};

struct spec_hook
{
  char *path;  /* required, absolute */
  char **args;
  size_t args_len;
  char **env;
  size_t env_len;
  int32_t timeout;  /* seconds, > 0 */
  bool has_timeout;
};

enum spec_hook_kind
{
  HOOK_PRESTART,
  HOOK_CREATE_RUNTIME,
  HOOK_CREATE_CONTAINER,
  HOOK_START_CONTAINER,
  HOOK_POSTSTART,
  HOOK_POSTSTOP,
  HOOK_KIND_COUNT
};

struct spec_hooks
{
  struct spec_hook *list[HOOK_KIND_COUNT];
  size_t len[HOOK_KIND_COUNT];
};

/* ---- linux ---- */

enum spec_ns_type
{
  NS_PID,
  NS_NETWORK,
  NS_MOUNT,
  NS_IPC,
  NS_UTS,
  NS_USER,
  NS_CGROUP,
  NS_TIME,
  NS_TYPE_COUNT
};

struct spec_namespace
{
  enum spec_ns_type type;
  char *path; /* NULL: create a new one */
};

struct spec_time_offset
{
  int64_t secs;
  uint32_t nanosecs;
  bool present;
};

/* The kernel's dev_t (include/linux/kdev_t.h): 12 bits of major, 20 of minor.
 * Larger numbers would be truncated by makedev and the device filters. */
#define SPEC_DEV_MAJOR_MAX 4095
#define SPEC_DEV_MINOR_MAX 1048575

struct spec_device
{
  char type;  /* 'c', 'b', 'u', 'p' */
  char *path; /* required, absolute */
  int64_t major, minor;
  bool has_major, has_minor;
  uint32_t file_mode;
  bool has_file_mode;
  uint32_t uid, gid;
  bool has_uid, has_gid;
};

struct spec_device_cgroup
{
  bool allow;
  char type; /* 'a', 'c', 'b'; 0 when unset (= all) */
  int64_t major, minor;  /* -1 = wildcard */
  char *access;          /* "rwm" subset; NULL = all */
};

struct spec_memory
{
  int64_t limit, reservation, swap, kernel, kernel_tcp;
  bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp;
  uint64_t swappiness;
  bool has_swappiness;
  bool disable_oom_killer, has_disable_oom_killer;
  bool use_hierarchy, has_use_hierarchy;
  bool check_before_update, has_check_before_update;
};

struct spec_cpu
{
  uint64_t shares;
  bool has_shares;
  int64_t quota;
  bool has_quota;
  uint64_t burst;
  bool has_burst;
  uint64_t period;
  bool has_period;
  int64_t realtime_runtime;
  bool has_realtime_runtime;
  uint64_t realtime_period;
  bool has_realtime_period;
  char *cpus;
  char *mems;
  int64_t idle;
  bool has_idle;
};

struct spec_weight_device
{
  int64_t major, minor;
  uint16_t weight, leaf_weight;
  bool has_weight, has_leaf_weight;
};

struct spec_throttle_device
{
  int64_t major, minor;
  uint64_t rate;
};

struct spec_blkio
{
  uint16_t weight, leaf_weight;
  bool has_weight, has_leaf_weight;
  struct spec_weight_device *weight_device;
  size_t weight_device_len;
  struct spec_throttle_device *throttle_read_bps;
  size_t throttle_read_bps_len;
  struct spec_throttle_device *throttle_write_bps;
  size_t throttle_write_bps_len;
  struct spec_throttle_device *throttle_read_iops;
  size_t throttle_read_iops_len;
  struct spec_throttle_device *throttle_write_iops;
  size_t throttle_write_iops_len;
};

struct spec_hugepage_limit
{
  char *page_size; /* "2MB" */
  uint64_t limit;
};

struct spec_net_priority
{
  char *name;
  uint32_t priority;
};

struct spec_network
{
  uint32_t class_id;
  bool has_class_id;
  struct spec_net_priority *priorities;
  size_t priorities_len;
};

struct spec_rdma
{
  char *device;
  uint32_t hca_handles, hca_objects;
  bool has_hca_handles, has_hca_objects;
};

struct spec_resources
{
  struct spec_device_cgroup *devices;
  size_t devices_len;
  struct spec_memory *memory;
  struct spec_cpu *cpu;
  int64_t pids_limit;
  bool has_pids;
  struct spec_blkio *block_io;
  struct spec_hugepage_limit *hugepage_limits;
  size_t hugepage_limits_len;
  struct spec_network *network;
  struct spec_rdma *rdma;
  size_t rdma_len;
  struct spec_kv *unified;
  size_t unified_len;
};

struct spec_intel_rdt
{
  char *clos_id;
  char *l3_cache_schema;
  char *mem_bw_schema;
  char **schemata;
  size_t schemata_len;
  bool enable_monitoring, enable_cmt, enable_mbm;
};

struct spec_memory_policy
{
  char *mode;  /* MPOL_DEFAULT, ... */
  char *nodes;
  char **flags;
  size_t flags_len;
};

struct spec_personality
{
  char *domain; /* LINUX | LINUX32 */
  char **flags;
  size_t flags_len;
};

enum spec_seccomp_op
{
  SCMP_OP_NE_, SCMP_OP_LT_, SCMP_OP_LE_, SCMP_OP_EQ_, SCMP_OP_GE_, SCMP_OP_GT_, SCMP_OP_MASKED_EQ_
};

struct spec_seccomp_arg
{
  uint32_t index;
  uint64_t value;
  uint64_t value_two;
  char *op; /* "SCMP_CMP_EQ", validated */
};

struct spec_seccomp_syscall
{
  char **names;
  size_t names_len;
  char *action;
  uint32_t errno_ret;
  bool has_errno_ret;
  struct spec_seccomp_arg *args;
  size_t args_len;
};

struct spec_seccomp
{
  char *default_action;
  uint32_t default_errno_ret;
  bool has_default_errno_ret;
  char **architectures;
  size_t architectures_len;
  char **flags;
  size_t flags_len;
  char *listener_path;
  char *listener_metadata;
  struct spec_seccomp_syscall *syscalls;
  size_t syscalls_len;
};

/* The kernel's limit on a network device name, with its NUL (IFNAMSIZ). */
#define SPEC_IFNAMSIZ 16

struct spec_net_device
{
  char *host_name;  /* map key */
  char *name;       /* name inside the container; NULL = same */
};

struct spec_linux
{
  struct spec_namespace *namespaces;
  size_t namespaces_len;
  struct spec_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct spec_id_mapping *gid_mappings;
  size_t gid_mappings_len;
  struct spec_time_offset time_monotonic, time_boottime;
  struct spec_device *devices;
  size_t devices_len;
  struct spec_net_device *net_devices;
  size_t net_devices_len;
  char *cgroups_path;
  struct spec_resources *resources;
  char *rootfs_propagation;
  struct spec_seccomp *seccomp;
  struct spec_kv *sysctl;
  size_t sysctl_len;
  char **masked_paths;
  size_t masked_paths_len;
  bool has_masked_paths;
  char **readonly_paths;
  size_t readonly_paths_len;
  bool has_readonly_paths;
  char *mount_label;
  struct spec_intel_rdt *intel_rdt;
  struct spec_memory_policy *memory_policy;
  struct spec_personality *personality;
};

struct spec_config
{
  char *oci_version; /* required */
  char *root_path;   /* root.path */
  bool root_readonly;
  struct spec_mount *mounts;
  size_t mounts_len;
  struct spec_process *process;
  char *hostname;
  char *domainname;
  struct spec_hooks hooks;
  struct spec_kv *annotations;
  size_t annotations_len;
  struct spec_linux *linux_; /* "linux" is a predefined macro under gnu11 */
};

/* Parse and validate. `name` is used as the message prefix ("config.json"). */
struct spec_config *spec_config_parse_file (const char *path, struct error **err);
struct spec_config *spec_config_parse_data (const char *data, size_t len, const char *name,
                                            struct error **err);
/* Only linux.resources JSON (capsa update --resources). */
struct spec_resources *spec_resources_parse_data (const char *data, size_t len, const char *name,
                                                  struct error **err);
/* A bare process object (exec --process process.json). */
struct spec_process *spec_process_parse_data (const char *data, size_t len, const char *name,
                                              struct error **err);
void spec_config_free (struct spec_config *c);
void spec_resources_free (struct spec_resources *r);
void spec_process_free (struct spec_process *p);

/* Semantic validation (called by the parse functions). */
int spec_config_validate (const struct spec_config *c, const char *name, struct error **err);

/* Namespace helpers. */
const char *spec_ns_type_name (enum spec_ns_type t);   /* "pid", "network", ... */
int spec_ns_type_from_name (const char *name);         /* -1 if unknown */
const char *spec_ns_proc_name (enum spec_ns_type t);   /* /proc/self/ns name: "net", "mnt", ... */
/* The namespace entry of this type, or NULL. */
const struct spec_namespace *spec_config_namespace (const struct spec_config *c, enum spec_ns_type t);

/* Annotation / map lookup. */
const char *spec_kv_get (const struct spec_kv *kv, size_t len, const char *key);

/* Hook kind names as in config.json ("createRuntime"). */
const char *spec_hook_kind_name (enum spec_hook_kind k);

#endif
