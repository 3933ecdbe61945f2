/* config.json -> struct spec_config: the top level, root, mounts, process and
 * hooks. linux.* lives in parse_linux.c, linux.resources in parse_resources.c.
 * Unknown fields are ignored; null stands for an absent optional field. */
#define _GNU_SOURCE
#include "parse_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Config files are small; refuse absurd sizes rather than read them. */
#define CONFIG_MAX_SIZE (64 * 1024 * 1024)

static int
parse_mount (struct pctx *p, const struct json_value *v, struct spec_mount *m)
{
  P_TRY (pv_expect (p, v, JSON_OBJECT));
  P_TRY (p_required (p, p_string (p, v, "destination", &m->destination), "destination"));
  P_TRY (p_string (p, v, "source", &m->source));
  P_TRY (p_string (p, v, "type", &m->type));
  P_TRY (p_strv (p, v, "options", &m->options, &m->options_len));
  P_TRY (p_id_mappings (p, v, "uidMappings", &m->uid_mappings, &m->uid_mappings_len));
  P_TRY (p_id_mappings (p, v, "gidMappings", &m->gid_mappings, &m->gid_mappings_len));
  return 0;
}

static int
parse_mounts (struct pctx *p, const struct json_value *root, struct spec_config *c)
{
  const struct json_value *arr;
  int rc = p_child (p, root, "mounts", JSON_ARRAY, &arr);
  if (rc <= 0)
    return rc;
  size_t n = json_array_len (arr);
  c->mounts = p_calloc (p, n, sizeof *c->mounts);
  if (c->mounts == NULL)
    return -1;
  c->mounts_len = n;
  size_t saved = pctx_push_key (p, "mounts");
  for (size_t i = 0; i < n; i++)
    {
      size_t s2 = pctx_push_index (p, i);
      P_TRY (parse_mount (p, json_array_get (arr, i), &c->mounts[i]));
      pctx_pop (p, s2);
    }
  pctx_pop (p, saved);
  return 0;
}

static int
parse_user (struct pctx *p, const struct json_value *v, struct spec_user *u)
{
  /* uid and gid are REQUIRED by the spec but runc reads a missing one as 0. */
  P_TRY (p_u32 (p, v, "uid", &u->uid));
  P_TRY (p_u32 (p, v, "gid", &u->gid));
  P_OPT (p_u32 (p, v, "umask", &u->umask), u->has_umask);
  P_TRY (p_string (p, v, "username", &u->username));
  const struct json_value *arr;
  int rc = p_child (p, v, "additionalGids", JSON_ARRAY, &arr);
  if (rc < 0)
    return -1;
  if (rc > 0)
    {
      size_t n = json_array_len (arr);
      u->additional_gids = p_calloc (p, n, sizeof *u->additional_gids);
      if (u->additional_gids == NULL)
        return -1;
      u->additional_gids_len = n;
      size_t saved = pctx_push_key (p, "additionalGids");
      for (size_t i = 0; i < n; i++)
        {
          uint64_t g;
          size_t s2 = pctx_push_index (p, i);
          P_TRY (pv_u64 (p, json_array_get (arr, i), UINT32_MAX, &g));
          u->additional_gids[i] = (uint32_t) g;
          pctx_pop (p, s2);
        }
      pctx_pop (p, saved);
    }
  return 0;
}

static int
parse_capabilities (struct pctx *p, const struct json_value *v, struct spec_capabilities *c)
{
  P_OPT (p_strv (p, v, "bounding", &c->bounding, &c->bounding_len), c->has_bounding);
  P_OPT (p_strv (p, v, "effective", &c->effective, &c->effective_len), c->has_effective);
  P_OPT (p_strv (p, v, "inheritable", &c->inheritable, &c->inheritable_len), c->has_inheritable);
  P_OPT (p_strv (p, v, "permitted", &c->permitted, &c->permitted_len), c->has_permitted);
  P_OPT (p_strv (p, v, "ambient", &c->ambient, &c->ambient_len), c->has_ambient);
  return 0;
}

static int
parse_rlimits (struct pctx *p, const struct json_value *v, struct spec_process *pr)
{
  const struct json_value *arr;
  int rc = p_child (p, v, "rlimits", JSON_ARRAY, &arr);
  if (rc <= 0)
    return rc;
  size_t n = json_array_len (arr);
  pr->rlimits = p_calloc (p, n, sizeof *pr->rlimits);
  if (pr->rlimits == NULL)
    return -1;
  pr->rlimits_len = n;
  size_t saved = pctx_push_key (p, "rlimits");
  for (size_t i = 0; i < n; i++)
    {
      const struct json_value *e = json_array_get (arr, i);
      struct spec_rlimit *r = &pr->rlimits[i];
      size_t s2 = pctx_push_index (p, i);
      P_TRY (pv_expect (p, e, JSON_OBJECT));
      P_TRY (p_required (p, p_string (p, e, "type", &r->type), "type"));
      P_TRY (p_required (p, p_u64 (p, e, "soft", &r->soft), "soft"));
      P_TRY (p_required (p, p_u64 (p, e, "hard", &r->hard), "hard"));
      pctx_pop (p, s2);
    }
  pctx_pop (p, saved);
  return 0;
}

static int
parse_scheduler (struct pctx *p, const struct json_value *v, struct spec_scheduler *s)
{
  P_TRY (p_required (p, p_string (p, v, "policy", &s->policy), "policy"));
  P_OPT (p_i32 (p, v, "nice", &s->nice), s->has_nice);
  P_OPT (p_i32 (p, v, "priority", &s->priority), s->has_priority);
  P_TRY (p_strv (p, v, "flags", &s->flags, &s->flags_len));
  P_OPT (p_u64 (p, v, "runtime", &s->runtime), s->has_runtime);
  P_OPT (p_u64 (p, v, "deadline", &s->deadline), s->has_deadline);
  P_OPT (p_u64 (p, v, "period", &s->period), s->has_period);
  return 0;
}

static int
parse_io_priority (struct pctx *p, const struct json_value *v, struct spec_io_priority *io)
{
  P_TRY (p_required (p, p_string (p, v, "class", &io->class_), "class"));
  P_TRY (p_i32 (p, v, "priority", &io->priority));
  return 0;
}

static int
parse_cpu_affinity (struct pctx *p, const struct json_value *v, struct spec_cpu_affinity *a)
{
  P_TRY (p_string (p, v, "initial", &a->initial));
  P_TRY (p_string (p, v, "final", &a->final));
  return 0;
}

static int
parse_console_size (struct pctx *p, const struct json_value *v, struct spec_process *pr)
{
  P_TRY (p_required (p, p_u32 (p, v, "height", &pr->console_height), "height"));
  P_TRY (p_required (p, p_u32 (p, v, "width", &pr->console_width), "width"));
  return 0;
}

static int
parse_process (struct pctx *p, const struct json_value *v, struct spec_process *pr)
{
  const struct json_value *sub;
  int rc;

  P_TRY (p_bool (p, v, "terminal", &pr->terminal));
  rc = p_child (p, v, "consoleSize", JSON_OBJECT, &sub);
  if (rc < 0)
    return -1;
  if (rc > 0)
    {
      size_t saved = pctx_push_key (p, "consoleSize");
      P_TRY (parse_console_size (p, sub, pr));
      pctx_pop (p, saved);
      pr->has_console_size = true;
    }
  rc = p_child (p, v, "user", JSON_OBJECT, &sub);
  if (rc < 0)
    return -1;
  if (rc > 0)
    {
      size_t saved = pctx_push_key (p, "user");
      P_TRY (parse_user (p, sub, &pr->user));
      pctx_pop (p, saved);
    }
  P_TRY (p_strv (p, v, "args", &pr->args, &pr->args_len));
  P_TRY (p_string (p, v, "commandLine", &pr->command_line));
  P_TRY (p_strv (p, v, "env", &pr->env, &pr->env_len));
  P_TRY (p_required (p, p_string (p, v, "cwd", &pr->cwd), "cwd"));
  P_TRY (P_SUBOBJECT (p, v, "capabilities", pr->capabilities, parse_capabilities));
  P_TRY (parse_rlimits (p, v, pr));
  P_TRY (p_bool (p, v, "noNewPrivileges", &pr->no_new_privileges));
  P_TRY (p_string (p, v, "apparmorProfile", &pr->apparmor_profile));
  P_OPT (p_i32 (p, v, "oomScoreAdj", &pr->oom_score_adj), pr->has_oom_score_adj);
  P_TRY (P_SUBOBJECT (p, v, "scheduler", pr->scheduler, parse_scheduler));
  P_TRY (p_string (p, v, "selinuxLabel", &pr->selinux_label));
  P_TRY (P_SUBOBJECT (p, v, "ioPriority", pr->io_priority, parse_io_priority));
  P_TRY (P_SUBOBJECT (p, v, "execCPUAffinity", pr->exec_cpu_affinity, parse_cpu_affinity));
  return 0;
}

static int
parse_hook (struct pctx *p, const struct json_value *v, struct spec_hook *h)
{
  P_TRY (pv_expect (p, v, JSON_OBJECT));
  P_TRY (p_required (p, p_string (p, v, "path", &h->path), "path"));
  P_TRY (p_strv (p, v, "args", &h->args, &h->args_len));
  P_TRY (p_strv (p, v, "env", &h->env, &h->env_len));
  P_OPT (p_i32 (p, v, "timeout", &h->timeout), h->has_timeout);
  return 0;
}

static int
parse_hooks (struct pctx *p, const struct json_value *v, struct spec_hooks *hooks)
{
  for (int k = 0; k < HOOK_KIND_COUNT; k++)
    {
      const char *kname = spec_hook_kind_name (k);
      const struct json_value *arr;
      int rc = p_child (p, v, kname, JSON_ARRAY, &arr);
      if (rc < 0)
        return -1;
      if (rc == 0)
        continue;
      size_t n = json_array_len (arr);
      hooks->list[k] = p_calloc (p, n, sizeof *hooks->list[k]);
      if (hooks->list[k] == NULL)
        return -1;
      hooks->len[k] = n;
      size_t saved = pctx_push_key (p, kname);
      for (size_t i = 0; i < n; i++)
        {
          size_t s2 = pctx_push_index (p, i);
          P_TRY (parse_hook (p, json_array_get (arr, i), &hooks->list[k][i]));
          pctx_pop (p, s2);
        }
      pctx_pop (p, saved);
    }
  return 0;
}

static int
parse_config (struct pctx *p, const struct json_value *doc, struct spec_config *c)
{
  const struct json_value *sub;
  int rc;

  P_TRY (pv_expect (p, doc, JSON_OBJECT));
  P_TRY (p_required (p, p_string (p, doc, "ociVersion", &c->oci_version), "ociVersion"));

  rc = p_child (p, doc, "root", JSON_OBJECT, &sub);
  if (rc < 0)
    return -1;
  if (rc > 0)
    {
      size_t saved = pctx_push_key (p, "root");
      P_TRY (p_required (p, p_string (p, sub, "path", &c->root_path), "path"));
      P_TRY (p_bool (p, sub, "readonly", &c->root_readonly));
      pctx_pop (p, saved);
    }
  P_TRY (parse_mounts (p, doc, c));
  P_TRY (P_SUBOBJECT (p, doc, "process", c->process, parse_process));
  P_TRY (p_string (p, doc, "hostname", &c->hostname));
  P_TRY (p_string (p, doc, "domainname", &c->domainname));
  rc = p_child (p, doc, "hooks", JSON_OBJECT, &sub);
  if (rc < 0)
    return -1;
  if (rc > 0)
    {
      size_t saved = pctx_push_key (p, "hooks");
      P_TRY (parse_hooks (p, sub, &c->hooks));
      pctx_pop (p, saved);
    }
  P_TRY (p_kv (p, doc, "annotations", &c->annotations, &c->annotations_len));
  P_TRY (P_SUBOBJECT (p, doc, "linux", c->linux_, parse_linux));
  return 0;
}

struct spec_config *
spec_config_parse_data (const char *data, size_t len, const char *name, struct error **err)
{
  struct pctx p;
  struct json_value *doc = pctx_parse_doc (&p, name, data, len, err);
  if (doc == NULL)
    return NULL;
  struct spec_config *c = calloc (1, sizeof *c);
  if (c == NULL)
    {
      json_free (doc);
      error_set (err, ENOMEM, "%s: parse", p.name);
      return NULL;
    }
  int rc = parse_config (&p, doc, c);
  json_free (doc);
  if (rc == 0)
    rc = spec_config_validate (c, p.name, err);
  if (rc < 0)
    {
      spec_config_free (c);
      return NULL;
    }
  return c;
}

/* Read a whole regular file; errors name `path`. */
static char *
read_config_file (const char *path, size_t *len, struct error **err)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      error_set (err, errno, "open config file \"%s\"", path);
      return NULL;
    }
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      error_set (err, errno, "stat config file \"%s\"", path);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      error_set (err, EINVAL, "config file \"%s\" is not a regular file", path);
      return NULL;
    }
  size_t cap = st.st_size > 0 ? (size_t) st.st_size + 1 : 4096, used = 0;
  if (cap > CONFIG_MAX_SIZE)
    {
      error_set (err, EFBIG, "config file \"%s\"", path);
      return NULL;
    }
  _cleanup_free_ char *buf = malloc (cap);
  if (buf == NULL)
    {
      error_set (err, ENOMEM, "read config file \"%s\"", path);
      return NULL;
    }
  for (;;)
    {
      if (used == cap)
        {
          if (cap >= CONFIG_MAX_SIZE)
            {
              error_set (err, EFBIG, "config file \"%s\"", path);
              return NULL;
            }
          char *nb = realloc (buf, cap * 2);
          if (nb == NULL)
            {
              error_set (err, ENOMEM, "read config file \"%s\"", path);
              return NULL;
            }
          buf = nb;
          cap *= 2;
        }
      ssize_t r = read (fd, buf + used, cap - used);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          error_set (err, errno, "read config file \"%s\"", path);
          return NULL;
        }
      if (r == 0)
        break;
      used += (size_t) r;
    }
  *len = used;
  return steal_pointer (&buf);
}

struct spec_config *
spec_config_parse_file (const char *path, struct error **err)
{
  size_t len = 0;
  _cleanup_free_ char *data = read_config_file (path, &len, err);
  if (data == NULL)
    return NULL;
  /* Messages name the file as the user knows it in the bundle. */
  const char *base = strrchr (path, '/');
  base = base && base[1] ? base + 1 : path;
  return spec_config_parse_data (data, len, base, err);
}

struct spec_resources *
spec_resources_parse_data (const char *data, size_t len, const char *name, struct error **err)
{
  struct pctx p;
  struct json_value *doc = pctx_parse_doc (&p, name, data, len, err);
  if (doc == NULL)
    return NULL;
  struct spec_resources *r = calloc (1, sizeof *r);
  int rc = -1;
  if (r == NULL)
    error_set (err, ENOMEM, "%s: parse", p.name);
  else if (pv_expect (&p, doc, JSON_OBJECT) == 0)
    rc = parse_resources (&p, doc, r);
  json_free (doc);
  if (rc < 0)
    {
      spec_resources_free (r);
      return NULL;
    }
  return r;
}

/* exec --process: a bare process object, parsed like config.json's "process"
 * (messages name its fields without the "process." prefix). */
struct spec_process *
spec_process_parse_data (const char *data, size_t len, const char *name, struct error **err)
{
  struct pctx p;
  struct json_value *doc = pctx_parse_doc (&p, name, data, len, err);
  if (doc == NULL)
    return NULL;
  struct spec_process *pr = calloc (1, sizeof *pr);
  int rc = -1;
  if (pr == NULL)
    error_set (err, ENOMEM, "%s: parse", p.name);
  else if (pv_expect (&p, doc, JSON_OBJECT) == 0)
    rc = parse_process (&p, doc, pr);
  json_free (doc);
  if (rc == 0 && pr->args_len == 0 && pr->command_line == NULL)
    {
      error_set (err, EINVAL, "%s: args: must not be empty", p.name);
      rc = -1;
    }
  if (rc == 0 && pr->cwd && pr->cwd[0] != '/')
    {
      error_set (err, EINVAL, "%s: cwd: \"%s\" is not an absolute path", p.name, pr->cwd);
      rc = -1;
    }
  if (rc < 0)
    {
      spec_process_free (pr);
      return NULL;
    }
  return pr;
}
