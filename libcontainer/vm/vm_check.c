/* `capsa check`'s line on VM isolation: qemu, a guest kernel, and the
 * accelerator (KVM boots a VM container in about a second, TCG in several). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "vm_internal.h"

static bool
in_path (const char *name)
{
  const char *path = getenv ("PATH");
  _cleanup_free_ char *copy = strdup (path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  char *save = NULL;
  for (char *d = copy ? strtok_r (copy, ":", &save) : NULL; d; d = strtok_r (NULL, ":", &save))
    {
      char full[4096];
      snprintf (full, sizeof full, "%s/%s", d, name);
      if (access (full, X_OK) == 0)
        return true;
    }
  return false;
}

enum vm_check_status
vm_check (char *value, size_t vsize, char *fix, size_t fsize)
{
  struct vm_host h;
  struct error *err = NULL;
  fix[0] = '\0';
  if (!in_path ("qemu-system-x86_64"))
    {
      snprintf (value, vsize, "no qemu-system-x86_64");
      snprintf (fix, fsize, "apt-get install qemu-system-x86 (and a guest kernel: tests/vm-kernel.sh)");
      return VM_CHECK_MISSING;
    }
  if (vm_host_find (&h, &err) < 0)
    {
      snprintf (value, vsize, "%s", err->msg);
      snprintf (fix, fsize, "write %s naming a kernel and its modules (tests/vm-kernel.sh does)",
                VM_CONFIG_FILE);
      error_free (&err);
      return VM_CHECK_MISSING;
    }
  enum vm_check_status st = h.kvm ? VM_CHECK_KVM : VM_CHECK_TCG;
  snprintf (value, vsize, "%s, guest kernel %s (%s)",
            h.kvm ? "KVM" : "TCG (software emulation: a VM container starts in several seconds)",
            h.kver, h.kernel);
  if (!h.kvm)
    snprintf (fix, fsize, "KVM would start it in about a second: %s", h.why_not_kvm);
  vm_host_clear (&h);
  return st;
}
