/* linux.cgroupsPath semantics, pure string functions (no filesystem access). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"
#include "spec/util/cleanup.h"

char *
cg_clean_path (const char *p)
{
  size_t len = strlen (p);
  char *out = malloc (len + 2);
  size_t o = 0;
  if (out == NULL)
    return NULL;
  out[o++] = '/';
  for (const char *s = p; *s;)
    {
      while (*s == '/')
        s++;
      const char *e = strchrnul (s, '/');
      size_t n = (size_t) (e - s);
      if (n == 0 || (n == 1 && s[0] == '.'))
        ;
      else if (n == 2 && s[0] == '.' && s[1] == '.')
        {
          /* drop the last component; never above the root */
          while (o > 1 && out[o - 1] != '/')
            o--;
          if (o > 1)
            o--;
        }
      else
        {
          if (o > 1)
            out[o++] = '/';
          memcpy (out + o, s, n);
          o += n;
        }
      s = e;
    }
  out[o] = '\0';
  return out;
}

static char *
join (const char *a, const char *b)
{
  _cleanup_free_ char *raw = NULL;
  if (asprintf (&raw, "%s/%s", a, b) < 0)
    return NULL;
  return cg_clean_path (raw);
}

int
cg_resolve_path (const char *cgroups_path, const char *id, const char *own, bool v2,
                 char **out, struct error **err)
{
  char *res;
  if (cgroups_path == NULL || *cgroups_path == '\0')
    {
      _cleanup_free_ char *raw = NULL;
      if (asprintf (&raw, "/capsa/%s", id) < 0)
        return error_set (err, ENOMEM, "cgroup path");
      res = cg_clean_path (raw);
    }
  else if (cgroups_path[0] == '/')
    res = cg_clean_path (cgroups_path);
  else
    {
      /* Clean the relative part on its own first so ".." cannot climb out of the
       * base cgroup. */
      _cleanup_free_ char *inner = cg_clean_path (cgroups_path);
      _cleanup_free_ char *base = cg_clean_path (own ? own : "/");
      if (inner == NULL || base == NULL)
        return error_set (err, ENOMEM, "cgroup path");
      if (v2)
        {
          char *slash = strrchr (base, '/');
          if (slash == base)
            base[1] = '\0';
          else if (slash)
            *slash = '\0';
        }
      res = join (base, inner + 1);
    }
  if (res == NULL)
    return error_set (err, ENOMEM, "cgroup path");
  if (strcmp (res, "/") == 0 || strpbrk (res, "\n\t"))
    {
      free (res);
      return error_set (err, 0, "linux.cgroupsPath: invalid cgroup path \"%s\"",
                        cgroups_path ? cgroups_path : "");
    }
  *out = res;
  return 0;
}

int
cg_systemd_expand_slice (const char *slice, char **out, struct error **err)
{
  size_t len = strlen (slice);
  const char *suffix = ".slice";
  if (len < 6 || strcmp (slice + len - 6, suffix) != 0 || strchr (slice, '/'))
    return error_set (err, 0, "linux.cgroupsPath: invalid systemd slice \"%s\"", slice);
  if (strcmp (slice, "-.slice") == 0)
    return (*out = strdup ("/")) ? 0 : error_set (err, ENOMEM, "slice");

  _cleanup_free_ char *name = strndup (slice, len - 6);
  _cleanup_free_ char *res = strdup ("");
  if (name == NULL || res == NULL)
    return error_set (err, ENOMEM, "slice");
  if (*name == '\0' || name[0] == '-' || name[strlen (name) - 1] == '-' || strstr (name, "--"))
    return error_set (err, 0, "linux.cgroupsPath: invalid systemd slice \"%s\"", slice);
  /* "a-b-c" -> "/a.slice/a-b.slice/a-b-c.slice" */
  for (char *dash = name;; dash++)
    {
      dash = strchrnul (dash, '-');
      char *next = NULL;
      if (asprintf (&next, "%s/%.*s.slice", res, (int) (dash - name), name) < 0)
        return error_set (err, ENOMEM, "slice");
      free (res);
      res = next;
      if (*dash == '\0')
        break;
    }
  *out = steal_pointer (&res);
  return 0;
}

int
cg_systemd_path (const char *cgroups_path, const char *id, char **out, struct error **err)
{
  _cleanup_free_ char *copy = NULL;
  const char *slice = "system.slice", *prefix = "capsa", *name = id;

  if (cgroups_path && *cgroups_path)
    {
      copy = strdup (cgroups_path);
      if (copy == NULL)
        return error_set (err, ENOMEM, "cgroup path");
      char *c1 = strchr (copy, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL || strchr (c2 + 1, ':'))
        return error_set (err, 0,
                          "linux.cgroupsPath: expected \"slice:prefix:name\" for the systemd "
                          "cgroup driver, got \"%s\"", cgroups_path);
      *c1 = *c2 = '\0';
      if (*copy)
        slice = copy;
      prefix = c1 + 1;
      if (c2[1])
        name = c2 + 1;
    }
  if (strchr (prefix, '/') || strchr (name, '/'))
    return error_set (err, 0, "linux.cgroupsPath: invalid systemd unit in \"%s\"",
                      cgroups_path);

  _cleanup_free_ char *slice_path = NULL;
  if (cg_systemd_expand_slice (slice, &slice_path, err) < 0)
    return -1;
  char *res = NULL;
  size_t nl = strlen (name);
  int r;
  if (nl > 6 && strcmp (name + nl - 6, ".slice") == 0)
    r = asprintf (&res, "%s/%s", strcmp (slice_path, "/") ? slice_path : "", name);
  else if (*prefix)
    r = asprintf (&res, "%s/%s-%s.scope", strcmp (slice_path, "/") ? slice_path : "", prefix, name);
  else
    r = asprintf (&res, "%s/%s.scope", strcmp (slice_path, "/") ? slice_path : "", name);
  if (r < 0)
    return error_set (err, ENOMEM, "cgroup path");
  *out = res;
  return 0;
}
