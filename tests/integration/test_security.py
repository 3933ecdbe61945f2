"""Process security from inside real containers: capability sets, seccomp errno,
no_new_privileges, the fd inventory at execve, cwd defence, LSM errors, and
malicious rootfs fixtures (symlinked /proc, /dev/null, /dev)."""

import os

import pytest

import capsa_harness as h

CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_SYS_ADMIN = 0, 5, 10, 21


def err_text(r):
    """stderr with logfmt quote escaping undone, for message checks."""
    return r.err.replace('\\"', '"')


def bits(*caps):
    return sum(1 << c for c in caps)


def cap_facts(runtime, bundle, cid):
    bundle.helper("caps").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    f = r.facts
    return {k: int(v, 16) for k, v in f.items() if k.startswith("Cap")}


def test_capabilities_sets(runtime, bundle, cid):
    bundle.config["process"]["capabilities"] = {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "inheritable": [],
        "ambient": [],
    }
    caps = cap_facts(runtime, bundle, cid)
    assert caps["CapBnd"] == bits(CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE)
    assert caps["CapEff"] == bits(CAP_KILL, CAP_NET_BIND_SERVICE)
    assert caps["CapPrm"] == bits(CAP_KILL, CAP_NET_BIND_SERVICE)
    # CVE-2022-27650: nothing inheritable the config did not ask for.
    assert caps["CapInh"] == 0
    assert caps["CapAmb"] == 0


def test_capabilities_non_root_ambient(runtime, bundle, cid):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.config["process"]["capabilities"] = {
        "bounding": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "effective": ["CAP_NET_BIND_SERVICE"],
        "permitted": ["CAP_NET_BIND_SERVICE"],
        "inheritable": ["CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_NET_BIND_SERVICE"],
    }
    caps = cap_facts(runtime, bundle, cid)
    nb = bits(CAP_NET_BIND_SERVICE)
    assert caps["CapBnd"] == bits(CAP_NET_BIND_SERVICE, CAP_KILL)
    assert caps["CapAmb"] == nb
    assert caps["CapInh"] == nb
    # A non-root process keeps after execve only what ambient carries.
    assert caps["CapEff"] == nb and caps["CapPrm"] == nb


def test_no_capabilities_object_means_none(runtime, bundle, cid):
    bundle.config["process"].pop("capabilities", None)
    caps = cap_facts(runtime, bundle, cid)
    assert caps["CapEff"] == 0 and caps["CapBnd"] == 0 and caps["CapInh"] == 0


# Unknown and ungrantable capabilities: test_caps_ungrantable.py (a warning, not an
# error, since runtime-spec 1.1).


@pytest.mark.parametrize("nnp", [True, False])
def test_seccomp_errno(runtime, bundle, cid, nnp):
    if runtime.name == "runc" and not nnp:
        # Without NNP runc loads the filter early, then its init calls getppid
        # itself, gets errno 42 and panics (nil dereference, runc 1.1.5).
        pytest.skip("runc 1.1.5's init panics when getppid is denied without NNP")
    bundle.config["process"]["noNewPrivileges"] = nnp
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [
            {"names": ["getppid", "capsa_no_such_syscall"], "action": "SCMP_ACT_ERRNO",
             "errnoRet": 42},
        ],
    }
    bundle.helper("syscall-errno", "getppid", "--", "nnp").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    f = r.facts
    assert f["ret"] == "-1" and f["errno"] == "42", r
    assert f["nnp"] == ("1" if nnp else "0")


def test_seccomp_default_errno(runtime, bundle, cid):
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
    }
    bundle.helper("syscall-errno", "mkdir").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts["errno_name"] == "EPERM", r


def test_no_new_privileges(runtime, bundle, cid):
    bundle.config["process"]["noNewPrivileges"] = True
    bundle.helper("nnp").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and r.facts["nnp"] == "1", r
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.write()
    r = runtime.run(bundle, cid + "b")
    assert r.rc == 0 and r.facts["nnp"] == "0", r


def test_fd_inventory_at_execve(runtime, bundle, cid):
    bundle.helper("fds").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts["fds"] == "0,1,2", r


def test_fd_inventory_with_seccomp_listener_absent(runtime, bundle, cid):
    # A filter without NOTIFY must not leave a listener fd behind.
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}],
    }
    bundle.helper("fds").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts["fds"] == "0,1,2", r


def test_cwd_through_proc_fd_is_refused(capsa, bundle, cid):
    # CVE-2024-21626: a cwd under /proc/self/fd must not give a host directory.
    bundle.config["process"]["cwd"] = "/proc/self/fd/7"
    bundle.helper("cwd").write()
    r = capsa.run(bundle, cid)
    if r.rc == 0:
        assert not r.facts.get("cwd", "").startswith("/sys/fs/cgroup"), r
        assert r.facts.get("cwd", "/").startswith("/proc"), r
    h.ensure_nothing_left(capsa, cid, bundle)


def test_selinux_label_without_selinux(runtime, bundle, cid):
    if os.path.exists("/sys/fs/selinux/enforce"):
        pytest.skip("SELinux is enabled on this host")
    bundle.config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"
    bundle.helper("attr").write()
    r = runtime.run(bundle, cid)
    assert r.rc != 0, r
    assert "selinux label is specified in config, but selinux is disabled" in err_text(r), r


def test_apparmor_profile_without_apparmor(capsa, bundle, cid):
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            if f.read().startswith("Y"):
                pytest.skip("AppArmor is enabled on this host")
    except FileNotFoundError:
        pass
    bundle.config["process"]["apparmorProfile"] = "capsa-test"
    bundle.helper("attr").write()
    r = capsa.run(bundle, cid)
    assert r.rc != 0, r
    assert 'apparmor profile "capsa-test" specified but AppArmor is not enabled' in err_text(r), r
    h.ensure_nothing_left(capsa, cid, bundle)


# ---- malicious rootfs fixtures (CVE-2019-16884, -19921, -2023-27561, -2025-31133,
# -2026-47766): the runtime must refuse or stay inside the rootfs, never touch the host.

def _replace_with_symlink(rootfs, name, target):
    p = os.path.join(rootfs, name)
    if os.path.islink(p) or os.path.isfile(p):
        os.unlink(p)
    elif os.path.isdir(p):
        os.rmdir(p) if not os.listdir(p) else None
        if os.path.exists(p):
            import shutil
            shutil.rmtree(p)
    os.symlink(target, p)


def test_symlinked_proc_is_refused(capsa, bundle, cid, workdir):
    decoy = os.path.join(workdir, "decoy-proc")
    os.mkdir(decoy)
    _replace_with_symlink(bundle.rootfs, "proc", decoy)
    bundle.helper("caps").write()
    r = capsa.run(bundle, cid)
    assert r.rc != 0, r
    assert os.listdir(decoy) == [], "procfs was mounted on the host decoy"
    h.ensure_nothing_left(capsa, cid, bundle)


def test_symlinked_dev_is_refused_or_contained(capsa, bundle, cid, workdir):
    decoy = os.path.join(workdir, "decoy-dev")
    os.mkdir(decoy)
    _replace_with_symlink(bundle.rootfs, "dev", decoy)
    bundle.helper("caps").write()
    r = capsa.run(bundle, cid)
    # Either refused, or /dev resolved inside the rootfs: the host decoy stays empty.
    assert os.listdir(decoy) == [], (r, os.listdir(decoy))
    h.ensure_nothing_left(capsa, cid, bundle)


def test_dev_null_symlink_to_host_file(capsa, bundle, cid, workdir):
    victim = os.path.join(workdir, "victim")
    with open(victim, "w") as f:
        f.write("untouched")
    os.makedirs(os.path.join(bundle.rootfs, "dev"), exist_ok=True)
    _replace_with_symlink(bundle.rootfs, "dev/null", victim)
    bundle.helper("write", "/dev/null", "pwned").write()
    capsa.run(bundle, cid)
    with open(victim) as f:
        assert f.read() == "untouched"
    h.ensure_nothing_left(capsa, cid, bundle)


def test_exe_not_writable_during_exec(capsa, bundle, cid):
    # CVE-2019-5736: a container process holding /proc/<capsa>/exe cannot write it.
    # The init of a created container is still the capsa binary until start.
    bundle.helper("caps").write()
    r = capsa.create(bundle, cid)
    assert r.rc == 0, r
    pid = capsa.state(cid)["pid"]
    try:
        fd = os.open("/proc/%d/exe" % pid, os.O_PATH)
    except OSError as e:
        pytest.fail("cannot open init exe: %s" % e)
    try:
        with pytest.raises(OSError) as ei:
            os.open("/proc/self/fd/%d" % fd, os.O_WRONLY)
        assert ei.value.errno in (30, 26), ei.value   # EROFS (sealed) or ETXTBSY
        st = os.fstatvfs(fd) if hasattr(os, "fstatvfs") else None
        if st is not None:
            assert st.f_flag & os.ST_RDONLY, "capsa init runs from a writable mount"
    finally:
        os.close(fd)
    capsa.delete(cid, force=True)


# ---- seccomp: syscalls newer than the profile answer ENOSYS (runc's stub), so that
# glibc falls back (clone3 -> clone, close_range -> close loop, openat2, faccessat2).

import sys  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "security"))
import probe as sysprobe  # noqa: E402

# What the runtime's last steps (exec fifo, sync socket; runc's Go runtime) and a
# static glibc program need; the newest of them is rseq (334).
_STARTUP = ["openat", "read", "sendmsg", "recvmsg", "getpid", "gettid", "tgkill", "kill",
            "rt_sigreturn", "sigaltstack", "madvise", "sched_yield", "nanosleep",
            "clock_nanosleep", "clock_gettime", "epoll_pwait", "epoll_ctl", "pipe2", "clone",
            "mincore", "sched_getaffinity", "getdents64", "waitid", "wait4", "dup3", "fstatfs",
            "statfs", "fchdir", "getcwd", "prctl", "capget", "capset", "setresuid",
            "setresgid", "setgroups", "fchown", "access", "faccessat", "lseek",
            "execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq",
            "prlimit64", "readlinkat", "readlink", "mprotect", "mmap", "munmap", "uname",
            "write", "exit_group", "exit", "newfstatat", "fstat", "getrandom", "ioctl",
            "fcntl", "close", "getppid", "futex", "rt_sigprocmask", "rt_sigaction"]


@pytest.fixture(scope="module")
def probe_bin():
    return sysprobe.build()


def _errno_profile(extra_names=()):
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [{"names": _STARTUP + list(extra_names), "action": "SCMP_ACT_ALLOW"}],
    }


NEW_CALLS = ["clone3", "close_range", "openat2", "faccessat2"]


def test_seccomp_newer_syscalls_answer_enosys(runtime, bundle, cid, probe_bin):
    path = sysprobe.install(bundle, probe_bin)
    bundle.config["process"]["noNewPrivileges"] = True
    bundle.config["linux"]["seccomp"] = _errno_profile()
    bundle.set_args(path, "errno", "getppid", "mkdirat", *NEW_CALLS).write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    f = r.facts
    assert f["getppid"] == "0", r                       # allowed
    assert f["mkdirat"] == "EPERM", r                   # older than rseq, not listed
    for name in NEW_CALLS:                              # newer than the newest listed
        assert f[name] == "ENOSYS", (name, r)


def test_seccomp_enosys_only_above_newest_listed(runtime, bundle, cid, probe_bin):
    # Naming futex_waitv (449) makes every call below it "known to the profile":
    # the unlisted new calls get the default errno again.
    path = sysprobe.install(bundle, probe_bin)
    bundle.config["process"]["noNewPrivileges"] = True
    bundle.config["linux"]["seccomp"] = _errno_profile(["futex_waitv"])
    bundle.set_args(path, "errno", *NEW_CALLS).write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    for name in NEW_CALLS:
        assert r.facts[name] == "EPERM", (name, r)


def test_seccomp_enosys_also_for_numbers_libseccomp_cannot_name(runtime, bundle, cid, probe_bin):
    # fchmodat2 (452, Linux 6.6) is newer than Debian 12's libseccomp 2.5.4: glibc
    # 2.39 tries it first and falls back only on ENOSYS. 1000 is no syscall yet.
    # runc's stub compares numbers, so both answer ENOSYS, not the default EPERM.
    path = sysprobe.install(bundle, probe_bin)
    bundle.config["process"]["noNewPrivileges"] = True
    bundle.config["linux"]["seccomp"] = _errno_profile()
    bundle.set_args(path, "errno", "nr:452", "nr:1000", "mkdirat").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts["mkdirat"] == "EPERM", r
    assert r.facts["nr:452"] == "ENOSYS" and r.facts["nr:1000"] == "ENOSYS", r


def test_seccomp_allow_default_keeps_new_syscalls(capsa, bundle, cid, probe_bin):
    path = sysprobe.install(bundle, probe_bin)
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.set_args(path, "errno", "close_range", "faccessat2").write()
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts["close_range"] == "0" and r.facts["faccessat2"] == "0", r


# ---- personality, scheduler, ioPriority, execCPUAffinity, memoryPolicy: each one
# observed from inside the container.

def _sh(bundle, script):
    bundle.set_args("/bin/sh", "-c", script).write()


def test_personality_linux32(capsa, bundle, cid):
    # capsa only: runc 1.1.5 ignores linux.personality (runc 1.2 added it).
    bundle.config["linux"]["personality"] = {"domain": "LINUX32"}
    _sh(bundle, "uname -m")
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    assert r.out.strip() in ("i686", "i386"), r


def test_scheduler_batch_nice(capsa, bundle, cid):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 7}
    _sh(bundle, "cat /proc/self/stat")
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    fields = r.out.rsplit(")", 1)[1].split()      # after "(comm)": field 3 is index 0
    assert fields[19 - 3] == "7", r                 # nice
    assert fields[41 - 3] == "3", r                 # policy: SCHED_BATCH


def test_io_priority(capsa, bundle, cid):
    bundle.config["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}
    _sh(bundle, "ionice")
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    assert r.out.strip() == "best-effort: prio 6", r


def test_exec_cpu_affinity_final(capsa, bundle, cid):
    if os.cpu_count() < 2:
        pytest.skip("needs 2 CPUs to see an affinity change")
    bundle.config["process"]["execCPUAffinity"] = {"initial": "0-1", "final": "1"}
    _sh(bundle, "grep Cpus_allowed_list /proc/self/status")
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    assert r.out.split() == ["Cpus_allowed_list:", "1"], r


def test_memory_policy_bind(capsa, bundle, cid):
    if not os.path.exists("/proc/self/numa_maps"):
        pytest.skip("kernel without NUMA: no /proc/self/numa_maps to observe the policy")
    bundle.config["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0"}
    _sh(bundle, "cat /proc/self/numa_maps")
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    assert "bind:0" in r.out, r


# ---- seccomp notify: the listener at linux.seccomp.listenerPath receives the notify
# fd with the container process state, and answers the container's syscall.

import array  # noqa: E402
import fcntl as _fcntl  # noqa: E402
import json as _json  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import threading  # noqa: E402

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100     # _IOWR('!', 0, struct seccomp_notif), 80 bytes
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101     # _IOWR('!', 1, struct seccomp_notif_resp), 24


class NotifyAgent(threading.Thread):
    """Accepts one connection, takes the fd and state, answers one notification."""

    def __init__(self, path, answer):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(20)
        self.answer, self.state, self.nr, self.error = answer, None, None, None

    def run(self):
        try:
            conn, _ = self.sock.accept()
            fds = array.array("i")
            msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
            for level, typ, data in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
            self.state = _json.loads(msg.decode())
            conn.close()
            buf = bytearray(80)
            _fcntl.ioctl(fds[0], SECCOMP_IOCTL_NOTIF_RECV, buf)
            nid, _pid, _flags, self.nr = struct.unpack_from("=QIIi", buf)
            resp = struct.pack("=QqiI", nid, self.answer, 0, 0)
            _fcntl.ioctl(fds[0], SECCOMP_IOCTL_NOTIF_SEND, bytearray(resp))
            for fd in fds:
                os.close(fd)
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            self.sock.close()


def test_seccomp_notify_listener_answers(capsa, bundle, cid, workdir):
    path = os.path.join(workdir, "agent.sock")
    agent = NotifyAgent(path, 4242)
    agent.start()
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": path,
        "listenerMetadata": "capsa-test-meta",
        "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}],
    }
    # The listener fd went to the agent: the process holds only its stdio.
    bundle.helper("fds", "--", "syscall-errno", "getppid").write()
    r = capsa.run(bundle, cid)
    agent.join(10)
    assert agent.error is None, agent.error
    assert r.rc == 0, r
    f = r.facts
    assert f["ret"] == "4242", r                 # the agent's answer, not the kernel's
    assert f["fds"] == "0,1,2", r
    st = agent.state
    assert st["fds"] == ["seccompFd"] and st["metadata"] == "capsa-test-meta", st
    assert st["state"]["id"] == cid and st["state"]["status"] == "creating", st
    assert st["pid"] > 0 and st["state"]["pid"] == st["pid"], st
    assert agent.nr == 110, agent.nr               # __NR_getppid on x86_64


def test_seccomp_enosys_stub_under_kill_default(runtime, bundle, cid, probe_bin):
    # runc adds the stub for every non-permissive default: a new syscall answers
    # ENOSYS instead of killing the process.
    path = sysprobe.install(bundle, probe_bin)
    bundle.config["process"]["noNewPrivileges"] = True
    profile = _errno_profile()
    profile["defaultAction"] = "SCMP_ACT_KILL_PROCESS"
    bundle.config["linux"]["seccomp"] = profile
    bundle.set_args(path, "errno", "getppid", *NEW_CALLS).write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    for name in NEW_CALLS:
        assert r.facts[name] == "ENOSYS", (name, r)


@pytest.mark.parametrize("nnp", [True, False])
def test_no_new_privileges_blocks_setuid_gain(runtime, bundle, cid, nnp):
    # A setuid-root copy of the helper, run by uid 1000: the kernel grants euid 0
    # on execve unless no_new_privs is set.
    import shutil
    dest = os.path.join(bundle.rootfs, "bin", "suid-helper")
    shutil.copy2(os.path.join(bundle.rootfs, h.HELPER.lstrip("/")), dest)
    os.chown(dest, 0, 0)
    os.chmod(dest, 0o4755)
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.config["process"]["noNewPrivileges"] = nnp
    bundle.set_args("/bin/suid-helper", "ids").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts["uid"] == "1000", r
    assert r.facts["euid"] == ("1000" if nnp else "0"), r


def test_seccomp_without_nnp_for_non_root_user(runtime, bundle, cid):
    # Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: the runtime must
    # load it before setuid/capability drop, or a uid-1000 container cannot start.
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdirat", "mkdir"], "action": "SCMP_ACT_ERRNO",
                      "errnoRet": 42}]}
    bundle.helper("syscall-errno", "mkdir", "--", "nnp", "--", "ids").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    f = r.facts
    assert f["errno"] == "42" and f["nnp"] == "0" and f["euid"] == "1000", r
