/* spec/parse*.c + validate.c: every field of a full config, and the exact
 * message of each error path. Runs in tests/unit (fixtures/). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spec/config.h"
#include "unit.h"

static void
check_strv (char **v, size_t len, const char *const *want)
{
  size_t n = 0;
  while (want[n])
    n++;
  CHECK (len == n);
  for (size_t i = 0; i < n && i < len; i++)
    CHECK_STR (v[i], want[i]);
}
#define STRV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define EMPTY ((const char *const[]){ NULL })

static void
test_full_top_and_process (const struct spec_config *c)
{
  CHECK_STR (c->oci_version, "1.3.0");
  CHECK_STR (c->root_path, "rootfs");
  CHECK (c->root_readonly);
  CHECK_STR (c->hostname, "box");
  CHECK_STR (c->domainname, "example.org");

  CHECK (c->mounts_len == 3);
  CHECK_STR (c->mounts[0].destination, "/proc");
  CHECK_STR (c->mounts[0].type, "proc");
  CHECK_STR (c->mounts[0].source, "proc");
  CHECK (c->mounts[0].options == NULL && c->mounts[0].options_len == 0);
  CHECK_STR (c->mounts[1].destination, "/data");
  CHECK_STR (c->mounts[1].type, "bind");
  CHECK_STR (c->mounts[1].source, "/srv/data");
  check_strv (c->mounts[1].options, c->mounts[1].options_len, STRV ("rbind", "ro", "idmap"));
  CHECK (c->mounts[1].uid_mappings_len == 1);
  CHECK (c->mounts[1].uid_mappings[0].container_id == 0);
  CHECK (c->mounts[1].uid_mappings[0].host_id == 100000);
  CHECK (c->mounts[1].uid_mappings[0].size == 65536);
  CHECK (c->mounts[1].gid_mappings_len == 1);
  CHECK (c->mounts[1].gid_mappings[0].container_id == 1);
  CHECK (c->mounts[1].gid_mappings[0].host_id == 200000);
  CHECK (c->mounts[1].gid_mappings[0].size == 10);
  CHECK (c->mounts[2].type == NULL); /* null = absent */
  CHECK (c->mounts[2].source == NULL);

  const struct spec_process *p = c->process;
  CHECK (p != NULL);
  if (p == NULL)
    return;
  CHECK (p->terminal);
  CHECK (p->has_console_size && p->console_height == 40 && p->console_width == 120);
  CHECK (p->user.uid == 1000 && p->user.gid == 1001);
  CHECK (p->user.has_umask && p->user.umask == 18);
  CHECK (p->user.additional_gids_len == 2);
  CHECK (p->user.additional_gids[0] == 5 && p->user.additional_gids[1] == 4294967295u);
  CHECK_STR (p->user.username, "alice");
  check_strv (p->args, p->args_len, STRV ("sh", "-c", "echo hi"));
  CHECK_STR (p->command_line, "sh -c 'echo hi'");
  check_strv (p->env, p->env_len, STRV ("PATH=/bin", "TERM=xterm"));
  CHECK_STR (p->cwd, "/home/alice");
  CHECK (p->capabilities != NULL);
  if (p->capabilities)
    {
      const struct spec_capabilities *k = p->capabilities;
      CHECK (k->has_bounding && k->has_effective && k->has_inheritable && k->has_permitted
             && k->has_ambient);
      check_strv (k->bounding, k->bounding_len, STRV ("CAP_KILL", "CAP_CHOWN"));
      check_strv (k->effective, k->effective_len, STRV ("CAP_KILL"));
      check_strv (k->inheritable, k->inheritable_len, EMPTY);
      check_strv (k->permitted, k->permitted_len, STRV ("CAP_KILL", "CAP_NET_RAW"));
      check_strv (k->ambient, k->ambient_len, STRV ("CAP_NET_RAW"));
    }
  CHECK (p->rlimits_len == 2);
  CHECK_STR (p->rlimits[0].type, "RLIMIT_NOFILE");
  CHECK (p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 4096);
  CHECK_STR (p->rlimits[1].type, "RLIMIT_CORE");
  CHECK (p->rlimits[1].soft == UINT64_MAX && p->rlimits[1].hard == UINT64_MAX);
  CHECK (p->no_new_privileges);
  CHECK_STR (p->apparmor_profile, "capsa-default");
  CHECK (p->has_oom_score_adj && p->oom_score_adj == -500);
  CHECK (p->scheduler != NULL);
  if (p->scheduler)
    {
      CHECK_STR (p->scheduler->policy, "SCHED_DEADLINE");
      CHECK (p->scheduler->has_nice && p->scheduler->nice == -5);
      CHECK (p->scheduler->has_priority && p->scheduler->priority == 3);
      check_strv (p->scheduler->flags, p->scheduler->flags_len,
                  STRV ("SCHED_FLAG_RESET_ON_FORK"));
      CHECK (p->scheduler->has_runtime && p->scheduler->runtime == 10000000);
      CHECK (p->scheduler->has_deadline && p->scheduler->deadline == 20000000);
      CHECK (p->scheduler->has_period && p->scheduler->period == 30000000);
    }
  CHECK_STR (p->selinux_label, "system_u:system_r:container_t:s0:c1,c2");
  CHECK (p->io_priority && p->io_priority->priority == 4);
  CHECK_STR (p->io_priority ? p->io_priority->class_ : NULL, "IOPRIO_CLASS_BE");
  CHECK_STR (p->exec_cpu_affinity ? p->exec_cpu_affinity->initial : NULL, "0-1");
  CHECK_STR (p->exec_cpu_affinity ? p->exec_cpu_affinity->final : NULL, "2");
}

static void
test_full_hooks_annotations (const struct spec_config *c)
{
  const struct spec_hooks *h = &c->hooks;
  CHECK (h->len[HOOK_PRESTART] == 1);
  CHECK_STR (h->list[HOOK_PRESTART][0].path, "/bin/pre");
  check_strv (h->list[HOOK_PRESTART][0].args, h->list[HOOK_PRESTART][0].args_len,
              STRV ("pre", "1"));
  check_strv (h->list[HOOK_PRESTART][0].env, h->list[HOOK_PRESTART][0].env_len, STRV ("A=1"));
  CHECK (h->list[HOOK_PRESTART][0].has_timeout && h->list[HOOK_PRESTART][0].timeout == 5);
  CHECK (h->len[HOOK_CREATE_RUNTIME] == 2);
  CHECK_STR (h->list[HOOK_CREATE_RUNTIME][0].path, "/bin/cr");
  CHECK (!h->list[HOOK_CREATE_RUNTIME][0].has_timeout);
  CHECK_STR (h->list[HOOK_CREATE_RUNTIME][1].path, "/bin/cr2");
  CHECK (h->list[HOOK_CREATE_RUNTIME][1].timeout == 1);
  CHECK (h->len[HOOK_CREATE_CONTAINER] == 1);
  CHECK_STR (h->list[HOOK_CREATE_CONTAINER][0].path, "/bin/cc");
  CHECK (h->len[HOOK_START_CONTAINER] == 1);
  CHECK_STR (h->list[HOOK_START_CONTAINER][0].path, "/bin/sc");
  CHECK (h->len[HOOK_POSTSTART] == 1);
  CHECK_STR (h->list[HOOK_POSTSTART][0].path, "/bin/ps");
  CHECK (h->len[HOOK_POSTSTOP] == 1);
  CHECK_STR (h->list[HOOK_POSTSTOP][0].path, "/bin/pst");
  check_strv (h->list[HOOK_POSTSTOP][0].args, h->list[HOOK_POSTSTOP][0].args_len, STRV ("pst"));

  CHECK (c->annotations_len == 2);
  CHECK_STR (c->annotations[0].key, "org.example.a");
  CHECK_STR (c->annotations[1].value, "two");
  CHECK_STR (spec_kv_get (c->annotations, c->annotations_len, "org.example.a"), "1");
  CHECK (spec_kv_get (c->annotations, c->annotations_len, "nope") == NULL);
}

static void
test_full_linux (const struct spec_config *c)
{
  const struct spec_linux *l = c->linux_;
  CHECK (l != NULL);
  if (l == NULL)
    return;
  CHECK (l->namespaces_len == 8);
  for (int t = 0; t < NS_TYPE_COUNT; t++)
    CHECK (spec_config_namespace (c, t) != NULL);
  CHECK (l->namespaces[1].type == NS_NETWORK);
  CHECK_STR (l->namespaces[1].path, "/var/run/netns/x");
  CHECK (l->namespaces[0].type == NS_PID && l->namespaces[0].path == NULL);
  CHECK (l->namespaces[7].type == NS_TIME);
  CHECK (l->uid_mappings_len == 2 && l->uid_mappings[1].container_id == 1
         && l->uid_mappings[1].host_id == 100000 && l->uid_mappings[1].size == 65535);
  CHECK (l->gid_mappings_len == 1 && l->gid_mappings[0].host_id == 1000);
  CHECK (l->time_monotonic.present && l->time_monotonic.secs == -3600
         && l->time_monotonic.nanosecs == 500);
  CHECK (l->time_boottime.present && l->time_boottime.secs == 86400
         && l->time_boottime.nanosecs == 0);

  CHECK (l->devices_len == 2);
  CHECK (l->devices[0].type == 'c');
  CHECK_STR (l->devices[0].path, "/dev/fuse");
  CHECK (l->devices[0].has_major && l->devices[0].major == 10);
  CHECK (l->devices[0].has_minor && l->devices[0].minor == 229);
  CHECK (l->devices[0].has_file_mode && l->devices[0].file_mode == 0666);
  CHECK (l->devices[0].has_uid && l->devices[0].uid == 0);
  CHECK (l->devices[0].has_gid && l->devices[0].gid == 0);
  CHECK (l->devices[1].type == 'p' && !l->devices[1].has_major && !l->devices[1].has_uid);

  CHECK (l->net_devices_len == 2);
  CHECK_STR (l->net_devices[0].host_name, "eth5");
  CHECK_STR (l->net_devices[0].name, "eth0");
  CHECK_STR (l->net_devices[1].host_name, "dummy0");
  CHECK (l->net_devices[1].name == NULL);
  CHECK_STR (l->cgroups_path, "/capsa/test");

  const struct spec_intel_rdt *rdt = l->intel_rdt;
  CHECK (rdt != NULL);
  if (rdt)
    {
      CHECK_STR (rdt->clos_id, "guaranteed");
      CHECK_STR (rdt->l3_cache_schema, "L3:0=7f0");
      CHECK_STR (rdt->mem_bw_schema, "MB:0=20");
      check_strv (rdt->schemata, rdt->schemata_len, STRV ("L2:0=ff"));
      CHECK (rdt->enable_monitoring && rdt->enable_cmt && !rdt->enable_mbm);
    }
  CHECK_STR (l->memory_policy ? l->memory_policy->mode : NULL, "MPOL_INTERLEAVE");
  CHECK_STR (l->memory_policy ? l->memory_policy->nodes : NULL, "0-1");
  if (l->memory_policy)
    check_strv (l->memory_policy->flags, l->memory_policy->flags_len,
                STRV ("MPOL_F_STATIC_NODES"));
  CHECK_STR (l->personality ? l->personality->domain : NULL, "LINUX32");
  CHECK (l->personality && l->personality->flags_len == 0);
  CHECK (l->sysctl_len == 2);
  CHECK_STR (spec_kv_get (l->sysctl, l->sysctl_len, "net.ipv4.ip_forward"), "1");
  CHECK_STR (spec_kv_get (l->sysctl, l->sysctl_len, "kernel.msgmax"), "65536");

  const struct spec_seccomp *s = l->seccomp;
  CHECK (s != NULL);
  if (s)
    {
      CHECK_STR (s->default_action, "SCMP_ACT_ERRNO");
      CHECK (s->has_default_errno_ret && s->default_errno_ret == 38);
      check_strv (s->architectures, s->architectures_len,
                  STRV ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"));
      check_strv (s->flags, s->flags_len, STRV ("SECCOMP_FILTER_FLAG_LOG"));
      CHECK_STR (s->listener_path, "/run/seccomp.sock");
      CHECK_STR (s->listener_metadata, "meta");
      CHECK (s->syscalls_len == 3);
      check_strv (s->syscalls[0].names, s->syscalls[0].names_len, STRV ("read", "write"));
      CHECK_STR (s->syscalls[0].action, "SCMP_ACT_ALLOW");
      CHECK (!s->syscalls[0].has_errno_ret && s->syscalls[0].args_len == 0);
      CHECK (s->syscalls[1].has_errno_ret && s->syscalls[1].errno_ret == 1);
      CHECK (s->syscalls[1].args_len == 2);
      CHECK (s->syscalls[1].args[0].index == 0);
      CHECK (s->syscalls[1].args[0].value == UINT64_MAX);
      CHECK (s->syscalls[1].args[0].value_two == 4);
      CHECK_STR (s->syscalls[1].args[0].op, "SCMP_CMP_MASKED_EQ");
      CHECK (s->syscalls[1].args[1].index == 5 && s->syscalls[1].args[1].value == 8
             && s->syscalls[1].args[1].value_two == 0);
      CHECK_STR (s->syscalls[1].args[1].op, "SCMP_CMP_NE");
      CHECK_STR (s->syscalls[2].action, "SCMP_ACT_NOTIFY");
    }
  CHECK_STR (l->rootfs_propagation, "rslave");
  CHECK (l->has_masked_paths);
  check_strv (l->masked_paths, l->masked_paths_len, STRV ("/proc/kcore", "/sys/firmware"));
  CHECK (l->has_readonly_paths);
  check_strv (l->readonly_paths, l->readonly_paths_len, STRV ("/proc/sys"));
  CHECK_STR (l->mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
}

static void
test_full_resources (const struct spec_resources *r)
{
  CHECK (r != NULL);
  if (r == NULL)
    return;
  CHECK (r->devices_len == 2);
  CHECK (!r->devices[0].allow && r->devices[0].type == 0);
  CHECK (r->devices[0].major == -1 && r->devices[0].minor == -1);
  CHECK_STR (r->devices[0].access, "rwm");
  CHECK (r->devices[1].allow && r->devices[1].type == 'c');
  CHECK (r->devices[1].major == 1 && r->devices[1].minor == 3);
  CHECK_STR (r->devices[1].access, "rw");

  const struct spec_memory *m = r->memory;
  CHECK (m != NULL);
  if (m)
    {
      CHECK (m->has_limit && m->limit == 536870912);
      CHECK (m->has_reservation && m->reservation == 268435456);
      CHECK (m->has_swap && m->swap == -1);
      CHECK (m->has_kernel && m->kernel == 1);
      CHECK (m->has_kernel_tcp && m->kernel_tcp == 2);
      CHECK (m->has_swappiness && m->swappiness == 60);
      CHECK (m->has_disable_oom_killer && m->disable_oom_killer);
      CHECK (m->has_use_hierarchy && !m->use_hierarchy);
      CHECK (m->has_check_before_update && m->check_before_update);
    }
  const struct spec_cpu *cpu = r->cpu;
  CHECK (cpu != NULL);
  if (cpu)
    {
      CHECK (cpu->has_shares && cpu->shares == 1024);
      CHECK (cpu->has_quota && cpu->quota == 50000);
      CHECK (cpu->has_burst && cpu->burst == 1000);
      CHECK (cpu->has_period && cpu->period == 100000);
      CHECK (cpu->has_realtime_runtime && cpu->realtime_runtime == 950000);
      CHECK (cpu->has_realtime_period && cpu->realtime_period == 1000000);
      CHECK_STR (cpu->cpus, "0-3");
      CHECK_STR (cpu->mems, "0");
      CHECK (cpu->has_idle && cpu->idle == 1);
    }
  CHECK (r->has_pids && r->pids_limit == 100);
  const struct spec_blkio *b = r->block_io;
  CHECK (b != NULL);
  if (b)
    {
      CHECK (b->has_weight && b->weight == 500);
      CHECK (b->has_leaf_weight && b->leaf_weight == 300);
      CHECK (b->weight_device_len == 2);
      CHECK (b->weight_device[0].major == 8 && b->weight_device[0].minor == 0);
      CHECK (b->weight_device[0].has_weight && b->weight_device[0].weight == 600);
      CHECK (b->weight_device[0].has_leaf_weight && b->weight_device[0].leaf_weight == 200);
      CHECK (b->weight_device[1].minor == 16 && !b->weight_device[1].has_leaf_weight);
      CHECK (b->throttle_read_bps_len == 1 && b->throttle_read_bps[0].rate == 1048576);
      CHECK (b->throttle_write_bps_len == 1 && b->throttle_write_bps[0].minor == 1
             && b->throttle_write_bps[0].rate == 2097152);
      CHECK (b->throttle_read_iops_len == 1 && b->throttle_read_iops[0].minor == 2
             && b->throttle_read_iops[0].rate == 100);
      CHECK (b->throttle_write_iops_len == 1 && b->throttle_write_iops[0].minor == 3
             && b->throttle_write_iops[0].rate == 200);
    }
  CHECK (r->hugepage_limits_len == 2);
  CHECK_STR (r->hugepage_limits[0].page_size, "2MB");
  CHECK (r->hugepage_limits[0].limit == 209715200);
  CHECK_STR (r->hugepage_limits[1].page_size, "1GB");
  CHECK (r->hugepage_limits[1].limit == 0);
  CHECK (r->network && r->network->has_class_id && r->network->class_id == 1048577);
  CHECK (r->network && r->network->priorities_len == 1);
  if (r->network && r->network->priorities_len == 1)
    {
      CHECK_STR (r->network->priorities[0].name, "eth0");
      CHECK (r->network->priorities[0].priority == 500);
    }
  CHECK (r->rdma_len == 2);
  CHECK_STR (r->rdma[0].device, "mlx5_1");
  CHECK (r->rdma[0].has_hca_handles && r->rdma[0].hca_handles == 3);
  CHECK (r->rdma[0].has_hca_objects && r->rdma[0].hca_objects == 10000);
  CHECK_STR (r->rdma[1].device, "mlx4_0");
  CHECK (!r->rdma[1].has_hca_handles && r->rdma[1].hca_objects == 1);
  CHECK (r->unified_len == 2);
  CHECK_STR (spec_kv_get (r->unified, r->unified_len, "memory.high"), "1073741824");
  CHECK_STR (spec_kv_get (r->unified, r->unified_len, "io.weight"), "default 100");
}

static void
test_full (void)
{
  struct error *e = NULL;
  struct spec_config *c = spec_config_parse_file ("fixtures/config_full.json", &e);
  CHECK (c != NULL);
  if (c == NULL)
    {
      fprintf (stderr, "parse: %s\n", e ? e->msg : "?");
      error_free (&e);
      return;
    }
  test_full_top_and_process (c);
  test_full_hooks_annotations (c);
  test_full_linux (c);
  test_full_resources (c->linux_ ? c->linux_->resources : NULL);
  spec_config_free (c);
}

/* A small valid config with `proc` and `linux` bodies substituted. */
static char *
config_with (const char *top, const char *proc, const char *linux_)
{
  char *s = NULL;
  if (asprintf (&s, "{\"ociVersion\": \"1.3.0\"%s, \"process\": {\"args\": [\"sh\"], \"cwd\": "
                "\"/\"%s}, \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": "
                "\"mount\"}, {\"type\": \"uts\"}]%s}}",
                top, proc, linux_) < 0)
    abort ();
  return s;
}

static void
expect_error_text (int line, const char *json, const char *want)
{
  struct error *e = NULL;
  struct spec_config *c = spec_config_parse_data (json, strlen (json), "config.json", &e);
  if (c != NULL || e == NULL || strcmp (e->msg, want) != 0)
    {
      unit_failed++;
      fprintf (stderr, "%s:%d: expected error \"%s\", got %s%s%s\n", __FILE__, line, want,
               c ? "success" : "\"", e ? e->msg : "(no error)", c ? "" : "\"");
    }
  else
    unit_passed++;
  spec_config_free (c);
  error_free (&e);
}

static void
expect_error (int line, const char *top, const char *proc, const char *linux_, const char *want)
{
  char *json = config_with (top, proc, linux_);
  expect_error_text (line, json, want);
  free (json);
}
#define EXPECT_ERROR(top, proc, lin, want) expect_error (__LINE__, top, proc, lin, want)

static void
test_valid_minimal (void)
{
  struct error *e = NULL;
  char *json = config_with (", \"hostname\": null, \"unknownField\": 1",
                            ", \"apparmorProfile\": null, \"user\": {\"uid\": 5}", "");
  struct spec_config *c = spec_config_parse_data (json, strlen (json), "config.json", &e);
  CHECK (c != NULL);
  if (c)
    {
      CHECK (c->hostname == NULL);
      CHECK (c->process->apparmor_profile == NULL);
      CHECK (c->process->user.uid == 5 && c->process->user.gid == 0);
      CHECK (!c->process->user.has_umask && !c->process->has_oom_score_adj);
      CHECK (c->process->capabilities == NULL && c->process->scheduler == NULL);
      CHECK (c->root_path == NULL && c->mounts_len == 0);
      CHECK (!c->linux_->has_masked_paths && c->linux_->resources == NULL);
      CHECK (spec_config_namespace (c, NS_NETWORK) == NULL);
      CHECK (spec_config_namespace (c, NS_UTS)->type == NS_UTS);
    }
  else
    fprintf (stderr, "minimal: %s\n", e->msg);
  spec_config_free (c);
  error_free (&e);
  free (json);
}

static void
test_type_errors (void)
{
  expect_error_text (__LINE__, "{\"process\": ", "config.json: invalid JSON: parse error: premature EOF");
  expect_error_text (__LINE__, "[1]", "config.json: expected object, got array");
  expect_error_text (__LINE__, "{}", "config.json: ociVersion: missing required field");
  expect_error_text (__LINE__, "{\"ociVersion\": null}",
                     "config.json: ociVersion: missing required field");
  expect_error_text (__LINE__, "{\"ociVersion\": 1}",
                     "config.json: ociVersion: expected string, got number");
  EXPECT_ERROR ("", ", \"cwd\": 5", "", "config.json: process.cwd: expected string, got number");
  expect_error_text (__LINE__, "{\"ociVersion\": \"1\", \"process\": {\"args\": [\"sh\"]}}",
                     "config.json: process.cwd: missing required field");
  EXPECT_ERROR ("", ", \"cwd\": \"tmp\"", "",
                "config.json: process.cwd: must be an absolute path, got \"tmp\"");
  EXPECT_ERROR ("", ", \"args\": [\"sh\", 1]", "",
                "config.json: process.args[1]: expected string, got number");
  EXPECT_ERROR ("", ", \"args\": []", "", "config.json: process.args: must not be empty");
  EXPECT_ERROR ("", ", \"terminal\": \"yes\"", "",
                "config.json: process.terminal: expected boolean, got string");
  EXPECT_ERROR ("", ", \"user\": {\"uid\": -1}", "",
                "config.json: process.user.uid: value -1 out of range (0 to 4294967295)");
  EXPECT_ERROR ("", ", \"user\": {\"gid\": 4294967296}", "",
                "config.json: process.user.gid: value 4294967296 out of range (0 to 4294967295)");
  EXPECT_ERROR ("", ", \"user\": {\"uid\": 1.5}", "",
                "config.json: process.user.uid: expected integer, got 1.5");
  EXPECT_ERROR ("", ", \"user\": {\"additionalGids\": [1, \"2\"]}", "",
                "config.json: process.user.additionalGids[1]: expected integer, got string");
  EXPECT_ERROR ("", ", \"user\": []", "",
                "config.json: process.user: expected object, got array");
  EXPECT_ERROR ("", ", \"oomScoreAdj\": 2147483648", "",
                "config.json: process.oomScoreAdj: value 2147483648 out of range "
                "(-2147483648 to 2147483647)");
  EXPECT_ERROR ("", ", \"capabilities\": {\"bounding\": \"CAP_KILL\"}", "",
                "config.json: process.capabilities.bounding: expected array, got string");
  EXPECT_ERROR ("", ", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1}]", "",
                "config.json: process.rlimits[0].hard: missing required field");
  EXPECT_ERROR ("", ", \"scheduler\": {\"nice\": 1}", "",
                "config.json: process.scheduler.policy: missing required field");
  EXPECT_ERROR (", \"annotations\": {\"a\": \"b\", \"c\": 1}", "", "",
                "config.json: annotations.c: expected string, got number");
  EXPECT_ERROR (", \"mounts\": [{\"destination\": \"/a\"}, {\"type\": \"tmpfs\"}]", "", "",
                "config.json: mounts[1].destination: missing required field");
  EXPECT_ERROR (", \"mounts\": [{\"destination\": \"/a\", \"uidMappings\": [{\"hostID\": 1, "
                "\"size\": 1}]}]", "", "",
                "config.json: mounts[0].uidMappings[0].containerID: missing required field");
  EXPECT_ERROR (", \"root\": {\"readonly\": true}", "", "",
                "config.json: root.path: missing required field");
  EXPECT_ERROR ("", "", ", \"resources\": {\"memory\": {\"limit\": \"1G\"}}",
                "config.json: linux.resources.memory.limit: expected integer, got string");
  EXPECT_ERROR ("", "", ", \"resources\": {\"cpu\": {\"shares\": -2}}",
                "config.json: linux.resources.cpu.shares: value -2 out of range "
                "(0 to 18446744073709551615)");
  EXPECT_ERROR ("", "", ", \"resources\": {\"blockIO\": {\"weight\": 65536}}",
                "config.json: linux.resources.blockIO.weight: value 65536 out of range "
                "(0 to 65535)");
  EXPECT_ERROR ("", "", ", \"resources\": {\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}",
                "config.json: linux.resources.devices[0].access: invalid access \"rwx\" (want "
                "a subset of \"rwm\")");
  EXPECT_ERROR ("", "", ", \"resources\": {\"devices\": [{\"access\": \"r\"}]}",
                "config.json: linux.resources.devices[0].allow: missing required field");
  EXPECT_ERROR ("", "", ", \"resources\": {\"unified\": {\"memory.max\": 5}}",
                "config.json: linux.resources.unified.memory.max: expected string, got number");
  EXPECT_ERROR ("", "", ", \"seccomp\": {\"syscalls\": []}",
                "config.json: linux.seccomp.defaultAction: missing required field");
  EXPECT_ERROR ("", "", ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": "
                "0, \"value\": 18446744073709551616, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                "config.json: linux.seccomp.syscalls[0].args[0].value: value "
                "18446744073709551616 out of range (0 to 18446744073709551615)");
  EXPECT_ERROR ("", "", ", \"timeOffsets\": {\"realtime\": {\"secs\": 1}}",
                "config.json: linux.timeOffsets.realtime: unknown clock (want monotonic or "
                "boottime)");
}

/* Overriding "namespaces" works because a repeated key's last value wins. */
#define NS(...) ", \"namespaces\": [" __VA_ARGS__ "]"
#define NSE(t) "{\"type\": \"" t "\"}"

static void
test_semantic_errors (void)
{
  expect_error_text (__LINE__,
                     "{\"ociVersion\": \"1\", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, "
                     "{\"type\": \"ipc\"}, {\"type\": \"pidd\"}]}}",
                     "config.json: linux.namespaces[2].type: unknown namespace type \"pidd\"");
  EXPECT_ERROR ("", "", NS (NSE ("pid") "," NSE ("ipc") "," NSE ("uts") "," NSE ("pid")),
                "config.json: linux.namespaces[3]: duplicate namespace \"pid\"");
  EXPECT_ERROR ("", "", NS ("{\"type\": \"network\", \"path\": \"run/netns/x\"}"),
                "config.json: linux.namespaces[0].path: must be an absolute path, got "
                "\"run/netns/x\"");
  EXPECT_ERROR ("", "", NS ("{\"path\": \"/x\"}"),
                "config.json: linux.namespaces[0].type: missing required field");
  EXPECT_ERROR (", \"hostname\": \"h\"", "", NS (NSE ("pid")),
                "config.json: hostname: setting the hostname needs a uts namespace");
  EXPECT_ERROR ("", "", ", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]",
                "config.json: linux.uidMappings: uid mappings need a user namespace in "
                "linux.namespaces");
  EXPECT_ERROR ("", "", NS (NSE ("user")),
                "config.json: linux.uidMappings: user namespace enabled, but no uid mappings "
                "found");
  EXPECT_ERROR ("", "", NS (NSE ("user")) ", \"uidMappings\": [{\"containerID\": 0, "
                "\"hostID\": 1, \"size\": 1}]",
                "config.json: linux.gidMappings: user namespace enabled, but no gid mappings "
                "found");
  EXPECT_ERROR ("", "", ", \"timeOffsets\": {\"monotonic\": {\"secs\": 1}}",
                "config.json: linux.timeOffsets: time offsets need a new time namespace (a "
                "\"time\" entry without a path in linux.namespaces)");
  EXPECT_ERROR ("", "", ", \"timeOffsets\": {\"boottime\": {\"nanosecs\": 1000000000}}",
                "config.json: linux.timeOffsets.boottime.nanosecs: must be less than "
                "1000000000, got 1000000000");
  EXPECT_ERROR ("", "", ", \"devices\": [{\"type\": \"x\", \"path\": \"/dev/x\"}]",
                "config.json: linux.devices[0].type: unknown device type \"x\" (want c, b, u or "
                "p)");
  EXPECT_ERROR ("", "", ", \"devices\": [{\"type\": \"c\", \"path\": \"/dev/x\", \"major\": 1}]",
                "config.json: linux.devices[0]: device type \"c\" needs major and minor");
  EXPECT_ERROR ("", "", ", \"devices\": [{\"type\": \"p\", \"path\": \"dev/x\"}]",
                "config.json: linux.devices[0].path: must be an absolute path, got \"dev/x\"");
  EXPECT_ERROR ("", "", ", \"maskedPaths\": [\"/proc/kcore\", \"proc/keys\"]",
                "config.json: linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\"");
  EXPECT_ERROR ("", "", ", \"readonlyPaths\": [\"\"]",
                "config.json: linux.readonlyPaths[0]: must be an absolute path, got \"\"");
  EXPECT_ERROR ("", "", ", \"rootfsPropagation\": \"rsharedd\"",
                "config.json: linux.rootfsPropagation: unknown propagation \"rsharedd\"");
  EXPECT_ERROR (", \"hooks\": {\"poststart\": [{\"path\": \"/a\"}, {\"path\": \"b\"}]}", "", "",
                "config.json: hooks.poststart[1].path: must be an absolute path, got \"b\"");
  EXPECT_ERROR (", \"hooks\": {\"prestart\": [{\"path\": \"/a\", \"timeout\": 0}]}", "", "",
                "config.json: hooks.prestart[0].timeout: must be greater than zero, got 0");
  EXPECT_ERROR (", \"hooks\": {\"createRuntime\": [{\"args\": []}]}", "", "",
                "config.json: hooks.createRuntime[0].path: missing required field");
  EXPECT_ERROR ("", ", \"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]", "",
                "config.json: process.rlimits[0].type: unknown rlimit type \"RLIMIT_FOO\"");
  EXPECT_ERROR ("", ", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1}, "
                "{\"type\": \"RLIMIT_NOFILE\", \"soft\": 2, \"hard\": 2}]", "",
                "config.json: process.rlimits[1]: duplicate rlimit \"RLIMIT_NOFILE\"");
  EXPECT_ERROR ("", ", \"oomScoreAdj\": 1001", "",
                "config.json: process.oomScoreAdj: must be between -1000 and 1000, got 1001");
  EXPECT_ERROR ("", ", \"scheduler\": {\"policy\": \"SCHED_FAST\"}", "",
                "config.json: process.scheduler.policy: unknown policy \"SCHED_FAST\"");
  EXPECT_ERROR ("", ", \"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 8}", "",
                "config.json: process.ioPriority.priority: must be between 0 and 7, got 8");
  EXPECT_ERROR ("", "", ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_DENY\"}",
                "config.json: linux.seccomp.defaultAction: unknown action \"SCMP_ACT_DENY\"");
  EXPECT_ERROR ("", "", ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"}, "
                "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": "
                "0, \"value\": 1, \"op\": \"SCMP_CMP_EQUAL\"}]}]}",
                "config.json: linux.seccomp.syscalls[1].args[0].op: unknown operator "
                "\"SCMP_CMP_EQUAL\"");
  EXPECT_ERROR ("", "", ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOPE\"}]}",
                "config.json: linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_NOPE\"");
  EXPECT_ERROR ("", "", ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                "[{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                "config.json: linux.seccomp.listenerPath: SCMP_ACT_NOTIFY needs a listenerPath");
  EXPECT_ERROR ("", "", ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
                "[\"SECCOMP_FILTER_FLAG_FAST\"]}",
                "config.json: linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
  EXPECT_ERROR ("", "", ", \"memoryPolicy\": {\"mode\": \"MPOL_RANDOM\"}",
                "config.json: linux.memoryPolicy.mode: unknown mode \"MPOL_RANDOM\"");
  EXPECT_ERROR ("", "", ", \"personality\": {\"domain\": \"LINUX64\"}",
                "config.json: linux.personality.domain: unknown domain \"LINUX64\"");
}

static void
test_file_errors (void)
{
  struct error *e = NULL;
  CHECK (spec_config_parse_file ("fixtures/nope/config.json", &e) == NULL);
  CHECK_STR (e ? e->msg : NULL,
             "open config file \"fixtures/nope/config.json\": No such file or directory");
  CHECK (e && e->errnum == ENOENT);
  error_free (&e);
  CHECK (spec_config_parse_file ("fixtures", &e) == NULL);
  CHECK_CONTAINS (e ? e->msg : NULL, "is not a regular file");
  error_free (&e);
}

static void
test_resources_only (void)
{
  struct error *e = NULL;
  const char *ok = "{\"memory\": {\"limit\": -1, \"swap\": 1073741824}, \"pids\": {\"limit\": 5},"
                   " \"cpu\": {\"cpus\": \"1\"}}";
  struct spec_resources *r = spec_resources_parse_data (ok, strlen (ok), "resources", &e);
  CHECK (r != NULL);
  if (r)
    {
      CHECK (r->memory && r->memory->has_limit && r->memory->limit == -1);
      CHECK (r->memory && r->memory->has_swap && r->memory->swap == 1073741824);
      CHECK (r->memory && !r->memory->has_reservation);
      CHECK (r->has_pids && r->pids_limit == 5);
      CHECK_STR (r->cpu ? r->cpu->cpus : NULL, "1");
      CHECK (r->block_io == NULL && r->devices_len == 0);
    }
  spec_resources_free (r);
  const char *bad = "{\"memory\": {\"limit\": \"x\"}}";
  CHECK (spec_resources_parse_data (bad, strlen (bad), "resources.json", &e) == NULL);
  CHECK_STR (e ? e->msg : NULL, "resources.json: memory.limit: expected integer, got string");
  error_free (&e);
  CHECK (spec_resources_parse_data ("[]", 2, "resources.json", &e) == NULL);
  CHECK_STR (e ? e->msg : NULL, "resources.json: expected object, got array");
  error_free (&e);
  CHECK (spec_resources_parse_data ("{", 1, "resources.json", &e) == NULL);
  CHECK_CONTAINS (e ? e->msg : NULL, "resources.json: invalid JSON: ");
  error_free (&e);
}

static void
test_names (void)
{
  CHECK_STR (spec_ns_type_name (NS_NETWORK), "network");
  CHECK_STR (spec_ns_proc_name (NS_NETWORK), "net");
  CHECK_STR (spec_ns_proc_name (NS_MOUNT), "mnt");
  CHECK_STR (spec_ns_proc_name (NS_TIME), "time");
  CHECK (spec_ns_type_from_name ("cgroup") == NS_CGROUP);
  CHECK (spec_ns_type_from_name ("net") == -1);
  CHECK (spec_ns_type_from_name (NULL) == -1);
  for (int t = 0; t < NS_TYPE_COUNT; t++)
    CHECK (spec_ns_type_from_name (spec_ns_type_name (t)) == t);
  CHECK_STR (spec_hook_kind_name (HOOK_CREATE_RUNTIME), "createRuntime");
  CHECK_STR (spec_hook_kind_name (HOOK_POSTSTOP), "poststop");
}

int
main (void)
{
  test_full ();
  test_valid_minimal ();
  test_type_errors ();
  test_semantic_errors ();
  test_file_errors ();
  test_resources_only ();
  test_names ();
  return unit_finish ("test_parse");
}
