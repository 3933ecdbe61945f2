#!/usr/bin/python3
"""Side-by-side benchmark of capsa, crun and runc (driven by tests/bench/bench.sh).

Every timed scenario alternates the runtimes inside one iteration and rotates their order
from one iteration to the next, so that no runtime always follows another (on cgroup v1
the first pid written into a cgroup.procs after an idle period waits for an RCU grace
period; whoever runs right after another runtime's attach skips most of that wait).
Reported: the median per runtime and the median of the per-iteration ratios
capsa/crun and capsa/runc.
"""

import argparse
import ctypes
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

DEVNULL = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
PR_SET_CHILD_SUBREAPER = 36


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Runtime:
    def __init__(self, name, binary, root):
        self.name = name
        self.binary = binary
        self.root = root
        self.available = True
        self.why = ""

    def cid(self, base):
        """Container id for this runtime: the three compared runtimes use the same id (same
        lengths everywhere); extra capsa builds get a suffix so cgroup paths differ."""
        return base if self.name in ("capsa", "crun", "runc") else f"{base}-{self.name}"

    def argv(self, *args):
        return [self.binary, "--root", self.root, *args]


def spawn(argv, stdout=DEVNULL, stderr=DEVNULL, stdin=DEVNULL):
    """posix_spawn (vfork-like, cheap for the driver) and return the pid."""
    fa = [(os.POSIX_SPAWN_DUP2, stdin, 0), (os.POSIX_SPAWN_DUP2, stdout, 1),
          (os.POSIX_SPAWN_DUP2, stderr, 2)]
    return os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)


def timed(argv, stdout=DEVNULL, stderr=DEVNULL):
    """Run argv; return (seconds, exit status, peak RSS KiB of it and its reaped children)."""
    t0 = time.perf_counter()
    pid = spawn(argv, stdout, stderr)
    _, status, ru = os.wait4(pid, 0)
    dt = time.perf_counter() - t0
    return dt, os.waitstatus_to_exitcode(status), ru.ru_maxrss


PEAKRSS = None   # path of the static peakrss helper (see peakrss.c)


def peak_rss(argv, tries=3):
    """Peak RSS (KiB) of argv and its reaped descendants, max over a few runs."""
    best = None
    for _ in range(tries):
        with tempfile.NamedTemporaryFile("r") as f:
            pid = spawn([PEAKRSS, f.name, *argv])
            _, status, _ = os.wait4(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                return None
            v = int(f.read().strip() or 0)
        best = v if best is None else max(best, v)
    return best


def set_peak(res, what, rt, argv):
    v = peak_rss(argv)
    res.values.setdefault(f"peak RSS {what} (KiB)", {})[rt.name] = v if v is not None else "failed"


def run_detached(argv, timeout=30):
    """Run a command that leaves a process holding its stdio (create, run -d): stdio must
    not be pipes we wait on, so stderr goes to a file."""
    with tempfile.TemporaryFile("w+") as err:
        r = subprocess.run(argv, stdin=DEVNULL, stdout=DEVNULL, stderr=err, timeout=timeout)
        err.seek(0)
        r.stderr = err.read()
    return r


def run_quiet(argv, timeout=30):
    return subprocess.run(argv, stdin=DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, text=True)


def ms(x):
    return x * 1000.0


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# ---------------------------------------------------------------- bundles

def write_bundle(path, rootfs, base, args, memory_limit=None):
    os.makedirs(path, exist_ok=True)
    cfg = json.loads(json.dumps(base))
    cfg["root"] = {"path": rootfs, "readonly": True}
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = args
    if memory_limit is not None:
        cfg["linux"].setdefault("resources", {})["memory"] = {"limit": memory_limit}
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    return path


def base_config(capsa, work):
    """The default spec with the hardened spec's (Docker-like) seccomp section."""
    d = tempfile.mkdtemp(dir=work)
    subprocess.run([capsa, "spec"], cwd=d, check=True)
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    os.unlink(os.path.join(d, "config.json"))
    subprocess.run([capsa, "spec", "--hardened"], cwd=d, check=True)
    with open(os.path.join(d, "config.json")) as f:
        hard = json.load(f)
    shutil.rmtree(d)
    cfg["linux"]["seccomp"] = hard["linux"]["seccomp"]
    # crun 1.8.1 refuses ociVersion 1.3.0 ("unknown version specified"); every field used
    # here exists in 1.0.2, which all three accept.
    cfg["ociVersion"] = "1.0.2"
    return cfg


# ---------------------------------------------------------------- helpers

def cleanup(rt, ids):
    for cid in ids:
        run_quiet(rt.argv("delete", "-f", cid))


def rotations(rts, i):
    k = i % len(rts)
    return rts[k:] + rts[:k]


class Results:
    def __init__(self):
        self.timed = {}      # scenario -> {rt: [seconds]} and per-iteration pairs
        self.iters = {}      # scenario -> [ {rt: seconds} ]
        self.values = {}     # scenario -> {rt: value} (non-timed)
        self.notes = []

    def add_iter(self, scen, sample):
        self.iters.setdefault(scen, []).append(sample)

    def table_rows(self, names):
        rows = []
        for scen, its in self.iters.items():
            med = {n: median([it[n] for it in its if n in it]) for n in names}
            ratios = {}
            for other in ("crun", "runc"):
                if "capsa" in names and other in names:
                    rs = [it["capsa"] / it[other] for it in its
                          if "capsa" in it and other in it and it[other] > 0]
                    ratios[other] = median(rs) if rs else float("nan")
            rows.append((scen, med, ratios, len(its)))
        return rows


# ---------------------------------------------------------------- scenarios

def scen_run(rts, bundle, n, res, gap, label):
    failures = {}
    for i in range(n):
        sample = {}
        for rt in rotations(rts, i):
            if gap:
                time.sleep(gap)
            dt, rc, _ = timed(rt.argv("run", "-b", bundle, "bench-run"))
            if rc != 0:
                failures[rt.name] = failures.get(rt.name, 0) + 1
                cleanup(rt, ["bench-run"])
                continue
            sample[rt.name] = dt
        res.add_iter(label, sample)
    for k, v in failures.items():
        res.notes.append(f"{label}: {k} failed {v}/{n} times")


def wait_pidfile(path):
    with open(path) as f:
        return int(f.read().strip())


def scen_shim(rts, bundle, n, res, gap, work):
    """create --pid-file; start; wait for the init as a subreaper; delete (containerd's shim)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    for i in range(n):
        sample = {}
        for rt in rotations(rts, i):
            if gap:
                time.sleep(gap)
            pidf = os.path.join(work, f"shim-{rt.name}.pid")
            logf = os.path.join(work, f"shim-{rt.name}.log")
            cid = "bench-shim"
            t0 = time.perf_counter()
            ok = True
            d, rc, _ = timed([rt.binary, "--root", rt.root, "--log", logf, "--log-format", "json",
                              "create", "--bundle", bundle, "--pid-file", pidf, cid])
            if rc != 0:
                ok = False
            else:
                pid = wait_pidfile(pidf)
                d, rc, _ = timed([rt.binary, "--root", rt.root, "--log", logf, "--log-format",
                                  "json", "start", cid])
                ok = rc == 0
                try:
                    os.waitpid(pid, 0)   # we are the subreaper: the init is re-parented to us
                except ChildProcessError:
                    pass
                d, rc, _ = timed([rt.binary, "--root", rt.root, "--log", logf, "--log-format",
                                  "json", "delete", cid])
                ok = ok and rc == 0
            dt = time.perf_counter() - t0
            if ok:
                sample[rt.name] = dt
            else:
                res.notes.append(f"create+start+wait+delete: {rt.name} failed (iteration {i})")
                cleanup(rt, [cid])
        res.add_iter("create+start+wait+delete" + (" (gap)" if gap else ""), sample)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def start_sleeper(rt, bundle, cid):
    cleanup(rt, [cid])
    r = run_detached(rt.argv("run", "-d", "-b", bundle, cid))
    if r.returncode != 0:
        raise RuntimeError(f"{rt.name} run -d {cid}: {r.stderr.strip()}")


def has_exec(rt):
    r = run_quiet([rt.binary, "exec", "--help"])
    return r.returncode == 0


def scen_running(rts, sleep_bundle, n, res):
    """exec and state against one running container per runtime."""
    # One id per runtime: capsa variants (--also) would otherwise share a cgroup path.
    cids = {rt.name: rt.cid("bench-sleeper") for rt in rts}
    live = []
    for rt in rts:
        try:
            start_sleeper(rt, sleep_bundle, cids[rt.name])
            live.append(rt)
        except RuntimeError as e:
            res.notes.append(str(e))
    exec_rts = [rt for rt in live if has_exec(rt)]
    for rt in live:
        if rt not in exec_rts:
            res.notes.append(f"exec: {rt.name} has no exec command; skipped")
    for i in range(n):
        sample_e, sample_s = {}, {}
        for rt in rotations(exec_rts, i):
            dt, rc, _ = timed(rt.argv("exec", cids[rt.name], "/bin/true"))
            if rc == 0:
                sample_e[rt.name] = dt
            else:
                res.notes.append(f"exec: {rt.name} exit {rc} (iteration {i})")
        for rt in rotations(live, i):
            dt, rc, _ = timed(rt.argv("state", cids[rt.name]))
            if rc == 0:
                sample_s[rt.name] = dt
        if exec_rts:
            res.add_iter("exec /bin/true", sample_e)
        res.add_iter("state (running)", sample_s)
    for rt in live:
        set_peak(res, "exec", rt, rt.argv("exec", cids[rt.name], "/bin/true"))
        set_peak(res, "state", rt, rt.argv("state", cids[rt.name]))
    for rt in live:
        cleanup(rt, [cids[rt.name]])


def proc_rss_kib(pid):
    rss = pss = None
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def du_kib(path):
    total = 0
    for dp, dn, fn in os.walk(path):
        for name in fn + dn:
            try:
                st = os.lstat(os.path.join(dp, name))
                total += st.st_blocks * 512
            except OSError:
                pass
    return total // 1024


def scen_list(rts, bundle, count, n, res, work):
    """list with `count` created containers; memory kept per created container."""
    base_ids = [f"bench-l{j:02d}" for j in range(count)]
    for rt in rts:
        ids = [rt.cid(b) for b in base_ids]
        cleanup(rt, ids)
        rsses, psses = [], []
        for cid in ids:
            pidf = os.path.join(work, f"l-{rt.name}.pid")
            r = run_detached(rt.argv("create", "-b", bundle, "--pid-file", pidf, cid))
            if r.returncode != 0:
                res.notes.append(f"list: {rt.name} create {cid}: {r.stderr.strip()[:200]}")
                break
            rss, pss = proc_rss_kib(wait_pidfile(pidf))
            if rss is not None:
                rsses.append(rss)
                psses.append(pss)
        if rsses:
            res.values.setdefault("waiting init RSS per created container (KiB)", {})[rt.name] = median(rsses)
            res.values.setdefault("waiting init PSS per created container (KiB)", {})[rt.name] = median(psses)
        sd = os.path.join(rt.root, ids[0])
        if os.path.isdir(sd):
            res.values.setdefault("state dir per container (KiB on disk)", {})[rt.name] = du_kib(sd)
    for i in range(n):
        sample = {}
        for rt in rotations(rts, i):
            dt, rc, _ = timed(rt.argv("list"))
            if rc == 0:
                sample[rt.name] = dt
        res.add_iter(f"list ({count} containers)", sample)
        sample = {}
        for rt in rotations(rts, i):
            dt, rc, _ = timed(rt.argv("list", "--format", "json"))
            if rc == 0:
                sample[rt.name] = dt
        res.add_iter(f"list --format json ({count})", sample)
    for rt in rts:
        set_peak(res, f"list {count}", rt, rt.argv("list"))
    for rt in rts:
        cleanup(rt, [rt.cid(b) for b in base_ids])


def scen_throughput(rts, bundle, per_round, rounds, res, parallel):
    """Containers per second with `parallel` workers each doing run /bin/true back to back."""
    tot = {rt.name: [0, 0.0] for rt in rts}
    for r in range(rounds):
        for rt in rotations(rts, r):
            t0 = time.perf_counter()
            pending = {}
            started = 0
            done = 0
            fails = 0
            while done < per_round:
                while len(pending) < parallel and started < per_round:
                    cid = f"bench-tp{started}"
                    pending[spawn(rt.argv("run", "-b", bundle, cid))] = cid
                    started += 1
                pid, status = os.wait()
                if pid in pending:
                    if os.waitstatus_to_exitcode(status) != 0:
                        fails += 1
                        cleanup(rt, [pending[pid]])
                    del pending[pid]
                    done += 1
            tot[rt.name][0] += per_round - fails
            tot[rt.name][1] += time.perf_counter() - t0
            if fails:
                res.notes.append(f"throughput x{parallel}: {rt.name} {fails} failures")
    key = f"containers/s ({'sequential' if parallel == 1 else f'{parallel} in parallel'})"
    res.values[key] = {k: (v[0] / v[1] if v[1] else 0) for k, v in tot.items()}


def scen_memlimit(rts, rootfs, base, work, res):
    """Smallest linux.resources.memory.limit under which `run /bin/true` exits 0."""
    step = 64 * 1024
    for rt in rts:
        def ok(limit):
            b = write_bundle(os.path.join(work, f"mem-{rt.name}"), rootfs, base, ["/bin/true"],
                             memory_limit=limit)
            try:
                r = run_quiet(rt.argv("run", "-b", b, "bench-mem"), timeout=20)
                good = r.returncode == 0
            except subprocess.TimeoutExpired:
                good = False
            cleanup(rt, ["bench-mem"])
            return good
        hi = 64 * 1024 * 1024
        if not ok(hi):
            res.values.setdefault("smallest memory.limit that starts (KiB)", {})[rt.name] = "fails at 64 MiB"
            continue
        lo = 0   # assumed failing
        while hi - lo > step:
            mid = (lo + hi) // 2 // step * step
            if mid <= lo:
                break
            if ok(mid):
                hi = mid
            else:
                lo = mid
        res.values.setdefault("smallest memory.limit that starts (KiB)", {})[rt.name] = hi // 1024
        res.values.setdefault("starts under 512 KiB limit", {})[rt.name] = "yes" if ok(512 * 1024) else "no"


def callgrind_instructions(argv, cwd=None, ro_exe=None):
    """Instructions of argv and every process it execs/forks (valgrind --trace-children).

    ro_exe: a binary to bind read-only in a private mount namespace first. crun re-executes
    itself from a memfd, which fails under valgrind; on a read-only mount it skips the
    re-exec, so its count then lacks one process start (reported separately)."""
    d = tempfile.mkdtemp()
    vg = ["valgrind", "--tool=callgrind", "--trace-children=yes",
          f"--callgrind-out-file={d}/cg.%p", *argv]
    if ro_exe:
        vg = ["unshare", "-m", "--propagation", "private", "sh", "-c",
              'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && shift && exec "$@"',
              ro_exe, "x", *vg]
    try:
        r = subprocess.run(vg, cwd=cwd, stdin=DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=300)
        if r.returncode != 0:
            why = "callgrind crashed" if "Assertion" in r.stderr else f"exit {r.returncode}"
            return why
        total = 0
        for name in os.listdir(d):
            with open(os.path.join(d, name)) as f:
                for line in f:
                    if line.startswith("summary:") or line.startswith("totals:"):
                        total += int(line.split()[1])
                        break
        return total
    finally:
        shutil.rmtree(d, ignore_errors=True)


def scen_callgrind(rts, sleep_bundle, res, work):
    if not shutil.which("valgrind"):
        res.notes.append("callgrind: valgrind not installed; skipped")
        return
    cid = "bench-cg"
    for rt in rts:
        ro = rt.binary if rt.name == "crun" else None
        try:
            start_sleeper(rt, sleep_bundle, cid)
            n = callgrind_instructions(rt.argv("state", cid), ro_exe=ro)
            res.values.setdefault("instructions: state (callgrind)", {})[rt.name] = n
        except RuntimeError as e:
            res.notes.append(str(e))
        cleanup(rt, [cid])
        d = tempfile.mkdtemp(dir=work)
        n = callgrind_instructions([rt.binary, "spec"], cwd=d, ro_exe=ro)
        shutil.rmtree(d)
        res.values.setdefault("instructions: spec (callgrind)", {})[rt.name] = n
        n = callgrind_instructions([rt.binary, "--version"], ro_exe=ro)
        res.values.setdefault("instructions: --version, one process start (callgrind)", {})[rt.name] = n
    if any(rt.name == "crun" for rt in rts):
        res.notes.append("callgrind: crun ran from a read-only bind of its binary, so it skipped "
                         "its memfd re-exec (which fails under valgrind); its real count is about "
                         "one more '--version' row")


def static_facts(rts, res):
    for rt in rts:
        path = os.path.realpath(shutil.which(rt.binary) or rt.binary)
        res.values.setdefault("binary size (KiB)", {})[rt.name] = os.path.getsize(path) // 1024
        r = run_quiet(["ldd", path])
        libs = [l.split()[0] for l in r.stdout.splitlines()
                if "=>" in l or l.strip().startswith("/")]
        libs = [l for l in libs if "vdso" not in l]
        res.values.setdefault("linked libraries (ldd)", {})[rt.name] = (
            f"{len(libs)}: " + " ".join(os.path.basename(l).split(".so")[0] for l in libs)
            if libs else "static")


# ---------------------------------------------------------------- crun / hugetlb

def hugetlb_bound_v1():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            if parts[4] == "/sys/fs/cgroup/hugetlb":
                return True
    return False


def probe(rt, bundle):
    r = run_quiet(rt.argv("run", "-b", bundle, "bench-probe"))
    if r.returncode != 0:
        rt.available = False
        rt.why = (r.stderr.strip() or r.stdout.strip())[:160]
        cleanup(rt, ["bench-probe"])


# ---------------------------------------------------------------- report

def fmt(v):
    if isinstance(v, float):
        return f"{v:.2f}" if v < 100 else f"{v:.0f}"
    return str(v)


def report(res, rts, args, out):
    names = [rt.name for rt in rts if rt.available]
    L = []
    L.append(f"Date: {time.strftime('%Y-%m-%d %H:%M:%S')}; kernel {os.uname().release}; "
             f"{os.cpu_count()} CPUs; loadavg at start {args.load_start}, end {open('/proc/loadavg').read().split()[0:3]}")
    L.append(f"Iterations: {args.iterations} (list {args.list_count} containers, "
             f"throughput {args.tp_rounds}x{args.tp_per_round}); gap {int(args.gap * 1000)} ms")
    for rt in rts:
        if not rt.available:
            L.append(f"{rt.name}: unavailable ({rt.why})")
    L.append("")
    hdr = "| scenario (median ms) | " + " | ".join(names) + " | capsa/crun | capsa/runc | n |"
    L.append(hdr)
    L.append("|" + "---|" * (len(names) + 4))
    for scen, med, ratios, cnt in res.table_rows(names):
        cells = [f"{ms(med[n]):.2f}" for n in names]
        rc = ratios.get("crun", float("nan"))
        rr = ratios.get("runc", float("nan"))
        L.append(f"| {scen} | " + " | ".join(cells) + f" | {rc:.2f} | {rr:.2f} | {cnt} |")
    L.append("")
    L.append("| measure | " + " | ".join(names) + " | capsa/crun | capsa/runc |")
    L.append("|" + "---|" * (len(names) + 3))
    for key, vals in res.values.items():
        cells = [fmt(vals.get(n, "-")) for n in names]
        rat = []
        for other in ("crun", "runc"):
            a, b = vals.get("capsa"), vals.get(other)
            rat.append(f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "-")
        L.append(f"| {key} | " + " | ".join(cells) + " | " + " | ".join(rat) + " |")
    if res.notes:
        L.append("")
        L.append("Notes:")
        L.extend(f"- {n}" for n in res.notes)
    text = "\n".join(L) + "\n"
    print(text)
    if out:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "results.md"), "w") as f:
            f.write(text)
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump({"iterations": res.iters, "values": res.values, "notes": res.notes,
                       "runtimes": {rt.name: {"binary": rt.binary, "available": rt.available,
                                              "why": rt.why} for rt in rts}}, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--capsa", required=True)
    ap.add_argument("--rootfs", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", default="")
    ap.add_argument("--peakrss", required=True, help="the built tests/bench/peakrss.c")
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--list-count", type=int, default=50)
    ap.add_argument("--tp-per-round", type=int, default=20)
    ap.add_argument("--tp-rounds", type=int, default=3)
    ap.add_argument("--gap", type=float, default=0.06)
    ap.add_argument("--runtimes", default="capsa,crun,runc")
    ap.add_argument("--also", action="append", default=[],
                    help="NAME=BINARY: one more runc-compatible binary to time (e.g. a static capsa)")
    ap.add_argument("--skip", default="", help="comma list: run,gap,shim,running,list,tp,mem,callgrind")
    args = ap.parse_args()
    args.load_start = open("/proc/loadavg").read().split()[0:3]
    skip = set(filter(None, args.skip.split(",")))

    work = args.work
    os.makedirs(work, exist_ok=True)
    base = base_config(args.capsa, work)
    bundle = write_bundle(os.path.join(work, "bundle-true"), args.rootfs, base, ["/bin/true"])
    sleeper = write_bundle(os.path.join(work, "bundle-sleep"), args.rootfs, base, ["/bin/sleep", "100000"])

    bins = {"capsa": args.capsa, "crun": "crun", "runc": "runc"}
    for a in args.also:
        k, v = a.split("=", 1)
        bins[k] = v
    rts = []
    for name in args.runtimes.split(",") + [a.split("=", 1)[0] for a in args.also]:
        b = bins[name]
        rt = Runtime(name, b if os.path.isabs(b) else (shutil.which(b) or b),
                     f"/run/capsa-bench/{name}")
        os.makedirs(rt.root, exist_ok=True)
        if not os.path.exists(rt.binary):
            rt.available, rt.why = False, "not installed"
        else:
            probe(rt, bundle)
        rts.append(rt)
    live = [rt for rt in rts if rt.available]
    for rt in rts:
        log(f"{rt.name}: {rt.binary} {'ok' if rt.available else 'UNAVAILABLE: ' + rt.why}")

    res = Results()
    n = args.iterations
    static_facts(live, res)
    steps = [
        ("run", lambda: scen_run(live, bundle, n, res, 0, "run /bin/true (back to back)")),
        ("gap", lambda: scen_run(live, bundle, n, res, args.gap,
                                 f"run /bin/true ({int(args.gap * 1000)} ms gap)")),
        ("shim", lambda: scen_shim(live, bundle, n, res, args.gap, work)),
        ("running", lambda: scen_running(live, sleeper, n, res)),
        ("list", lambda: scen_list(live, sleeper, args.list_count, max(5, n // 2), res, work)),
        ("tp", lambda: (scen_throughput(live, bundle, args.tp_per_round, args.tp_rounds, res, 1),
                        scen_throughput(live, bundle, args.tp_per_round, args.tp_rounds, res, 2))),
        ("mem", lambda: scen_memlimit(live, args.rootfs, base, work, res)),
        ("callgrind", lambda: scen_callgrind(live, sleeper, res, work)),
    ]
    # Peak RSS of the runtime tree for a whole `run` (wait4 rusage; includes the forked init
    # before it execs /bin/true, which is the runtime's own image for capsa and crun).
    global PEAKRSS
    PEAKRSS = args.peakrss
    res.values["peak RSS of busybox true, the floor (KiB)"] = {
        rt.name: peak_rss(["/bin/busybox", "true"]) for rt in live}
    for rt in live:
        set_peak(res, "run", rt, rt.argv("run", "-b", bundle, "bench-rss"))
        cleanup(rt, ["bench-rss"])
    for key, fn in steps:
        if key in skip:
            continue
        log(f"== {key}")
        fn()
    report(res, rts, args, args.out)


if __name__ == "__main__":
    main()
