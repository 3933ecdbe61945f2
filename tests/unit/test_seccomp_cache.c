/* The compiled-program cache: a first call compiles and stores, a second one
 * loads the stored program, and that program filters exactly like the compiled
 * one; a changed profile or a damaged file is a miss, never a wrong filter. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp_filter.h"
#include "unit.h"

static char cache_dir[256];

/* Denies getppid with errno `e`, allows the rest. */
static struct spec_seccomp
profile (uint32_t *e, char **names, struct spec_seccomp_syscall *sc)
{
  names[0] = (char *) "getppid";
  *sc = (struct spec_seccomp_syscall){ .names = names, .names_len = 1,
                                       .action = (char *) "SCMP_ACT_ERRNO", .errno_ret = *e,
                                       .has_errno_ret = true };
  return (struct spec_seccomp){ .default_action = (char *) "SCMP_ACT_ALLOW", .syscalls = sc,
                                .syscalls_len = 1 };
}

static int
count_files (void)
{
  int n = 0;
  DIR *d = opendir (cache_dir);
  struct dirent *de;
  while (d && (de = readdir (d)))
    if (de->d_name[0] != '.')
      n++;
  if (d)
    closedir (d);
  return n;
}

/* Load the plan in a child; report getppid's errno as the exit status. */
static int
errno_under (struct seccomp_plan *p)
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      struct error *err = NULL;
      if (seccomp_plan_load (p, &err) < 0)
        _exit (250);
      if (syscall (SYS_getppid) >= 0)
        _exit (0);
      _exit (errno);
    }
  int status;
  waitpid (pid, &status, 0);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static char *
only_file (void)
{
  static char path[512];
  DIR *d = opendir (cache_dir);
  struct dirent *de;
  path[0] = '\0';
  while (d && (de = readdir (d)))
    if (de->d_name[0] != '.')
      snprintf (path, sizeof path, "%s/%s", cache_dir, de->d_name);
  if (d)
    closedir (d);
  return path;
}

int
main (void)
{
  char tmpl[] = "/tmp/capsa-seccomp-cache-XXXXXX";
  CHECK (mkdtemp (tmpl) != NULL);
  snprintf (cache_dir, sizeof cache_dir, "%s/.cache/seccomp", tmpl);

  uint32_t e = 42;
  char *names[1];
  struct spec_seccomp_syscall sc;
  struct spec_seccomp s = profile (&e, names, &sc);
  struct seccomp_plan *first = NULL, *second = NULL, *other = NULL, *damaged = NULL;
  struct error *err = NULL;

  CHECK (seccomp_plan_cached (&s, cache_dir, &first, &err) == 0);
  CHECK (count_files () == 1);
  CHECK (errno_under (first) == 42);

  /* A hit: the stored program, same behaviour, no new file. */
  char *stored = only_file ();
  struct stat before;
  CHECK (stat (stored, &before) == 0);
  CHECK (seccomp_plan_cached (&s, cache_dir, &second, &err) == 0);
  CHECK (count_files () == 1);
  CHECK (errno_under (second) == 42);

  /* Another errno is another profile: a miss, compiled and stored beside. */
  e = 43;
  s = profile (&e, names, &sc);
  CHECK (seccomp_plan_cached (&s, cache_dir, &other, &err) == 0);
  CHECK (count_files () == 2);
  CHECK (errno_under (other) == 43);

  /* A damaged file is ignored (recompiled and rewritten), not loaded. */
  e = 42;
  s = profile (&e, names, &sc);
  int fd = open (stored, O_WRONLY);
  CHECK (fd >= 0 && ftruncate (fd, before.st_size - 8) == 0);
  if (fd >= 0)
    close (fd);
  CHECK (seccomp_plan_cached (&s, cache_dir, &damaged, &err) == 0);
  CHECK (errno_under (damaged) == 42);
  struct stat after;
  CHECK (stat (stored, &after) == 0 && after.st_size == before.st_size);

  /* Config errors still come from the compile, with the JSON path. */
  struct spec_seccomp bad = s;
  struct spec_seccomp_syscall badsc = sc;
  badsc.action = (char *) "SCMP_ACT_NOPE";
  bad.syscalls = &badsc;
  struct seccomp_plan *none = NULL;
  CHECK (seccomp_plan_cached (&bad, cache_dir, &none, &err) < 0 && none == NULL);
  CHECK_CONTAINS (err ? err->msg : NULL, "linux.seccomp.syscalls[0].action");
  error_free (&err);

  seccomp_plan_free (first);
  seccomp_plan_free (second);
  seccomp_plan_free (other);
  seccomp_plan_free (damaged);
  char cmd[600];
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmpl);
  CHECK (system (cmd) == 0);
  return unit_finish ("test_seccomp_cache");
}
