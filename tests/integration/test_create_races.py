"""Load (issue 12): many creates at once. Distinct ids all succeed; racing creates
of one id have exactly one winner, the others say "already exists" with exit 1;
racing `delete --force` all succeed; nothing is left behind.

CAPSA_RACE_SCALE scales the numbers down (the cgroup v2 guest's emulated CPU)."""

import os

import capsa_harness as h

SCALE = float(os.environ.get("CAPSA_RACE_SCALE", "1"))


def n(count):
    return max(2, int(count * SCALE))


def sleeping(bundle):
    bundle.config["process"]["args"] = [h.HELPER, "sleep", "60"]
    bundle.write()
    return bundle


def run_all(rt, argvs, timeout=120):
    procs = [rt.spawn(*a) for a in argvs]
    return [rt.finish(p, timeout=timeout) for p in procs]


def test_parallel_creates_of_distinct_ids(capsa, bundle, cid):
    sleeping(bundle)
    ids = ["%s-%d" % (cid, i) for i in range(n(100))]
    for i in ids:
        capsa._track(i)
    results = run_all(capsa, [("create", "--bundle", bundle.path, i) for i in ids])
    failed = [r for r in results if r.rc != 0]
    assert not failed, failed[:3]
    assert sorted(capsa.list_ids()) == sorted(ids)
    for i in ids:
        assert capsa.state(i)["status"] == "created", i
    results = run_all(capsa, [("delete", "--force", i) for i in ids])
    assert all(r.rc == 0 for r in results), [r for r in results if r.rc][:3]
    for i in ids:
        h.ensure_nothing_left(capsa, i, bundle)
    assert capsa.list_ids() == []


def test_racing_creates_of_one_id(capsa, bundle, cid):
    sleeping(bundle)
    capsa._track(cid)
    results = run_all(capsa, [("create", "--bundle", bundle.path, cid)] * n(50))
    won = [r for r in results if r.rc == 0]
    lost = [r for r in results if r.rc != 0]
    assert len(won) == 1, (len(won), lost[:3])
    for r in lost:
        assert r.rc == 1 and "already exists" in r.err, r
    st = capsa.state(cid)
    assert st["status"] == "created"
    assert capsa.list_ids() == [cid]
    capsa.pids[cid] = st["pid"]
    # Only the winner's init exists: no loser left a process or a cgroup.
    assert h.processes_in_cgroup(cid) == [st["pid"]]
    results = run_all(capsa, [("delete", "--force", cid)] * n(10))
    assert all(r.rc == 0 for r in results), [r for r in results if r.rc][:3]
    h.ensure_nothing_left(capsa, cid, bundle)
