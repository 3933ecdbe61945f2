"""Load (issue 12): `state`, `list`, `kill`, `pause`/`resume`, `update`, `ps` and
`delete --force` at the same time on the same 20 containers for a minute.

Workers (threads, each running capsa commands back to back) pick containers at
random. Every `state` and `list` output must parse as a whole, valid state (the id,
a known status, the init's pid while it runs); a live container is always running or
paused with the pid it started with; a container that `delete --force` took away
afterwards "does not exist" (while its delete runs, any valid state will do). Every
command must end within COMMAND_TIMEOUT (a hang fails the test), and once all
containers are deleted nothing is left: state entries, cgroups, mounts, processes.

CAPSA_LOAD_SECONDS shortens the minute (the issue's) for a quick look.
"""

import collections
import json
import os
import random
import signal
import threading
import time
import uuid

import capsa_harness as h
from test_load_cycles import cgroup_dirs_under, host_mounts, remove_cgroup_dirs, report
from test_crash_points import adopted, wait_stopped_or_exited

SECONDS = float(os.environ.get("CAPSA_LOAD_SECONDS", "60"))
CONTAINERS = 20
DELETED = 5                      # force-deleted while the others are still read
DELETE_AT = 2 / 3                # of SECONDS
COMMAND_TIMEOUT = 10.0
STATUSES = {"creating", "created", "running", "stopped", "paused"}


class Load:
    """What the workers share: the containers, their fate, counts and failures."""

    def __init__(self, rt, ids, pids):
        self.rt, self.ids, self.pids = rt, ids, pids
        self.deleting = set()    # delete --force started
        self.deleted = set()     # delete --force returned 0
        self.lock = threading.Lock()
        self.ops = collections.Counter()
        self.slowest = collections.Counter()    # kind -> its longest command, seconds
        self.failures = []
        self.stop = threading.Event()

    def fate(self, cid):
        with self.lock:
            return "deleted" if cid in self.deleted else (
                "deleting" if cid in self.deleting else "live")

    def count(self, what):
        with self.lock:
            self.ops[what] += 1

    def took(self, kind, secs):
        with self.lock:
            self.slowest[kind] = max(self.slowest[kind], secs)

    def fail(self, text):
        with self.lock:
            self.failures.append(text)

    def live_ids(self):
        with self.lock:
            return [i for i in self.ids if i not in self.deleting]


def worker_runtime(load, name):
    """A Runtime of its own per thread (Runtime numbers its output files unlocked),
    on the same state root; one pair of output files, rewritten by every command."""
    rt = h.Runtime("capsa", load.rt.binary, load.rt.root,
                   os.path.join(load.rt.workdir, "worker-" + name))
    paths = (os.path.join(rt.workdir, "out"), os.path.join(rt.workdir, "err"))

    def call(*args):
        return rt(*args, timeout=COMMAND_TIMEOUT, stdout_path=paths[0], stderr_path=paths[1])
    return call


def check_state(load, st, cid, fate_before, where):
    """A whole, valid state of cid; a live one runs (or is paused) with its init."""
    problems = []
    if not isinstance(st, dict):
        return ["%s: %s is not a state object: %r" % (where, cid, st)]
    if st.get("id") != cid:
        problems.append("id %r" % st.get("id"))
    status = st.get("status")
    if status not in STATUSES:
        problems.append("status %r" % status)
    if not isinstance(st.get("pid"), int):
        problems.append("pid %r" % st.get("pid"))
    elif status in ("running", "paused", "created") and st["pid"] <= 0:
        problems.append("pid %r while %s" % (st["pid"], status))
    if not st.get("bundle") or not st.get("ociVersion"):
        problems.append("no bundle or ociVersion")
    if fate_before == "live" and load.fate(cid) == "live":
        if status not in ("running", "paused"):
            problems.append("status %r of a live container" % status)
        elif st.get("pid") != load.pids[cid]:
            problems.append("pid %r, its init is %d" % (st.get("pid"), load.pids[cid]))
    return ["%s of %s: %s: %s" % (where, cid, "; ".join(problems), json.dumps(st))
            ] if problems else []


def gone_ok(load, cid, fate_before, res):
    """A failure that is right: the container is deleted and says so, or is being
    deleted and says that or that it no longer runs."""
    if res.rc != 1:
        return False
    if fate_before == "deleted":
        return "does not exist" in res.err
    if load.fate(cid) == "live":
        return False
    return any(s in res.err for s in ("does not exist", "not running", "not paused"))


def run_op(load, call, kind, cid, *args):
    """One command; a failure is recorded unless the container was deleted meanwhile."""
    fate = load.fate(cid) if cid else None
    t0 = time.monotonic()
    try:
        res = call(*args)
        load.took(kind, time.monotonic() - t0)
    except h.CommandTimeout as e:
        load.count(kind + " HUNG")
        load.fail("%s: %s" % (kind, e))
        return None, fate
    if res.rc == 0:
        load.count(kind)
    elif cid and gone_ok(load, cid, fate, res):
        load.count(kind + " (gone)")
    else:
        load.count(kind + " FAILED")
        load.fail("%s: rc %d: %s" % (" ".join(map(str, args)), res.rc, res.err.strip()[-300:]))
        return None, fate
    return res, fate


NO_OUTPUT = object()


def run_json(load, call, kind, cid, *args):
    """run_op, then its output parsed: (value, fate). The value is NO_OUTPUT when the
    command failed (a right failure too) or its output was not whole JSON (a wrong one)."""
    res, fate = run_op(load, call, kind, cid, *args)
    if res is None or res.rc != 0:
        return NO_OUTPUT, fate
    try:
        return json.loads(res.out), fate
    except ValueError as e:
        load.fail("%s %s: not whole JSON (%s): %r" % (kind, cid or "", e, res.out[-300:]))
        return NO_OUTPUT, fate


def state_reader(load, call, rng):
    while not load.stop.is_set():
        cid = rng.choice(load.ids)
        st, fate = run_json(load, call, "state", cid, "state", cid)
        if st is NO_OUTPUT:
            continue
        for p in check_state(load, st, cid, fate, "state"):
            load.fail(p)
        if fate != "live":
            load.count("state: %s while deleted" % st.get("status"))
        if fate == "deleted":
            load.fail("state of deleted %s answered: %s" % (cid, json.dumps(st)))


def list_reader(load, call, rng):
    while not load.stop.is_set():
        before = {i: load.fate(i) for i in load.ids}
        states, _ = run_json(load, call, "list", None, "list", "--format", "json")
        if states is NO_OUTPUT:
            continue
        if not isinstance(states, list):
            load.fail("list: not an array: %r" % (states,))
            continue
        seen = set()
        for st in states:
            cid = st.get("id") if isinstance(st, dict) else None
            if cid not in before:
                load.fail("list: unknown entry %r" % st)
                continue
            seen.add(cid)
            for p in check_state(load, st, cid, before[cid], "list"):
                load.fail(p)
            if before[cid] == "deleted":
                load.fail("list shows deleted %s" % cid)
        for cid, fate in before.items():
            if fate == "live" and load.fate(cid) == "live" and cid not in seen:
                load.fail("list misses live %s" % cid)


def pick(load, rng):
    """Mostly live containers, sometimes one that is (being) deleted."""
    live = load.live_ids()
    return rng.choice(live if live and rng.random() < 0.9 else load.ids)


def killer(load, call, rng):
    # SIGUSR1: the helper, pid 1 of its namespace without a handler, ignores it.
    while not load.stop.is_set():
        cid = pick(load, rng)
        run_op(load, call, "kill", cid, "kill", cid, "SIGUSR1")


def pauser(load, call, rng):
    while not load.stop.is_set():
        cid = pick(load, rng)
        res, _ = run_op(load, call, "pause", cid, "pause", cid)
        if res is not None and res.rc == 0:
            time.sleep(rng.random() * 0.05)
            run_op(load, call, "resume", cid, "resume", cid)


def updater(load, call, rng):
    while not load.stop.is_set():
        cid = pick(load, rng)
        if rng.random() < 0.5:
            run_op(load, call, "update pids", cid, "update", "--pids-limit",
                   rng.choice((100, 200)), cid)
        else:
            run_op(load, call, "update memory", cid, "update", "--memory",
                   rng.choice((64, 128)) << 20, cid)


def ps_reader(load, call, rng):
    while not load.stop.is_set():
        cid = pick(load, rng)
        pids, fate = run_json(load, call, "ps", cid, "ps", "--format", "json", cid)
        if pids is NO_OUTPUT:
            continue
        if fate == "live" and load.fate(cid) == "live" and load.pids[cid] not in (pids or []):
            load.fail("ps %s: %r lacks its init %d" % (cid, pids, load.pids[cid]))


def deleter(load, call, victims):
    """At DELETE_AT, delete --force each victim, one thread each, readers going on;
    the first victim paused first (delete must thaw it to kill it)."""
    if load.stop.wait(SECONDS * DELETE_AT):
        return

    def one(cid, call=call):
        with load.lock:
            load.deleting.add(cid)
        if cid == victims[0]:
            # The pauser may hold it paused already: then resume it says "not paused".
            res, _ = run_op(load, call, "pause", cid, "pause", cid)
            if res is not None and res.rc == 0:
                load.count("paused before delete")
        res, _ = run_op(load, call, "delete --force", cid, "delete", "--force", cid)
        if res is not None and res.rc == 0:
            with load.lock:
                load.deleted.add(cid)
        else:
            load.fail("delete --force %s failed" % cid)
    threads = [threading.Thread(target=one, args=(cid, worker_runtime(load, "del-" + cid)))
               for cid in victims]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


WORKERS = [("state-1", state_reader), ("state-2", state_reader), ("list", list_reader),
           ("kill", killer), ("pause", pauser), ("update", updater), ("ps", ps_reader)]


def test_concurrent_commands_on_20_containers(request, capsa, bundle, cid, workdir):
    parent = "capsa-load-%s" % uuid.uuid4().hex[:8]
    bundle.config["process"]["args"] = [h.HELPER, "sleep", "1000"]
    mounts_before = host_mounts(workdir)
    adopted_before = sorted(adopted())
    ids = ["%s-%d" % (cid, i) for i in range(CONTAINERS)]
    pids = {}
    try:
        for i in ids:
            bundle.config["linux"]["cgroupsPath"] = "/%s/%s" % (parent, i)
            bundle.write()
            pidfile = os.path.join(workdir, "pid")
            r = capsa.run(bundle, i, "--detach", "--pid-file", pidfile)
            assert r.rc == 0, r
            with open(pidfile) as f:
                pids[i] = int(f.read())
        load = Load(capsa, ids, pids)
        rng = random.Random(int(os.environ.get("CAPSA_LOAD_SEED", "12")))
        victims = rng.sample(ids, DELETED)
        threads = [threading.Thread(target=fn, args=(load, worker_runtime(load, name),
                                                     random.Random(rng.random())))
                   for name, fn in WORKERS]
        threads.append(threading.Thread(target=deleter, args=(load, None, victims)))
        t0 = time.monotonic()
        for t in threads:
            t.start()
        try:
            load.stop.wait(SECONDS)
        finally:
            load.stop.set()
            for t in threads:
                t.join(COMMAND_TIMEOUT * 2)
        took = time.monotonic() - t0
        assert not any(t.is_alive() for t in threads), "a worker did not stop"

        # The survivors still run their first init (SIGUSR1 did not end them).
        for i in ids:
            st = capsa.state(i)
            if i in victims:
                assert st is None, st
            else:
                assert st and st["status"] in ("running", "paused") and st["pid"] == pids[i], st
        for i in ids:
            if i not in victims:
                d = capsa.delete(i, force=True, timeout=COMMAND_TIMEOUT)
                assert d.rc == 0, d
        for i in ids:  # the inits are ours (the subreaper): reap them as a shim would
            got, _ = os.waitpid(pids[i], 0)
            assert got == pids[i]
        left = ["state entry %s" % e for e in os.listdir(capsa.root)]
        left += ["cgroup %s" % d for d in cgroup_dirs_under(parent)
                 if os.path.basename(d) != parent]
        left += ["process %d in the cgroups" % p for p in h.processes_in_cgroup(parent)]
        left += ["adopted process %s" % (p,) for p in sorted(adopted()) if p not in adopted_before]
        mounts_after = host_mounts(workdir)
        if mounts_after != mounts_before:
            left.append("mounts +%s -%s" % (sorted((mounts_after - mounts_before).elements()),
                                            sorted((mounts_before - mounts_after).elements())))
        for i in ids:
            left += h.leftovers(capsa, i, bundle)
    finally:
        remove_cgroup_dirs(parent)

    total = sum(load.ops.values())
    report(request, "\nconcurrent load: %d containers, %d workers, %.1f s, %d commands "
           "(%.0f/s), %d force-deleted at %.0f s:\n  %s"
           % (CONTAINERS, len(WORKERS), took, total, total / took, DELETED,
              SECONDS * DELETE_AT, "\n  ".join("%-22s %d" % kv
                                                for kv in sorted(load.ops.items())))
           + "\n  slowest: " + ", ".join("%s %.2f s" % kv for kv in sorted(load.slowest.items())))
    assert not load.failures, "%d failures, first ones:\n%s" % (
        len(load.failures), "\n".join(load.failures[:20]))
    assert not left, left
    for kind in ("state", "list", "kill", "pause", "resume", "update pids", "update memory",
                 "ps"):
        assert load.ops[kind] > 0, "no %s succeeded: the test tested nothing" % kind


def delete_stopped_while_removing(capsa, bundle, cid):
    """A running container's `delete --force`, stopped after state.json went."""
    bundle.helper("sleep", "1000").write()
    assert capsa.run(bundle, cid, "--detach").rc == 0
    capsa._remember_pid(cid)
    proc = capsa.spawn("delete", "--force", cid,
                       env=dict(os.environ, CAPSA_TEST_STOP_AT="delete:removing"))
    assert wait_stopped_or_exited(proc), capsa.finish(proc)
    return proc


def test_readers_during_delete_see_no_creating_container(capsa, bundle, cid):
    """The moment of `delete` after state.json went and before the dir did: `state`
    said "creating" (pid 0, no bundle) for the container being deleted, and `list`
    showed it so, which the concurrent test above caught. Now it does not exist."""
    proc = delete_stopped_while_removing(capsa, bundle, cid)
    try:
        assert os.listdir(os.path.join(capsa.root, cid)), "the dir is half removed"
        r = capsa("state", cid)
        assert r.rc == 1 and "does not exist" in r.err, r
        r = capsa("list", "--format", "json")
        assert r.rc == 0 and json.loads(r.out) in (None, []), r
        # (kill, pause, update wait for the delete's lock.)
        r = capsa("ps", cid)
        assert r.rc == 1 and "does not exist" in r.err, r
        # exec said 'open "state.json": No such file or directory' there (its
        # failures exit 255, as runc's do).
        r = capsa("exec", cid, "/bin/true")
        assert r.rc == 255 and "container does not exist" in r.err, r
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    assert capsa.finish(proc).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)


def test_delete_killed_while_removing_is_gone_and_the_id_free(capsa, bundle, cid):
    """A delete killed there leaves a marked dir without state.json: gone for the
    readers, and a create of the same id takes it over (as after a dead create)."""
    proc = delete_stopped_while_removing(capsa, bundle, cid)
    os.kill(proc.pid, signal.SIGKILL)
    capsa.finish(proc)
    h.reap_zombies()
    r = capsa("state", cid)
    assert r.rc == 1 and "does not exist" in r.err, r
    assert capsa.list_ids() == []
    assert capsa.create(bundle, cid).rc == 0
    assert capsa.state(cid)["status"] == "created"
    assert capsa.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)
