/* spec: write a starter config.json into a bundle. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "spec/defaults.h"
#include "spec/hardened.h"
#include "spec/util/cleanup.h"

static const struct cmd_doc spec_doc = {
  "",
  "The spec command creates the new specification file named \"config.json\" for\n"
  "the bundle.\n\n"
  "The spec generated is just a starter file. Editing of the spec is required to\n"
  "achieve desired results. For example, the newly generated spec includes an args\n"
  "parameter that is initially set to call the \"sh\" command when the container is\n"
  "started. Calling \"sh\" may work for an ubuntu container or busybox, but will not\n"
  "work for containers that do not include the \"sh\" program.\n\n"
  "EXAMPLE:\n"
  "  To run a busybox shell, put a static busybox into rootfs/bin and:\n\n"
  "    mkdir -p mycontainer/rootfs/bin\n"
  "    cp /bin/busybox mycontainer/rootfs/bin/ && ln -s busybox mycontainer/rootfs/bin/sh\n"
  "    cd mycontainer\n"
  "    capsa spec\n"
  "    capsa run container1\n\n"
  "In the run command above, \"container1\" is the name for the instance of the\n"
  "container that you are starting. The name you provide for the container instance\n"
  "must be unique on your host.\n\n"
  "To run without root privileges, pass --rootless to generate a spec with a user\n"
  "namespace that maps your user id to root inside the container.",
};

static int
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      buf += n;
      len -= n;
    }
  return 0;
}

int
cmd_spec (struct cli *cli, int argc, char **argv)
{
  const char *bundle = NULL;
  bool rootless = false, hardened = false;
  const struct opt_spec specs[] = {
    { "bundle, b", OPT_STRING, &bundle, "path to the root of the bundle directory", NULL },
    { "rootless", OPT_BOOL, &rootless, "generate a configuration for a rootless container",
      NULL },
    { "hardened", OPT_BOOL, &hardened,
      "generate a hardened configuration (seccomp allowlist, no_new_privileges, few "
      "capabilities, read-only rootfs, limits; see capsa-audit(8))", NULL },
    { NULL },
  };
  _cleanup_free_ char *json = NULL, *path = NULL;
  _cleanup_close_ int fd = -1;
  struct error *err = NULL;
  struct stat st;
  char **args;
  int nargs, status;

  if (cli_parse (cli, &spec_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &spec_doc, specs, nargs, 0, CLI_EXACT)) != 0)
    return status;
  if (bundle && *bundle)
    {
      if (stat (bundle, &st) < 0)
        return cli_fail (cli, "chdir %s: %s", bundle, strerror (errno));
      if (!S_ISDIR (st.st_mode))
        return cli_fail (cli, "chdir %s: %s", bundle, strerror (ENOTDIR));
      if (asprintf (&path, "%s/config.json", bundle) < 0)
        return cli_fail (cli, "out of memory");
    }
  else if ((path = strdup ("config.json")) == NULL)
    return cli_fail (cli, "out of memory");

  if (lstat (path, &st) == 0)
    return cli_fail (cli, "File config.json exists. Remove it first");
  if (errno != ENOENT)
    return cli_fail (cli, "stat %s: %s", path, strerror (errno));
  if ((hardened ? spec_hardened_config_json (rootless, &json, &err)
                : spec_default_config_json (rootless, &json, &err)) < 0)
    return cli_fail_err (cli, &err, NULL);
  /* O_EXCL: never overwrite a config.json that appeared meanwhile. */
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return cli_fail (cli, "File config.json exists. Remove it first");
      return cli_fail (cli, "open %s: %s", path, strerror (errno));
    }
  if (write_all (fd, json, strlen (json)) < 0)
    return cli_fail (cli, "write %s: %s", path, strerror (errno));
  return 0;
}
