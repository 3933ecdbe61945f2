"""Docker and podman with capsa (and runc, to show the tests are right) as the
OCI runtime: the same docker-compatible command lines against both engines."""

import os
import re
import subprocess
import time

import pytest

import engines as e

IMG = e.IMAGE


def ok(r):
    assert r.returncode == 0, "rc=%d out=%r err=%r" % (r.returncode, r.stdout, r.stderr[-2000:])
    return r.stdout


def test_run_rm_output(dk):
    assert ok(dk.run("--rm", IMG, "echo", "hello from", dk.runtime)) == "hello from %s\n" % dk.runtime


def test_exit_code(dk):
    r = dk.run("--rm", IMG, "sh", "-c", "exit 42")
    assert r.returncode == 42, r


def test_detached_exec_stop_rm(dk, name):
    ok(dk.run("-d", IMG, "sleep", "1000", name=name))
    assert dk.inspect(name, "{{.State.Running}}") == "true"
    assert ok(dk("exec", name, "sh", "-c", "echo $((6*7))")) == "42\n"
    assert dk("exec", name, "sh", "-c", "exit 5").returncode == 5
    assert ok(dk("exec", "-u", "1000", "-w", "/tmp", "-e", "X=y", name, "sh", "-c",
                 "echo $(id -u) $PWD $X")) == "1000 /tmp y\n"
    ok(dk("stop", "-t", "1", name))
    assert dk.inspect(name, "{{.State.Running}}") == "false"
    ok(dk("rm", name))


def test_tty(dk):
    out = ok(dk.run("--rm", "-t", IMG, "tty"))
    assert re.match(r"^/dev/pts/\d+\s*$", out), out


def test_interactive_tty(dk):
    # -i -t needs a terminal on our side: script(1) gives the CLI one.
    base = [dk.engine] if dk.engine == "podman" else ["docker"]
    cmd = " ".join(dk.eng.cli_argv("run", *dk.eng.runtime_args(dk.runtime), "--rm", "-i", "-t",
                                   IMG, "sh", "-c", "'read x; echo got:$x; tty'"))
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], input="ping\n", text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                       env=getattr(dk.eng, "env", None))
    assert r.returncode == 0, r.stdout
    assert "got:ping" in r.stdout and "/dev/pts/" in r.stdout, r.stdout


def test_user(dk):
    assert ok(dk.run("--rm", "--user", "1000:1000", IMG, "id", "-u")) == "1000\n"
    assert ok(dk.run("--rm", "--user", "1000:1000", IMG, "id", "-g")) == "1000\n"


def cap_eff(out):
    return int(re.search(r"CapEff:\s*([0-9a-f]+)", out).group(1), 16)


def test_cap_drop_add(dk):
    out = ok(dk.run("--rm", "--cap-drop", "ALL", "--cap-add", "KILL", IMG, "cat",
                    "/proc/self/status"))
    assert cap_eff(out) == 1 << 5, out  # CAP_KILL only
    out = ok(dk.run("--rm", "--cap-drop", "CHOWN", IMG, "cat", "/proc/self/status"))
    assert not cap_eff(out) & 1 and cap_eff(out) & (1 << 5)
    r = dk.run("--rm", "--cap-drop", "CHOWN", IMG, "chown", "1000", "/tmp")
    assert r.returncode != 0


def test_read_only_rootfs(dk):
    r = dk.run("--rm", "--read-only", IMG, "touch", "/newfile")
    assert r.returncode != 0 and "Read-only" in r.stdout + r.stderr, r
    ok(dk.run("--rm", IMG, "touch", "/newfile"))


def cgroup_file(dk, name, controller, filename):
    """Read a file of the container's cgroup from the host (v1 hybrid or v2)."""
    pid = dk.inspect(name, "{{.State.Pid}}")
    with open("/proc/%s/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(","):
                with open("/sys/fs/cgroup/%s%s/%s" % (controller, path, filename)) as g:
                    return g.read().strip()
    pytest.skip("no %s cgroup v1 controller here" % controller)


def test_memory_and_pids_limits(dk, name):
    ok(dk.run("-d", "--memory", "64m", "--pids-limit", "50", IMG, "sleep", "1000", name=name))
    assert cgroup_file(dk, name, "memory", "memory.limit_in_bytes") == str(64 << 20)
    assert cgroup_file(dk, name, "pids", "pids.max") == "50"
    # and from inside: the container's own cgroup view agrees
    out = ok(dk("exec", name, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"))
    assert out.strip() == str(64 << 20)


def test_cpu_quota(dk, name):
    ok(dk.run("-d", "--cpus", "0.5", IMG, "sleep", "1000", name=name))
    quota = int(cgroup_file(dk, name, "cpu", "cpu.cfs_quota_us"))
    period = int(cgroup_file(dk, name, "cpu", "cpu.cfs_period_us"))
    assert quota * 2 == period, (quota, period)


def test_oom_kill_reported(dk, name):
    # tail keeps an endless line in memory: it grows until the cgroup OOM-kills it.
    r = dk.run("--memory", "32m", "--memory-swap", "32m", IMG, "tail", "/dev/zero", name=name,
               timeout=120)
    assert r.returncode == 137, r
    if dk.engine == "docker":
        # podman 4.3 with cgroup v1 does not set OOMKilled for any runtime (runc too)
        assert dk.inspect(name, "{{.State.OOMKilled}}") == "true"


def test_env_and_workdir(dk):
    assert ok(dk.run("--rm", "-e", "FOO=bar", "-w", "/tmp", IMG, "sh", "-c",
                     "echo $FOO $(pwd)")) == "bar /tmp\n"


def test_pause_unpause(dk, name):
    ok(dk.run("-d", IMG, "sleep", "1000", name=name))
    ok(dk("pause", name))
    assert dk.inspect(name, "{{.State.Status}}") == "paused"
    ok(dk("unpause", name))
    assert dk.inspect(name, "{{.State.Status}}") == "running"
    assert ok(dk("exec", name, "echo", "alive")) == "alive\n"


def test_kill_with_signal(dk, name):
    ok(dk.run("-d", IMG, "sh", "-c", "trap 'echo got USR1; exit 7' USR1; "
              "echo ready; while true; do sleep 0.1; done", name=name))
    deadline = time.monotonic() + 20
    while "ready" not in dk("logs", name).stdout and time.monotonic() < deadline:
        time.sleep(0.2)
    ok(dk("kill", "-s", "USR1", name))
    assert ok(dk("wait", name)).strip() == "7"
    assert "got USR1" in dk("logs", name).stdout


def test_top(dk, name):
    ok(dk.run("-d", IMG, "sleep", "1234", name=name))
    assert "sleep 1234" in ok(dk("top", name))


def test_logs(dk, name):
    r = dk.run(IMG, "sh", "-c", "echo out-line; echo err-line >&2", name=name)
    assert r.returncode == 0, r
    r = dk("logs", name)
    assert "out-line" in r.stdout and "err-line" in r.stderr + r.stdout, r


def test_default_seccomp(dk):
    out = ok(dk.run("--rm", IMG, "grep", "Seccomp:", "/proc/self/status"))
    assert out.split()[1] == "2", out  # a filter is loaded
    out = ok(dk.run("--rm", "--security-opt", "seccomp=unconfined", IMG, "grep", "Seccomp:",
                    "/proc/self/status"))
    assert out.split()[1] == "0", out
    if dk.engine != "docker":
        return  # podman's default profile allows unshare(CLONE_NEWUSER)
    # Docker's default profile refuses unshare without CAP_SYS_ADMIN: a user
    # namespace cannot be made, though the kernel would allow it unconfined.
    r = dk.run("--rm", IMG, "unshare", "-U", "true")
    assert r.returncode != 0, r
    ok(dk.run("--rm", "--security-opt", "seccomp=unconfined", IMG, "unshare", "-U", "true"))


def test_tmpfs(dk):
    out = ok(dk.run("--rm", "--tmpfs", "/scratch:size=1m", IMG, "sh", "-c",
                    "grep ' /scratch ' /proc/mounts; echo x > /scratch/f && cat /scratch/f"))
    assert "tmpfs /scratch tmpfs" in out and "size=1024k" in out and out.endswith("x\n"), out


def test_bind_mounts(dk, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    (src / "in").write_text("from host\n")
    os.chmod(src, 0o777)
    assert ok(dk.run("--rm", "-v", "%s:/data:ro" % src, IMG, "cat", "/data/in")) == "from host\n"
    r = dk.run("--rm", "-v", "%s:/data:ro" % src, IMG, "touch", "/data/new")
    assert r.returncode != 0
    ok(dk.run("--rm", "-v", "%s:/data" % src, IMG, "sh", "-c", "echo written > /data/out"))
    assert (src / "out").read_text() == "written\n"


def test_hostname(dk):
    assert ok(dk.run("--rm", "--hostname", "capsa-host", IMG, "hostname")) == "capsa-host\n"


def test_ulimit(dk):
    # podman drops its default_ulimits when --ulimit is given: keep nproc within this host's
    extra = ["--ulimit", "nproc=1024:1024"] if dk.engine == "podman" else []
    assert ok(dk.run("--rm", "--ulimit", "nofile=512:512", *extra, IMG, "sh", "-c",
                     "ulimit -n")) == "512\n"


def test_sysctl(dk):
    out = ok(dk.run("--rm", "--network", "none", "--sysctl", "net.ipv4.ip_forward=1", IMG, "cat",
                    "/proc/sys/net/ipv4/ip_forward"))
    assert out == "1\n"


def test_device(dk):
    out = ok(dk.run("--rm", "--device", "/dev/null:/dev/mynull", IMG, "sh", "-c",
                    "test -c /dev/mynull && echo ok > /dev/mynull && echo fine"))
    assert out == "fine\n"


def test_restart(dk, name):
    ok(dk.run("-d", IMG, "sleep", "1000", name=name))
    pid1 = dk.inspect(name, "{{.State.Pid}}")
    ok(dk("restart", "-t", "1", name))
    assert dk.inspect(name, "{{.State.Running}}") == "true"
    assert dk.inspect(name, "{{.State.Pid}}") != pid1


def test_twenty_containers_leave_nothing(dk):
    names = ["e2e-many-%s-%d" % (os.urandom(3).hex(), i) for i in range(20)]
    ids = []
    for n in names:
        ids.append(ok(dk.run("-d", IMG, "sleep", "1000", name=n)).strip())
    ok(dk("rm", "-f", *names, timeout=300))
    dk.names = [n for n in dk.names if n not in names]
    time.sleep(1)
    full = [dk.inspect(n, "{{.Id}}") for n in names]
    assert not any(full), full
    for cid in ids:
        assert not _cgroups_named(cid), cid
        assert not _mounts_with(cid), cid
        assert not _state_dirs_named(cid, dk.eng.base), cid


def _cgroups_named(cid):
    found = []
    for top in os.listdir("/sys/fs/cgroup"):
        for root, dirs, _ in os.walk(os.path.join("/sys/fs/cgroup", top)):
            found += [os.path.join(root, d) for d in dirs if cid in d]
    return found


def _mounts_with(cid):
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if cid in l]


def _state_dirs_named(cid, base):
    found = []
    for root, dirs, _ in os.walk(base):
        found += [os.path.join(root, d) for d in dirs if d == cid]
        if root.count("/") - base.count("/") > 6:
            dirs[:] = []
    return found


def test_podman_pod_shares_namespaces(podman):
    pod = "e2e-pod-" + os.urandom(3).hex()
    ok(podman("pod", "create", "--name", pod))
    try:
        a = "%s-a" % pod
        ok(podman.run("-d", "--pod", pod, IMG, "sleep", "1000", name=a))
        infra = podman("pod", "inspect", "-f", "{{.InfraContainerID}}", pod).stdout.strip()
        assert infra
        out = ok(podman("exec", a, "sh", "-c", "for n in uts ipc net; do readlink /proc/self/ns/$n; done"))
        pid = podman.inspect(infra, "{{.State.Pid}}")
        want = [os.readlink("/proc/%s/ns/%s" % (pid, ns)) for ns in ("uts", "ipc", "net")]
        assert out.split() == want, (out, want)
    finally:
        podman("pod", "rm", "-f", pod)


# ---------------------------------------------------- update (issue 17)

def cgroup_limits(pid):
    """The memory, soft limit, pids and CFS limits of process pid's cgroups, v1 or v2,
    in v1 units (v2's cpu.max split into quota and period)."""
    v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    dirs = {}
    with open("/proc/%s/cgroup" % pid) as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            if v2 and hid == "0":
                dirs = dict.fromkeys(("memory", "pids", "cpu"), "/sys/fs/cgroup" + path)
            for c in ctrls.split(","):
                if not v2 and c in ("memory", "pids", "cpu"):
                    dirs[c] = "/sys/fs/cgroup/%s%s" % (c, path)

    def read(ctrl, f):
        with open(os.path.join(dirs[ctrl], f)) as g:
            return g.read().strip()
    if v2:
        quota, period = read("cpu", "cpu.max").split()
        return {"memory": read("memory", "memory.max"), "soft": read("memory", "memory.low"),
                "pids": read("pids", "pids.max"), "quota": quota, "period": period}
    return {"memory": read("memory", "memory.limit_in_bytes"),
            "soft": read("memory", "memory.soft_limit_in_bytes"),
            "pids": read("pids", "pids.max"), "quota": read("cpu", "cpu.cfs_quota_us"),
            "period": read("cpu", "cpu.cfs_period_us")}


def test_update_changes_only_what_it_names(dk, name):
    """docker update sends every resource, 0 for what was not asked (runc: unchanged):
    --restart changes no limit, --pids-limit, --cpus and --memory change only theirs
    (not the soft limit, not the CPU quota)."""
    ok(dk.run("-d", "--memory", "64m", "--memory-reservation", "32m", "--pids-limit", "50",
              "--cpus", "0.5", IMG, "sleep", "1000", name=name))
    pid = dk.inspect(name, "{{.State.Pid}}")  # once: each CLI call costs in the v2 guest
    if dk.engine == "docker" and e.DOCKER_CGROUP_DRIVER == "systemd":
        with open("/proc/%s/cgroup" % pid) as f:  # v2-guest.sh: really systemd's unit
            assert ".scope" in f.read(), "not in a systemd scope"
    want = cgroup_limits(pid)
    assert (want["memory"], want["pids"], want["quota"], want["period"]) == \
        (str(64 << 20), "50", "50000", "100000"), want
    steps = [(("--cpus", "0.25"), {"quota": "25000"}),
             (("--memory", "96m"), {"memory": str(96 << 20)})]
    if dk.engine == "docker":  # podman 4.3's update has neither --restart nor --pids-limit
        steps[:0] = [(("--restart", "on-failure:3"), {}), (("--pids-limit", "60"), {"pids": "60"})]
    for flags, changed in steps:
        ok(dk("update", *flags, name))
        want.update(changed)
        assert cgroup_limits(pid) == want, flags
    assert dk.inspect(name, "{{.State.Running}}") == "true"


# ------------------------------------------- --device PATH:DEST:r (issue 16 item 11)

def open_probe(paths):
    """sh that opens each path for reading, writing and both, one line each:
    `PATH MODE ok` or `PATH MODE <the shell's error>` (a subshell, so a failed
    redirection does not end the script)."""
    lines = []
    for p in paths:
        for mode, redir in (("r", "<"), ("w", ">"), ("rw", "<>")):
            lines.append("echo %s %s $( (true %s %s) 2>&1 && echo ok)" % (p, mode, redir, p))
    return "; ".join(lines)


# A char device outside the default rules that opens for reading without a privilege:
# fuse as in issue 16; the v2 guest's kernel has no fuse, but has userfaultfd.
READ_ONLY_DEVICES = ("/dev/fuse", "/dev/userfaultfd")


def test_device_read_only_rule(dk):
    """`--device /dev/fuse:/dev/f:r` gives the node with an "r" device rule: it opens for
    reading; opening it for writing is refused by the device cgroup (EPERM), and so is
    a copy of it made with mknod.  capsa used to leave it writable."""
    dev = next((d for d in READ_ONLY_DEVICES if os.path.exists(d)), None)
    if dev is None:
        pytest.skip("none of %s on this host" % ", ".join(READ_ONLY_DEVICES))
    st = os.stat(dev)
    out = ok(dk.run("--rm", "--cap-add", "MKNOD", "--device", dev + ":/dev/f:r", IMG,
                    "sh", "-c", "mknod /dev/f2 c %d %d && chmod 666 /dev/f2; %s" % (
                        os.major(st.st_rdev), os.minor(st.st_rdev),
                        open_probe(["/dev/f", "/dev/f2"]))))
    got = {tuple(l.split(" ", 2)[:2]): l.split(" ", 2)[2] for l in out.splitlines()
           if l.count(" ") >= 2}
    assert got.get(("/dev/f", "r")) == "ok", (dev, out)
    for key in [("/dev/f", "w"), ("/dev/f", "rw"), ("/dev/f2", "w"), ("/dev/f2", "rw")]:
        assert "Operation not permitted" in got.get(key, ""), (dev, key, out)
