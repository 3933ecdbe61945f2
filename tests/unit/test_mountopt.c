/* The mount option table: flags, clears, propagation, recursive attributes,
 * special options, fs data passthrough and bad input. */
#include <stdlib.h>
#include <sys/mount.h>

#include "unit.h"
#include "libcontainer/mountopt.h"

static int
parse (struct mount_opts *o, char **opts, size_t n)
{
  struct error *err = NULL;
  int r = mountopt_parse (opts, n, o, &err);
  if (err)
    error_free (&err);
  return r;
}

#define PARSE(o, ...)                                                     \
  ({                                                                      \
    char *v_[] = { __VA_ARGS__ };                                         \
    parse (o, v_, sizeof (v_) / sizeof (v_[0]));                          \
  })

struct flag_case
{
  const char *name;
  unsigned long set;
  unsigned long clear;
};

static void
test_flags (void)
{
  static const struct flag_case cases[] = {
    { "ro", MS_RDONLY, 0 },           { "rw", 0, MS_RDONLY },
    { "nosuid", MS_NOSUID, 0 },       { "suid", 0, MS_NOSUID },
    { "nodev", MS_NODEV, 0 },         { "dev", 0, MS_NODEV },
    { "noexec", MS_NOEXEC, 0 },       { "exec", 0, MS_NOEXEC },
    { "sync", MS_SYNCHRONOUS, 0 },    { "async", 0, MS_SYNCHRONOUS },
    { "dirsync", MS_DIRSYNC, 0 },     { "remount", MS_REMOUNT, 0 },
    { "mand", MS_MANDLOCK, 0 },       { "nomand", 0, MS_MANDLOCK },
    { "noatime", MS_NOATIME, 0 },     { "atime", 0, MS_NOATIME },
    { "nodiratime", MS_NODIRATIME, 0 }, { "diratime", 0, MS_NODIRATIME },
    { "relatime", MS_RELATIME, 0 },   { "norelatime", 0, MS_RELATIME },
    { "strictatime", MS_STRICTATIME, 0 }, { "nostrictatime", 0, MS_STRICTATIME },
    { "lazytime", MS_LAZYTIME, 0 },   { "defaults", 0, 0 },
    { "bind", MS_BIND, 0 },           { "rbind", MS_BIND | MS_REC, 0 },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      struct mount_opts o;
      char *v[] = { (char *) cases[i].name };
      CHECK (parse (&o, v, 1) == 0);
      if (o.flags != cases[i].set || o.clear_flags != cases[i].clear || o.data != NULL)
        fprintf (stderr, "option %s: flags %#lx clear %#lx\n", cases[i].name, o.flags, o.clear_flags);
      CHECK (o.flags == cases[i].set);
      CHECK (o.clear_flags == cases[i].clear);
      CHECK (o.data == NULL);
      CHECK (o.propagation == 0 && o.rec_attr_set == 0 && o.rec_attr_clr == 0);
      mountopt_free (&o);
    }
}

static void
test_last_wins (void)
{
  struct mount_opts o;
  CHECK (PARSE (&o, "ro", "rw") == 0);
  CHECK ((o.flags & MS_RDONLY) == 0);
  CHECK (o.clear_flags & MS_RDONLY);
  mountopt_free (&o);
  CHECK (PARSE (&o, "rw", "ro") == 0);
  CHECK (o.flags & MS_RDONLY);
  CHECK ((o.clear_flags & MS_RDONLY) == 0);
  mountopt_free (&o);
}

static void
test_bind (void)
{
  struct mount_opts o;
  CHECK (PARSE (&o, "bind", "ro") == 0);
  CHECK (o.is_bind && !o.recursive_bind);
  CHECK (o.flags == (MS_BIND | MS_RDONLY));
  mountopt_free (&o);
  CHECK (PARSE (&o, "rbind", "nosuid") == 0);
  CHECK (o.is_bind && o.recursive_bind);
  CHECK (o.flags == (MS_BIND | MS_REC | MS_NOSUID));
  mountopt_free (&o);
}

static void
test_propagation (void)
{
  static const struct { const char *n; unsigned long v; } cases[] = {
    { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      struct mount_opts o;
      char *v[] = { (char *) cases[i].n };
      CHECK (parse (&o, v, 1) == 0);
      CHECK (o.propagation == cases[i].v);
      CHECK (o.flags == 0 && o.data == NULL);
      mountopt_free (&o);
      unsigned long p = 0;
      CHECK (mountopt_propagation (cases[i].n, &p) == 0);
      CHECK (p == cases[i].v);
    }
  unsigned long p = 42;
  CHECK (mountopt_propagation ("ro", &p) == -1);
  CHECK (mountopt_propagation ("bogus", &p) == -1);
  CHECK (mountopt_propagation (NULL, &p) == -1);
  CHECK (p == 42);
}

static void
test_recursive_attrs (void)
{
  static const struct { const char *n; uint64_t set, clr; } cases[] = {
    { "rro", MOUNT_ATTR_RDONLY, 0 }, { "rrw", 0, MOUNT_ATTR_RDONLY },
    { "rnosuid", MOUNT_ATTR_NOSUID, 0 }, { "rsuid", 0, MOUNT_ATTR_NOSUID },
    { "rnodev", MOUNT_ATTR_NODEV, 0 }, { "rdev", 0, MOUNT_ATTR_NODEV },
    { "rnoexec", MOUNT_ATTR_NOEXEC, 0 }, { "rexec", 0, MOUNT_ATTR_NOEXEC },
    { "rnodiratime", MOUNT_ATTR_NODIRATIME, 0 }, { "rdiratime", 0, MOUNT_ATTR_NODIRATIME },
    { "rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rnorelatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
    { "rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
    { "ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
    { "rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      struct mount_opts o;
      char *v[] = { (char *) cases[i].n };
      CHECK (parse (&o, v, 1) == 0);
      if (o.rec_attr_set != cases[i].set || o.rec_attr_clr != cases[i].clr)
        fprintf (stderr, "option %s: set %#llx clr %#llx\n", cases[i].n,
                 (unsigned long long) o.rec_attr_set, (unsigned long long) o.rec_attr_clr);
      CHECK (o.rec_attr_set == cases[i].set);
      CHECK (o.rec_attr_clr == cases[i].clr);
      CHECK (o.flags == 0 && o.data == NULL);
      mountopt_free (&o);
    }
  /* Two atime modes: the later one replaces the earlier inside the field. */
  struct mount_opts o;
  CHECK (PARSE (&o, "rnoatime", "rstrictatime", "rro") == 0);
  CHECK (o.rec_attr_set == (MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_RDONLY));
  CHECK (o.rec_attr_clr == MOUNT_ATTR__ATIME);
  mountopt_free (&o);
  CHECK (PARSE (&o, "rro", "rrw") == 0);
  CHECK (o.rec_attr_set == 0 && o.rec_attr_clr == MOUNT_ATTR_RDONLY);
  mountopt_free (&o);
}

static void
test_special (void)
{
  struct mount_opts o;
  CHECK (PARSE (&o, "idmap") == 0);
  CHECK (o.idmap && !o.idmap_recursive && o.data == NULL);
  mountopt_free (&o);
  CHECK (PARSE (&o, "ridmap") == 0);
  CHECK (o.idmap && o.idmap_recursive);
  mountopt_free (&o);
  CHECK (PARSE (&o, "tmpcopyup", "src-nofollow", "dest-nofollow") == 0);
  CHECK (o.copy_up && o.src_nofollow && o.dest_nofollow);
  CHECK (o.data == NULL && o.flags == 0);
  mountopt_free (&o);
}

static void
test_data (void)
{
  struct mount_opts o;
  CHECK (PARSE (&o, "nosuid", "strictatime", "mode=755", "size=65536k") == 0);
  CHECK (o.flags == (MS_NOSUID | MS_STRICTATIME));
  CHECK_STR (o.data, "mode=755,size=65536k");
  mountopt_free (&o);
  CHECK (o.data == NULL);

  /* The runc spec's /dev/pts options. */
  CHECK (PARSE (&o, "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5") == 0);
  CHECK (o.flags == (MS_NOSUID | MS_NOEXEC));
  CHECK_STR (o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mountopt_free (&o);

  /* Something unknown that looks like a flag is the filesystem's business. */
  CHECK (PARSE (&o, "rnotaflag", "ro", "userxattr") == 0);
  CHECK_STR (o.data, "rnotaflag,userxattr");
  CHECK (o.flags == MS_RDONLY && o.rec_attr_set == 0);
  mountopt_free (&o);

  /* Option names are case sensitive, like the kernel's. */
  CHECK (PARSE (&o, "RO") == 0);
  CHECK (o.flags == 0);
  CHECK_STR (o.data, "RO");
  mountopt_free (&o);

  CHECK (parse (&o, NULL, 0) == 0);
  CHECK (o.flags == 0 && o.data == NULL && !o.is_bind);
  mountopt_free (&o);
}

static void
test_bad_input (void)
{
  struct mount_opts o;
  struct error *err = NULL;
  char *empty[] = { "ro", "" };
  CHECK (mountopt_parse (empty, 2, &o, &err) == -1);
  CHECK (err != NULL);
  if (err)
    CHECK_CONTAINS (err->msg, "empty option");
  error_free (&err);
  CHECK (o.data == NULL);

  char *null[] = { "mode=755", NULL };
  CHECK (mountopt_parse (null, 2, &o, &err) == -1);
  CHECK (err != NULL);
  error_free (&err);
  CHECK (o.data == NULL);

  char *comma[] = { "mode=755,uid=0" };
  CHECK (mountopt_parse (comma, 1, &o, &err) == -1);
  if (err)
    CHECK_CONTAINS (err->msg, "\"mode=755,uid=0\"");
  error_free (&err);

  CHECK (mountopt_parse (NULL, 3, &o, &err) == -1);
  error_free (&err);
}

int
main (void)
{
  test_flags ();
  test_last_wins ();
  test_bind ();
  test_propagation ();
  test_recursive_attrs ();
  test_special ();
  test_data ();
  test_bad_input ();
  return unit_finish ("test_mountopt");
}
