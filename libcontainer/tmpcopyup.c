#define _GNU_SOURCE
/* tmpcopyup: copy what the image had under a directory into the fresh tmpfs
 * that will cover it.  The walk keeps its own stack on the heap: the image
 * decides how deep the tree is, and a recursion with a buffer per level ran
 * the init out of stack (SIGSEGV) at 200 levels. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts_internal.h"
#include "spec/util/cleanup.h"

#define COPY_BUF_SIZE 65536

struct copy_frame
{
  DIR *src;
  int dst;    /* the copy, opened for fchmod */
  mode_t mode; /* the image directory's mode, applied when done */
};

static int
copy_file (int sdir, int ddir, const char *name, const struct stat *sb, char *buf)
{
  _cleanup_close_ int s = openat (sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (s < 0)
    return -1;
  _cleanup_close_ int t = openat (ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                  sb->st_mode & 07777);
  if (t < 0)
    return -1;
  ssize_t rd;
  while ((rd = read (s, buf, COPY_BUF_SIZE)) != 0)
    {
      if (rd < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      for (ssize_t off = 0; off < rd;)
        {
          ssize_t w = write (t, buf + off, (size_t) (rd - off));
          if (w < 0)
            {
              if (errno == EINTR)
                continue;
              return -1;
            }
          off += w;
        }
    }
  return 0;
}

static int
copy_symlink (int sdir, int ddir, const char *name)
{
  char target[4096];
  ssize_t l = readlinkat (sdir, name, target, sizeof target - 1);
  if (l < 0)
    return -1;
  target[l] = '\0';
  return symlinkat (target, ddir, name);
}

/* Open a directory entry of `parent` as the next frame: source for reading,
 * destination (just created, still 0700) for fchmod. */
static int
push_dir (struct copy_frame *f, int sparent, int dparent, const char *name)
{
  int s = openat (sparent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (s < 0)
    return -1;
  f->src = fdopendir (s);
  if (f->src == NULL)
    {
      close (s);
      return -1;
    }
  f->dst = openat (dparent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (f->dst < 0)
    {
      closedir (f->src);
      return -1;
    }
  return 0;
}

static void
pop_dir (struct copy_frame *f)
{
  closedir (f->src);
  close (f->dst);
}

/* One entry of the directory at the top of the stack.  Returns 1 when it is a
 * directory to descend into (created, not yet entered), 0 when copied. */
static int
copy_entry (struct copy_frame *f, const char *name, char *buf, mode_t *dir_mode)
{
  struct stat sb;
  int sdir = dirfd (f->src);
  if (fstatat (sdir, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
    return -1;
  int r = 0;
  if (S_ISDIR (sb.st_mode))
    {
      if (mkdirat (f->dst, name, 0700) < 0 && errno != EEXIST)
        return -1;
      *dir_mode = sb.st_mode & 07777;
      r = 1;
    }
  else if (S_ISLNK (sb.st_mode))
    r = copy_symlink (sdir, f->dst, name);
  else if (S_ISREG (sb.st_mode))
    r = copy_file (sdir, f->dst, name, &sb, buf);
  else
    r = mknodat (f->dst, name, sb.st_mode, sb.st_rdev);
  if (r < 0)
    return -1;
  /* Owner first: chown clears set-id bits, the mode puts them back (and
   * undoes the umask). */
  fchownat (f->dst, name, sb.st_uid, sb.st_gid, AT_SYMLINK_NOFOLLOW);
  if (!S_ISLNK (sb.st_mode) && !S_ISDIR (sb.st_mode))
    fchmodat (f->dst, name, sb.st_mode & 07777, 0);
  return r;
}

int
tmpcopyup_tree (int from, int to, struct error **err)
{
  _cleanup_free_ struct copy_frame *st = calloc (TMPCOPYUP_MAX_DEPTH + 1, sizeof *st);
  _cleanup_free_ char *buf = malloc (COPY_BUF_SIZE);
  if (st == NULL || buf == NULL)
    return error_set (err, ENOMEM, "tmpcopyup");
  size_t n = 0;
  int ret = -1;

  if (push_dir (&st[0], from, to, ".") < 0)
    return error_set (err, errno, "tmpcopyup: open the image directory");
  n = 1;
  while (n > 0)
    {
      struct copy_frame *f = &st[n - 1];
      errno = 0;
      struct dirent *de = readdir (f->src);
      if (de == NULL)
        {
          if (errno)
            {
              error_set (err, errno, "tmpcopyup: read a directory at depth %zu", n - 1);
              goto out;
            }
          /* Its own mode goes on last, so that a read-only directory of the
           * image could still be filled (the tmpfs root keeps the mount's). */
          if (n > 1 && fchmod (f->dst, f->mode) < 0)
            {
              error_set (err, errno, "tmpcopyup: chmod a directory at depth %zu", n - 1);
              goto out;
            }
          pop_dir (f);
          n--;
          continue;
        }
      const char *name = de->d_name;
      if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        continue;
      mode_t mode = 0;
      int r = copy_entry (f, name, buf, &mode);
      if (r < 0)
        {
          error_set (err, errno, "tmpcopyup: copy \"%s\" at depth %zu", name, n - 1);
          goto out;
        }
      if (r == 0)
        continue;
      if (n > TMPCOPYUP_MAX_DEPTH)
        {
          error_set (err, 0, "tmpcopyup: the image directory is nested deeper than %d levels",
                     TMPCOPYUP_MAX_DEPTH);
          goto out;
        }
      if (push_dir (&st[n], dirfd (f->src), f->dst, name) < 0)
        {
          error_set (err, errno, "tmpcopyup: open directory \"%s\" at depth %zu", name, n);
          goto out;
        }
      st[n].mode = mode;
      n++;
    }
  ret = 0;
out:
  while (n > 0)
    pop_dir (&st[--n]);
  return ret;
}
