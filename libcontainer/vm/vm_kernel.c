/* The guest's kernel and initramfs. The kernel is the one /etc/capsa/vm.json
 * names, else the host's own (/boot/vmlinuz-$(uname -r)), else the newest
 * /boot/vmlinuz-*. The initramfs is built once per kernel and capsa binary and
 * cached: a newc cpio holding this (static) capsa as /init and the modules the
 * guest needs (virtio, 9p, virtio_console), in dependency order from
 * modules.dep. The cache is written to a temporary name and renamed, so racing
 * creates each see a whole file. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "spec/util/json.h"
#include "util/fs.h"
#include "vm.h"
#include "vm_internal.h"

/* Bump when the initramfs layout changes. */
#define INITRAMFS_VERSION "1"

void
vm_host_clear (struct vm_host *h)
{
  free (h->kernel);
  free (h->modules);
  free (h->kver);
  free (h->why_not_kvm);
  memset (h, 0, sizeof *h);
}

static bool
is_file (const char *p)
{
  struct stat st;
  return stat (p, &st) == 0 && S_ISREG (st.st_mode);
}

static int
read_vm_json (struct vm_host *h, const char **accel, char **accel_buf, struct error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  char why[256];
  if (fs_read_file (VM_CONFIG_FILE, &data, &len, err) < 0)
    return -1;
  struct json_value *v = json_parse (data, len, why, sizeof why);
  if (v == NULL)
    return error_set (err, EINVAL, "%s: %s", VM_CONFIG_FILE, why);
  const char *k = json_string (json_object_get (v, "kernel"));
  const char *m = json_string (json_object_get (v, "modules"));
  const char *a = json_string (json_object_get (v, "accel"));
  if (k == NULL || k[0] != '/' || m == NULL || m[0] != '/')
    {
      json_free (v);
      return error_set (err, EINVAL, "%s: \"kernel\" and \"modules\" must be absolute paths",
                        VM_CONFIG_FILE);
    }
  h->kernel = strdup (k);
  h->modules = strdup (m);
  if (a)
    *accel = *accel_buf = strdup (a);
  json_free (v);
  return h->kernel && h->modules ? 0 : error_set (err, ENOMEM, "%s", VM_CONFIG_FILE);
}

/* The newest /boot/vmlinuz-<version> with its /lib/modules/<version>. */
static int
newest_boot_kernel (struct vm_host *h)
{
  _cleanup_closedir_ DIR *d = opendir ("/boot");
  _cleanup_free_ char *best = NULL;
  struct dirent *e;
  while (d && (e = readdir (d)))
    if (strncmp (e->d_name, "vmlinuz-", 8) == 0 && (best == NULL || strverscmp (e->d_name + 8, best) > 0))
      {
        free (best);
        best = strdup (e->d_name + 8);
      }
  if (best == NULL)
    return -1;
  if (asprintf (&h->kernel, "/boot/vmlinuz-%s", best) < 0
      || asprintf (&h->modules, "/lib/modules/%s", best) < 0)
    return -1;
  return 0;
}

/* KVM only where it can boot a stock kernel: hardware virtualization in the
 * CPU and not kvm-pvm (which runs only PVM-enabled guest kernels). */
static void
pick_accel (struct vm_host *h, const char *accel)
{
  _cleanup_free_ char *cpuinfo = NULL;
  size_t len;
  struct stat st;
  const char *why = NULL;
  if (accel && strcmp (accel, "tcg") == 0)
    why = "tcg chosen in " VM_CONFIG_FILE;
  else if (access ("/dev/kvm", R_OK | W_OK) < 0)
    why = "no usable /dev/kvm";
  else if (stat ("/sys/module/kvm_pvm", &st) == 0)
    why = "/dev/kvm is kvm-pvm, which cannot boot a stock kernel";
  else if (fs_read_file ("/proc/cpuinfo", &cpuinfo, &len, NULL) < 0
           || (!strstr (cpuinfo, " vmx") && !strstr (cpuinfo, " svm")))
    why = "the CPU shows no vmx/svm";
  h->kvm = why == NULL;
  h->why_not_kvm = why ? strdup (why) : NULL;
}

int
vm_host_find (struct vm_host *h, struct error **err)
{
  _cleanup_free_ char *accel_buf = NULL;
  const char *accel = NULL;
  memset (h, 0, sizeof *h);
  if (access (VM_CONFIG_FILE, F_OK) == 0)
    {
      if (read_vm_json (h, &accel, &accel_buf, err) < 0)
        goto fail;
    }
  else
    {
      struct utsname u;
      uname (&u);
      if (asprintf (&h->kernel, "/boot/vmlinuz-%s", u.release) < 0
          || asprintf (&h->modules, "/lib/modules/%s", u.release) < 0)
        goto nomem;
      if (!is_file (h->kernel))
        {
          free (h->kernel);
          free (h->modules);
          h->kernel = h->modules = NULL;
          if (newest_boot_kernel (h) < 0)
            {
              error_set (err, ENOENT, "VM isolation: no guest kernel: none in /boot and no %s "
                         "(tests/install-deps.sh writes one)", VM_CONFIG_FILE);
              goto fail;
            }
        }
    }
  if (!is_file (h->kernel))
    {
      error_set (err, errno ? errno : ENOENT, "VM isolation: guest kernel \"%s\"", h->kernel);
      goto fail;
    }
  const char *slash = strrchr (h->modules, '/');
  if ((h->kver = strdup (slash ? slash + 1 : h->modules)) == NULL)
    goto nomem;
  pick_accel (h, accel);
  return 0;
nomem:
  error_set (err, ENOMEM, "VM isolation: kernel paths");
fail:
  vm_host_clear (h);
  return -1;
}

/* ---- modules.dep ---- */

struct modlist
{
  char *paths[64];   /* relative to the modules dir, load order */
  size_t n;
};

static void
modname_of (const char *path, char *out, size_t size)
{
  const char *b = strrchr (path, '/');
  b = b ? b + 1 : path;
  size_t i = 0;
  for (; b[i] && b[i] != '.' && i + 1 < size; i++)
    out[i] = b[i] == '-' ? '_' : b[i];
  out[i] = '\0';
}

/* The modules.dep line of a module by path ("kernel/x/y.ko:") or name. */
static char *
dep_line (char *dep, const char *name, bool by_path)
{
  for (char *line = dep; line && *line;)
    {
      char *nl = strchr (line, '\n');
      char *colon = strchr (line, ':');
      if (colon && (!nl || colon < nl))
        {
          char mname[128];
          size_t plen = (size_t) (colon - line);
          char path[512];
          if (plen < sizeof path)
            {
              memcpy (path, line, plen);
              path[plen] = '\0';
              modname_of (path, mname, sizeof mname);
              if (by_path ? strcmp (path, name) == 0 : strcmp (mname, name) == 0)
                return line;
            }
        }
      line = nl ? nl + 1 : NULL;
    }
  return NULL;
}

static int
add_module (struct modlist *ml, char *dep, const char *builtin, const char *name, bool by_path,
            int depth, struct error **err)
{
  char *line = dep_line (dep, name, by_path);
  if (line == NULL)
    {
      char needle[160];
      snprintf (needle, sizeof needle, "/%s.ko", name);
      if (!by_path && builtin && strstr (builtin, needle))
        return 0; /* built into the kernel */
      return error_set (err, ENOENT, "VM isolation: kernel module %s not found in modules.dep",
                        name);
    }
  if (depth > 16)
    return error_set (err, ELOOP, "VM isolation: module dependencies of %s", name);
  char *colon = strchr (line, ':'), *nl = strchr (line, '\n');
  _cleanup_free_ char *path = strndup (line, (size_t) (colon - line));
  _cleanup_free_ char *deps = strndup (colon + 1, nl ? (size_t) (nl - colon - 1) : strlen (colon + 1));
  if (path == NULL || deps == NULL)
    return error_set (err, ENOMEM, "modules.dep");
  size_t plen = strlen (path);
  if (plen < 3 || strcmp (path + plen - 3, ".ko") != 0)
    return error_set (err, ENOTSUP, "VM isolation: module %s is compressed: capsa loads only "
                      "plain .ko files", path);
  for (size_t i = 0; i < ml->n; i++)
    if (strcmp (ml->paths[i], path) == 0)
      return 0;
  char *save = NULL;
  for (char *d = strtok_r (deps, " \t", &save); d; d = strtok_r (NULL, " \t", &save))
    if (add_module (ml, dep, builtin, d, true, depth + 1, err) < 0)
      return -1;
  if (ml->n == sizeof ml->paths / sizeof ml->paths[0])
    return error_set (err, E2BIG, "VM isolation: too many modules");
  ml->paths[ml->n++] = steal_pointer (&path);
  return 0;
}

static void
modlist_clear (struct modlist *ml)
{
  for (size_t i = 0; i < ml->n; i++)
    free (ml->paths[i]);
  ml->n = 0;
}

/* ---- newc cpio ---- */

struct cpio
{
  FILE *f;
  unsigned ino;
};

static void
cpio_entry (struct cpio *c, const char *name, unsigned mode, unsigned rmaj, unsigned rmin,
            const char *data, size_t len)
{
  size_t nlen = strlen (name) + 1;
  fprintf (c->f, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", ++c->ino,
           mode, 0u, 0u, 1u, 0u, len, 0u, 0u, rmaj, rmin, nlen, 0u);
  fwrite (name, 1, nlen, c->f);
  static const char zeros[4];
  fwrite (zeros, 1, (4 - ((110 + nlen) % 4)) % 4, c->f);
  if (len)
    fwrite (data, 1, len, c->f);
  fwrite (zeros, 1, (4 - (len % 4)) % 4, c->f);
}

static uint64_t
fnv1a (uint64_t h, const void *data, size_t len)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

static int
write_initramfs (const char *path, const char *self, size_t self_len, const char *moddir,
                 const struct modlist *ml, struct error **err)
{
  struct cpio c = { .f = fopen (path, "we") };
  if (c.f == NULL)
    return error_set (err, errno, "create \"%s\"", path);
  static const char *const dirs[] = { "dev", "proc", "sys", "run", "tmp", "modules" };
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    cpio_entry (&c, dirs[i], 040755, 0, 0, NULL, 0);
  /* The kernel opens /dev/console for init's stdio before anything is mounted. */
  cpio_entry (&c, "dev/console", 020600, 5, 1, NULL, 0);
  cpio_entry (&c, "init", 0100755, 0, 0, self, self_len);
  for (size_t i = 0; i < ml->n; i++)
    {
      _cleanup_free_ char *src = NULL, *data = NULL;
      size_t len;
      char name[96], mname[40]; /* "modules/" + up to 20 digits + "-" + mname + ".ko" */
      modname_of (ml->paths[i], mname, sizeof mname);
      snprintf (name, sizeof name, "modules/%02zu-%s.ko", i, mname);
      if (asprintf (&src, "%s/%s", moddir, ml->paths[i]) < 0 || fs_read_file (src, &data, &len, err) < 0)
        {
          fclose (c.f);
          return -1;
        }
      cpio_entry (&c, name, 0100644, 0, 0, data, len);
    }
  cpio_entry (&c, "TRAILER!!!", 0, 0, 0, NULL, 0);
  if (ferror (c.f) | (fflush (c.f) != 0) | (fsync (fileno (c.f)) != 0))
    {
      fclose (c.f);
      return error_set (err, EIO, "write \"%s\"", path);
    }
  fclose (c.f);
  return 0;
}

/* Each capsa binary has its own initramfs: drop those not used for a day (a
 * running VM has read its copy at boot) and temporary files of creates that died. */
static void
prune_cache (const char *dir, const char *keep)
{
  _cleanup_closedir_ DIR *d = opendir (dir);
  struct dirent *e;
  time_t now = time (NULL);
  while (d && (e = readdir (d)))
    {
      struct stat st;
      bool ours = strncmp (e->d_name, "initrd-", 7) == 0 || strncmp (e->d_name, ".tmp-", 5) == 0;
      if (!ours || strcmp (e->d_name, keep) == 0 || fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (now - st.st_mtime > (e->d_name[0] == '.' ? 3600 : 86400))
        unlinkat (dirfd (d), e->d_name, 0);
    }
}

char *
vm_initramfs (const struct vm_host *h, bool net, bool *virtiofs, struct error **err)
{
  static const char *const base[] = { "virtio_pci", "virtio_console", "9pnet_virtio", "9p" };
  _cleanup_free_ char *self = NULL, *dep = NULL, *depfile = NULL, *builtin = NULL,
                      *bfile = NULL, *dir = NULL, *out = NULL, *tmp = NULL;
  size_t self_len, len;
  struct modlist ml = { .n = 0 };
  char *ret = NULL;

  if (fs_read_file ("/proc/self/exe", &self, &self_len, err) < 0)
    return NULL;
  if (asprintf (&depfile, "%s/modules.dep", h->modules) < 0
      || asprintf (&bfile, "%s/modules.builtin", h->modules) < 0)
    return NULL;
  if (fs_read_file (depfile, &dep, &len, err) < 0)
    {
      error_wrap (err, "VM isolation: the guest kernel's modules (run depmod?)");
      return NULL;
    }
  fs_read_file (bfile, &builtin, &len, NULL);
  for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
    if (add_module (&ml, dep, builtin, base[i], false, 0, err) < 0)
      goto out;
  if (net && add_module (&ml, dep, builtin, "virtio_net", false, 0, err) < 0)
    goto out;
  /* virtio-fs where the guest kernel has it (else 9p only). */
  struct error *no_vfs = NULL;
  *virtiofs = add_module (&ml, dep, builtin, "virtiofs", false, 0, &no_vfs) == 0;
  error_free (&no_vfs);

  uint64_t hash = fnv1a (0xcbf29ce484222325ULL, INITRAMFS_VERSION, 1);
  hash = fnv1a (hash, self, self_len);
  hash = fnv1a (hash, h->modules, strlen (h->modules));
  for (size_t i = 0; i < ml.n; i++)
    hash = fnv1a (hash, ml.paths[i], strlen (ml.paths[i]) + 1);
  if (asprintf (&dir, "%s/%s", VM_CACHE_DIR, h->kver) < 0
      || asprintf (&out, "%s/initrd-%016llx.cpio", dir, (unsigned long long) hash) < 0)
    goto out;
  if (is_file (out))
    {
      ret = steal_pointer (&out);
      goto out;
    }
  if (fs_mkdir_all (dir, 0700) < 0)
    {
      error_set (err, errno, "create \"%s\"", dir);
      goto out;
    }
  if (asprintf (&tmp, "%s/.tmp-%d", dir, (int) getpid ()) < 0)
    goto out;
  if (write_initramfs (tmp, self, self_len, h->modules, &ml, err) < 0)
    {
      unlink (tmp);
      goto out;
    }
  if (rename (tmp, out) < 0)
    {
      error_set (err, errno, "rename \"%s\"", tmp);
      unlink (tmp);
      goto out;
    }
  prune_cache (dir, strrchr (out, '/') + 1);
  ret = steal_pointer (&out);
out:
  modlist_clear (&ml);
  if (ret == NULL && err && *err == NULL)
    error_set (err, ENOMEM, "VM isolation: initramfs");
  return ret;
}
