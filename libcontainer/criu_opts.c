/* The criu flags that dump and restore share, from runc's image options. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "criu.h"
#include "criu_opts.h"

void
criu_common_args (struct criu_cmd *c, const struct lc_criu_opts *o, const char *work,
                  const char *log_name)
{
  criu_cmd_add (c, "--images-dir=%s", o->image_path);
  criu_cmd_add (c, "--work-dir=%s", work);
  criu_cmd_add (c, "--log-file=%s", log_name);
  criu_cmd_add (c, "-v4");
  if (o->tcp_established)
    criu_cmd_add (c, "--tcp-established");
  if (o->ext_unix_sk)
    criu_cmd_add (c, "--ext-unix-sk");
  if (o->shell_job)
    criu_cmd_add (c, "--shell-job");
  if (o->file_locks)
    criu_cmd_add (c, "--file-locks");
  if (o->manage_cgroups_mode)
    criu_cmd_add (c, "--manage-cgroups=%s", o->manage_cgroups_mode);
  if (o->status_fd >= 0)
    criu_cmd_add (c, "--status-fd=%d", o->status_fd);
  if (o->lazy_pages)
    criu_cmd_add (c, "--lazy-pages");
}

void
criu_dump_args (struct criu_cmd *c, const struct lc_criu_opts *o)
{
  /* a pre-dump always leaves the tree running: criu refuses the flag there */
  if (o->leave_running && !o->pre_dump)
    criu_cmd_add (c, "--leave-running");
  if (o->pre_dump || o->parent_path)
    criu_cmd_add (c, "--track-mem");
  if (o->parent_path)
    criu_cmd_add (c, "--prev-images-dir=%s", o->parent_path);
  if (o->auto_dedup)
    criu_cmd_add (c, "--auto-dedup");
  const char *colon = o->page_server ? strrchr (o->page_server, ':') : NULL;
  if (colon)
    {
      criu_cmd_add (c, "--page-server");
      criu_cmd_add (c, "--address=%.*s", (int) (colon - o->page_server), o->page_server);
      criu_cmd_add (c, "--port=%s", colon + 1);
    }
  /* criu_check_opts lets only "network" through */
  for (char **ns = o->empty_ns; ns && *ns; ns++)
    criu_cmd_add (c, "--empty-ns=net");
}

void
criu_restore_args (struct criu_cmd *c, const struct lc_criu_opts *o)
{
  if (o->lsm_profile)
    criu_cmd_add (c, "--lsm-profile=%s", o->lsm_profile);
  if (o->lsm_mount_context)
    criu_cmd_add (c, "--lsm-mount-context=%s", o->lsm_mount_context);
}

bool
criu_mount_is_bind (const struct spec_mount *m)
{
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (size_t i = 0; i < m->options_len; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

int
criu_check_opts (const struct lc_criu_opts *o, struct error **err)
{
  static const char *const modes[] = { "soft", "full", "strict", "ignore" };
  if (o->manage_cgroups_mode)
    {
      bool ok = false;
      for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        ok |= strcmp (o->manage_cgroups_mode, modes[i]) == 0;
      if (!ok)
        return error_set (err, 0, "invalid --manage-cgroups-mode \"%s\": "
                          "want soft, full, strict or ignore", o->manage_cgroups_mode);
    }
  for (char **ns = o->empty_ns; ns && *ns; ns++)
    if (strcmp (*ns, "network") != 0)
      return error_set (err, 0, "--empty-ns \"%s\": only \"network\" is supported (as in runc)",
                        *ns);
  if (o->page_server)
    {
      /* the last colon: an IPv6 address keeps its own */
      const char *colon = strrchr (o->page_server, ':');
      char *end = NULL;
      long port = colon ? strtol (colon + 1, &end, 10) : 0;
      if (colon == NULL || colon == o->page_server || end == colon + 1 || *end != '\0'
          || port < 1 || port > 65535)
        return error_set (err, 0, "--page-server \"%s\": want ADDRESS:PORT", o->page_server);
    }
  return 0;
}

const char *
criu_ext_ns_key (enum spec_ns_type t)
{
  /* runc's names, so that images move between the two runtimes */
  switch (t)
    {
    case NS_NETWORK:
      return "extRootNetNS";
    case NS_PID:
      return "extRootPidNS";
    default:
      return NULL;
    }
}
