/* proc_mount_check: what may be mounted at or below /proc (runc's rules). */
#include "libcontainer/proc_mount_check.h"
#include "unit.h"

static int
check (const char *dest, const char *type, const char *src)
{
  struct error *err = NULL;
  int r = proc_mount_check (dest, type, src, &err);
  error_free (&err);
  return r;
}

int
main (void)
{
  CHECK (check ("/proc", "proc", NULL) == 0);
  CHECK (check ("/proc", "bind", "/proc") == 0);           /* a procfs source */
  CHECK (check ("/proc", "bind", "/tmp") < 0);             /* CVE-2019-16884 volume */
  CHECK (check ("/proc", "tmpfs", NULL) < 0);
  CHECK (check ("/proc/", "tmpfs", NULL) < 0);
  CHECK (check ("//proc/./", "tmpfs", NULL) < 0);
  CHECK (check ("/proc/meminfo", "bind", "/tmp") == 0);    /* lxcfs-style */
  CHECK (check ("/proc/cpuinfo", "bind", "/tmp") == 0);
  CHECK (check ("/proc/self/attr", "bind", "/tmp") < 0);
  CHECK (check ("/proc/sys", "tmpfs", NULL) < 0);
  CHECK (check ("/proc/x/../self", "tmpfs", NULL) < 0);
  CHECK (check ("/etc/../proc/self", "tmpfs", NULL) < 0);
  CHECK (check ("/procfoo", "tmpfs", NULL) == 0);
  CHECK (check ("/tmp/proc", "tmpfs", NULL) == 0);
  CHECK (check ("/proc/../tmp", "tmpfs", NULL) == 0);
  CHECK (check ("/sys", "sysfs", NULL) == 0);

  struct error *err = NULL;
  CHECK (proc_mount_check ("/proc/self/attr", "bind", "/x", &err) < 0);
  CHECK_CONTAINS (err ? err->msg : "", "cannot be mounted because it is inside /proc");
  error_free (&err);
  err = NULL;
  CHECK (proc_mount_check ("/proc", "bind", "/tmp", &err) < 0);
  CHECK_CONTAINS (err ? err->msg : "", "is not of type proc");
  error_free (&err);
  return unit_finish ("test_proc_mount_check");
}
