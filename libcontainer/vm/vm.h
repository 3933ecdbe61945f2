/* VM isolation (issue 15): a container whose config asks for it
 * (annotation run.capsa.isolation "vm", or the global --isolation vm) runs in its
 * own qemu guest. capsa is the guest's PID 1 and builds the container there with
 * the same code as on the host. See docs/vm-isolation.md. */
#ifndef CAPSA_VM_H
#define CAPSA_VM_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "container.h"
#include "spec/config.h"
#include "spec/util/error.h"

#define VM_ANNOTATION_ISOLATION "run.capsa.isolation"
#define VM_ANNOTATION_NETWORK "run.capsa.vm.network"   /* "none" (default) or "user" */
/* The state dir's socket of a VM container's supervisor: it marks a VM container. */
#define VM_SOCKET_NAME "vm.sock"

/* Whether this container is to run in a VM (annotation, else ctx->isolation). */
bool vm_requested (const struct lc_context *ctx, const struct spec_config *c);
/* What a VM cannot honour, refused with the JSON path and the reason. */
int vm_check_config (const struct spec_config *c, struct error **err);

/* The guest: kernel, modules, accelerator. */
struct vm_host
{
  char *kernel;      /* vmlinux (PVH) or bzImage */
  char *modules;     /* the modules dir of that kernel (lib/modules/VERSION) */
  char *kver;
  bool kvm;          /* else TCG */
  char *why_not_kvm; /* when !kvm */
};
int vm_host_find (struct vm_host *h, struct error **err);
void vm_host_clear (struct vm_host *h);
/* The cached initramfs (capsa as /init plus the modules it loads) for h, built
 * once per kernel and capsa binary. Returns a malloc'd path. */
char *vm_initramfs (const struct vm_host *h, bool net, bool *virtiofs, struct error **err);

/* create's half: start the supervisor and qemu, boot, create the container in
 * the guest; on success *pid and *pidfd are the supervisor's (the container's pid on
 * the host), *pty_master the host side of a terminal for a foreground run. */
struct vm_spawn_args
{
  const struct lc_context *ctx;
  const char *id;
  const struct spec_config *config;
  const char *config_path;
  const char *bundle;
  const char *rootfs;
  int dirfd;                /* the state dir */
  struct cgroup_manager *cg; /* may be NULL (rootless without a cgroup) */
  int console_sock;         /* --console-socket connection, or -1 */
  bool pty_to_parent;       /* foreground run with a terminal and no console socket */
  int preserve_fds;
};
int vm_spawn (const struct vm_spawn_args *a, pid_t *pid, int *pidfd, int *pty_master,
              int *release_fd, struct error **err);
/* The container is recorded: the supervisor no longer dies with us. */
int vm_release (int release_fd, struct error **err);

/* Whether the container of this state dir is a VM container. */
bool vm_container_at (int dirfd);
/* `capsa exec` in a VM container: through the supervisor's socket. */
int vm_exec (int dirfd, const char *id, const struct lc_exec_opts *o, int *exit_status,
             struct error **err);

/* ps, pause/resume, update of a VM container: in the guest, over the control
 * channel (vm_control.c). vm_ps's *table (when table is not NULL) is a
 * "PID CMD" listing made from the guest's answer; pids are guest pids. */
int vm_ps (int dirfd, const char *id, pid_t **pids, size_t *n, char **table, struct error **err);
int vm_pause (int dirfd, const char *id, bool freeze, struct error **err);
int vm_update (int dirfd, const char *id, const struct spec_resources *r, struct error **err);
/* In the state dir while the container is frozen in its guest (state: paused). */
#define VM_PAUSED_NAME "vm.paused"

/* `capsa check`: whether VM isolation works here, and how fast (KVM or TCG). */
enum vm_check_status { VM_CHECK_KVM, VM_CHECK_TCG, VM_CHECK_MISSING };
enum vm_check_status vm_check (char *value, size_t vsize, char *fix, size_t fsize);

/* The guest's PID 1 (capsa as /init in the guest's initramfs). Never returns. */
__attribute__ ((noreturn)) void vm_guest_main (void);
/* Whether this process is that PID 1. */
bool vm_is_guest_init (const char *argv0);

#endif
