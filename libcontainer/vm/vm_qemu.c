/* The plan of one VM (kernel, initramfs, size, shares) and qemu's command line
 * (built with criu.h's growing argv). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "criu.h"
#include "criu_opts.h"
#include "mountopt.h"
#include "control_protocol.h"
#include "spec/util/cleanup.h"
#include "vm_internal.h"

#define QEMU_BINARY "qemu-system-x86_64"

void
vm_plan_clear (struct vm_plan *p)
{
  vm_host_clear (&p->host);
  free (p->initramfs);
  for (size_t i = 0; i < p->shares_len; i++)
    {
      free (p->shares[i].tag);
      free (p->shares[i].path);
      free (p->shares[i].sock);
    }
  free (p->shares);
  memset (p, 0, sizeof *p);
}

static int
add_share (struct vm_plan *p, const char *path, bool readonly, bool file, struct error **err)
{
  for (size_t i = 0; i < p->shares_len; i++)
    if (strcmp (p->shares[i].path, path) == 0)
      {
        /* One share per host path: writable if any mount of it is. */
        p->shares[i].readonly &= readonly;
        return 0;
      }
  struct vm_share *n = realloc (p->shares, (p->shares_len + 1) * sizeof *n);
  if (n == NULL)
    return error_set (err, ENOMEM, "VM shares");
  p->shares = n;
  struct vm_share *s = &n[p->shares_len];
  memset (s, 0, sizeof *s);
  s->readonly = readonly;
  s->file = file;
  if (asprintf (&s->tag, "s%zu", p->shares_len) < 0 || (s->path = strdup (path)) == NULL)
    return error_set (err, ENOMEM, "VM shares");
  p->shares_len++;
  return 0;
}

int
vm_plan_make (const struct spec_config *c, const char *rootfs, struct vm_plan *p,
              struct error **err)
{
  memset (p, 0, sizeof *p);
  if (vm_host_find (&p->host, err) < 0)
    return -1;
  p->user_net = vm_wants_user_network (c);
  vm_size (c, &p->mem_mib, &p->cpus);
  if ((p->initramfs = vm_initramfs (&p->host, p->user_net, &p->guest_virtiofs, err)) == NULL)
    goto fail;
  if (add_share (p, rootfs, c->root_readonly, false, err) < 0)
    goto fail;
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      const struct spec_mount *m = &c->mounts[i];
      struct mount_opts o;
      struct stat st;
      if (!criu_mount_is_bind (m))
        continue;
      if (mountopt_parse (m->options, m->options_len, &o, err) < 0)
        goto fail;
      bool ro = (o.flags & MS_RDONLY) != 0;
      mountopt_free (&o);
      if (stat (m->source, &st) < 0)
        {
          error_set (err, errno, "config.json: mounts[%zu].source: \"%s\"", i, m->source);
          goto fail;
        }
      if (add_share (p, m->source, ro, S_ISREG (st.st_mode), err) < 0)
        goto fail;
    }
  return 0;
fail:
  vm_plan_clear (p);
  return -1;
}

int
vm_plan_virtiofs (struct vm_plan *p, const char *state_dir, struct error **err)
{
  const char *force_9p = getenv ("CAPSA_VM_9P");
  if (!p->guest_virtiofs || access (VM_VIRTIOFSD, X_OK) < 0 || (force_9p && force_9p[0] == '1'))
    return 0;
  for (size_t i = 0; i < p->shares_len; i++)
    {
      struct vm_share *s = &p->shares[i];
      if (s->file || s->readonly)
        continue;
      if (asprintf (&s->sock, "%s/vfs%zu.sock", state_dir, i) < 0)
        return error_set (err, ENOMEM, "VM shares");
      if (strlen (s->sock) >= 108)
        {
          /* sun_path: too long for a socket, 9p it is. */
          free (s->sock);
          s->sock = NULL;
          continue;
        }
      s->virtiofs = p->virtiofs = true;
    }
  return 0;
}

/* qemu's option syntax: a comma inside a value is written twice. */
static char *
qemu_escape (const char *s)
{
  size_t n = strlen (s), extra = 0;
  for (size_t i = 0; i < n; i++)
    extra += s[i] == ',';
  char *out = malloc (n + extra + 1), *o = out;
  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    {
      *o++ = s[i];
      if (s[i] == ',')
        *o++ = ',';
    }
  *o = '\0';
  return out;
}

char **
vm_qemu_argv (const struct vm_plan *p, int ctl_fd, int con_fd)
{
  struct criu_cmd b = { 0 };
  criu_cmd_add (&b, QEMU_BINARY);
  criu_cmd_add (&b, "-nodefaults");
  criu_cmd_add (&b, "-no-user-config");
  criu_cmd_add (&b, "-display");
  criu_cmd_add (&b, "none");
  criu_cmd_add (&b, "-no-reboot");
  /* qemu may not spawn programs, raise privileges or use obsolete syscalls. */
  criu_cmd_add (&b, "-sandbox");
  criu_cmd_add (&b, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
  criu_cmd_add (&b, "-machine");
  criu_cmd_add (&b, "pc");
  if (p->host.kvm)
    {
      criu_cmd_add (&b, "-accel");
      criu_cmd_add (&b, "kvm");
      criu_cmd_add (&b, "-cpu");
      criu_cmd_add (&b, "host");
    }
  else
    {
      criu_cmd_add (&b, "-accel");
      criu_cmd_add (&b, "tcg,tb-size=%d", VM_TCG_TB_MIB);
      criu_cmd_add (&b, "-cpu");
      criu_cmd_add (&b, "max");
    }
  criu_cmd_add (&b, "-smp");
  criu_cmd_add (&b, "%u", p->cpus);
  criu_cmd_add (&b, "-m");
  criu_cmd_add (&b, "%u", p->mem_mib);
  if (p->virtiofs)
    {
      /* vhost-user: virtiofsd maps the guest's RAM, which must be shared memory. */
      criu_cmd_add (&b, "-object");
      criu_cmd_add (&b, "memory-backend-memfd,id=mem,size=%uM,share=on", p->mem_mib);
      criu_cmd_add (&b, "-numa");
      criu_cmd_add (&b, "node,memdev=mem");
    }
  _cleanup_free_ char *kernel = qemu_escape (p->host.kernel);
  _cleanup_free_ char *initrd = qemu_escape (p->initramfs);
  criu_cmd_add (&b, "-kernel");
  criu_cmd_add (&b, "%s", kernel ? kernel : "");
  criu_cmd_add (&b, "-initrd");
  criu_cmd_add (&b, "%s", initrd ? initrd : "");
  criu_cmd_add (&b, "-append");
  criu_cmd_add (&b, "console=ttyS0 %s panic=-1 rdinit=/init mitigations=off",
       getenv ("CAPSA_VM_DEBUG") ? "loglevel=7" : "quiet loglevel=1");
  criu_cmd_add (&b, "-chardev");
  criu_cmd_add (&b, "socket,id=con,fd=%d", con_fd);
  criu_cmd_add (&b, "-serial");
  criu_cmd_add (&b, "chardev:con");
  criu_cmd_add (&b, "-device");
  criu_cmd_add (&b, "virtio-serial-pci,max_ports=2");
  criu_cmd_add (&b, "-chardev");
  criu_cmd_add (&b, "socket,id=ctl,fd=%d", ctl_fd);
  criu_cmd_add (&b, "-device");
  criu_cmd_add (&b, "virtserialport,chardev=ctl,name=%s", VM_PORT_NAME);
  for (size_t i = 0; i < p->shares_len; i++)
    {
      const struct vm_share *s = &p->shares[i];
      if (s->file)
        continue;
      if (s->virtiofs)
        {
          _cleanup_free_ char *sock = qemu_escape (s->sock);
          criu_cmd_add (&b, "-chardev");
          criu_cmd_add (&b, "socket,id=vfs%zu,path=%s", i, sock ? sock : "");
          criu_cmd_add (&b, "-device");
          criu_cmd_add (&b, "vhost-user-fs-pci,chardev=vfs%zu,tag=%s", i, s->tag);
          continue;
        }
      _cleanup_free_ char *path = qemu_escape (s->path);
      /* passthrough: the guest sees and makes real owners and modes, as a
       * container's root does on its rootfs (mapped-xattr would break the
       * image's symlinks). qemu lacks CAP_MKNOD (exec_qemu): no device nodes. */
      criu_cmd_add (&b, "-fsdev");
      criu_cmd_add (&b, "local,id=fs%zu,path=%s,security_model=passthrough,multidevs=remap%s", i,
           path ? path : "", s->readonly ? ",readonly=on" : "");
      criu_cmd_add (&b, "-device");
      criu_cmd_add (&b, "virtio-9p-pci,fsdev=fs%zu,mount_tag=%s", i, s->tag);
    }
  if (p->user_net)
    {
      criu_cmd_add (&b, "-netdev");
      criu_cmd_add (&b, "user,id=n0");
      criu_cmd_add (&b, "-device");
      criu_cmd_add (&b, "virtio-net-pci,netdev=n0");
    }
  if (b.oom)
    {
      criu_cmd_free (&b);
      return NULL;
    }
  return b.argv;
}
