"""Crash safety (issue 12): capsa killed with SIGKILL at any moment leaves nothing
that `delete --force ID` cannot undo, and no orphan process.

With CAPSA_TEST_STOP_AT=<point> capsa stops itself (SIGSTOP) at a named point of
create, start, exec, update, pause or delete (libcontainer/test_stop.h); the test
waits for the stop, kills it, runs `delete --force` and looks for what is left:
cgroup directories on every hierarchy, processes (in the cgroup, or orphans
adopted by us, the subreaper), the state dir with its exec.fifo, mounts of the
bundle. A random-delay kill loop covers the moments between the named points.

CAPSA_CRASH_POINTS=a,b,... and CAPSA_CRASH_CONFIGS=plain,... run a subset (the
cgroup v2 guest's emulated CPU); CAPSA_CRASH_KILLS sets the number of random
kills (default 30).
"""

import os
import random
import signal
import subprocess
import time

import pytest

import capsa_harness as h

# In the cgroup v2 guest booted with systemd (tests/cgroup-v2.sh): the systemd driver.
SYSTEMD = os.environ.get("CAPSA_TEST_SYSTEMD") == "1"

# point -> the command it belongs to. Every one is reached by the plain config.
POINTS = {
    "create:statedir": "create",   # state dir made and locked, nothing else
    "create:cgroup": "create",     # the cgroup intent written, no cgroup yet
    "create:cloned": "create",     # init (or intermediate) cloned, waits for GO
    "create:go": "create",         # GO sent: the init mounts, P places it
    "create:ready": "create",      # the init said READY, nothing recorded yet
    "create:recorded": "create",   # state.json written, READY not acknowledged
    "start:locked": "start",
    "start:confirmed": "start",    # the init confirmed over exec.fifo, fifo not removed
    "exec:cloned": "exec",         # exec child cloned, waits for GO
    "exec:ready": "exec",          # exec child READY, not acknowledged
    "update:locked": "update",
    "pause:locked": "pause",
    "delete:killed": "delete",     # processes killed, cgroup still there
    "delete:cgroup": "delete",     # cgroup removed, state dir still there
    "delete:removing": "delete",   # state dir marked, state.json gone, the rest there
}

# The staged init takes other paths with a user namespace (maps written by P,
# re-armed parent-death signal) and with a time namespace (an intermediate child).
CONFIGS = os.environ.get("CAPSA_CRASH_CONFIGS", "plain,userns,timens").split(",")


def selected_points():
    only = os.environ.get("CAPSA_CRASH_POINTS")
    if not only:
        return list(POINTS)
    return [p for p in only.split(",") if p in POINTS]


@pytest.fixture
def capsa(request, workdir):
    """capsa, through the systemd driver when CAPSA_TEST_SYSTEMD=1."""
    rt = h.Runtime("capsa", h.CAPSA_BIN, os.path.join(workdir, "state-capsa"),
                   os.path.join(workdir, "io-capsa"),
                   global_args=["--systemd-cgroup"] if SYSTEMD else [])
    request.node._capsa_runtimes.append(rt)
    return rt


def scope_of(cid):
    """The systemd driver's unit without a cgroupsPath (system.slice:capsa:<id>)."""
    return "capsa-%s.scope" % cid


def configure(bundle, kind):
    c = bundle.config
    c["process"]["args"] = [h.HELPER, "sleep", "60"]
    if kind == "userns":
        c["linux"]["namespaces"].append({"type": "user"})
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        # runc's default /sys and /sys/fs/cgroup need the host's user namespace
        # for a new sysfs: take the config of test_namespaces' user namespace tests.
        c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]
    elif kind == "timens":
        c["linux"]["namespaces"].append({"type": "time"})
    bundle.write()


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def wait_stopped_or_exited(proc, timeout=20.0):
    """True when proc stopped itself (state T), False when it exited first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if proc_state(proc.pid) == "T":
            return True
        time.sleep(0.002)
    raise AssertionError("%s neither stopped nor exited" % proc.argv)


def adopted():
    """(pid, state letter) of each process whose parent is us (the subreaper)."""
    me = os.getpid()
    for ent in os.listdir("/proc"):
        if not ent.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % ent) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            yield int(ent), fields[0]


def reap_orphans(exclude=()):
    """Reap zombies adopted by us, but not the runtime processes we still wait for.
    An orphaned zombie in the container's pid namespace keeps that namespace's
    init from finishing its exit: a shim reaps them, so do we."""
    for pid, state in adopted():
        if state == "Z" and pid not in exclude:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def delete_force(rt, cid, timeout=30.0):
    """`delete --force`, reaping what the killed capsa left to us meanwhile."""
    p = rt.spawn("delete", "--force", cid)
    deadline = time.monotonic() + timeout
    while p.poll() is None and time.monotonic() < deadline:
        reap_orphans(exclude=(p.pid,))
        time.sleep(0.01)
    return rt.finish(p)


def orphans():
    """Live processes adopted by us: what a dead capsa left."""
    return [pid for pid, state in adopted() if state not in ("Z", "X")]


def leftovers_after(rt, cid, bundle, timeout=5.0):
    """Everything left of cid (retried briefly: killed processes take a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        problems = h.leftovers(rt, cid, bundle)
        if SYSTEMD:
            problems += ["cgroup %s still exists" % d for d in h.cgroup_dirs_named(scope_of(cid))]
            active = subprocess.run(["systemctl", "is-active", scope_of(cid)],
                                    capture_output=True, text=True).stdout.strip()
            if active not in ("inactive", "unknown", ""):
                problems.append("unit %s is %s" % (scope_of(cid), active))
        problems += ["orphan process %d (%s)" % (p, comm(p)) for p in orphans()]
        if not problems or time.monotonic() > deadline:
            return problems
        time.sleep(0.05)


def comm(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def setup_for(rt, bundle, cid, command):
    """The container the command acts on, and the command's arguments."""
    if command == "create":
        return ["create", "--bundle", bundle.path, cid]
    r = rt.create(bundle, cid)
    assert r.rc == 0, r
    if command == "start":
        return ["start", cid]
    assert rt.start(cid).rc == 0
    if command == "exec":
        return ["exec", "--detach", cid, h.HELPER, "sleep", "60"]
    if command == "update":
        return ["update", "--pids-limit", "100", cid]
    if command == "pause":
        return ["pause", cid]
    return ["delete", "--force", cid]


def crash_at(rt, bundle, cid, point):
    """Kill capsa at point; returns (reached, leftovers after delete --force)."""
    rt._track(cid)
    args = setup_for(rt, bundle, cid, POINTS[point])
    env = dict(os.environ, CAPSA_TEST_STOP_AT=point)
    proc = rt.spawn(*args, env=env)
    reached = wait_stopped_or_exited(proc)
    if reached:
        os.kill(proc.pid, signal.SIGKILL)
    res = rt.finish(proc)
    d = delete_force(rt, cid)
    assert d.rc == 0, (point, d)
    # Idempotent: a second one finds nothing and succeeds too.
    assert rt.delete(cid, force=True).rc == 0
    return reached, leftovers_after(rt, cid, bundle), res


@pytest.mark.parametrize("kind", CONFIGS)
def test_kill_at_each_point_leaves_nothing(capsa, make_bundle, cid, kind):
    table = []
    leaks = {}
    not_reached = []
    for i, point in enumerate(selected_points()):
        bundle = make_bundle()
        configure(bundle, kind)
        pid = "%s-%d" % (cid, i)
        reached, left, res = crash_at(capsa, bundle, pid, point)
        if not reached:
            not_reached.append("%s (%s exited %d: %s)" % (point, POINTS[point], res.rc,
                                                          res.err.strip()[-200:]))
        if left:
            leaks[point] = left
        table.append("%-18s %-8s %s" % (point, "stopped" if reached else "NOT REACHED",
                                        "; ".join(left) if left else "nothing left"))
        # The same id is free again.
        r = capsa.create(bundle, pid)
        assert r.rc == 0, (point, r)
        assert capsa.delete(pid, force=True).rc == 0
        h.ensure_nothing_left(capsa, pid, bundle)
    print("\nkill points (%s config):\n  %s" % (kind, "\n  ".join(table)))
    if not_reached:
        print("not reached: %s" % "; ".join(not_reached))
    assert not leaks, leaks
    # Every point lies on the path of these configs: one not reached is a
    # stop point that went missing (or a baseline binary without them).
    assert not not_reached, not_reached


def test_random_kills_during_create_leave_nothing(capsa, make_bundle, cid):
    """SIGKILL at random moments of create, then delete --force."""
    kills = int(os.environ.get("CAPSA_CRASH_KILLS", "30"))
    rng = random.Random(int(os.environ.get("CAPSA_CRASH_SEED", "12")))
    bundle = make_bundle()
    configure(bundle, "plain")
    # Spread the kills over the time a create takes here (at most 250 ms): later
    # ones would only find a finished create.
    took = []
    for i in range(2):
        t0 = time.monotonic()
        assert capsa.create(bundle, "%s-t%d" % (cid, i)).rc == 0
        took.append(time.monotonic() - t0)
        assert capsa.delete("%s-t%d" % (cid, i), force=True).rc == 0
    window = min(0.250, 1.5 * max(took))
    leaks = []
    for i in range(kills):
        delay = window * (i + rng.random()) / kills
        pid = "%s-r%d" % (cid, i)
        capsa._track(pid)
        proc = capsa.spawn("create", "--bundle", bundle.path, pid)
        time.sleep(delay)
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        capsa.finish(proc)
        d = delete_force(capsa, pid)
        left = leftovers_after(capsa, pid, bundle, timeout=2.0)
        if d.rc != 0 or left:
            leaks.append("%3.0f ms: %s%s" % (delay * 1000, "delete failed: %s; " % d.err.strip()
                                             if d.rc != 0 else "", "; ".join(left)))
            # Clean up by hand so the next round starts clean.
            for p in orphans():
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for path in sorted(h.cgroup_dirs_named(pid), key=len, reverse=True):
                try:
                    os.rmdir(path)
                except OSError:
                    pass
    print("\nrandom kills over %.0f ms: %d of %d left something" % (window * 1000, len(leaks),
                                                                   kills))
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("kind", [k for k in CONFIGS if k != "userns"])
def test_create_again_after_kill(capsa, make_bundle, cid, kind):
    """A create killed before it wrote state.json leaves a dir that a new create of
    the same id takes over (cleaning what the dead one made); one killed after is
    a container that exists (runc's answer too), until delete --force."""
    not_reached = []
    for i, point in enumerate(p for p in selected_points() if POINTS[p] == "create"):
        bundle = make_bundle()
        configure(bundle, kind)
        pid = "%s-%d" % (cid, i)
        capsa._track(pid)
        proc = capsa.spawn("create", "--bundle", bundle.path, pid,
                           env=dict(os.environ, CAPSA_TEST_STOP_AT=point))
        if not wait_stopped_or_exited(proc):
            not_reached.append(point)
            continue
        os.kill(proc.pid, signal.SIGKILL)
        capsa.finish(proc)
        reap_orphans()
        r = capsa.create(bundle, pid)
        if point == "create:recorded":
            assert r.rc == 1 and "already exists" in r.err, (point, r)
        else:
            assert r.rc == 0, (point, r)
            assert capsa.start(pid).rc == 0, point
            assert capsa.state(pid)["status"] == "running", point
        d = delete_force(capsa, pid)
        assert d.rc == 0, (point, d)
        assert leftovers_after(capsa, pid, bundle) == [], point
    assert not not_reached, not_reached


def test_create_takes_over_a_dead_creates_dir(capsa, bundle, cid):
    """What a create killed just after its mkdir leaves (an empty, unlocked state
    dir) does not block the id: baseline capsa said "already exists" forever."""
    configure(bundle, "plain")
    os.makedirs(os.path.join(capsa.root, cid), mode=0o711)
    r = capsa.create(bundle, cid)
    assert r.rc == 0, r
    assert capsa.state(cid)["status"] == "created"
    assert capsa.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)
