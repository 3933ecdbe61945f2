"""Rootless containers: capsa run by an unprivileged user (nobody) with the config of
`capsa spec --rootless`: its own uid mapped to root, no cgroup it may write (runc's
"ignore cgroup permission errors"), exec through the container's user namespace."""

import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

import capsa_harness as h

NOBODY = 65534


def _as_nobody():
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def _run(argv, cwd, timeout=30):
    """Output through files, not pipes: a created container keeps its stdio open."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.run(argv, cwd=cwd, env=env, preexec_fn=_as_nobody, stdin=subprocess.DEVNULL,
                           stdout=out, stderr=err, timeout=timeout)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(argv, p.returncode, out.read().decode(),
                                           err.read().decode())


@pytest.fixture
def rootless(workdir, rootfs):
    """A copy of capsa, a state root and a bundle, all reachable by nobody."""
    probe = _run(["unshare", "--user", "--map-root-user", "true"], "/")
    if probe.returncode != 0:
        pytest.skip("unprivileged user namespaces are not allowed here: %s" % probe.stderr.strip())
    binary = os.path.join(workdir, "capsa")
    shutil.copy2(h.CAPSA_BIN, binary)
    os.chmod(binary, 0o755)
    bundle = os.path.join(workdir, "bundle")
    os.mkdir(bundle)
    os.symlink(rootfs, os.path.join(bundle, "rootfs"))
    os.chown(bundle, NOBODY, NOBODY)
    root = os.path.join(workdir, "state")
    os.mkdir(root, 0o700)
    os.chown(root, NOBODY, NOBODY)
    r = _run([binary, "spec", "--rootless"], bundle)
    assert r.returncode == 0, r
    ids = []

    def capsa(*args, **kw):
        if args and args[0] in ("run", "create"):
            ids.append(args[-1])
        return _run([binary, "--root", root] + list(args), bundle, **kw)

    def config(args, edit=None):
        with open(os.path.join(bundle, "config.json")) as f:
            c = json.load(f)
        c["process"]["terminal"] = False
        c["process"]["args"] = args
        if edit:
            edit(c)
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(c, f)

    yield capsa, config, root
    for cid in ids:
        capsa("delete", "--force", cid)
    h.reap_zombies()


def test_rootless_run_maps_own_uid_to_root(rootless, cid):
    capsa, config, _ = rootless
    config(["/bin/sh", "-c", "echo uid=$(id -u) gid=$(id -g); cat /proc/self/uid_map"])
    r = capsa("run", cid)
    assert r.returncode == 0, r
    assert "uid=0 gid=0" in r.stdout, r
    # The mapping: container root is nobody on the host, and nothing else.
    assert r.stdout.split()[2:] == ["0", str(NOBODY), "1"], r.stdout
    assert capsa("list", "-q").stdout.split() == []


def test_rootless_lifecycle_and_exec(rootless, cid):
    capsa, config, root = rootless
    config(["/bin/sleep", "60"])
    assert capsa("create", "--bundle", ".", cid).returncode == 0
    st = json.loads(capsa("state", cid).stdout)
    assert st["status"] == "created", st
    assert capsa("start", cid).returncode == 0
    st = json.loads(capsa("state", cid).stdout)
    assert st["status"] == "running", st
    # The host sees the init as nobody, inside it is root.
    assert os.stat("/proc/%d" % st["pid"]).st_uid == NOBODY
    # exec joins the container's user namespace before its pid namespace.
    r = capsa("exec", cid, "/bin/sh", "-c", "echo uid=$(id -u) pid1=$(cat /proc/1/comm)")
    assert r.returncode == 0, r
    assert "uid=0 pid1=sleep" in r.stdout, r
    assert capsa("kill", cid, "KILL").returncode == 0
    for _ in range(100):
        h.reap_zombies()
        if json.loads(capsa("state", cid).stdout)["status"] == "stopped":
            break
        time.sleep(0.05)
    r = capsa("delete", cid)
    assert r.returncode == 0, r
    assert capsa("list", "-q").stdout.split() == []
    assert not os.path.exists(os.path.join(root, cid))


def test_rootless_resources_need_a_writable_cgroup(rootless, cid):
    """Without a cgroup the user may write, a memory limit cannot be honoured: refused,
    naming the reason, and nothing left behind."""
    capsa, config, root = rootless

    def limit(c):
        c["linux"]["resources"] = {"memory": {"limit": 64 << 20}}
    config(["/bin/sh", "-c", "cat /sys/fs/cgroup/memory.max "
                             "/sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null"], limit)
    r = capsa("run", cid)
    if r.returncode == 0:
        # A cgroup nobody may write (delegated): then the limit must be in force.
        assert str(64 << 20) in r.stdout, r
        return
    assert "rootless: linux.resources needs a cgroup this user may write" in r.stderr, r
    assert not os.path.exists(os.path.join(root, cid))
