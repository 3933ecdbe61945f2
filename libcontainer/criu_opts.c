/* The criu flags that dump and restore share, from runc's image options. */
#define _GNU_SOURCE
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
  if (o->page_server && strrchr (o->page_server, ':') == NULL)
    return error_set (err, 0, "--page-server \"%s\": want ADDRESS:PORT", o->page_server);
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
