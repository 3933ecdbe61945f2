/* What the VM files share among themselves. */
#ifndef CAPSA_VM_INTERNAL_H
#define CAPSA_VM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/config.h"
#include "spec/util/error.h"
#include "vm.h"

#define VM_CONFIG_FILE "/etc/capsa/vm.json"
#define VM_CACHE_DIR "/var/cache/capsa/vm"
#define VM_DEFAULT_MEM_MIB 512
/* qemu's own memory and TCG's translation cache (tb-size below), which the host
 * cgroup's memory limit binds along with the guest's RAM. */
#define VM_QEMU_OVERHEAD_MIB 128
#define VM_TCG_TB_MIB 32
#define VM_DEFAULT_MIN_LIMIT_MIB 256
#define VM_MAX_CPUS 16
#define VM_FILE_COPY_MAX (1024 * 1024)
/* Where the guest keeps its state (--root, config.json): a path no host share takes. */
#define VM_GUEST_ROOT "/.capsa"

/* Set in the guest's init: a container there is never a VM again. */
extern bool vm_guest_active;

bool vm_wants_user_network (const struct spec_config *c);
void vm_size (const struct spec_config *c, unsigned *mem_mib, unsigned *cpus);

/* The qemu command line (NULL-terminated, malloc'd strings). ctl_fd and con_fd
 * are the sockets qemu's control port and console use; each bind mount directory
 * and the rootfs are shares (9p or virtio-fs) tagged in vm_shares order. */
struct vm_share
{
  char *tag;     /* "s0", "s1", ... */
  char *path;    /* host path, mounted at the same path in the guest */
  bool readonly;
  bool file;     /* a regular file: copied, not shared */
  bool virtiofs; /* served by a virtiofsd (writable directories), else 9p */
  char *sock;    /* that virtiofsd's vhost-user socket, in the state dir */
};
struct vm_plan
{
  struct vm_host host;
  char *initramfs;
  unsigned mem_mib, cpus;
  bool user_net;
  bool guest_virtiofs; /* the initramfs loads virtiofs */
  bool virtiofs;       /* some share is virtio-fs: guest RAM in a shared memfd */
  struct vm_share *shares;
  size_t shares_len;
};
int vm_plan_make (const struct spec_config *c, const char *rootfs, struct vm_plan *p,
                  struct error **err);
/* Writable directory shares become virtio-fs (one virtiofsd each, its socket in
 * state_dir) when VM_VIRTIOFSD runs here and the guest kernel has virtiofs;
 * read-only ones stay 9p (qemu's readonly=on: virtiofsd has no read-only mode).
 * CAPSA_VM_9P=1 keeps 9p for all. */
#define VM_VIRTIOFSD "/usr/lib/qemu/virtiofsd"
int vm_plan_virtiofs (struct vm_plan *p, const char *state_dir, struct error **err);
void vm_plan_clear (struct vm_plan *p);
char **vm_qemu_argv (const struct vm_plan *p, int ctl_fd, int con_fd);

/* The host's supervisor of one VM container (vm_supervisor.c). Runs in the
 * child forked by vm_spawn; never returns. */
struct vm_supervisor_args
{
  char **qemu_argv;
  int ctl_fd;          /* our end of the control port's socketpair */
  int con_fd;          /* our end of the console's */
  int qemu_ctl_fd;     /* qemu's ends, closed after qemu's fork */
  int qemu_con_fd;
  int report_fd;       /* to create: "0" created, or "E<message>" */
  int release_fd;      /* create's end closes (or sends) when we outlive it */
  int go_fd;           /* create writes once we are in the cgroup */
  int dirfd;           /* the state dir (exec.fifo, vm.sock) */
  int tty_fd;          /* host pty slave when process.terminal, else -1 */
  const char *id;
  const char *bundle;
  const struct vm_plan *plan;
  const char *config_data;
  size_t config_len;
};
/* The guest's answer to a control request (ps, pause, resume, update) for the
 * container id: VM_OK or VM_ERROR, with its payload in out (*len bytes). */
struct vm_frame;
uint8_t vm_guest_control (const struct lc_context *ctx, const char *id,
                          const struct vm_frame *req, char *out, size_t size, size_t *len);

__attribute__ ((noreturn)) void vm_supervisor_main (struct vm_supervisor_args *a);

#endif
