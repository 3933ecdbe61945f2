/* `capsa`: global options, the command table, and the helpers every command
 * uses to parse flags and report errors the way runc does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "libcontainer/vm/vm.h"
#include "exe_seal.h"
#include "log.h"
#include "namespaces.h"
#include "spec/util/cleanup.h"

#define DEFAULT_ROOT "/run/capsa"

/* One line per command; `capsa --help` lists them in this (alphabetical) order. */
static const struct command commands[] = {
  { "audit", "review a bundle's config.json for weakened isolation", cmd_audit },
  { "check", "report what this host offers containers", cmd_check },
  { "checkpoint", "checkpoint a running container", cmd_checkpoint },
  { "create", "create a container", cmd_create },
  { "delete", "delete any resources held by the container often used with detached container",
    cmd_delete },
  { "events", "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
    cmd_events },
  { "exec", "execute new process inside the container", cmd_exec },
  { "features", "show the enabled features", cmd_features },
  { "kill", "kill sends the specified signal (default: SIGTERM) to the container's init process",
    cmd_kill },
  { "list", "lists containers started by capsa with the given root", cmd_list },
  { "pause", "pause suspends all processes inside the container", cmd_pause },
  { "ps", "ps displays the processes running inside a container", cmd_ps },
  { "resume", "resumes all processes that have been previously paused", cmd_resume },
  { "restore", "restore a container from a previous checkpoint", cmd_restore },
  { "run", "create and run a container", cmd_run },
  { "spec", "create a new specification file", cmd_spec },
  { "start", "executes the user defined process in a created container", cmd_start },
  { "state", "output the state of a container", cmd_state },
  { "update", "update container resource constraints", cmd_update },
};

static const char app_description[] =
  "capsa is a command line client for running applications packaged according to\n"
  "the Open Container Initiative (OCI) format and is a compliant implementation of the\n"
  "Open Container Initiative specification. Its command line is that of runc.\n"
  "\n"
  "Containers are configured using bundles. A bundle for a container is a directory\n"
  "that includes a specification file named \"config.json\" and a root filesystem.\n"
  "The root filesystem contains the contents of the container.\n"
  "\n"
  "To start a new instance of a container:\n"
  "\n"
  "    # capsa run [ -b bundle ] <container-id>\n"
  "\n"
  "Where \"<container-id>\" is your name for the instance of the container that you\n"
  "are starting. The name you provide for the container instance must be unique on\n"
  "your host. Providing the bundle directory using \"-b\" is optional. The default\n"
  "value for \"bundle\" is the current directory.\n";

static char *
version_text (void)
{
  char *s = NULL;
  const struct scmp_version *v = seccomp_version ();
  if (asprintf (&s, "%s\nspec: %s\nlibseccomp: %u.%u.%u", CAPSA_VERSION, CAPSA_OCI_VERSION,
                v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0) < 0)
    return NULL;
  return s;
}

static void
print_app_help (FILE *f, const struct opt_spec *globals)
{
  _cleanup_free_ char *version = version_text ();
  fprintf (f, "NAME:\n   capsa - Open Container Initiative runtime\n\n%s\n", app_description);
  fprintf (f, "USAGE:\n   capsa [global options] command [command options] [arguments...]\n\n");
  fprintf (f, "VERSION:\n   %s\n\nCOMMANDS:\n", version ? version : CAPSA_VERSION);
  for (size_t i = 0; i < ARRAY_SIZE (commands); i++)
    fprintf (f, "   %-10s  %s\n", commands[i].name, commands[i].usage);
  fprintf (f, "   %-10s  %s\n\nGLOBAL OPTIONS:\n", "help, h",
           "Shows a list of commands or help for one command");
  opts_print_help (f, globals);
}

static const struct command *
find_command (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

/* ------------------------------------------------------------------------- */
/* Helpers shared by the commands (declared in commands.h). */

void
cli_print_command_help (struct cli *cli, const struct cmd_doc *doc, const struct opt_spec *specs)
{
  bool has_flags = specs && specs->names;
  printf ("NAME:\n   capsa %s - %s\n\nUSAGE:\n   capsa %s%s %s\n", cli->cmd->name,
          cli->cmd->usage, cli->cmd->name, has_flags ? " [command options]" : "",
          doc && doc->args_usage ? doc->args_usage : "[arguments...]");
  if (doc && doc->description)
    printf ("\nDESCRIPTION:\n   %s\n", doc->description);
  if (has_flags)
    {
      printf ("\nOPTIONS:\n");
      opts_print_help (stdout, specs);
    }
}

int
cli_fail (struct cli *cli, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  log_fatal (msg ? msg : "out of memory");
  return 1;
}

int
cli_fail_lookup (struct cli *cli, struct error **err)
{
  if (*err && lc_error_is_not_exist (*err))
    {
      error_free (err);
      return cli_fail (cli, "container does not exist");
    }
  return cli_fail_err (cli, err, NULL);
}

int
cli_fail_err (struct cli *cli, struct error **err, const char *prefix)
{
  const char *msg = *err && (*err)->msg ? (*err)->msg : "unknown error";
  if (prefix)
    cli_fail (cli, "%s: %s", prefix, msg);
  else
    cli_fail (cli, "%s", msg);
  error_free (err);
  return 1;
}

static int
parse_flags (struct cli *cli, const struct cmd_doc *doc, const struct opt_spec *specs, int argc,
             char **argv, bool reorder, char ***args, int *nargs, int *exit_status)
{
  _cleanup_free_ char *msg = NULL;
  int first = 0;
  switch (opts_parse (specs, argc - 1, argv + 1, reorder, &first, &msg))
    {
    case OPTS_OK:
      *args = argv + 1 + first;
      *nargs = argc - 1 - first;
      return 0;
    case OPTS_HELP:
      cli_print_command_help (cli, doc, specs);
      *exit_status = 0;
      return -1;
    default:
      /* urfave/cli: usage on stdout, the error itself to the log. */
      printf ("Incorrect Usage: %s\n\n", msg ? msg : "");
      cli_print_command_help (cli, doc, specs);
      *exit_status = cli_fail (cli, "%s", msg ? msg : "invalid flags");
      return -1;
    }
}

int
cli_parse (struct cli *cli, const struct cmd_doc *doc, const struct opt_spec *specs, int argc,
           char **argv, char ***args, int *nargs, int *exit_status)
{
  return parse_flags (cli, doc, specs, argc, argv, true, args, nargs, exit_status);
}

int
cli_parse_leading_flags (struct cli *cli, const struct cmd_doc *doc, const struct opt_spec *specs,
                         int argc, char **argv, char ***args, int *nargs, int *exit_status)
{
  return parse_flags (cli, doc, specs, argc, argv, false, args, nargs, exit_status);
}

int
cli_check_args (struct cli *cli, const struct cmd_doc *doc, const struct opt_spec *specs,
                int nargs, int expected, enum cli_nargs kind)
{
  const char *what;
  if (kind == CLI_EXACT && nargs != expected)
    what = "exactly";
  else if (kind == CLI_MIN && nargs < expected)
    what = "a minimum of";
  else if (kind == CLI_MAX && nargs > expected)
    what = "a maximum of";
  else
    return 0;
  printf ("Incorrect Usage.\n\n");
  cli_print_command_help (cli, doc, specs);
  fflush (stdout);
  return cli_fail (cli, "%s: \"%s\" requires %s %d argument(s)", cli->argv0, cli->cmd->name, what,
                   expected);
}

/* ------------------------------------------------------------------------- */

static int
absolute_path (const char *path, char **out)
{
  _cleanup_free_ char *cwd = NULL;
  if (path[0] == '/')
    return (*out = strdup (path)) ? 0 : -1;
  cwd = get_current_dir_name ();
  if (cwd == NULL)
    return -1;
  return asprintf (out, "%s/%s", cwd, path) < 0 ? -1 : 0;
}

/* Runs before capsa opens a single file, since a new fd takes the lowest free
 * number. Closed stdio becomes /dev/null, as glibc does for setuid programs
 * (else our --log file would become the container's stdout); then count the
 * fds from 3 on that the caller passed: --preserve-fds may hand over those and
 * never one of ours that filled a gap (runc#5474). */
static int
take_caller_fds (void)
{
  for (int fd = 0; fd < 3; fd++)
    if (fcntl (fd, F_GETFD) < 0 && errno == EBADF)
      {
        int null = open ("/dev/null", O_RDWR); /* stdio: no O_CLOEXEC */
        if (null >= 0 && null != fd)
          close (null); /* cannot happen: fd was the lowest free number */
      }
  int n = 0;
  while (fcntl (3 + n, F_GETFD) >= 0)
    n++;
  return n;
}

static int
help_command (struct cli *cli, const struct opt_spec *globals, int argc, char **argv)
{
  if (argc < 2)
    {
      print_app_help (stdout, globals);
      return 0;
    }
  const struct command *c = find_command (argv[1]);
  if (c == NULL)
    {
      cli_fail (cli, "No help topic for '%s'", argv[1]);
      return 3;
    }
  /* The command prints its own help, with its flags, for --help. */
  char *help_argv[] = { argv[1], (char *) "--help", NULL };
  cli->cmd = c;
  return c->run (cli, 2, help_argv);
}

/* The state root follows $XDG_RUNTIME_DIR for an ordinary user and for root
 * inside a user namespace (podman runs us so, where /run is not ours), but not
 * for the real root, nor for USER=root in a namespace (as runc decides). */
static bool
honor_xdg_runtime_dir (void)
{
  if (geteuid () != 0)
    return true;
  if (ns_in_initial_userns ())
    return false;
  const char *user = getenv ("USER");
  return user == NULL || strcmp (user, "root") != 0;
}

int
main (int argc, char **argv)
{
  /* In a VM container's guest, capsa is /init (libcontainer/vm/vm_guest.c). */
  if (vm_is_guest_init (argv[0]))
    vm_guest_main ();
  int passed_fds = take_caller_fds ();
  char **orig_argv = argv;
  struct cli cli = { .argv0 = argv[0] };
  const char *root = NULL, *log_path = NULL, *log_format = "text", *rootless = "auto";
  const char *criu = "criu", *isolation = NULL;
  bool debug = false, systemd = false, version = false, help = false;
  _cleanup_free_ char *default_root = NULL, *abs_root = NULL, *parse_msg = NULL;
  struct error *err = NULL;
  enum log_format fmt;
  int first = 0;

  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  if (xdg && *xdg && honor_xdg_runtime_dir () && asprintf (&default_root, "%s/capsa", xdg) < 0)
    default_root = NULL;
  _cleanup_free_ char *root_default_text = NULL;
  if (asprintf (&root_default_text, "\"%s\"", default_root ? default_root : DEFAULT_ROOT) < 0)
    root_default_text = NULL;

  const struct opt_spec globals[] = {
    { "debug", OPT_BOOL, &debug, "enable debug logging", NULL },
    { "log", OPT_STRING, &log_path,
      "set the log file to write capsa logs to (default is '/dev/stderr')", NULL },
    { "log-format", OPT_STRING, &log_format, "set the log format ('text' (default), or 'json')",
      "\"text\"" },
    { "root", OPT_STRING, &root,
      "root directory for storage of container state (this should be located in tmpfs)",
      root_default_text },
    { "criu", OPT_STRING, &criu, "path to the criu binary used for checkpoint and restore",
      "\"criu\"" },
    { "systemd-cgroup", OPT_BOOL, &systemd,
      "enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\" "
      "for e.g. \"system.slice:capsa:434234\"", NULL },
    { "rootless", OPT_STRING, &rootless,
      "ignore cgroup permission errors ('true', 'false', or 'auto')", "\"auto\"" },
    { "isolation", OPT_STRING, &isolation,
      "'vm' runs containers in their own VM unless the annotation run.capsa.isolation says "
      "otherwise ('container' is the default)", "\"container\"" },
    { "help, h", OPT_BOOL, &help, "show help", NULL },
    { "version, v", OPT_BOOL, &version, "print the version", NULL },
    { NULL },
  };

  switch (opts_parse (globals, argc - 1, argv + 1, false, &first, &parse_msg))
    {
    case OPTS_OK:
      break;
    case OPTS_HELP:
      print_app_help (stdout, globals);
      return 0;
    default:
      printf ("Incorrect Usage. %s\n\n", parse_msg ? parse_msg : "");
      print_app_help (stdout, globals);
      fflush (stdout);
      log_fatal (parse_msg ? parse_msg : "invalid flags");
      return 1;
    }
  argc -= 1 + first;
  argv += 1 + first;

  if (help)
    {
      print_app_help (stdout, globals);
      return 0;
    }
  if (version)
    {
      _cleanup_free_ char *v = version_text ();
      printf ("capsa version %s\n", v ? v : CAPSA_VERSION);
      return 0;
    }

  /* Like runc's app.Before: set up logging before looking at the command. */
  if (log_parse_format (log_format, &fmt, &err) < 0
      || log_setup (log_path, fmt, debug, &err) < 0)
    return cli_fail_err (&cli, &err, NULL);

  if (absolute_path (root ? root : default_root ? default_root : DEFAULT_ROOT, &abs_root) < 0)
    return cli_fail (&cli, "root directory: %s", strerror (errno));

  bool is_rootless;
  if (strcmp (rootless, "auto") == 0 || strcmp (rootless, "") == 0 || strcmp (rootless, "AUTO") == 0)
    /* runc's auto: not root, or root only inside a user namespace (podman
     * rootless, `unshare -r`), where no cgroup need be writable. */
    is_rootless = geteuid () != 0 || !ns_in_initial_userns ();
  else if (!opts_parse_bool (rootless, &is_rootless))
    return cli_fail (&cli, "strconv.ParseBool: parsing \"%s\": invalid syntax", rootless);

  cli.lc.root = abs_root;
  cli.lc.systemd_cgroup = systemd;
  if (isolation && strcmp (isolation, "vm") != 0 && strcmp (isolation, "container") != 0)
    return cli_fail (&cli, "--isolation: \"vm\" or \"container\", not \"%s\"", isolation);
  cli.lc.isolation = isolation;
  cli.lc.rootless = is_rootless;
  cli.lc.log_path = log_path;
  cli.lc.passed_fds = passed_fds;
  cli.debug = debug;
  cli.criu = criu;

  if (argc == 0)
    {
      print_app_help (stdout, globals);
      return 0;
    }
  if (strcmp (argv[0], "help") == 0 || strcmp (argv[0], "h") == 0)
    return help_command (&cli, globals, argc, argv);
  cli.cmd = find_command (argv[0]);
  if (cli.cmd == NULL)
    {
      /* urfave/cli falls back to its help command here: exit status 3. */
      cli_fail (&cli, "No help topic for '%s'", argv[0]);
      return 3;
    }
  /* CVE-2019-5736: commands that put processes into a container run from a
   * read-only image of this binary (one re-exec, skipped when already sealed). */
  if (strcmp (cli.cmd->name, "create") == 0 || strcmp (cli.cmd->name, "run") == 0
      || strcmp (cli.cmd->name, "exec") == 0)
    {
      if (exe_seal_ensure (orig_argv, environ, &err) < 0)
        return cli_fail_err (&cli, &err, NULL);
    }
  return cli.cmd->run (&cli, argc, argv);
}
