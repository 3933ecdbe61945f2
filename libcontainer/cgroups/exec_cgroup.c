/* `exec --cgroup` (exec_cgroup.h): parse runc's forms, resolve one target per
 * hierarchy below the container's cgroup, and move the new process there. */
#define _GNU_SOURCE
#include "cgroups/exec_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/cgroup_internal.h"
#include "spec/util/cleanup.h"

struct exec_cgroup
{
  size_t n;        /* the manager's hierarchies, in its order */
  char **dirs;     /* where the process goes in each */
  bool *optional;  /* the hybrid cgroup2 tree: a failed join only warns, as cgroup_enter */
  bool *v2;        /* the cgroup2 tree (born there by clone3), else a v1 hierarchy */
  int clone_fd;    /* v2 and hybrid: dirs[the unified tree], open for CLONE_INTO_CGROUP */
};

void
exec_cgroup_subs_free (struct exec_cgroup_sub *subs, size_t n)
{
  for (size_t i = 0; subs && i < n; i++)
    {
      free (subs[i].controller);
      free (subs[i].path);
    }
  free (subs);
}

static int
add_sub (struct exec_cgroup_sub **subs, size_t *n, char *controller, const char *path,
         const char *arg)
{
  struct exec_cgroup_sub *grown = realloc (*subs, (*n + 1) * sizeof **subs);
  if (grown == NULL || controller == NULL)
    {
      free (controller);
      if (grown)
        *subs = grown;
      return -1;
    }
  *subs = grown;
  grown[*n].controller = controller;
  grown[*n].path = strdup (path);
  grown[*n].arg = arg;
  (*n)++;
  return grown[*n - 1].path ? 0 : -1;
}

static bool
named_before (const struct exec_cgroup_sub *subs, size_t n, const char *controller)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (subs[i].controller, controller) == 0)
      return true;
  return false;
}

int
exec_cgroup_parse (char *const *args, struct exec_cgroup_sub **out, size_t *n, struct error **err)
{
  size_t nargs = 0;
  while (args && args[nargs])
    nargs++;
  *out = NULL;
  *n = 0;
  for (size_t a = 0; a < nargs; a++)
    {
      const char *arg = args[a], *colon = strchr (arg, ':');
      if (colon == NULL)
        {
          /* A bare path is for every hierarchy: it cannot be combined. */
          if (nargs != 1)
            goto missing_prefix;
          if (add_sub (out, n, strdup (""), arg, arg) < 0)
            goto oom;
          continue;
        }
      for (const char *c = arg;;)
        {
          const char *end = c;
          while (end < colon && *end != ',')
            end++;
          if (end == c)
            {
              error_set (err, 0, "invalid --cgroup argument: %s (empty <controller> prefix)",
                         arg);
              goto fail;
            }
          _cleanup_free_ char *ctrl = strndup (c, end - c);
          if (ctrl && named_before (*out, *n, ctrl))
            {
              error_set (err, 0,
                         "invalid --cgroup argument(s): controller %s specified multiple times",
                         ctrl);
              goto fail;
            }
          if (add_sub (out, n, steal_pointer (&ctrl), colon + 1, arg) < 0)
            goto oom;
          if (end == colon)
            break;
          c = end + 1;
        }
      continue;
    missing_prefix:
      error_set (err, 0, "invalid --cgroup argument: %s (missing <controller>: prefix)", arg);
      goto fail;
    }
  return 0;

oom:
  error_set (err, ENOMEM, "--cgroup");
fail:
  exec_cgroup_subs_free (*out, *n);
  *out = NULL;
  *n = 0;
  return -1;
}

char *
exec_cgroup_clean_path (const char *path, struct error **err)
{
  /* cgroupfs has no symlinks: this lexical check is the whole check. Only the
   * refusal to climb is ours; the cleaning is cg_clean_path's. */
  long depth = 0;
  for (const char *p = path; *p;)
    {
      while (*p == '/')
        p++;
      const char *end = strchrnul (p, '/');
      size_t l = (size_t) (end - p);
      if (l == 2 && p[0] == '.' && p[1] == '.')
        {
          if (--depth < 0)
            {
              error_set (err, 0, "bad sub cgroup path: %s", path);
              return NULL;
            }
        }
      else if (l > 0 && !(l == 1 && p[0] == '.'))
        depth++;
      p = end;
    }
  _cleanup_free_ char *rooted = cg_clean_path (path);
  char *out = rooted ? strdup (rooted + 1) : NULL; /* relative: without the leading "/" */
  if (out == NULL)
    error_set (err, ENOMEM, "--cgroup");
  return out;
}

void
exec_cgroup_free (struct exec_cgroup *p)
{
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->n; i++)
    free (p->dirs[i]);
  free (p->dirs);
  free (p->optional);
  free (p->v2);
  if (p->clone_fd >= 0)
    close (p->clone_fd);
  free (p);
}

int
exec_cgroup_clone_fd (struct exec_cgroup *p)
{
  return p ? p->clone_fd : -1;
}

/* Which sub-cgroup each hierarchy takes: subs_of[i] points into subs, NULL for
 * the container's own. Controllers that share a hierarchy (cpu,cpuacct; every
 * controller on cgroup v2) must agree, since one process has one cgroup there. */
static int
assign_subs (struct cgroup_manager *m, const struct exec_cgroup_sub *subs, size_t nsubs,
             const struct exec_cgroup_sub **subs_of, struct error **err)
{
  for (size_t s = 0; s < nsubs; s++)
    {
      const struct exec_cgroup_sub *sub = &subs[s];
      if (sub->controller[0] == '\0')
        {
          /* A bare path, alone by the parser's rule: every hierarchy. */
          for (size_t i = 0; i < m->n; i++)
            subs_of[i] = sub;
          continue;
        }
      struct cg_hier *h = cg_find (m, sub->controller);
      if (h == NULL)
        return error_set (err, 0, "--cgroup %s: unknown controller %s", sub->arg,
                          sub->controller);
      size_t i = h - m->h;
      if (subs_of[i] && strcmp (subs_of[i]->path, sub->path) != 0)
        return error_set (err, 0,
                          "invalid --cgroup argument(s): %s and %s name different sub-cgroups of "
                          "one cgroup hierarchy",
                          subs_of[i]->arg, sub->arg);
      subs_of[i] = sub;
    }
  return 0;
}

/* dirs[i] for one hierarchy: a named sub-cgroup must exist and be a directory
 * (a cgroup), checked now so that a wrong one fails before any process exists. */
static int
resolve_dir (struct cgroup_manager *m, size_t i, const struct exec_cgroup_sub *sub,
             struct exec_cgroup *p, struct error **err)
{
  struct cg_hier *h = &m->h[i];
  p->optional[i] = h->v2 && m->layout == CGROUP_LAYOUT_HYBRID;
  if (sub == NULL || sub->path[0] == '\0')
    return (p->dirs[i] = strdup (h->dir)) ? 0 : error_set (err, ENOMEM, "--cgroup");
  if (asprintf (&p->dirs[i], "%s/%s", h->dir, sub->path) < 0)
    {
      p->dirs[i] = NULL;
      return error_set (err, ENOMEM, "--cgroup");
    }
  struct stat st;
  if (stat (p->dirs[i], &st) == 0 && S_ISDIR (st.st_mode))
    return 0;
  int e = errno ? errno : ENOTDIR;
  if (p->optional[i] && sub->controller[0] == '\0')
    {
      /* The hybrid cgroup2 tree carries no limits of the container's: a bare
       * path that exists only in the v1 hierarchies leaves it at the
       * container's own cgroup there. */
      log_debug ("--cgroup %s: no such sub-cgroup in %s; the process joins %s", sub->path,
                 h->mount, h->dir);
      free (p->dirs[i]);
      return (p->dirs[i] = strdup (h->dir)) ? 0 : error_set (err, ENOMEM, "--cgroup");
    }
  return error_set (err, e, "--cgroup %s: sub-cgroup \"%s\"", sub->arg, p->dirs[i]);
}

int
exec_cgroup_plan (struct cgroup_manager *m, char *const *args, struct exec_cgroup **out,
                  struct error **err)
{
  struct exec_cgroup_sub *subs = NULL;
  size_t nsubs = 0;
  struct exec_cgroup *p = NULL;
  const struct exec_cgroup_sub **subs_of = NULL;
  int ret = -1;

  *out = NULL;
  if (exec_cgroup_parse (args, &subs, &nsubs, err) < 0)
    return -1;
  for (size_t s = 0; s < nsubs; s++)
    {
      char *clean = exec_cgroup_clean_path (subs[s].path, err);
      if (clean == NULL)
        goto out;
      free (subs[s].path);
      subs[s].path = clean;
    }
  if (m == NULL)
    {
      for (size_t s = 0; s < nsubs; s++)
        if (subs[s].path[0])
          {
            error_set (err, 0, "--cgroup %s: the container has no cgroup", subs[s].arg);
            goto out;
          }
      ret = 0;
      goto out;
    }
  p = calloc (1, sizeof *p);
  subs_of = calloc (m->n ? m->n : 1, sizeof *subs_of);
  if (p == NULL || subs_of == NULL || (p->dirs = calloc (m->n + 1, sizeof *p->dirs)) == NULL
      || (p->optional = calloc (m->n + 1, sizeof *p->optional)) == NULL
      || (p->v2 = calloc (m->n + 1, sizeof *p->v2)) == NULL)
    {
      error_set (err, ENOMEM, "--cgroup");
      goto out;
    }
  p->n = m->n;
  p->clone_fd = -1;
  if (assign_subs (m, subs, nsubs, subs_of, err) < 0)
    goto out;
  for (size_t i = 0; i < m->n; i++)
    {
      if (resolve_dir (m, i, subs_of[i], p, err) < 0)
        goto out;
      p->v2[i] = m->h[i].v2;
    }
  struct cg_hier *u = cg_unified (m);
  if (m->layout == CGROUP_LAYOUT_V2 && u == NULL)
    {
      error_set (err, ENOENT, "container cgroup not found");
      goto out;
    }
  /* Born in the cgroup2 target (v2, or the hybrid tree, where a failure only
   * means the parent's write after all). */
  if (u && (m->layout == CGROUP_LAYOUT_V2 || m->layout == CGROUP_LAYOUT_HYBRID))
    {
      const char *dir = p->dirs[u - m->h];
      p->clone_fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
      if (p->clone_fd < 0 && m->layout == CGROUP_LAYOUT_V2)
        {
          error_set (err, errno, "--cgroup: open \"%s\"", dir);
          goto out;
        }
    }
  *out = steal_pointer (&p);
  ret = 0;
out:
  free (subs_of);
  exec_cgroup_free (p);
  exec_cgroup_subs_free (subs, nsubs);
  return ret;
}

int
exec_cgroup_self_attach_open (struct exec_cgroup *p, struct cgroup_self_attach *sa,
                              struct error **err)
{
  sa->fds = NULL;
  sa->n = 0;
  if (p == NULL || !cgroup_self_attach_enabled ())
    return 0;
  sa->fds = calloc (p->n ? p->n : 1, sizeof *sa->fds);
  if (sa->fds == NULL)
    return error_set (err, ENOMEM, "cgroup self-attach");
  for (size_t i = 0; i < p->n; i++)
    {
      _cleanup_free_ char *path = NULL;
      if (p->v2[i])
        continue;
      int fd = asprintf (&path, "%s/tasks", p->dirs[i]) < 0 ? -1 : open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        {
          /* exec_cgroup_enter_some reports what is wrong. */
          cgroup_self_attach_close (sa);
          return 0;
        }
      sa->fds[sa->n++] = fd;
    }
  return 0;
}

int
exec_cgroup_enter (struct exec_cgroup *p, pid_t pid, struct error **err)
{
  return exec_cgroup_enter_some (p, pid, true, true, err);
}

int
exec_cgroup_enter_some (struct exec_cgroup *p, pid_t pid, bool v1, bool v2, struct error **err)
{
  for (size_t i = 0; p && i < p->n; i++)
    {
      struct error *e = NULL;
      if ((p->v2[i] && !v2) || (!p->v2[i] && !v1))
        continue;
      if (cg_writef (p->dirs[i], "cgroup.procs", &e, "%d", (int) pid) == 0)
        continue;
      if (p->optional[i])
        {
          log_warn ("cgroup: %s", e->msg);
          error_free (&e);
          continue;
        }
      error_propagate (err, &e);
      return error_wrap (err, "join the container's cgroup");
    }
  return 0;
}
