#define _GNU_SOURCE
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capabilities.h"
#include "spec/util/cleanup.h"
#include "util/fs.h"


bool
ns_in_initial_userns (void)
{
  char buf[128];
  _cleanup_close_ int fd = open ("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return true; /* no procfs: nothing says otherwise */
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return true;
  buf[n] = '\0';
  unsigned long inside, outside, len;
  int used = 0;
  /* Only the initial namespace maps every id onto itself, in one line. */
  return sscanf (buf, " %lu %lu %lu %n", &inside, &outside, &len, &used) == 3 && inside == 0
         && outside == 0 && len == 4294967295UL && buf[used] == '\0';
}

int
ns_clone_flag (enum spec_ns_type t)
{
  switch (t)
    {
    case NS_PID: return CLONE_NEWPID;
    case NS_NETWORK: return CLONE_NEWNET;
    case NS_MOUNT: return CLONE_NEWNS;
    case NS_IPC: return CLONE_NEWIPC;
    case NS_UTS: return CLONE_NEWUTS;
    case NS_USER: return CLONE_NEWUSER;
    case NS_CGROUP: return CLONE_NEWCGROUP;
    case NS_TIME: return CLONE_NEWTIME;
    default: return 0;
    }
}

int
ns_plan_build (const struct spec_config *c, struct ns_plan *plan)
{
  memset (plan, 0, sizeof *plan);
  if (c->linux_ == NULL)
    return 0;
  for (size_t i = 0; i < c->linux_->namespaces_len; i++)
    {
      const struct spec_namespace *ns = &c->linux_->namespaces[i];
      if (ns->path && ns->path[0])
        {
          plan->has_paths = true;
          if (ns->type == NS_USER)
            plan->join_user = true;
        }
      else
        {
          plan->new_flags |= ns_clone_flag (ns->type);
          if (ns->type == NS_USER)
            plan->new_user = true;
        }
    }
  return 0;
}

static int
format_map (const struct spec_id_mapping *m, size_t n, char *buf, size_t size)
{
  size_t off = 0;
  for (size_t i = 0; i < n; i++)
    {
      int w = snprintf (buf + off, size - off, "%u %u %u\n", m[i].container_id, m[i].host_id,
                        m[i].size);
      if (w < 0 || (size_t) w >= size - off)
        return -1;
      off += w;
    }
  return (int) off;
}

/* Write the map ourselves; -1 with errno (and nothing written) when we may not. */
static int
write_map_direct (pid_t pid, const char *file, const char *buf, size_t len)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (write (fd, buf, len) != (ssize_t) len)
    return -1;
  return 0;
}

static const char *
find_tool (const char *name, char *buf, size_t size)
{
  static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/sbin", "/sbin",
                                      "/usr/local/bin" };
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      snprintf (buf, size, "%s/%s", dirs[i], name);
      if (access (buf, X_OK) == 0)
        return buf;
    }
  return NULL;
}

/* newuidmap/newgidmap (setuid root, shadow's uidmap package) write the map for
 * an ordinary user, checked against /etc/subuid and /etc/subgid. They open
 * /proc/PID as the caller: the child is still dumpable then (child_guard.h). */
static int
run_idmap_tool (const char *tool, pid_t pid, const struct spec_id_mapping *m, size_t n,
                struct error **err)
{
  char path[64], pidbuf[16];
  if (find_tool (tool, path, sizeof path) == NULL)
    return error_set (err, ENOENT, "%s not found (install Debian's uidmap package)", tool);
  size_t argc = 0;
  char **argv = calloc (3 + 3 * n, sizeof *argv);
  char (*nums)[12] = calloc (3 * n + 1, sizeof *nums);
  if (argv == NULL || nums == NULL)
    {
      free (argv);
      free (nums);
      return error_set (err, ENOMEM, "run %s", tool);
    }
  snprintf (pidbuf, sizeof pidbuf, "%d", pid);
  argv[argc++] = (char *) tool;
  argv[argc++] = pidbuf;
  for (size_t i = 0; i < n; i++)
    {
      snprintf (nums[3 * i], 12, "%u", m[i].container_id);
      snprintf (nums[3 * i + 1], 12, "%u", m[i].host_id);
      snprintf (nums[3 * i + 2], 12, "%u", m[i].size);
      for (int k = 0; k < 3; k++)
        argv[argc++] = nums[3 * i + k];
    }
  argv[argc] = NULL;

  int out[2];
  int ret = -1;
  if (pipe2 (out, O_CLOEXEC) < 0)
    {
      error_set (err, errno, "run %s: pipe", tool);
      goto done;
    }
  char *envp[] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
  pid_t child = fork ();
  if (child == 0)
    {
      int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null < 0 || dup2 (null, 0) < 0 || dup2 (out[1], 1) < 0 || dup2 (out[1], 2) < 0)
        _exit (126);
      execve (path, argv, envp);
      _exit (127);
    }
  int fork_errno = errno;
  close (out[1]);
  if (child < 0)
    {
      close (out[0]);
      error_set (err, fork_errno, "run %s: fork", path);
      goto done;
    }
  char msg[512];
  size_t got = 0;
  ssize_t r;
  while ((r = read (out[0], msg + got, sizeof msg - 1 - got)) > 0 || (r < 0 && errno == EINTR))
    if (r > 0 && (got += r) >= sizeof msg - 1)
      break;
  close (out[0]);
  msg[got] = '\0';
  while (got > 0 && (msg[got - 1] == '\n' || msg[got - 1] == ' '))
    msg[--got] = '\0';
  int status;
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    ret = 0;
  else
    error_set (err, EPERM, "%s %d: %s", tool, pid, got ? msg : "failed");
done:
  free (argv);
  free (nums);
  return ret;
}

static bool
only_own_id (const struct spec_id_mapping *m, size_t n, uint32_t own)
{
  return n == 1 && m[0].host_id == own && m[0].size == 1;
}

static int
write_one_map (pid_t pid, bool gid, const struct spec_id_mapping *m, size_t n, struct error **err)
{
  const char *file = gid ? "gid_map" : "uid_map";
  const char *field = gid ? "linux.gidMappings" : "linux.uidMappings";
  char buf[4096];
  if (n == 0)
    return 0;
  int len = format_map (m, n, buf, sizeof buf);
  if (len < 0)
    return error_set (err, E2BIG, "%s: too many mappings", field);
  uint32_t own = gid ? getegid () : geteuid ();
  /* Without CAP_SETGID the kernel takes a gid_map of our own gid only once
   * setgroups is denied in the new namespace (user_namespaces(7)); a wider map
   * goes through newgidmap, which leaves setgroups allowed. */
  if (gid && !caps_have_effective (CAP_SETGID) && only_own_id (m, n, own))
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/setgroups", pid);
      struct error *e = NULL;
      if (fs_write_file (path, "deny", 4, &e) < 0 && e->errnum != ENOENT)
        {
          error_propagate (err, &e);
          return error_wrap (err, "%s: deny setgroups", field);
        }
      error_free (&e);
    }
  if (write_map_direct (pid, file, buf, len) == 0)
    return 0;
  int e = errno;
  if (e != EPERM || only_own_id (m, n, own))
    return error_set (err, e, "%s: write /proc/%d/%s \"%.*s\"", field, pid, file, len - 1, buf);
  struct error *tool_err = NULL;
  if (run_idmap_tool (gid ? "newgidmap" : "newuidmap", pid, m, n, &tool_err) == 0)
    return 0;
  /* Say what was asked and how it could be allowed. */
  error_set (err, EPERM,
             "%s: %u is the only %s this user may map by itself; a mapping of other ids needs "
             "a range in /etc/%s and %s (%s)", field, own, gid ? "gid" : "uid",
             gid ? "subgid" : "subuid", gid ? "newgidmap" : "newuidmap", tool_err->msg);
  error_free (&tool_err);
  return -1;
}

int
ns_write_id_maps (const struct spec_config *c, pid_t pid, struct error **err)
{
  if (c->linux_ == NULL)
    return 0;
  if (write_one_map (pid, false, c->linux_->uid_mappings, c->linux_->uid_mappings_len, err) < 0)
    return -1;
  return write_one_map (pid, true, c->linux_->gid_mappings, c->linux_->gid_mappings_len, err);
}

static int
join_one (const struct spec_namespace *ns, struct error **err)
{
  _cleanup_close_ int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "open %s namespace \"%s\"", spec_ns_type_name (ns->type),
                      ns->path);
  if (setns (fd, ns_clone_flag (ns->type)) < 0)
    return error_set (err, errno, "join %s namespace \"%s\"", spec_ns_type_name (ns->type),
                      ns->path);
  return 0;
}

int
ns_join_paths (const struct spec_config *c, int only, struct error **err)
{
  if (c->linux_ == NULL)
    return 0;
  if (only == 0)
    only = ~(CLONE_NEWPID | CLONE_NEWTIME);
  /* The user namespace first: joining it grants the capabilities that the
   * other joins are checked against. */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < c->linux_->namespaces_len; i++)
      {
        const struct spec_namespace *ns = &c->linux_->namespaces[i];
        if (ns->path == NULL || ns->path[0] == '\0')
          continue;
        if ((ns->type == NS_USER) != (pass == 0))
          continue;
        if (!(ns_clone_flag (ns->type) & only))
          continue;
        if (join_one (ns, err) < 0)
          return -1;
      }
  return 0;
}

int
ns_write_time_offsets (const struct spec_config *c, struct error **err)
{
  char buf[128];
  size_t off = 0;
  const struct spec_time_offset *mono = &c->linux_->time_monotonic;
  const struct spec_time_offset *boot = &c->linux_->time_boottime;
  if (mono->present)
    off += snprintf (buf + off, sizeof buf - off, "monotonic %lld %u\n", (long long) mono->secs,
                     mono->nanosecs);
  if (boot->present)
    off += snprintf (buf + off, sizeof buf - off, "boottime %lld %u\n", (long long) boot->secs,
                     boot->nanosecs);
  if (off == 0)
    return 0;
  _cleanup_close_ int fd = open ("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "linux.timeOffsets: open /proc/self/timens_offsets");
  /* The kernel takes one clock per write. */
  char *line = buf, *nl;
  while ((nl = strchr (line, '\n')))
    {
      size_t len = nl - line + 1;
      if (write (fd, line, len) != (ssize_t) len)
        return error_set (err, errno, "linux.timeOffsets: write \"%.*s\"", (int) len - 1, line);
      line = nl + 1;
    }
  return 0;
}
