/* Which cgroup layout the host has, and where each hierarchy is mounted. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include "cgroup_internal.h"
#include "spec/util/cleanup.h"

enum cgroup_layout
cgroup_detect_layout (void)
{
  static int cached = -1;
  struct statfs st;

  if (cached >= 0)
    return (enum cgroup_layout) cached;
  if (statfs (CGROUP_ROOT, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    cached = CGROUP_LAYOUT_V2;
  else if (statfs (CGROUP_ROOT "/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    cached = CGROUP_LAYOUT_HYBRID;
  else
    cached = CGROUP_LAYOUT_V1;
  return (enum cgroup_layout) cached;
}

const char *
cgroup_layout_name (enum cgroup_layout l)
{
  switch (l)
    {
    case CGROUP_LAYOUT_V1: return "v1";
    case CGROUP_LAYOUT_HYBRID: return "hybrid";
    case CGROUP_LAYOUT_V2: return "v2";
    }
  return "unknown";
}

bool
cg_list_has (const char *csv, const char *name)
{
  size_t len = strlen (name);
  for (const char *p = csv; p && *p;)
    {
      const char *end = strchr (p, ',');
      size_t n = end ? (size_t) (end - p) : strlen (p);
      if (n == len && strncmp (p, name, len) == 0)
        return true;
      p = end ? end + 1 : NULL;
    }
  return false;
}

/* Every token of ctrls ("cpu,cpuacct") is among the super options ("rw,cpu,cpuacct"). */
static bool
options_cover (const char *super_opts, const char *ctrls)
{
  _cleanup_free_ char *copy = strdup (ctrls);
  char *save = NULL;
  if (copy == NULL)
    return false;
  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    if (!cg_list_has (super_opts, t))
      return false;
  return true;
}

struct mi_entry
{
  char *root, *mount, *fstype, *super;
};

/* Split one /proc/self/mountinfo line in place. */
static bool
parse_mountinfo_line (char *line, struct mi_entry *e)
{
  char *f[10];
  size_t nf = 0;
  char *save = NULL;
  char *tok = strtok_r (line, " \n", &save);
  /* id parent major:minor root mount opts [optional...] - fstype source super */
  while (tok && nf < 5)
    {
      f[nf++] = tok;
      tok = strtok_r (NULL, " \n", &save);
    }
  if (nf < 5)
    return false;
  while (tok && strcmp (tok, "-") != 0)
    tok = strtok_r (NULL, " \n", &save);
  if (tok == NULL)
    return false;
  char *fstype = strtok_r (NULL, " \n", &save);
  char *source = strtok_r (NULL, " \n", &save);
  char *super = strtok_r (NULL, " \n", &save);
  if (fstype == NULL || source == NULL || super == NULL)
    return false;
  e->root = f[3];
  e->mount = f[4];
  e->fstype = fstype;
  e->super = super;
  return true;
}

/* own path as seen in /proc/self/cgroup made relative to the mount's root. */
static char *
relative_to_mount_root (const char *own, const char *root)
{
  if (strcmp (root, "/") == 0)
    return strdup (own);
  size_t rl = strlen (root);
  if (strncmp (own, root, rl) == 0 && (own[rl] == '/' || own[rl] == '\0'))
    return strdup (own[rl] ? own + rl : "/");
  return strdup ("/");
}

void
cg_mounts_free (struct cg_mount *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (m[i].controllers);
      free (m[i].mount);
      free (m[i].own);
    }
  free (m);
}

int
cg_list_mounts (enum cgroup_layout layout, struct cg_mount **out, size_t *n, struct error **err)
{
  _cleanup_fclose_ FILE *cg = fopen ("/proc/self/cgroup", "re");
  _cleanup_fclose_ FILE *mi = NULL;
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  struct cg_mount *res = NULL;
  size_t len = 0;

  if (cg == NULL)
    return error_set (err, errno, "open /proc/self/cgroup");
  mi = fopen ("/proc/self/mountinfo", "re");
  if (mi == NULL)
    return error_set (err, errno, "open /proc/self/mountinfo");

  while (getline (&line, &cap, cg) > 0)
    {
      line[strcspn (line, "\n")] = '\0';
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c1 = *c2 = '\0';
      const char *ctrls = c1 + 1, *own = c2 + 1;
      bool v2 = strcmp (line, "0") == 0 && *ctrls == '\0';
      if (v2 && layout == CGROUP_LAYOUT_V1)
        continue;
      if (!v2 && layout == CGROUP_LAYOUT_V2)
        continue;
      if (!v2 && *ctrls == '\0')
        continue;

      /* Find its mount. */
      _cleanup_free_ char *mline = NULL;
      size_t mcap = 0;
      char *mount = NULL, *rel = NULL;
      rewind (mi);
      while (getline (&mline, &mcap, mi) > 0)
        {
          struct mi_entry e;
          if (!parse_mountinfo_line (mline, &e))
            continue;
          if (v2 ? strcmp (e.fstype, "cgroup2") != 0 : strcmp (e.fstype, "cgroup") != 0)
            continue;
          if (!v2 && !options_cover (e.super, ctrls))
            continue;
          mount = strdup (e.mount);
          rel = relative_to_mount_root (own, e.root);
          break;
        }
      if (mount == NULL)
        {
          free (rel);
          continue; /* listed but not mounted: nothing we can use */
        }
      struct cg_mount *grown = rel ? realloc (res, (len + 1) * sizeof *res) : NULL;
      if (grown == NULL)
        {
          free (mount);
          free (rel);
          cg_mounts_free (res, len);
          return error_set (err, ENOMEM, "list cgroup mounts");
        }
      res = grown;
      res[len].controllers = strdup (v2 ? "" : ctrls);
      res[len].mount = mount;
      res[len].own = rel;
      res[len].v2 = v2;
      len++;
    }
  if (len == 0)
    return error_set (err, 0, "no cgroup hierarchy is mounted under " CGROUP_ROOT);
  *out = res;
  *n = len;
  return 0;
}
