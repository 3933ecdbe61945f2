/* The cgroup manager: which directories a container owns in each hierarchy,
 * creating and entering them, listing processes, removal and persistence. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "spec/util/cleanup.h"

static void
hier_clear (struct cg_hier *h)
{
  free (h->controllers);
  free (h->mount);
  free (h->rel);
  free (h->dir);
}

void
cgroup_manager_free (struct cgroup_manager *m)
{
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->n; i++)
    hier_clear (&m->h[i]);
  free (m->h);
  free (m->id);
  free (m->path);
  if (m->leaf_fd >= 0)
    close (m->leaf_fd);
  free (m);
}

static int
hier_add (struct cgroup_manager *m, const char *controllers, const char *mount,
          const char *rel, bool v2)
{
  struct cg_hier *grown = realloc (m->h, (m->n + 1) * sizeof *m->h);
  if (grown == NULL)
    return -1;
  m->h = grown;
  struct cg_hier *h = &m->h[m->n];
  memset (h, 0, sizeof *h);
  h->controllers = strdup (controllers);
  h->mount = strdup (mount);
  h->rel = strdup (rel);
  h->v2 = v2;
  if (asprintf (&h->dir, "%s%s", mount, rel) < 0)
    h->dir = NULL;
  m->n++;
  if (!h->controllers || !h->mount || !h->rel || !h->dir)
    return -1;
  return 0;
}

struct cg_hier *
cg_unified (struct cgroup_manager *m)
{
  for (size_t i = 0; i < m->n; i++)
    if (m->h[i].v2)
      return &m->h[i];
  return NULL;
}

struct cg_hier *
cg_find (struct cgroup_manager *m, const char *controller)
{
  for (size_t i = 0; i < m->n; i++)
    if (!m->h[i].v2 && cg_list_has (m->h[i].controllers, controller))
      return &m->h[i];
  struct cg_hier *u = cg_unified (m);
  if (u == NULL)
    return NULL;
  if (m->layout == CGROUP_LAYOUT_V2
      && (strcmp (controller, "devices") == 0 || strcmp (controller, "freezer") == 0))
    return u; /* built into cgroup2 (eBPF, cgroup.freeze) */
  _cleanup_free_ char *avail = NULL;
  if (cg_read (u->mount, "cgroup.controllers", &avail, NULL) < 0)
    return NULL;
  for (char *save = NULL, *t = strtok_r (avail, " \n", &save); t; t = strtok_r (NULL, " \n", &save))
    if (strcmp (t, controller) == 0)
      return u;
  return NULL;
}

struct cg_hier *
cg_primary (struct cgroup_manager *m)
{
  if (m->layout == CGROUP_LAYOUT_V2)
    return cg_unified (m);
  static const char *const prefer[] = { "pids", "memory", "freezer" };
  for (size_t i = 0; i < ARRAY_SIZE (prefer); i++)
    for (size_t j = 0; j < m->n; j++)
      if (!m->h[j].v2 && cg_list_has (m->h[j].controllers, prefer[i]))
        return &m->h[j];
  for (size_t j = 0; j < m->n; j++)
    if (!m->h[j].v2)
      return &m->h[j];
  return m->n ? &m->h[0] : NULL;
}

static int
set_primary_path (struct cgroup_manager *m, struct error **err)
{
  struct cg_hier *p = cg_primary (m);
  if (p == NULL)
    return error_set (err, 0, "no usable cgroup hierarchy");
  free (m->path);
  m->path = strdup (p->rel);
  return m->path ? 0 : error_set (err, ENOMEM, "cgroup manager");
}

static struct cgroup_manager *
manager_alloc (void)
{
  struct cgroup_manager *m = calloc (1, sizeof *m);
  if (m)
    m->leaf_fd = -1;
  return m;
}

int
cgroup_manager_new (const struct spec_config *c, const char *id, bool systemd,
                    struct cgroup_manager **out, struct error **err)
{
  const char *cgpath = c && c->linux_ ? c->linux_->cgroups_path : NULL;
  struct cgroup_manager *m = manager_alloc ();
  struct cg_mount *mounts = NULL;
  size_t nmounts = 0;
  _cleanup_free_ char *sd_path = NULL;

  if (m == NULL)
    return error_set (err, ENOMEM, "cgroup manager");
  m->layout = cgroup_detect_layout ();
  m->systemd = systemd;
  m->res = c && c->linux_ ? c->linux_->resources : NULL;
  m->id = strdup (id);
  if (m->id == NULL)
    goto oom;

  if (systemd)
    {
      if (cg_systemd_path (cgpath, id, &sd_path, err) < 0)
        goto fail;
      if (access ("/run/systemd/system", F_OK) < 0)
        {
          error_set (err, 0, "systemd cgroup driver: systemd is not running (no /run/systemd/system)");
          goto fail;
        }
    }

  if (cg_list_mounts (m->layout, &mounts, &nmounts, err) < 0)
    goto fail;
  for (size_t i = 0; i < nmounts; i++)
    {
      _cleanup_free_ char *rel = NULL;
      if (sd_path)
        rel = strdup (sd_path);
      else if (cg_resolve_path (cgpath, id, mounts[i].own, mounts[i].v2, &rel, err) < 0)
        goto fail;
      if (rel == NULL || hier_add (m, mounts[i].controllers, mounts[i].mount, rel, mounts[i].v2) < 0)
        goto oom;
    }
  cg_mounts_free (mounts, nmounts);
  mounts = NULL;
  if (set_primary_path (m, err) < 0)
    goto fail;
  *out = m;
  return 0;

oom:
  error_set (err, ENOMEM, "cgroup manager");
fail:
  cg_mounts_free (mounts, nmounts);
  cgroup_manager_free (m);
  return -1;
}

const char *
cgroup_path (struct cgroup_manager *m)
{
  return m->path;
}

const char *
cgroup_controller_dir (struct cgroup_manager *m, const char *controller)
{
  if (controller == NULL || *controller == '\0')
    {
      struct cg_hier *u = cg_unified (m);
      return u ? u->dir : NULL;
    }
  struct cg_hier *h = cg_find (m, controller);
  return h ? h->dir : NULL;
}

size_t
cgroup_hierarchies (struct cgroup_manager *m, const char **controllers, const char **dirs,
                    size_t max)
{
  for (size_t i = 0; i < m->n && i < max; i++)
    {
      if (controllers)
        controllers[i] = m->h[i].controllers;
      if (dirs)
        dirs[i] = m->h[i].dir;
    }
  return m->n;
}

enum cgroup_layout
cgroup_manager_layout (struct cgroup_manager *m)
{
  return m->layout;
}

/* Read "controllers" of dir and enable each in its cgroup.subtree_control;
 * only_this restricts to one. Failures are not fatal: a controller that cannot
 * be enabled (e.g. cpu with realtime tasks) surfaces when a resource needs it. */
static void
enable_controllers (const char *dir, const char *only_this)
{
  _cleanup_free_ char *avail = NULL, *enabled = NULL;
  if (cg_read (dir, "cgroup.controllers", &avail, NULL) < 0
      || cg_read (dir, "cgroup.subtree_control", &enabled, NULL) < 0)
    return;
  for (char *save = NULL, *t = strtok_r (avail, " \n", &save); t; t = strtok_r (NULL, " \n", &save))
    {
      if (only_this && strcmp (t, only_this) != 0)
        continue;
      bool on = false;
      _cleanup_free_ char *copy = strdup (enabled);
      for (char *s2 = NULL, *e = copy ? strtok_r (copy, " \n", &s2) : NULL; e;
           e = strtok_r (NULL, " \n", &s2))
        if (strcmp (e, t) == 0)
          on = true;
      if (on)
        continue;
      struct error *e = NULL;
      if (cg_writef (dir, "cgroup.subtree_control", &e, "+%s", t) < 0)
        {
          log_debug ("cgroup: enable %s: %s", t, e->msg);
          error_free (&e);
        }
    }
}

/* mkdir every component below the mount, enabling controllers on the way down. */
static int
mkdir_v2 (struct cg_hier *h, const char *only_controller, bool enable, struct error **err)
{
  _cleanup_free_ char *dir = strdup (h->mount);
  const char *rel = h->rel;
  if (dir == NULL)
    return error_set (err, ENOMEM, "mkdir %s", h->dir);
  for (const char *p = rel; *p;)
    {
      if (enable)
        enable_controllers (dir, only_controller);
      const char *s = p + 1;
      const char *e = strchrnul (s, '/');
      char *next = NULL;
      if (asprintf (&next, "%s/%.*s", dir, (int) (e - s), s) < 0)
        return error_set (err, ENOMEM, "mkdir %s", h->dir);
      free (dir);
      dir = next;
      if (mkdir (dir, 0755) < 0 && errno != EEXIST)
        return error_set (err, errno, "mkdir %s", dir);
      p = e;
    }
  return 0;
}

static bool
dir_exists (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* An existing cgroup may be reused only when it is empty and not frozen. */
static int
check_reusable (struct cgroup_manager *m, struct cg_hier *h, struct error **err)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (cg_read_procs (h->dir, false, &pids, &n, err) < 0)
    return -1;
  if (n > 0)
    return error_set (err, 0, "cgroup \"%s\": already has processes", m->path);
  _cleanup_free_ char *state = NULL;
  if (h->v2 && m->layout == CGROUP_LAYOUT_V2)
    {
      if (cg_read (h->dir, "cgroup.freeze", &state, NULL) == 0 && state[0] == '1')
        return error_set (err, 0, "cgroup \"%s\": is frozen", m->path);
    }
  else if (!h->v2 && cg_list_has (h->controllers, "freezer"))
    {
      if (cg_read (h->dir, "freezer.state", &state, NULL) == 0 && strncmp (state, "THAWED", 6) != 0)
        return error_set (err, 0, "cgroup \"%s\": is frozen", m->path);
    }
  return 0;
}

/* A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks (ENOSPC):
 * fill each empty level from its parent, top-down. */
static int
cpuset_inherit (struct cg_hier *h, struct error **err)
{
  _cleanup_free_ char *dir = strdup (h->mount);
  if (dir == NULL)
    return error_set (err, ENOMEM, "cpuset %s", h->dir);
  for (const char *p = h->rel; *p;)
    {
      const char *s = p + 1;
      const char *e = strchrnul (s, '/');
      char *next = NULL;
      if (asprintf (&next, "%s/%.*s", dir, (int) (e - s), s) < 0)
        return error_set (err, ENOMEM, "cpuset %s", h->dir);
      static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
      for (size_t i = 0; i < ARRAY_SIZE (files); i++)
        {
          _cleanup_free_ char *mine = NULL, *parent = NULL;
          if (cg_read (next, files[i], &mine, err) < 0)
            {
              free (next);
              return -1;
            }
          if (mine[strspn (mine, " \n")] != '\0')
            continue;
          if (cg_read (dir, files[i], &parent, err) < 0 || cg_write (next, files[i], parent, err) < 0)
            {
              free (next);
              return -1;
            }
        }
      free (dir);
      dir = next;
      p = e;
    }
  return 0;
}

static bool
wants_hugetlb (const struct spec_resources *r)
{
  return r && r->hugepage_limits_len > 0;
}

int
cgroup_create (struct cgroup_manager *m, struct error **err)
{
  if (m->systemd)
    {
      /* systemd creates the scope's directories when the init joins it
       * (cgroup_enter); a leftover scope in use is refused. */
      struct cg_hier *p = cg_primary (m);
      if (p && dir_exists (p->dir) && check_reusable (m, p, err) < 0)
        return -1;
      return 0;
    }
  bool *made = calloc (m->n ? m->n : 1, sizeof *made);
  if (made == NULL)
    return error_set (err, ENOMEM, "cgroup create");

  for (size_t i = 0; i < m->n; i++)
    {
      struct cg_hier *h = &m->h[i];
      if (dir_exists (h->dir))
        {
          if (check_reusable (m, h, err) < 0)
            goto fail;
          if (!h->v2 || m->layout != CGROUP_LAYOUT_V2)
            continue;
        }
      else
        made[i] = true;
      int r;
      if (!h->v2)
        {
          r = cg_mkdir_p (h->dir, err);
          if (r == 0 && cg_list_has (h->controllers, "cpuset"))
            r = cpuset_inherit (h, err);
        }
      else if (m->layout == CGROUP_LAYOUT_V2)
        r = mkdir_v2 (h, NULL, true, err);
      else /* hybrid: the unified tree carries only what v1 lacks (hugetlb here) */
        r = mkdir_v2 (h, "hugetlb", wants_hugetlb (m->res), err);
      if (r < 0)
        goto fail;
    }
  /* Always: with no linux.resources, the device rules still apply. */
  static const struct spec_resources none;
  if (cg_apply_resources (m, m->res ? m->res : &none, !m->skip_devices, err) < 0)
    goto fail;
  free (made);
  return 0;

fail:
  for (size_t i = 0; i < m->n; i++)
    if (made[i])
      rmdir (m->h[i].dir);
  free (made);
  return -1;
}

static int
unified_leaf_fd (struct cgroup_manager *m)
{
  if (m->leaf_fd < 0)
    {
      struct cg_hier *u = cg_unified (m);
      if (u)
        m->leaf_fd = open (u->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  return m->leaf_fd;
}

int
cgroup_clone_into_fd (struct cgroup_manager *m)
{
  return m->layout == CGROUP_LAYOUT_V2 ? unified_leaf_fd (m) : -1;
}

int
cgroup_birth_fd (struct cgroup_manager *m)
{
  /* systemd makes the scope with the first process in it. */
  if (m->layout == CGROUP_LAYOUT_V2 || (m->layout == CGROUP_LAYOUT_HYBRID && !m->systemd))
    return unified_leaf_fd (m);
  return -1;
}

/* Write pid into cgroup.procs of the v1 hierarchies (v1) and/or the cgroup2
 * tree (v2). */
static int
enter_hierarchies (struct cgroup_manager *m, pid_t pid, bool v1, bool v2, struct error **err)
{
  for (size_t i = 0; i < m->n; i++)
    {
      struct cg_hier *h = &m->h[i];
      struct error *e = NULL;
      if ((h->v2 && !v2) || (!h->v2 && !v1))
        continue;
      if (cg_writef (h->dir, "cgroup.procs", &e, "%d", (int) pid) == 0)
        continue;
      if (h->v2 && m->layout == CGROUP_LAYOUT_HYBRID)
        {
          /* The hybrid unified tree only carries hugetlb here: not fatal. */
          log_warn ("cgroup: %s", e->msg);
          error_free (&e);
          continue;
        }
      error_propagate (err, &e);
      return -1;
    }
  return 0;
}

int
cgroup_enter (struct cgroup_manager *m, pid_t pid, struct error **err)
{
  struct cg_hier *primary = cg_primary (m);
  if (m->systemd && primary && !dir_exists (primary->dir))
    {
      /* First process: the scope is born with it; then the cgroupfs writes for
       * what systemd has no property for (and the device rules). */
      static const struct spec_resources none;
      if (cg_systemd_start (m, pid, err) < 0)
        return -1;
      /* systemd delegates only the controllers it knows (no hugetlb, rdma,
       * misc): enable the rest on the way down, as for a cgroupfs path. */
      struct cg_hier *u = m->layout == CGROUP_LAYOUT_V2 ? cg_unified (m) : NULL;
      if (u && mkdir_v2 (u, NULL, true, err) < 0)
        return -1;
      return cg_apply_resources (m, m->res ? m->res : &none, !m->skip_devices, err);
    }
  return enter_hierarchies (m, pid, true, true, err);
}

int
cgroup_enter_some (struct cgroup_manager *m, pid_t pid, bool v1, bool v2, struct error **err)
{
  if (m->systemd)
    return cgroup_enter (m, pid, err);
  return enter_hierarchies (m, pid, v1, v2, err);
}

void
cgroup_manager_skip_devices (struct cgroup_manager *m)
{
  m->skip_devices = true;
}

int
cgroup_update (struct cgroup_manager *m, const struct spec_resources *r, struct error **err)
{
  if (r == NULL)
    return 0;
  if (m->systemd && cg_systemd_set_properties (m, r, err) < 0)
    return -1;
  return cg_apply_resources (m, r, r->devices_len > 0, err);
}

int
cgroup_pids (struct cgroup_manager *m, pid_t **pids, size_t *n, struct error **err)
{
  struct cg_hier *h = cg_primary (m);
  *pids = NULL;
  *n = 0;
  if (h == NULL)
    return error_set (err, 0, "cgroup \"%s\": no hierarchy to list processes", m->path);
  struct error *e = NULL;
  if (cg_read_procs (h->dir, true, pids, n, &e) < 0)
    {
      /* Removed meanwhile (systemd stops an empty scope): no processes. */
      bool gone = !dir_exists (h->dir);
      if (gone)
        error_free (&e);
      else
        error_propagate (err, &e);
      free (*pids);
      *pids = NULL;
      *n = 0;
      return gone ? 0 : -1;
    }
  return 0;
}

int
cgroup_destroy (struct cgroup_manager *m, struct error **err)
{
  int ret = 0;
  if (m->leaf_fd >= 0)
    {
      close (m->leaf_fd);
      m->leaf_fd = -1;
    }
  if (m->systemd)
    {
      struct error *e = NULL;
      if (cg_systemd_stop (m, &e) < 0)
        {
          log_warn ("%s", e->msg);
          error_free (&e);
        }
    }
  for (size_t i = 0; i < m->n; i++)
    {
      struct error *e = NULL;
      if (cg_rmdir_tree (m->h[i].dir, &e) < 0)
        {
          error_propagate (err, &e);
          ret = -1;
        }
    }
  return ret;
}

/* Saved form, one item per line:
 *   capsa-cgroup 1
 *   <layout> <systemd 0|1> <id>
 *   <path>
 *   then per hierarchy: <v2 0|1>\t<controllers>\t<mount>\t<rel>
 * Paths with tabs or newlines are refused when the manager is built. */
char *
cgroup_manager_save (struct cgroup_manager *m)
{
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&out, &len);
  if (f == NULL)
    return NULL;
  fprintf (f, "capsa-cgroup 1\n%s %d %s\n%s\n", cgroup_layout_name (m->layout), m->systemd ? 1 : 0,
           m->id, m->path);
  for (size_t i = 0; i < m->n; i++)
    fprintf (f, "%d\t%s\t%s\t%s\n", m->h[i].v2 ? 1 : 0, m->h[i].controllers, m->h[i].mount,
             m->h[i].rel);
  if (fclose (f) != 0)
    {
      free (out);
      return NULL;
    }
  return out;
}

int
cgroup_manager_load (const char *saved, struct cgroup_manager **out, struct error **err)
{
  _cleanup_free_ char *copy = saved ? strdup (saved) : NULL;
  struct cgroup_manager *m = manager_alloc ();
  char *save = NULL;
  if (copy == NULL || m == NULL)
    {
      cgroup_manager_free (m);
      return error_set (err, saved ? ENOMEM : EINVAL, "load cgroup manager");
    }
  char *magic = strtok_r (copy, "\n", &save);
  char *head = strtok_r (NULL, "\n", &save);
  char *path = strtok_r (NULL, "\n", &save);
  if (magic == NULL || strcmp (magic, "capsa-cgroup 1") != 0 || head == NULL || path == NULL)
    goto bad;
  char *sp1 = strchr (head, ' ');
  char *sp2 = sp1 ? strchr (sp1 + 1, ' ') : NULL;
  if (sp2 == NULL)
    goto bad;
  *sp1 = *sp2 = '\0';
  const char *layout = head, *id = sp2 + 1;
  int sd = atoi (sp1 + 1);
  if (strcmp (layout, "v1") == 0)
    m->layout = CGROUP_LAYOUT_V1;
  else if (strcmp (layout, "hybrid") == 0)
    m->layout = CGROUP_LAYOUT_HYBRID;
  else if (strcmp (layout, "v2") == 0)
    m->layout = CGROUP_LAYOUT_V2;
  else
    goto bad;
  m->systemd = sd != 0;
  m->id = strdup (id);
  m->path = strdup (path);
  for (char *line = strtok_r (NULL, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[4];
      /* strtok_r would merge the empty controllers field of cgroup2: split by hand */
      f[0] = line;
      for (int k = 1; k < 4; k++)
        {
          char *tab = f[k - 1] ? strchr (f[k - 1], '\t') : NULL;
          if (tab)
            *tab = '\0';
          f[k] = tab ? tab + 1 : NULL;
        }
      if (f[3] == NULL || (f[0][0] != '0' && f[0][0] != '1'))
        goto bad;
      if (hier_add (m, f[1], f[2], f[3], f[0][0] == '1') < 0)
        {
          cgroup_manager_free (m);
          return error_set (err, ENOMEM, "load cgroup manager");
        }
    }
  if (m->id == NULL || m->path == NULL || m->n == 0)
    goto bad;
  *out = m;
  return 0;

bad:
  cgroup_manager_free (m);
  return error_set (err, EINVAL, "load cgroup manager: malformed saved state");
}
