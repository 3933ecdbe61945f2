/* Path resolution inside a root (openat2 and the userspace fallback), mount
 * target creation, atomic writes, file reads, tree removal. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "libcontainer/util/fs.h"
#include "spec/util/cleanup.h"

static char base[] = "/tmp/capsa-test-fs-XXXXXX";
static char rootp[256];
static int rootfd = -1;

static void
put (const char *rel, const char *content)
{
  char p[512];
  snprintf (p, sizeof p, "%s/%s", base, rel);
  FILE *f = fopen (p, "w");
  if (f)
    {
      fputs (content, f);
      fclose (f);
    }
}

static void
mk (const char *rel)
{
  char p[512];
  snprintf (p, sizeof p, "%s/%s", base, rel);
  mkdir (p, 0755);
}

static void
ln (const char *target, const char *rel)
{
  char p[512];
  snprintf (p, sizeof p, "%s/%s", base, rel);
  symlink (target, p);
}

static int
exists (const char *rel)
{
  char p[512];
  struct stat sb;
  snprintf (p, sizeof p, "%s/%s", base, rel);
  return lstat (p, &sb) == 0;
}

/* Read what an fd opened in the root contains ("" on error). */
static const char *
slurp_fd (int fd)
{
  static char buf[256];
  buf[0] = '\0';
  if (fd < 0)
    return "(open failed)";
  ssize_t r = read (fd, buf, sizeof buf - 1);
  buf[r > 0 ? r : 0] = '\0';
  close (fd);
  return buf;
}

static const char *
read_in_root (const char *path)
{
  struct error *err = NULL;
  int fd = fs_open_in_root (rootfd, path, O_RDONLY, 0, &err);
  error_free (&err);
  return slurp_fd (fd);
}

static int
errno_in_root (const char *path, int flags)
{
  struct error *err = NULL;
  int fd = fs_open_in_root (rootfd, path, flags, 0, &err);
  if (fd >= 0)
    {
      close (fd);
      return 0;
    }
  int e = err ? err->errnum : -1;
  error_free (&err);
  return e;
}

static void
setup (void)
{
  if (mkdtemp (base) == NULL)
    {
      perror ("mkdtemp");
      exit (1);
    }
  /* The host side of the test: files an escape would reach. */
  mk ("etc");
  put ("etc/passwd", "host");
  mk ("outside");
  /* The root. */
  mk ("root");
  mk ("root/etc");
  put ("root/etc/passwd", "root");
  mk ("root/a");
  mk ("root/a/b");
  ln ("/", "root/link_root");
  ln ("../../..", "root/link_up");
  ln ("/etc", "root/abs_etc");
  ln ("../../../../../../etc", "root/rel_escape");
  ln ("../../../../etc/passwd", "root/a/b/up");
  ln ("/link_up/../etc/passwd", "root/a/b/mixed");
  ln ("loop2", "root/loop1");
  ln ("loop1", "root/loop2");
  char outside[300];
  snprintf (outside, sizeof outside, "%s/outside", base);
  ln (outside, "root/dev"); /* absolute host path: must not be honoured */
  /* Symlink chains: c0 -> c1 -> ... -> cN -> etc/passwd */
  for (int i = 0; i < 50; i++)
    {
      char name[32], target[32];
      snprintf (name, sizeof name, "root/c%d", i);
      if (i == 49)
        snprintf (target, sizeof target, "etc/passwd");
      else
        snprintf (target, sizeof target, "c%d", i + 1);
      ln (target, name);
    }
  snprintf (rootp, sizeof rootp, "%s/root", base);
  rootfd = open (rootp, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void
test_resolution (const char *mode)
{
  fprintf (stderr, "-- resolution with %s\n", mode);
  CHECK_STR (read_in_root ("/etc/passwd"), "root");
  CHECK_STR (read_in_root ("etc/passwd"), "root");
  CHECK_STR (read_in_root ("/link_root/etc/passwd"), "root");
  CHECK_STR (read_in_root ("/link_root/link_root/etc/passwd"), "root");
  CHECK_STR (read_in_root ("link_up/etc/passwd"), "root");
  CHECK_STR (read_in_root ("../../../etc/passwd"), "root");
  CHECK_STR (read_in_root ("/a/../../../etc/passwd"), "root");
  CHECK_STR (read_in_root ("abs_etc/passwd"), "root");
  CHECK_STR (read_in_root ("rel_escape/passwd"), "root");
  CHECK_STR (read_in_root ("/a/b/up"), "root");
  CHECK_STR (read_in_root ("/a/b/mixed"), "root");
  CHECK_STR (read_in_root ("/a//b/./up"), "root");
  CHECK_STR (read_in_root ("c20"), "root"); /* 30 links */
  CHECK (errno_in_root ("c0", O_RDONLY) == ELOOP); /* 50 links > 40 */
  CHECK (errno_in_root ("loop1", O_RDONLY) == ELOOP);
  CHECK (errno_in_root ("dev/x", O_RDONLY) == ENOENT);
  CHECK (errno_in_root ("etc/passwd/x", O_RDONLY) == ENOTDIR);
  CHECK (errno_in_root ("etc/missing", O_RDONLY) == ENOENT);

  /* The root itself, however it is spelled. */
  struct error *err = NULL;
  struct stat a, b;
  fstat (rootfd, &a);
  const char *roots[] = { "/", "", ".", "..", "/link_root", "link_up/.." };
  for (size_t i = 0; i < ARRAY_SIZE (roots); i++)
    {
      int fd = fs_open_in_root (rootfd, roots[i], O_PATH | O_DIRECTORY, 0, &err);
      CHECK (fd >= 0);
      if (fd >= 0)
        {
          fstat (fd, &b);
          CHECK (a.st_ino == b.st_ino && a.st_dev == b.st_dev);
          close (fd);
        }
      error_free (&err);
    }

  /* O_NOFOLLOW on the last component yields the link itself. */
  int fd = fs_open_in_root (rootfd, "/link_root", O_PATH | O_NOFOLLOW, 0, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    {
      fstat (fd, &b);
      CHECK (S_ISLNK (b.st_mode));
      close (fd);
    }
  CHECK (errno_in_root ("/link_root", O_RDONLY | O_NOFOLLOW) == ELOOP);

  /* O_CREAT through a symlink stays inside. */
  fd = fs_open_in_root (rootfd, "/link_up/etc/created", O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    close (fd);
  CHECK (exists ("root/etc/created"));
  CHECK (!exists ("etc/created"));
  CHECK (errno_in_root ("/etc/created", O_WRONLY | O_CREAT | O_EXCL) == EEXIST);
  unlinkat (rootfd, "etc/created", 0);
  error_free (&err);

  /* The error message names the path. */
  fd = fs_open_in_root (rootfd, "/nope", O_RDONLY, 0, &err);
  CHECK (fd < 0 && err);
  if (err)
    CHECK_CONTAINS (err->msg, "\"/nope\"");
  error_free (&err);
}

static void
test_mkdir_and_targets (const char *mode)
{
  struct error *err = NULL;
  struct stat sb;
  fprintf (stderr, "-- mkdir/targets with %s\n", mode);

  /* "dev" points at a real host directory: creation must land inside the root. */
  /* The symlink dangles inside the root: its target is created there (as runc
   * does for volumes on such links), never on the host. */
  int fd = fs_mkdir_p_in_root (rootfd, "/dev/pts/sub", 0755, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    close (fd);
  error_free (&err);
  CHECK (!exists ("outside/pts"));
  /* Links that point at each other end in ELOOP, not in an endless walk. */
  ln ("/loop_b/sub", "root/loop_a");
  ln ("/loop_a/sub", "root/loop_b");
  fd = fs_mkdir_p_in_root (rootfd, "/loop_a/x", 0755, &err);
  CHECK (fd < 0 && err && err->errnum == ELOOP);
  if (fd >= 0)
    close (fd);
  error_free (&err);
  fd = fs_make_mount_target (rootfd, "/loop_a", false, &err);
  CHECK (fd < 0 && err);
  if (fd >= 0)
    close (fd);
  error_free (&err);
  /* Once the target exists inside the root, the symlink leads there too. */
  fd = fs_mkdir_p_in_root (rootfd, "/dev/pts/sub", 0755, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    close (fd);
  error_free (&err);
  CHECK (!exists ("outside/pts"));
  char inside[512];
  snprintf (inside, sizeof inside, "root%s/outside/pts/sub", base);
  error_free (&err);
  CHECK (exists (inside));

  fd = fs_mkdir_p_in_root (rootfd, "link_up/../x/y/z", 0755, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    {
      CHECK (fstat (fd, &sb) == 0 && S_ISDIR (sb.st_mode));
      close (fd);
    }
  CHECK (exists ("root/x/y/z"));
  CHECK (!exists ("x"));
  error_free (&err);

  /* mkdir_p over a file fails with a message naming the prefix. */
  fd = fs_mkdir_p_in_root (rootfd, "/etc/passwd/sub", 0755, &err);
  CHECK (fd < 0);
  if (err)
    CHECK_CONTAINS (err->msg, "/etc/passwd");
  error_free (&err);

  /* File mount targets: parents are created, the file is empty. */
  fd = fs_make_mount_target (rootfd, "/link_root/m/n/file", false, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    {
      CHECK (fstat (fd, &sb) == 0 && S_ISREG (sb.st_mode) && sb.st_size == 0);
      close (fd);
    }
  CHECK (exists ("root/m/n/file"));
  CHECK (!exists ("m"));
  error_free (&err);
  /* An existing file is reused, not truncated. */
  fd = fs_make_mount_target (rootfd, "/etc/passwd", false, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    close (fd);
  CHECK_STR (read_in_root ("/etc/passwd"), "root");
  error_free (&err);
  /* A directory target. */
  fd = fs_make_mount_target (rootfd, "/abs_etc/newdir", true, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    close (fd);
  CHECK (exists ("root/etc/newdir"));
  CHECK (!exists ("etc/newdir"));
  error_free (&err);

  /* Clean up what this pass created so the other mode starts equal. */
  const char *made[] = { "x", "m", "etc/newdir", "tmp" };
  for (size_t i = 0; i < ARRAY_SIZE (made); i++)
    {
      char p[512];
      snprintf (p, sizeof p, "%s/%s", rootp, made[i]);
      CHECK (fs_remove_tree (p, &err) == 0);
      error_free (&err);
    }
  CHECK (!exists ("root/x") && !exists ("root/m") && !exists ("root/tmp"));
}

static void
test_files (void)
{
  struct error *err = NULL;
  char p[512], *out = NULL;
  size_t len = 0;
  struct stat sb;

  snprintf (p, sizeof p, "%s/atomic", base);
  CHECK (fs_write_file_atomic (p, "one", 3, 0640, &err) == 0);
  CHECK (fs_read_file (p, &out, &len, &err) == 0);
  CHECK_STR (out, "one");
  CHECK (len == 3);
  free (out);
  CHECK (stat (p, &sb) == 0 && (sb.st_mode & 07777) == 0640);
  CHECK (fs_write_file_atomic (p, "second", 6, 0600, &err) == 0);
  CHECK (fs_read_file (p, &out, &len, &err) == 0);
  CHECK_STR (out, "second");
  free (out);
  CHECK (stat (p, &sb) == 0 && (sb.st_mode & 07777) == 0600);
  /* No temporary file is left behind. */
  int dfd = open (base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_closedir_ DIR *d = fdopendir (dfd);
  struct dirent *de;
  int temps = 0;
  while (d && (de = readdir (d)))
    if (strncmp (de->d_name, ".atomic.", 8) == 0)
      temps++;
  CHECK (temps == 0);
  /* Atomic write into a missing directory fails and says where. */
  snprintf (p, sizeof p, "%s/nodir/f", base);
  CHECK (fs_write_file_atomic (p, "x", 1, 0600, &err) == -1);
  CHECK (err && err->errnum == ENOENT);
  error_free (&err);

  /* fs_write_file never creates. */
  snprintf (p, sizeof p, "%s/notthere", base);
  CHECK (fs_write_file (p, "x", 1, &err) == -1);
  CHECK (err && err->errnum == ENOENT);
  error_free (&err);
  CHECK (!exists ("notthere"));
  snprintf (p, sizeof p, "%s/atomic", base);
  CHECK (fs_write_file (p, "ab", 2, &err) == 0);
  CHECK (fs_read_file (p, &out, NULL, &err) == 0);
  CHECK_STR (out, "ab");
  free (out);
  int bfd = open (base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  CHECK (fs_write_file_at (bfd, "atomic", "xyz", 3, &err) == 0);
  CHECK (fs_read_file_at (bfd, "atomic", &out, &len, &err) == 0);
  CHECK_STR (out, "xyz");
  free (out);
  close (bfd);

  /* procfs files have size 0 but content. */
  CHECK (fs_read_file ("/proc/self/status", &out, &len, &err) == 0);
  CHECK (len > 100);
  CHECK_CONTAINS (out, "Name:");
  free (out);
  CHECK (fs_read_file ("/nonexistent/x", &out, &len, &err) == -1);
  if (err)
    CHECK_CONTAINS (err->msg, "\"/nonexistent/x\"");
  error_free (&err);
}

static void
test_mkdir_all (void)
{
  char p[512], file[512];
  snprintf (p, sizeof p, "%s/all/a/b/c", base);
  CHECK (fs_mkdir_all (p, 0700) == 0);
  CHECK (exists ("all/a/b/c"));
  CHECK (fs_mkdir_all (p, 0700) == 0); /* existing is fine */
  /* A file in the way fails with errno set for the caller's message. */
  put ("all/file", "x");
  snprintf (file, sizeof file, "%s/all/file/sub", base);
  errno = 0;
  CHECK (fs_mkdir_all (file, 0700) == -1);
  CHECK (errno == ENOTDIR);
}

static void
test_remove_tree (void)
{
  struct error *err = NULL;
  put ("outside/keep", "keep");
  char p[512];
  snprintf (p, sizeof p, "%s/outside", base);
  ln (p, "root/a/to_outside");
  put ("root/a/b/file", "x");
  /* Removing the root must not follow its symlinks to the host. */
  CHECK (fs_remove_tree (rootp, &err) == 0);
  error_free (&err);
  CHECK (!exists ("root"));
  CHECK (exists ("outside/keep"));
  CHECK (fs_remove_tree (rootp, &err) == 0); /* missing is fine */
  CHECK (fs_remove_tree (base, &err) == 0);
  CHECK (access (base, F_OK) != 0);
  error_free (&err);
}

int
main (void)
{
  setup ();
  CHECK (rootfd >= 0);

  fs_set_openat2_disabled (false);
  test_resolution ("openat2");
  test_mkdir_and_targets ("openat2");

  fs_set_openat2_disabled (true);
  test_resolution ("userspace fallback");
  test_mkdir_and_targets ("userspace fallback");
  fs_set_openat2_disabled (false);

  test_files ();
  test_mkdir_all ();
  close (rootfd);
  test_remove_tree ();
  return unit_finish ("test_fs");
}
