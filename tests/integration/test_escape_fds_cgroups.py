"""Issue 16, items 7 and 13: the container gets no handle of capsa's own, and an
exec'd process never leaves the container's cgroup.

Item 7: with fd 3 closed in the caller, `--preserve-fds 1` used to hand the
container capsa's own --log file (opened at the lowest free number).  The helper
inside lists its fds and their targets; the log file must not be among them, and
capsa refuses with the flag and the fd named (as runc does since runc#5474).

Item 13: `exec --cgroup memory:sub` (v1) moved the new process into memory/sub
only: in every other hierarchy it stayed in the caller's cgroup, outside the
container's limits.  The helper inside reads /proc/self/cgroup: every hierarchy
must show the container's cgroup, and the named sub-cgroup only where named.
Bad forms fail with runc's words and leave no process in the container.  These
need v1 controllers (this host is hybrid); the cgroup v2 case is in
test_cgroups.py, which tests/cgroup-v2.sh runs in the v2 guest."""

import os
import subprocess

import pytest

import capsa_harness as h
from test_cgroups import V1_MOUNTS


def _targets(facts):
    return {k: v for k, v in facts.items() if k.startswith("fd.")}


def _assert_refused(r, fd=3):
    assert r.rc != 0, "capsa handed over an fd the caller did not pass: %r" % r
    assert "--preserve-fds" in r.err and "fd %d" % fd in r.err, r


def _assert_log_not_inside(r, log):
    """Whatever capsa did, the container saw no fd on the --log file."""
    leaked = {k: v for k, v in _targets(r.facts).items() if v == log} if r.rc == 0 else {}
    assert not leaked, "the container holds capsa's log file: %r" % r


# --------------------------------------------------------------------------- item 7

@pytest.mark.parametrize("cmd", ["run", "create"])
def test_preserve_fds_never_hands_over_the_log_file(capsa, bundle, cid, workdir, cmd):
    log, out = os.path.join(workdir, "capsa.log"), os.path.join(workdir, "init.out")
    bundle.helper("fds").write()
    capsa._track(cid)
    # The harness starts capsa with every fd above 2 closed: fd 3 is free.
    r = capsa("--log", log, cmd, "--preserve-fds", "1", "--bundle", bundle.path, cid,
              stdout_path=out)
    if cmd == "create" and r.rc == 0:
        assert capsa.start(cid).rc == 0
        capsa.wait_status(cid, "stopped")
        with open(out) as f:
            r = h.Result(r.argv, r.rc, f.read(), r.err)
    _assert_log_not_inside(r, log)
    _assert_refused(r)
    h.ensure_nothing_left(capsa, cid, bundle)


def test_exec_preserve_fds_never_hands_over_the_log_file(capsa, bundle, cid, workdir):
    log = os.path.join(workdir, "capsa.log")
    bundle.helper("sleep", "30").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    r = capsa("--log", log, "exec", "--preserve-fds", "1", cid, h.HELPER, "fds")
    _assert_log_not_inside(r, log)
    _assert_refused(r)
    # Nothing started: only the init is in the container.
    ps = capsa("ps", "--format", "json", cid)
    assert ps.rc == 0 and len(ps.json()) == 1, ps


def test_preserve_fds_gap_is_refused(capsa, bundle, cid, workdir):
    """fd 3 passed, fd 4 not: --preserve-fds 2 names fd 4."""
    log = os.path.join(workdir, "capsa.log")
    bundle.helper("fds").write()
    capsa._track(cid)
    argv = [capsa.binary, "--root", capsa.root, "--log", log, "run", "--preserve-fds", "2",
            "--bundle", bundle.path, cid]
    p = subprocess.run(["/bin/sh", "-c", 'exec "$@" 3</dev/null', "sh"] + argv,
                       capture_output=True, text=True, timeout=30)
    r = h.Result(argv, p.returncode, p.stdout, p.stderr)
    _assert_log_not_inside(r, log)
    _assert_refused(r, fd=4)
    h.ensure_nothing_left(capsa, cid, bundle)


def test_preserve_fds_passed_fds_still_work(capsa, bundle, cid, workdir):
    """The caller really passes fds 3 and 4 (and a log file): both reach the process."""
    log = os.path.join(workdir, "capsa.log")
    bundle.helper("fds").write()
    capsa._track(cid)
    a, b = os.path.join(workdir, "a"), os.path.join(workdir, "b")
    argv = [capsa.binary, "--root", capsa.root, "--log", log, "run", "--preserve-fds", "2",
            "--bundle", bundle.path, cid]
    p = subprocess.run(["/bin/sh", "-c", 'exec "$@" 3>"$A" 4>"$B"', "sh"] + argv,
                       env=dict(os.environ, A=a, B=b), capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p
    f = h.facts(p.stdout)
    assert f["fds"] == "0,1,2,3,4", f
    assert f["fd.3"] == a and f["fd.4"] == b, f


def test_closed_stdout_does_not_become_the_log_file(capsa, bundle, cid, workdir):
    """With stdout closed, capsa's --log file took fd 1, and the created init held
    it as its stdout until start (anything exec'd could open /proc/1/fd/1). Now
    closed stdio is /dev/null before capsa opens anything."""
    log = os.path.join(workdir, "capsa.log")
    bundle.helper("sleep", "30").write()
    capsa._track(cid)
    argv = [capsa.binary, "--root", capsa.root, "--log", log, "create", "--bundle",
            bundle.path, cid]
    # stderr to a file: the created init keeps it open (a pipe would never end)
    with open(os.path.join(workdir, "create.err"), "w+") as err:
        p = subprocess.run(["/bin/sh", "-c", 'exec "$@" >&-', "sh"] + argv,
                           stdin=subprocess.DEVNULL, stderr=err, timeout=30)
        err.seek(0)
        assert p.returncode == 0, err.read()
    pid = capsa.state(cid)["pid"]
    held = {fd: os.readlink("/proc/%d/fd/%d" % (pid, fd)) for fd in (0, 1, 2)}
    assert log not in held.values(), "the created init holds capsa's log file: %r" % held
    assert held[1] == "/dev/null", held
    assert capsa.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)


# --------------------------------------------------------------------------- item 13

CG = "/sys/fs/cgroup"


def _v1_hierarchies():
    """controller list as /proc/self/cgroup shows it ("cpu,cpuacct", "name=systemd")
    -> its v1 mount point."""
    out = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            ctrls = line.split(":", 2)[1]
            if ctrls and ctrls.split(",")[0] in V1_MOUNTS:
                out[ctrls] = V1_MOUNTS[ctrls.split(",")[0]]
    return out


V1 = _v1_hierarchies()


def _needs_v1(*controllers):
    if not V1:
        pytest.skip("no cgroup v1 hierarchies here (pure v2: see test_cgroups.py)")
    for c in controllers:
        if not any(c in k.split(",") for k in V1):
            pytest.skip("no v1 %s hierarchy on this host" % c)


def _hier_of(controller):
    return next(k for k in V1 if controller in k.split(","))


def _cg_rel(cid):
    return "/capsa-test/%s" % cid


@pytest.fixture
def running(capsa, bundle, cid):
    """A running container in /capsa-test/<cid> (no cgroup namespace: the paths in
    /proc/self/cgroup are the host's)."""
    bundle.config["linux"]["cgroupsPath"] = _cg_rel(cid)
    bundle.helper("sleep", "60").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    st = capsa.wait_status(cid, "running")
    capsa.pids[cid] = st["pid"]
    return st["pid"]


def _mksub(cid, hierarchy, name, cpuset_from_parent=True):
    d = V1[hierarchy] + _cg_rel(cid) + "/" + name
    os.makedirs(d, exist_ok=True)
    if cpuset_from_parent and "cpuset" in hierarchy.split(","):
        # a new v1 cpuset cgroup has no cpus nor mems: it would take no process
        for f in ("cpuset.cpus", "cpuset.mems"):
            with open(os.path.join(os.path.dirname(d), f)) as src:
                value = src.read().strip()
            with open(os.path.join(d, f), "w") as dst:
                dst.write(value)
    return d


def _cgroup_of(r):
    """/proc/self/cgroup of the helper: controller list -> path."""
    assert r.rc == 0, r
    out = {}
    for line in r.out.splitlines():
        _, ctrls, path = line.split(":", 2)
        out[ctrls] = path
    return out


def _assert_placed(cg, cid, subs):
    """Every hierarchy at the container's cgroup, or at subs[hierarchy] below it."""
    base = _cg_rel(cid)
    for ctrls, path in cg.items():
        if ctrls == "":
            # hybrid cgroup2 tree: no limits of the container, but never the caller's
            assert path in (base, base + "/" + subs.get("", "")), cg
            continue
        want = base + ("/" + subs[ctrls] if ctrls in subs else "")
        assert path == want, "%s: %s, want %s (all: %r)" % (ctrls, path, want, cg)


def _pids_in_pidns(init_pid):
    ns = os.readlink("/proc/%d/ns/pid" % init_pid)
    found = []
    for ent in os.listdir("/proc"):
        if ent.isdigit():
            try:
                if os.readlink("/proc/%s/ns/pid" % ent) == ns:
                    found.append(int(ent))
            except OSError:
                pass
    return found


def test_exec_cgroup_one_controller_keeps_the_others(capsa, cid, running):
    _needs_v1("memory")
    _mksub(cid, _hier_of("memory"), "sub")
    r = capsa("exec", "--cgroup", "memory:sub", cid, h.HELPER, "cgroup")
    _assert_placed(_cgroup_of(r), cid, {_hier_of("memory"): "sub"})


def test_exec_cgroup_repeated_and_controller_lists(capsa, cid, running):
    _needs_v1("memory", "cpu", "cpuacct")
    _mksub(cid, _hier_of("memory"), "submem")
    for c in ("cpu", "cpuacct"):
        _mksub(cid, _hier_of(c), "subcpu")
    r = capsa("exec", "--cgroup", "memory:submem", "--cgroup", "cpu,cpuacct:subcpu", cid,
              h.HELPER, "cgroup")
    _assert_placed(_cgroup_of(r), cid, {_hier_of("memory"): "submem",
                                        _hier_of("cpu"): "subcpu",
                                        _hier_of("cpuacct"): "subcpu"})
    # a controller list alone, with a path that ".." keeps inside
    r = capsa("exec", "--cgroup", "cpu,cpuacct:x/../subcpu", cid, h.HELPER, "cgroup")
    _assert_placed(_cgroup_of(r), cid, {_hier_of("cpu"): "subcpu",
                                        _hier_of("cpuacct"): "subcpu"})


def test_exec_cgroup_root_and_bare_path(capsa, cid, running):
    _needs_v1("memory")
    r = capsa("exec", "--cgroup", "/", cid, h.HELPER, "cgroup")
    _assert_placed(_cgroup_of(r), cid, {})
    # A bare path is for every hierarchy (the hybrid cgroup2 tree only if it has it).
    for hier in V1:
        _mksub(cid, hier, "all")
    r = capsa("exec", "--cgroup", "all", cid, h.HELPER, "cgroup")
    _assert_placed(_cgroup_of(r), cid, {hier: "all" for hier in V1})


@pytest.mark.parametrize("args,needle", [
    (["--cgroup", ".."], "bad sub cgroup path"),
    (["--cgroup", "memory:a/../../.."], "bad sub cgroup path"),
    # a host path is a path below the container's cgroup, which has no such one
    (["--cgroup", "memory:" + CG + "/memory"], "No such file or directory"),
    (["--cgroup", "whaaat:/"], "unknown controller whaaat"),
    (["--cgroup", "memory:nonexistent"], "No such file or directory"),
    (["--cgroup", "nonexistent"], "No such file or directory"),
    (["--cgroup", ":x"], "(empty <controller> prefix)"),
    (["--cgroup", "memory:a", "--cgroup", "memory:b"], "controller memory specified multiple times"),
    (["--cgroup", "sub", "--cgroup", "memory:sub"], "(missing <controller>: prefix)"),
])
def test_exec_cgroup_bad_forms_fail_cleanly(capsa, cid, running, args, needle):
    _needs_v1("memory")
    r = capsa("exec", *args, cid, h.HELPER, "sleep", "30")
    assert r.rc != 0 and needle in r.err, r
    assert r.err.count("\n") == 1, r  # one clear line
    assert _pids_in_pidns(running) == [running], "a process stayed in the container"


def test_exec_cgroup_failed_join_kills_the_process(capsa, cid, running):
    """A v1 cpuset sub-cgroup with no cpus takes no process (ENOSPC): the join
    fails after the clone, and the half-placed process must not survive it."""
    _needs_v1("cpuset")
    d = _mksub(cid, _hier_of("cpuset"), "empty", cpuset_from_parent=False)
    with open(os.path.join(d, "cpuset.cpus")) as f:
        if f.read().strip():
            pytest.skip("new cpuset cgroups inherit cpus here (clone_children)")
    r = capsa("exec", "--cgroup", "cpuset:empty", cid, h.HELPER, "sleep", "30")
    assert r.rc != 0 and "cgroup" in r.err, r
    assert _pids_in_pidns(running) == [running], "a process stayed in the container"
    assert h.processes_in_cgroup("empty") == []
