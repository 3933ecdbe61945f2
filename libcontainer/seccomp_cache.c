/* A cache of compiled seccomp programs. libseccomp needs ~15 ms for a Docker-like
 * profile over three architectures; the same profile compiles to the same BPF on
 * the same capsa, libseccomp and kernel, so the program is stored under the state
 * root and reused by later containers and by exec.
 *
 * A file holds the whole key (not only its hash) and the program; a hit needs the
 * key to match byte for byte, so a hash collision can never load a wrong filter. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "seccomp_filter.h"
#include "spec/util/cleanup.h"

#define CACHE_MAGIC "capsa-seccomp-bpf 1\n"

struct buf
{
  char *data;
  size_t len, cap;
  bool oom;
};

static void
buf_add (struct buf *b, const void *p, size_t n)
{
  if (b->oom)
    return;
  if (b->len + n > b->cap)
    {
      size_t cap = b->cap ? b->cap * 2 : 4096;
      while (cap < b->len + n)
        cap *= 2;
      char *grown = realloc (b->data, cap);
      if (grown == NULL)
        {
          b->oom = true;
          return;
        }
      b->data = grown;
      b->cap = cap;
    }
  memcpy (b->data + b->len, p, n);
  b->len += n;
}

/* Strings are length-prefixed so that no two different profiles serialize alike. */
static void
buf_str (struct buf *b, const char *s)
{
  uint32_t n = s ? (uint32_t) strlen (s) : UINT32_MAX;
  buf_add (b, &n, sizeof n);
  if (s)
    buf_add (b, s, n);
}

static void
buf_u64 (struct buf *b, uint64_t v)
{
  buf_add (b, &v, sizeof v);
}

static void
buf_strv (struct buf *b, char **v, size_t n)
{
  buf_u64 (b, n);
  for (size_t i = 0; i < n; i++)
    buf_str (b, v[i]);
}

/* Everything the compiled program depends on. */
static void
build_key (struct buf *b, const struct spec_seccomp *s)
{
  struct utsname u;
  const struct scmp_version *v = seccomp_version ();
  char env[512];
  uname (&u);
  snprintf (env, sizeof env, "capsa %s (%s); libseccomp %u.%u.%u api %u; %s %s %s",
            CAPSA_VERSION, seccomp_compiler_stamp (), v ? v->major : 0, v ? v->minor : 0,
            v ? v->micro : 0, seccomp_api_get (), u.sysname, u.release, u.machine);
  buf_str (b, env);
  buf_str (b, s->default_action);
  buf_u64 (b, s->has_default_errno_ret ? s->default_errno_ret : UINT64_MAX);
  buf_strv (b, s->architectures, s->architectures_len);
  buf_strv (b, s->flags, s->flags_len);
  buf_str (b, s->listener_path ? "listener" : NULL);
  buf_u64 (b, s->syscalls_len);
  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      const struct spec_seccomp_syscall *sc = &s->syscalls[i];
      buf_strv (b, sc->names, sc->names_len);
      buf_str (b, sc->action);
      buf_u64 (b, sc->has_errno_ret ? sc->errno_ret : UINT64_MAX);
      buf_u64 (b, sc->args_len);
      for (size_t j = 0; j < sc->args_len; j++)
        {
          buf_u64 (b, sc->args[j].index);
          buf_u64 (b, sc->args[j].value);
          buf_u64 (b, sc->args[j].value_two);
          buf_str (b, sc->args[j].op);
        }
    }
}

static uint64_t
fnv1a64 (const char *p, size_t n)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++)
    {
      h ^= (unsigned char) p[i];
      h *= 0x100000001b3ULL;
    }
  return h;
}

struct cache_header
{
  char magic[sizeof CACHE_MAGIC - 1];
  uint64_t key_len;
  uint64_t insns;
  uint32_t filter_flags;
  uint32_t notify;
};

static int
cache_read (int dirfd, const char *name, const struct buf *key, struct seccomp_plan **out)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct cache_header h;
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid ())
    return -1;
  if (read (fd, &h, sizeof h) != sizeof h || memcmp (h.magic, CACHE_MAGIC, sizeof h.magic) != 0
      || h.key_len != key->len || h.insns == 0 || h.insns > BPF_MAXINSNS
      || (uint64_t) st.st_size != sizeof h + h.key_len + h.insns * sizeof (struct sock_filter))
    return -1;
  _cleanup_free_ char *stored = malloc (h.key_len);
  if (stored == NULL || read (fd, stored, h.key_len) != (ssize_t) h.key_len
      || memcmp (stored, key->data, key->len) != 0)
    return -1;
  size_t size = h.insns * sizeof (struct sock_filter);
  struct sock_filter *bpf = malloc (size);
  if (bpf == NULL || read (fd, bpf, size) != (ssize_t) size)
    {
      free (bpf);
      return -1;
    }
  struct seccomp_plan *p = seccomp_plan_new_empty ();
  struct error *err = NULL;
  if (p == NULL || seccomp_plan_set_bpf (p, bpf, h.insns, h.filter_flags, h.notify, &err) < 0)
    {
      error_free (&err);
      seccomp_plan_free (p);
      return -1;
    }
  *out = p;
  return 0;
}

/* Best effort: a cache that cannot be written only costs the next compile. */
static void
cache_write (int dirfd, const char *name, const struct buf *key, const struct seccomp_plan *p)
{
  const struct sock_filter *bpf;
  size_t len;
  unsigned int flags;
  bool notify;
  char tmp[64];
  seccomp_plan_get_bpf (p, &bpf, &len, &flags, &notify);
  struct cache_header h = { .key_len = key->len, .insns = len, .filter_flags = flags,
                            .notify = notify };
  memcpy (h.magic, CACHE_MAGIC, sizeof h.magic);
  snprintf (tmp, sizeof tmp, "%s.%d.tmp", name, (int) getpid ());
  _cleanup_close_ int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  bool ok = write (fd, &h, sizeof h) == sizeof h
            && write (fd, key->data, key->len) == (ssize_t) key->len
            && write (fd, bpf, len * sizeof *bpf) == (ssize_t) (len * sizeof *bpf);
  if (!ok || renameat (dirfd, tmp, dirfd, name) < 0)
    unlinkat (dirfd, tmp, 0);
}

static int
open_cache_dir (const char *dir)
{
  /* <root>/.cache/seccomp: the root exists (the state dir was just made in it). */
  _cleanup_free_ char *parent = strdup (dir);
  char *slash = parent ? strrchr (parent, '/') : NULL;
  if (slash)
    {
      *slash = '\0';
      if (mkdir (parent, 0700) < 0 && errno != EEXIST)
        return -1;
    }
  if (mkdir (dir, 0700) < 0 && errno != EEXIST)
    return -1;
  return open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

int
seccomp_plan_cached (const struct spec_seccomp *s, const char *cache_dir,
                     struct seccomp_plan **out, struct error **err)
{
  struct buf key = { 0 };
  char name[32];
  int ret = -1;
  _cleanup_close_ int dirfd = -1;

  if (cache_dir)
    {
      build_key (&key, s);
      if (!key.oom)
        {
          snprintf (name, sizeof name, "%016llx.bpf",
                    (unsigned long long) fnv1a64 (key.data, key.len));
          dirfd = open_cache_dir (cache_dir);
          if (dirfd >= 0 && cache_read (dirfd, name, &key, out) == 0)
            {
              log_debug ("seccomp: program from the cache (%s/%s)", cache_dir, name);
              ret = 0;
              goto done;
            }
        }
    }
  if (seccomp_plan_compile (s, out, err) < 0)
    goto done;
  if (seccomp_plan_export (*out, err) < 0)
    {
      seccomp_plan_free (*out);
      *out = NULL;
      goto done;
    }
  if (dirfd >= 0)
    cache_write (dirfd, name, &key, *out);
  ret = 0;
done:
  free (key.data);
  return ret;
}
