/* ps: the processes of a container, as a JSON list of pids or as the host's
 * ps(1) output filtered down to the container's pids (runc's way). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "ps_argv.h"
#include "spec/util/cleanup.h"

static const struct cmd_doc ps_doc = {
  "<container-id> [ps options]",
  NULL,
};

/* Run ps with args (argv[0] = "ps"); its stdout into *out. */
static int
run_ps (struct cli *cli, char **argv, char **out)
{
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return cli_fail (cli, "pipe: %m"), -1;
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    return cli_fail (cli, "fork: %m"), -1;
  if (pid == 0)
    {
      dup2 (pipefd[1], STDOUT_FILENO);
      dup2 (pipefd[1], STDERR_FILENO);
      execvp ("ps", argv);
      fprintf (stderr, "exec: \"ps\": %s\n", strerror (errno));
      _exit (127);
    }
  close (pipefd[1]);
  FILE *f = fdopen (pipefd[0], "r");
  size_t len = 0;
  FILE *mem = open_memstream (out, &len);
  char buf[8192];
  size_t n;
  while (f && mem && (n = fread (buf, 1, sizeof buf, f)) > 0)
    fwrite (buf, 1, n, mem);
  if (f)
    fclose (f);
  else
    close (pipefd[0]);
  if (mem)
    fclose (mem);
  int st;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (*out == NULL)
    return cli_fail (cli, "read ps output: out of memory"), -1;
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0)
    {
      if (WIFEXITED (st))
        cli_fail (cli, "exit status %d: %s", WEXITSTATUS (st), *out);
      else
        cli_fail (cli, "ps: killed by signal %d", WTERMSIG (st));
      return -1;
    }
  return 0;
}

static bool
has_pid (const pid_t *pids, size_t n, long p)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == p)
      return true;
  return false;
}

/* Print the header and every line whose PID column is one of pids. */
static int
print_table (struct cli *cli, char *text, const pid_t *pids, size_t n)
{
  char *save = NULL;
  char *header = strtok_r (text, "\n", &save);
  int col = -1;
  if (header)
    {
      _cleanup_free_ char *copy = strdup (header);
      int i = 0;
      for (char *s2 = NULL, *t = copy ? strtok_r (copy, " \t", &s2) : NULL; t;
           t = strtok_r (NULL, " \t", &s2), i++)
        if (strcmp (t, "PID") == 0)
          {
            col = i;
            break;
          }
    }
  if (col < 0)
    return cli_fail (cli, "couldn't find PID field in ps output");
  printf ("%s\n", header);
  for (char *line = strtok_r (NULL, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      _cleanup_free_ char *copy = strdup (line);
      char *t = NULL, *s2 = NULL;
      int i = 0;
      for (t = copy ? strtok_r (copy, " \t", &s2) : NULL; t && i < col;
           t = strtok_r (NULL, " \t", &s2))
        i++;
      if (t == NULL)
        continue;
      char *end;
      long p = strtol (t, &end, 10);
      if (*end != '\0')
        return cli_fail (cli, "unexpected pid '%s': strconv.Atoi: parsing \"%s\": invalid syntax",
                         t, t);
      if (has_pid (pids, n, p))
        printf ("%s\n", line);
    }
  return 0;
}

int
cmd_ps (struct cli *cli, int argc, char **argv)
{
  const char *format = "table";
  const struct opt_spec specs[] = {
    { "format, f", OPT_STRING, &format, "select one of: table or json", "\"table\"" },
    { NULL },
  };
  _cleanup_free_ pid_t *pids = NULL;
  struct error *err = NULL;
  size_t n = 0;
  int status;

  /* Like runc, flags stop at the container id: the rest goes to ps. */
  char **args;
  int nargs;
  if (cli_parse_leading_flags (cli, &ps_doc, specs, argc, argv, &args, &nargs, &status) < 0)
    return status;
  if ((status = cli_check_args (cli, &ps_doc, specs, nargs, 1, CLI_MIN)) != 0)
    return status;
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return cli_fail (cli, "invalid format option");
  if (lc_validate_id (args[0], &err) < 0)
    return cli_fail_err (cli, &err, NULL);
  /* A VM container's processes are in its guest: the guest lists them (PID
   * CMD); ps options do not apply there. */
  _cleanup_free_ char *vm_table = NULL;
  if (strcmp (format, "table") == 0 && lc_ps_vm_table (&cli->lc, args[0], &vm_table, &err) < 0)
    return cli_fail_lookup (cli, &err);
  if (vm_table)
    {
      fputs (vm_table, stdout);
      return fflush (stdout) == 0 ? 0 : cli_fail (cli, "write: %m");
    }

  if (lc_ps (&cli->lc, args[0], &pids, &n, &err) < 0)
    return cli_fail_lookup (cli, &err);

  if (strcmp (format, "json") == 0)
    {
      /* Go's json encoding of []int: "[1,2]", "[]" when empty, then a newline */
      putchar ('[');
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) pids[i]);
      printf ("]\n");
      return fflush (stdout) == 0 ? 0 : cli_fail (cli, "write: %m");
    }

  /* ps options after the id */
  _cleanup_free_ char **ps_argv = ps_argv_build (args + 1, nargs - 1);
  if (ps_argv == NULL)
    return cli_fail (cli, "out of memory");
  _cleanup_free_ char *text = NULL;
  if (run_ps (cli, ps_argv, &text) < 0)
    return 1;
  if (print_table (cli, text, pids, n) != 0)
    return 1;
  return fflush (stdout) == 0 ? 0 : cli_fail (cli, "write: %m");
}
