/* The guest's side of qemu's user-mode network (annotation run.capsa.vm.network
 * "user"): eth0 gets slirp's fixed address and route. */
#ifndef CAPSA_VM_GUEST_NET_H
#define CAPSA_VM_GUEST_NET_H

/* lo up; eth0 (when qemu gave one) 10.0.2.15/24 via 10.0.2.2. 0 or -1 (errno). */
int vm_guest_net_up (void);

#endif
