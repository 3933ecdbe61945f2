/* audit: a security review of a bundle's config.json (spec/audit.c rules,
 * with the host's active LSMs from libcontainer/hostcheck.c). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "libcontainer/hostcheck.h"
#include "spec/audit.h"
#include "spec/config.h"

static const struct cmd_doc audit_doc = {
  "",
  "The audit command reviews the config.json of a bundle for settings that weaken\n"
  "the container's isolation: privileged, inheritable or ambient capabilities, root\n"
  "without a user namespace, missing or host namespaces, no or permissive seccomp,\n"
  "noNewPrivileges off, writable /sys or /proc/sys, missing masked and read-only\n"
  "paths, permissive device rules, bind mounts of sensitive host paths, mounts\n"
  "without nosuid/nodev, no memory or pids limit, no SELinux label or AppArmor\n"
  "profile where the host runs them, and hooks that run host binaries.\n\n"
  "Each finding has a severity (high, medium, low, info), the JSON path and a fix.\n"
  "The exit status is 1 when there is a high finding (or the config cannot be read).",
};

static void
print_text (const char *path, const struct audit_report *r)
{
  printf ("%s: %zu high, %zu medium, %zu low, %zu info\n", path,
          audit_report_count (r, AUDIT_HIGH), audit_report_count (r, AUDIT_MEDIUM),
          audit_report_count (r, AUDIT_LOW), audit_report_count (r, AUDIT_INFO));
  for (size_t i = 0; i < r->len; i++)
    {
      const struct audit_finding *f = &r->findings[i];
      printf ("\n%-6s  %s  %s\n", audit_severity_name (f->severity), f->rule, f->path);
      printf ("        %s\n", f->message);
      printf ("        fix: %s\n", f->fix);
    }
}

int
cmd_audit (struct cli *cli, int argc, char **argv)
{
  const char *bundle = NULL, *format = "text";
  const struct opt_spec specs[] = {
    { "bundle, b", OPT_STRING, &bundle,
      "path to the root of the bundle directory, defaults to the current directory", NULL },
    { "format, f", OPT_STRING, &format, "output format: text or json", NULL },
    { NULL },
  };
  struct audit_host host = { 0 };
  struct audit_report *r = NULL;
  struct spec_config *c;
  struct error *err = NULL;
  char *path = NULL, *json = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &audit_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &audit_doc, specs, nargs, 0, CLI_EXACT)) != 0)
    return status;
  if (strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    return cli_fail (cli, "invalid format option: %s (use text or json)", format);
  if (asprintf (&path, "%s/config.json", bundle && *bundle ? bundle : ".") < 0)
    return cli_fail (cli, "out of memory");
  c = spec_config_parse_file (path, &err);
  if (c == NULL)
    {
      free (path);
      return cli_fail_err (cli, &err, NULL);
    }
  host_audit_facts (&host);
  status = audit_config (c, &host, &r, &err);
  spec_config_free (c);
  if (status < 0)
    {
      free (path);
      return cli_fail_err (cli, &err, NULL);
    }
  if (strcmp (format, "json") == 0)
    {
      if (audit_report_json (r, true, &json, &err) < 0)
        {
          free (path);
          audit_report_free (r);
          return cli_fail_err (cli, &err, NULL);
        }
      printf ("%s\n", json);
      free (json);
    }
  else
    print_text (path, r);
  status = audit_report_count (r, AUDIT_HIGH) > 0 ? 1 : 0;
  audit_report_free (r);
  free (path);
  fflush (stdout);
  return status;
}
