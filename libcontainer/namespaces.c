#define _GNU_SOURCE
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "spec/util/cleanup.h"
#include "util/fs.h"


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
write_map (pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
           struct error **err)
{
  char path[64], buf[4096];
  size_t off = 0;
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    {
      int w = snprintf (buf + off, sizeof buf - off, "%u %u %u\n", m[i].container_id,
                        m[i].host_id, m[i].size);
      if (w < 0 || (size_t) w >= sizeof buf - off)
        return error_set (err, E2BIG, "write %s: too many mappings", file);
      off += w;
    }
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set (err, errno, "open %s", path);
  if (write (fd, buf, off) != (ssize_t) off)
    return error_set (err, errno, "write %s \"%.*s\"", path, (int) (off ? off - 1 : 0), buf);
  return 0;
}

static bool
have_setgid_cap (void)
{
  cap_t caps = cap_get_proc ();
  cap_flag_value_t v = CAP_CLEAR;
  if (caps)
    {
      cap_get_flag (caps, CAP_SETGID, CAP_EFFECTIVE, &v);
      cap_free (caps);
    }
  return v == CAP_SET;
}

int
ns_write_id_maps (const struct spec_config *c, pid_t pid, struct error **err)
{
  if (c->linux_ == NULL)
    return 0;
  if (write_map (pid, "uid_map", c->linux_->uid_mappings, c->linux_->uid_mappings_len, err) < 0)
    return error_wrap (err, "linux.uidMappings");
  /* Without CAP_SETGID (a rootless caller) the kernel takes a gid_map only once
   * setgroups is denied in the new namespace (user_namespaces(7)). */
  if (c->linux_->gid_mappings_len && !have_setgid_cap ())
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/setgroups", pid);
      struct error *e = NULL;
      if (fs_write_file (path, "deny", 4, &e) < 0 && e->errnum != ENOENT)
        {
          error_propagate (err, &e);
          return error_wrap (err, "linux.gidMappings: deny setgroups");
        }
      error_free (&e);
    }
  if (write_map (pid, "gid_map", c->linux_->gid_mappings, c->linux_->gid_mappings_len, err) < 0)
    return error_wrap (err, "linux.gidMappings");
  return 0;
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
