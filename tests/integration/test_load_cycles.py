"""Load (issue 12): 1000 sequential run/delete cycles leave no growth anywhere.

Each cycle is one of three run/delete pairs, in turn:
  keep      `run --keep ID` (the container exits 3: run's status), then `delete ID`
  detached  `run --detach ID` (the container sleeps), then `delete --force ID`
  auto      `run ID` (deletes itself), then `delete ID` says it does not exist
each container in its own cgroup under a parent private to this test.

Measured after a warm-up (the first cycles of each kind) and again at the end, and
asserted equal: host mounts (/proc/self/mountinfo, minus other tests' work dirs),
cgroup directories under the parent on every hierarchy, entries of the state root,
processes adopted by us (zombies or orphans a capsa left) and processes in the
cgroups. capsa itself lives for one command, so its own resources are measured
per command: the peak RSS of every `run` and `delete` from wait4's rusage (the mean
of the first cycles against that of the last ones), and in the first and last cycle
of each kind its open fds (compared) and VmRSS (shown) while stopped at a late point
(CAPSA_TEST_STOP_AT=start:confirmed for run, delete:cgroup for delete).

CAPSA_LOAD_CYCLES changes the count (default 1000, the issue's; tests/README.md).
"""

import collections
import hashlib
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import time
import uuid

import pytest

import capsa_harness as h
from test_crash_points import adopted, proc_state

CYCLES = int(os.environ.get("CAPSA_LOAD_CYCLES", "1000"))
KINDS = ("keep", "detached", "auto")
WARMUP = 10          # cycles of each kind before the "before" snapshot
WINDOW = 100         # cycles of each kind whose mean peak RSS is compared, first and last
# One command's peak RSS varies from run to run by up to ~300 KiB here (in clusters
# ~120 KiB apart: how many of the binary's pages fault-around maps), so single
# samples or medians cannot be compared; the mean of 100 has a standard error under
# 10 KiB. Growth beyond 64 KiB is then no noise: capsa reads something that grows with
# the cycles (a short-lived process leaks nothing into the next one otherwise).
RSS_SLACK_KB = 64
COMMAND_TIMEOUT = 30.0


def report(request, text):
    """Into the pytest log even when the test passes (CI shows the figures)."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        print(text)
        return
    with capture.global_and_fixture_disabled():
        print(text)


# ---------------------------------------------------------------- host-side counts

def cgroup_dirs_under(parent):
    """Every directory at or below /<parent> on every hierarchy (v1 and unified)."""
    found = []
    top = "/sys/fs/cgroup"
    for ctrl in sorted(os.listdir(top)):
        base = os.path.join(top, ctrl, parent)
        if os.path.isdir(base) and not os.path.islink(os.path.join(top, ctrl)):
            for dirpath, _, _ in os.walk(base):
                found.append(dirpath)
    if os.path.exists(os.path.join(top, "cgroup.controllers")):  # pure v2
        base = os.path.join(top, parent)
        found = [d for d, _, _ in os.walk(base)] if os.path.isdir(base) else []
    return found


def remove_cgroup_dirs(parent):
    for d in sorted(cgroup_dirs_under(parent), key=len, reverse=True):
        try:
            os.rmdir(d)
        except OSError:
            pass


def host_mounts(own_workdir):
    """Host mounts as a multiset of (mount point, root, fs type, source), leaving out
    other tests' work dirs (helpers running tests on the same machine)."""
    others = os.path.join(h.BASE, "work") + "/"
    mine = os.path.realpath(own_workdir)
    res = collections.Counter()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mp = fields[4]
            if mp.startswith(others) and not (mp == mine or mp.startswith(mine + "/")):
                continue
            tail = fields[fields.index("-") + 1:]
            res[(mp, fields[3], tail[0], tail[1])] += 1
    return res


def live_adopted():
    """Processes whose parent is us (the subreaper), with their state letter."""
    return sorted(adopted())


def snapshot(rt, parent, workdir):
    return {
        "mounts": host_mounts(workdir),
        "cgroup dirs": cgroup_dirs_under(parent),
        "state entries": sorted(os.listdir(rt.root)) if os.path.isdir(rt.root) else [],
        "adopted processes": live_adopted(),
        "processes in the cgroups": h.processes_in_cgroup(parent),
    }


def growth(before, after):
    """Human-readable differences between two snapshots; empty when equal."""
    out = []
    added = after["mounts"] - before["mounts"]
    gone = before["mounts"] - after["mounts"]
    if added or gone:
        out.append("mounts: +%s -%s" % (sorted(added.elements()), sorted(gone.elements())))
    for key in ("cgroup dirs", "state entries", "adopted processes",
                "processes in the cgroups"):
        if before[key] != after[key]:
            out.append("%s: %s -> %s" % (key, before[key], after[key]))
    return out


def counts(snap):
    return ", ".join("%s %d" % (k, sum(v.values()) if isinstance(v, collections.Counter)
                                else len(v)) for k, v in snap.items())


# ---------------------------------------------------------------- capsa, measured

class Measured:
    """One capsa command: result, peak RSS (KiB), and what a stop showed."""

    def __init__(self, res, maxrss, secs, fds=None, vmrss=None):
        self.res, self.maxrss, self.secs, self.fds, self.vmrss = res, maxrss, secs, fds, vmrss


def fd_kinds(pid, rt, cid):
    """The targets of pid's open fds, with the instance-specific parts made generic
    so the first and last cycles compare: inode numbers, the id, the output files."""
    out = []
    d = "/proc/%d/fd" % pid
    for fd in sorted(os.listdir(d), key=int):
        try:
            t = os.readlink(os.path.join(d, fd))
        except OSError:
            continue
        t = re.sub(r"\[\d+\]", "[]", t).replace(cid, "ID")
        t = re.sub(r"/%s-\d+\.(out|err)$" % rt.name, r"/OUT.\1", t)
        out.append("%s=%s" % (fd, t))
    return out


def vm_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def peakrss_binary():
    """tests/bench/peakrss.c built static (cached by content hash): it forks and
    execs capsa and writes wait4's ru_maxrss. A child of python itself would report
    python's size: at execve the kernel folds the old image's high-water RSS in."""
    src = os.path.join(h.REPO, "tests", "bench", "peakrss.c")
    with open(src, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    h.ensure_base()
    dest = os.path.join(h.BASE, "peakrss-" + digest)
    if not os.access(dest, os.X_OK):
        if shutil.which("gcc") is None:
            pytest.skip("no gcc to build tests/bench/peakrss.c (capsa's peak RSS)")
        subprocess.run(["gcc", "-O2", "-static", "-o", dest + ".tmp", src], check=True,
                       timeout=120)
        os.replace(dest + ".tmp", dest)
    return dest


def child_of(pid, deadline):
    """The one child of pid (capsa, forked by peakrss)."""
    while True:
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                kids = f.read().split()
        except OSError:
            kids = []
        if kids:
            return int(kids[0])
        assert time.monotonic() < deadline, "peakrss %d started no capsa" % pid
        time.sleep(0.0005)


def wait_stopped(pid, proc, deadline):
    while proc_state(pid) != "T":
        assert proc.poll() is None, "%s exited before its stop point" % proc.argv
        assert time.monotonic() < deadline, "%s did not stop" % proc.argv
        time.sleep(0.0005)


def measured(rt, peakrss, cid, *args, stop_at=None):
    """Run `capsa ARGS` under peakrss, for its peak RSS. With stop_at, capsa stops
    itself there (SIGSTOP): its fds and VmRSS are read, then SIGCONT."""
    env = dict(os.environ, CAPSA_TEST_STOP_AT=stop_at) if stop_at else None
    rss_path = os.path.join(rt.workdir, "maxrss")
    argv = [peakrss, rss_path, rt.binary, "--root", rt.root] + rt.global_args + list(args)
    out_path, err_path = rt._out_paths()
    t0 = time.monotonic()
    with open(out_path, "wb") as out_f, open(err_path, "wb") as err_f:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out_f, stderr=err_f,
                             env=env, start_new_session=True)
    p.argv = argv
    rt.spawned.append(p)   # killed at teardown if a hang fails the test
    fds = vmrss = None
    if stop_at:
        deadline = t0 + COMMAND_TIMEOUT
        pid = child_of(p.pid, deadline)
        wait_stopped(pid, p, deadline)
        fds, vmrss = fd_kinds(pid, rt, cid), vm_rss(pid)
        os.kill(pid, signal.SIGCONT)
    # A pidfd wakes us the moment it exits (Popen.wait's timeout polls, up to 50 ms).
    pidfd = os.pidfd_open(p.pid)
    try:
        ready = select.select([pidfd], [], [], COMMAND_TIMEOUT)[0]
    finally:
        os.close(pidfd)
    if not ready:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise h.CommandTimeout("%s timed out" % argv)
    rc = p.wait()
    secs = time.monotonic() - t0
    rt.spawned.remove(p)
    with open(rss_path) as f:
        maxrss = int(f.read())
    with open(out_path, errors="replace") as f:
        out = f.read()
    with open(err_path, errors="replace") as f:
        err = f.read()
    return Measured(h.Result(argv, rc, out, err), maxrss, secs, fds, vmrss)


def one_cycle(rt, peakrss, bundles, kind, cid, sample):
    """run + delete of one container; returns the two Measured."""
    b = bundles[kind]
    b.config["linux"]["cgroupsPath"] = "/%s/%s" % (b.parent, cid)
    b.write()
    rt._track(cid)
    run_stop = "start:confirmed" if sample else None
    if kind == "keep":
        run = measured(rt, peakrss, cid, "run", "--keep", "--bundle", b.path, cid,
                       stop_at=run_stop)
        assert run.res.rc == 3, run.res      # the container's exit status
    elif kind == "detached":
        pidfile = os.path.join(rt.workdir, "pid")
        run = measured(rt, peakrss, cid, "run", "--detach", "--pid-file", pidfile,
                       "--bundle", b.path, cid, stop_at=run_stop)
        assert run.res.rc == 0, run.res
        with open(pidfile) as f:
            init = int(f.read())
    else:
        run = measured(rt, peakrss, cid, "run", "--bundle", b.path, cid, stop_at=run_stop)
        assert run.res.rc == 3, run.res
    if kind == "auto":
        dele = measured(rt, peakrss, cid, "delete", cid)
        assert dele.res.rc == 1 and "does not exist" in dele.res.err, dele.res
    else:
        force = ["--force"] if kind == "detached" else []
        dele = measured(rt, peakrss, cid, "delete", *force, cid,
                        stop_at="delete:cgroup" if sample else None)
        assert dele.res.rc == 0, dele.res
    if kind == "detached":
        # Its init was adopted by us when run exited; delete --force waited for its
        # death, so it is a zombie now: reap it as a shim would.
        got, status = os.waitpid(init, os.WNOHANG)
        assert got == init and os.WIFSIGNALED(status), (init, got, status)
    return run, dele


def tenths(values):
    step = max(1, len(values) // 10)
    return [values[i:i + step] for i in range(0, step * 10, step) if values[i:i + step]]


def configure(bundle, kind, parent):
    c = bundle.config
    c["process"]["args"] = [h.HELPER] + (["sleep", "60"] if kind == "detached"
                                         else ["exit", "3"])
    bundle.parent = parent
    return bundle


def test_1000_run_delete_cycles(request, capsa, make_bundle, cid, workdir):
    peakrss = peakrss_binary()
    parent = "capsa-load-%s" % uuid.uuid4().hex[:8]
    bundles = {k: configure(make_bundle(), k, parent) for k in KINDS}
    per_kind = WARMUP + max(2, -(-CYCLES // len(KINDS)))   # measured: CYCLES, rounded up
    total = per_kind * len(KINDS)
    rss = {(k, c): [] for k in KINDS for c in ("run", "delete")}
    secs = []
    samples = {}
    try:
        before = None
        t_start = None
        for i in range(total):
            kind = KINDS[i % len(KINDS)]
            n = i // len(KINDS)            # the how-manieth cycle of this kind
            if n == WARMUP and kind == KINDS[0]:
                before = snapshot(capsa, parent, workdir)
                t_start = time.monotonic()
            sample = n in (WARMUP, per_kind - 1)
            run, dele = one_cycle(capsa, peakrss, bundles, kind, "%s-%d" % (cid, i), sample)
            if n >= WARMUP:
                rss[kind, "run"].append(run.maxrss)
                rss[kind, "delete"].append(dele.maxrss)
                secs.append(run.secs + dele.secs)
            if sample:
                samples[kind, n] = (run, dele)
        wall = time.monotonic() - t_start
        after = snapshot(capsa, parent, workdir)
    finally:
        remove_cgroup_dirs(parent)

    measured_cycles = total - WARMUP * len(KINDS)
    lines = ["load cycles: %d run/delete cycles (%d of each of %s) after %d warm-up ones: "
             "%.1f s, %.0f cycles/s, median %.1f ms per cycle"
             % (measured_cycles, measured_cycles // len(KINDS), "/".join(KINDS),
                WARMUP * len(KINDS), wall, measured_cycles / wall,
                1000 * statistics.median(secs)),
             "  median ms per cycle by tenths: %s"
             % " ".join("%.1f" % (1000 * statistics.median(part)) for part in tenths(secs)),
             "  before: %s" % counts(before),
             "  after:  %s" % counts(after)]
    problems = growth(before, after)
    for (kind, cmd), values in sorted(rss.items()):
        first = statistics.mean(values[:WINDOW])
        last = statistics.mean(values[-WINDOW:])
        lines.append("  peak RSS %-8s %-6s mean of first %d KiB, of last %d KiB (min %d, max %d)"
                     % (kind, cmd, first, last, min(values), max(values)))
        if last > first + RSS_SLACK_KB:
            problems.append("peak RSS of %s %s grew: %d -> %d KiB" % (kind, cmd, first, last))
    for kind in KINDS:
        for cmd, idx in (("run", 0), ("delete", 1)):
            first = samples[kind, WARMUP][idx]
            last = samples[kind, per_kind - 1][idx]
            if first.fds is None:
                continue
            # VmRSS, one sample each, only shown: the peak RSS means above compare.
            lines.append("  at %-15s %-8s fds first %d, last %d; VmRSS first %d, last %d KiB"
                         % ("start:confirmed" if cmd == "run" else "delete:cgroup", kind,
                            len(first.fds), len(last.fds), first.vmrss, last.vmrss))
            if first.fds != last.fds:
                problems.append("fds of %s %s changed: %s -> %s" % (kind, cmd, first.fds,
                                                                    last.fds))
    lines.append("  fds of run at start:confirmed: %s"
                 % " ".join(samples["keep", WARMUP][0].fds))
    report(request, "\n" + "\n".join(lines))
    # The warm-up left nothing either: at most the parent cgroup itself remains.
    problems += ["left by the warm-up: cgroup %s" % d for d in before["cgroup dirs"]
                 if os.path.basename(d) != parent]
    problems += ["left by the warm-up: state entry %s" % e for e in before["state entries"]
                 if e.startswith(cid)]
    assert not problems, "\n".join(problems)
