/* check: what this host offers containers (libcontainer/hostcheck.c probes). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "libcontainer/hostcheck.h"
#include "spec/util/json.h"

static const struct cmd_doc check_doc = {
  "",
  "The check command reports whether this host can run containers, and how well it\n"
  "can isolate them: namespaces (also inside a user namespace), the cgroup layout and\n"
  "controllers, seccomp, the active security modules, capabilities, newer system\n"
  "calls capsa uses, overlayfs, rootless id-mapping tools, and costs the host adds to\n"
  "every container start. Each line is ok, limited, missing or info, with what it\n"
  "means for containers and how to improve it.\n\n"
  "The exit status is 0 when everything a default container needs is present.",
};

static int
print_json (const struct host_report *r)
{
  struct json_writer *w = json_writer_new (true);
  char *out = NULL;

  json_w_begin_object (w);
  json_w_key (w, "ready");
  json_w_bool (w, host_report_ready (r));
  json_w_key (w, "items");
  json_w_begin_array (w);
  for (size_t i = 0; i < r->len; i++)
    {
      const struct host_item *it = &r->items[i];
      json_w_begin_object (w);
      json_w_key (w, "name");
      json_w_string (w, it->name);
      json_w_key (w, "status");
      json_w_string (w, host_status_name (it->status));
      json_w_key (w, "value");
      json_w_string (w, it->value);
      json_w_key (w, "required");
      json_w_bool (w, it->required);
      json_w_key (w, "meaning");
      json_w_string (w, it->meaning);
      json_w_key (w, "fix");
      json_w_string (w, it->fix);
      json_w_end_object (w);
    }
  json_w_end_array (w);
  json_w_end_object (w);
  if (json_writer_finish (w, &out, NULL) < 0)
    return -1;
  printf ("%s\n", out);
  free (out);
  return 0;
}

static void
print_text (const struct host_report *r)
{
  size_t counts[4] = { 0 };
  for (size_t i = 0; i < r->len; i++)
    {
      const struct host_item *it = &r->items[i];
      counts[it->status]++;
      printf ("%-8s %-26s %s\n", host_status_name (it->status), it->name, it->value);
      printf ("         means: %s\n", it->meaning);
      if (it->fix)
        printf ("         fix:   %s\n", it->fix);
    }
  printf ("\n%s: %zu ok, %zu limited, %zu missing, %zu info\n",
          host_report_ready (r) ? "ready for default containers" : "NOT ready for default containers",
          counts[HOST_OK], counts[HOST_LIMITED], counts[HOST_MISSING], counts[HOST_INFO]);
}

int
cmd_check (struct cli *cli, int argc, char **argv)
{
  const char *format = "text";
  bool no_measure = false;
  const struct opt_spec specs[] = {
    { "format, f", OPT_STRING, &format, "output format: text or json", NULL },
    { "no-measure", OPT_BOOL, &no_measure,
      "do not time a cgroup v1 attach (which creates and removes a temporary cgroup)", NULL },
    { NULL },
  };
  struct host_check_options opts = { 0 };
  struct host_report *r = NULL;
  struct error *err = NULL;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &check_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &check_doc, specs, nargs, 0, CLI_EXACT)) != 0)
    return status;
  if (strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    return cli_fail (cli, "invalid format option: %s (use text or json)", format);
  opts.measure = !no_measure;
  if (host_check_run (&opts, &r, &err) < 0)
    return cli_fail_err (cli, &err, NULL);
  if (strcmp (format, "json") == 0)
    {
      if (print_json (r) < 0)
        {
          host_report_free (r);
          return cli_fail (cli, "write the check report");
        }
    }
  else
    print_text (r);
  status = host_report_ready (r) ? 0 : 1;
  host_report_free (r);
  fflush (stdout);
  return status;
}
