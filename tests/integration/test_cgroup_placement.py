"""Where the container's processes land in the cgroup hierarchies. On cgroup v1 (and
the v1 hierarchies of a hybrid host) the init and every exec'd process move
themselves, by writing "0" to each hierarchy's `tasks` file that capsa opened for
them (no RCU wait, cgroups/self_attach.c); the parent's cgroup.procs write is the
fallback (forced here with CAPSA_TEST_NO_SELF_ATTACH=1). v2 is born in place. Either
way every hierarchy must list the process in the container's cgroup, before any
container code runs."""

import os
import subprocess
import time

import pytest

import capsa_harness as h


def _hierarchies():
    """(controllers, is_v2) of each hierarchy this host has, from our own cgroup."""
    with open("/proc/self/cgroup") as f:
        return [line.split(":")[1] for line in f.read().splitlines()]


def _cgroup_of(pid):
    with open("/proc/%d/cgroup" % pid) as f:
        return {l.split(":")[1]: l.split(":", 2)[2] for l in f.read().splitlines()}


def _env(fallback):
    env = dict(os.environ)
    if fallback:
        env["CAPSA_TEST_NO_SELF_ATTACH"] = "1"
    else:
        env.pop("CAPSA_TEST_NO_SELF_ATTACH", None)
    return env


def _stop(capsa, cid):
    """exec -d leaves a process that we (the subreaper) must reap before the
    container's pid namespace can finish dying."""
    capsa.kill(cid, "KILL", "--all")
    deadline = time.time() + 10
    while time.time() < deadline and capsa.state(cid) and capsa.state(cid)["status"] != "stopped":
        h.reap_zombies()
        time.sleep(0.05)
    h.reap_zombies()
    assert capsa.delete(cid, force=True).rc == 0


def _assert_placed(pid, path):
    where = _cgroup_of(pid)
    for ctrl in _hierarchies():
        if ctrl not in where:
            continue
        if ctrl == "" and len(where) > 1:
            # The cgroup2 tree of a hybrid host carries no controller here: capsa
            # joins it where it can, never fatally (as runc).
            continue
        assert where[ctrl] == path, (ctrl, where, path)


@pytest.mark.parametrize("fallback", [False, True], ids=["self-attach", "parent-write"])
def test_init_and_exec_in_every_hierarchy(capsa, bundle, cid, workdir, fallback):
    path = "/capsa-place/" + cid
    bundle.config["linux"]["cgroupsPath"] = path
    bundle.set_args("sleep", "30").write()
    log = os.path.join(workdir, "debug.log")
    r = capsa("--debug", "--log", log, "run", "-d", "--bundle", bundle.path, cid,
              env=_env(fallback))
    assert r.rc == 0, r
    capsa._track(cid)
    init = capsa.state(cid)["pid"]
    _assert_placed(init, path)

    pidfile = os.path.join(workdir, "exec.pid")
    r = capsa("--debug", "--log", log, "exec", "-d", "--pid-file", pidfile, cid, "sleep", "30",
              env=_env(fallback))
    assert r.rc == 0, r
    with open(pidfile) as f:
        _assert_placed(int(f.read()), path)

    with open(log) as f:
        moved = f.read().count("moved itself into")
    v1 = any(c != "" for c in _hierarchies())
    if fallback or not v1:
        assert moved == 0, moved
    else:
        assert moved == 2, moved   # the init and the exec'd process
    _stop(capsa, cid)
    h.ensure_nothing_left(capsa, cid, bundle)


@pytest.mark.parametrize("fallback", [False, True], ids=["self-attach", "parent-write"])
def test_limits_bind_the_first_instruction(capsa, bundle, cid, fallback):
    """The pids limit applies before the container's first fork: placement happens
    before execve, whichever path moved it."""
    bundle.config["linux"]["resources"] = {"pids": {"limit": 1}}
    bundle.set_args("sh", "-c", "true & wait; echo forked").write()
    r = capsa("run", "--bundle", bundle.path, cid, env=_env(fallback))
    assert "forked" not in r.out, r
    assert r.rc != 0, r


def test_exec_sub_cgroup_with_self_attach(capsa, bundle, cid, workdir):
    """exec --cgroup: the named sub-cgroup on its controller, the container's cgroup
    on every other one, through the process's own tasks writes."""
    ctrls = [c for c in _hierarchies() if c]
    if "memory" not in ctrls:
        pytest.skip("no v1 memory hierarchy on this host (v2: test_cgroups covers it)")
    path = "/capsa-place/" + cid
    bundle.config["linux"]["cgroupsPath"] = path
    bundle.set_args("sleep", "30").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    os.mkdir("/sys/fs/cgroup/memory%s/sub" % path)
    pidfile = os.path.join(workdir, "exec.pid")
    r = capsa("exec", "-d", "--cgroup", "memory:sub", "--pid-file", pidfile, cid, "sleep", "30")
    assert r.rc == 0, r
    with open(pidfile) as f:
        where = _cgroup_of(int(f.read()))
    assert where["memory"] == path + "/sub", where
    for c in ctrls:
        if c != "memory":
            assert where[c] == path, (c, where)
    _stop(capsa, cid)


def test_pure_v1_layout_self_attach(capsa, bundle, cid, workdir):
    """A pure v1 host (no cgroup2 tree): capsa in a private mount namespace with the
    hybrid host's /sys/fs/cgroup/unified unmounted sees v1 only; the init still
    lands in every hierarchy, by its own writes."""
    if not os.path.ismount("/sys/fs/cgroup/unified"):
        pytest.skip("not a hybrid host: nothing to hide")
    path = "/capsa-place/" + cid
    bundle.config["linux"]["cgroupsPath"] = path
    bundle.set_args("sleep", "30").write()
    log = os.path.join(workdir, "debug.log")
    argv = [capsa.binary, "--root", capsa.root, "--debug", "--log", log, "run", "-d",
            "--bundle", bundle.path, cid]
    # Files, not pipes: the detached init keeps its stdio.
    with open(os.path.join(workdir, "unshare.err"), "w+") as err:
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            'umount /sys/fs/cgroup/unified && exec "$@"', "sh"] + argv,
                           stdout=subprocess.DEVNULL, stderr=err, timeout=30,
                           stdin=subprocess.DEVNULL)
        err.seek(0)
        assert r.returncode == 0, err.read()
    capsa._track(cid)
    _assert_placed(capsa.state(cid)["pid"], path)
    with open(log) as f:
        assert "moved itself into" in f.read()
    _stop(capsa, cid)
    h.ensure_nothing_left(capsa, cid, bundle)
