"""Harness for capsa integration tests: bundles, runtime wrappers, leak checks.

Tests drive the built `capsa` binary (CAPSA_BIN, default build/capsa) through the same
command line as runc, so every bundle here can also run under runc (RUNC_BIN) for a
side-by-side comparison.  The payload inside containers is /bin/capsa-test-helper
(tests/helper), whose key=value output `facts()` parses.
"""

import copy
import ctypes
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CAPSA_BUILD_DIR", os.path.join(REPO, "build"))
CAPSA_BIN = os.environ.get("CAPSA_BIN", os.path.join(BUILD, "capsa"))
HELPER_BIN = os.environ.get("CAPSA_TEST_HELPER", os.path.join(BUILD, "capsa-test-helper"))
MAKE_ROOTFS = os.path.join(REPO, "tests", "make-rootfs.sh")
# World-traversable, so processes running as non-root users can reach the bundles.
BASE = os.environ.get("CAPSA_TEST_BASE", "/var/tmp/capsa-tests")
HELPER = "/bin/capsa-test-helper"
DEFAULT_TIMEOUT = float(os.environ.get("CAPSA_TEST_TIMEOUT", "30"))

PR_SET_CHILD_SUBREAPER = 36


def set_child_subreaper():
    """Adopt orphans (detached containers' init) so they can be reaped here."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "prctl(PR_SET_CHILD_SUBREAPER): " + os.strerror(e))


def reap_zombies():
    """Collect exited adopted children; returns how many were reaped."""
    n = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return n
        if pid == 0:
            return n
        n += 1


def facts(text):
    """Parse the helper's key=value lines into a dict (later keys win)."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


# ---------------------------------------------------------------------------- rootfs

def _file_digest(h, path):
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)


def ensure_base():
    os.makedirs(BASE, exist_ok=True)
    os.chmod(BASE, 0o755)
    for d in ("/var/tmp", "/var"):
        st = os.stat(d)
        if not st.st_mode & 0o001:
            raise RuntimeError("%s is not world-traversable" % d)


def build_rootfs(helper=HELPER_BIN):
    """Build (once, cached by content hash) the busybox rootfs with the helper in it."""
    if not os.access(helper, os.X_OK):
        raise RuntimeError("test helper %s not built (make capsa-test-helper)" % helper)
    ensure_base()
    h = hashlib.sha256()
    for p in (helper, MAKE_ROOTFS, os.environ.get("BUSYBOX", "/bin/busybox")):
        _file_digest(h, p)
    dest = os.path.join(BASE, "rootfs-" + h.hexdigest()[:16])
    if os.path.isdir(dest):
        os.utime(dest)
        return dest
    _prune_rootfs(keep=dest)
    tmp = tempfile.mkdtemp(prefix=".rootfs-", dir=BASE)
    try:
        subprocess.run([MAKE_ROOTFS, os.path.join(tmp, "r"), helper], check=True,
                       timeout=120)
        os.chmod(tmp, 0o755)
        try:
            os.rename(os.path.join(tmp, "r"), dest)
        except OSError as e:
            if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):  # built concurrently
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _prune_rootfs(keep, max_age=86400):
    """Drop cached rootfs trees of older helper builds not used for a day."""
    now = time.time()
    for name in os.listdir(BASE):
        path = os.path.join(BASE, name)
        if name.startswith("rootfs-") and path != keep:
            try:
                if now - os.stat(path).st_mtime > max_age:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                pass


# ---------------------------------------------------------------------------- config

def default_config(args=("sh",), terminal=False):
    """A dict equal to `runc spec` (runtime-spec defaults), non-terminal by default."""
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": terminal,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: list(caps) for k in
                             ("bounding", "effective", "permitted", "ambient")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "runc",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                         "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                            "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"],
        },
    }


# Large read-only binaries that bundles share with the cached rootfs as hard links.
SHARED_FILES = ("bin/busybox", "bin/capsa-test-helper")


def _copy_rootfs(src, dest):
    """A private copy, so tests may add files, symlinks or mount targets to it.

    `cp -al` is ~10x faster than a real copy; then every regular file except the shared
    binaries gets its own inode.  A test must replace (not modify in place) those two."""
    subprocess.run(["cp", "-al", src, dest], check=True, timeout=60)
    for dirpath, _, files in os.walk(dest):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.relpath(path, dest) in SHARED_FILES or os.path.islink(path):
                continue
            tmp = path + ".capsa-copy"
            shutil.copy2(path, tmp)
            os.replace(tmp, path)


class Bundle:
    """An OCI bundle: a private copy of the test rootfs plus config.json."""

    def __init__(self, path, rootfs_src, config=None):
        self.path = path
        self.rootfs = os.path.join(path, "rootfs")
        os.makedirs(path, exist_ok=True)
        os.chmod(path, 0o755)
        _copy_rootfs(rootfs_src, self.rootfs)
        self.config = config if config is not None else default_config()

    @property
    def config_path(self):
        return os.path.join(self.path, "config.json")

    def set_args(self, *args):
        self.config["process"]["args"] = list(args)
        return self

    def helper(self, *args):
        """Make the container run the test helper with these arguments."""
        return self.set_args(HELPER, *args)

    def write(self):
        with open(self.config_path + ".tmp", "w") as f:
            json.dump(self.config, f, indent=2)
        os.replace(self.config_path + ".tmp", self.config_path)
        return self

    def copy_config(self):
        return copy.deepcopy(self.config)


# ---------------------------------------------------------------------------- runtime

class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    def __iter__(self):
        return iter((self.rc, self.out, self.err))

    @property
    def facts(self):
        return facts(self.out)

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "Result(argv=%r, rc=%r, out=%r, err=%r)" % (self.argv, self.rc,
                                                           self.out[-2000:],
                                                           self.err[-2000:])


class CommandTimeout(AssertionError):
    pass


class Runtime:
    """One OCI runtime binary with a private --root state directory."""

    def __init__(self, name, binary, root, workdir, global_args=()):
        self.name, self.binary, self.root, self.workdir = name, binary, root, workdir
        self.global_args = list(global_args)
        os.makedirs(root, exist_ok=True)
        os.makedirs(workdir, exist_ok=True)
        self.created = []        # ids passed to create/run, for teardown
        self.pids = {}           # id -> init pid seen in state, for leak checks
        self.spawned = []        # spawn()ed runtime processes, killed at teardown
        self._seq = 0

    def _out_paths(self):
        self._seq += 1
        base = os.path.join(self.workdir, "%s-%03d" % (self.name, self._seq))
        return base + ".out", base + ".err"

    def __call__(self, *args, timeout=DEFAULT_TIMEOUT, input=None, stdin=None, env=None,
                 cwd=None, stdout_path=None, stderr_path=None, pass_fds=()):
        """Run `<runtime> --root R args...` and wait for it.

        Output goes to files, not pipes: a detached container inherits the runtime's
        stdio, and a pipe would keep communicate() waiting until the container exits."""
        argv = [self.binary, "--root", self.root] + self.global_args + [str(a) for a in args]
        out_path, err_path = self._out_paths()
        out_path, err_path = stdout_path or out_path, stderr_path or err_path
        if input is not None:
            stdin_f = tempfile.TemporaryFile(dir=self.workdir)
            stdin_f.write(input.encode() if isinstance(input, str) else input)
            stdin_f.seek(0)
        else:
            stdin_f = stdin if stdin is not None else subprocess.DEVNULL
        with open(out_path, "wb") as out_f, open(err_path, "wb") as err_f:
            p = subprocess.Popen(argv, stdin=stdin_f, stdout=out_f, stderr=err_f, env=env,
                                 cwd=cwd, pass_fds=pass_fds, start_new_session=True)
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                raise CommandTimeout("%s timed out after %ss" % (argv, timeout))
        if input is not None:
            stdin_f.close()
        with open(out_path, errors="replace") as f:
            out = f.read()
        with open(err_path, errors="replace") as f:
            err = f.read()
        return Result(argv, rc, out, err)

    def spawn(self, *args, stdin=None, env=None, cwd=None, pass_fds=()):
        """Start `<runtime> ... args` without waiting (e.g. a foreground `run` that the
        test signals).  Returns a Popen with .out_path/.err_path; finish() it."""
        argv = [self.binary, "--root", self.root] + self.global_args + [str(a) for a in args]
        out_path, err_path = self._out_paths()
        with open(out_path, "wb") as out_f, open(err_path, "wb") as err_f:
            p = subprocess.Popen(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                 stdout=out_f, stderr=err_f, env=env, cwd=cwd,
                                 pass_fds=pass_fds, start_new_session=True)
        p.out_path, p.err_path, p.argv = out_path, err_path, argv
        self.spawned.append(p)
        return p

    def finish(self, proc, timeout=DEFAULT_TIMEOUT):
        """Wait for a spawn()ed process; returns its Result."""
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise CommandTimeout("%s timed out after %ss" % (proc.argv, timeout))
        with open(proc.out_path, errors="replace") as f:
            out = f.read()
        with open(proc.err_path, errors="replace") as f:
            err = f.read()
        return Result(proc.argv, rc, out, err)

    # Wrappers for the OCI lifecycle, runc argument order.
    def run(self, bundle, cid, *extra, **kw):
        self._track(cid)
        return self("run", "--bundle", _bundle_path(bundle), *extra, cid, **kw)

    def create(self, bundle, cid, *extra, **kw):
        self._track(cid)
        r = self("create", "--bundle", _bundle_path(bundle), *extra, cid, **kw)
        if r.rc == 0:
            self._remember_pid(cid)
        return r

    def start(self, cid, **kw):
        return self("start", cid, **kw)

    def state(self, cid, **kw):
        """The parsed state JSON, or None when the command fails."""
        r = self("state", cid, **kw)
        if r.rc != 0:
            return None
        return json.loads(r.out)

    def kill(self, cid, sig="KILL", *extra, **kw):
        return self("kill", *extra, cid, sig, **kw)

    def delete(self, cid, force=False, **kw):
        return self("delete", *(["--force"] if force else []), cid, **kw)

    def list_ids(self):
        r = self("list", "-q")
        return [l for l in r.out.split() if l] if r.rc == 0 else []

    def wait_status(self, cid, status, timeout=10.0):
        """Poll `state` until status matches; returns the last state (or None)."""
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            reap_zombies()  # as a shim would: an exited init is our (subreaper) child
            st = self.state(cid)
            if st is not None and st.get("status") == status:
                return st
            time.sleep(0.05)
        return st

    def _track(self, cid):
        if cid not in self.created:
            self.created.append(cid)

    def _remember_pid(self, cid):
        st = self.state(cid)
        if st and st.get("pid"):
            self.pids[cid] = st["pid"]

    def cleanup(self):
        """Kill spawned runtime processes, force-delete whatever this runtime knows."""
        for p in self.spawned:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        for cid in set(self.list_ids()) | set(self.created):
            try:
                self.delete(cid, force=True, timeout=15)
            except CommandTimeout:
                pass


def wait_for_output(path, text, timeout=10.0):
    """Poll a file until it contains text (a container's "ready" line)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path, errors="replace") as f:
                if text in f.read():
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    return False


def _bundle_path(bundle):
    return bundle.path if isinstance(bundle, Bundle) else bundle


# ---------------------------------------------------------------------------- leak checks

def cgroup_dirs_named(name, top="/sys/fs/cgroup"):
    """Every cgroup directory in any hierarchy whose last component is `name`."""
    found = []
    if not os.path.isdir(top):
        return found
    for dirpath, dirnames, _ in os.walk(top):
        for d in dirnames:
            if d == name:
                found.append(os.path.join(dirpath, d))
    return found


def mounts_under(path):
    """Host mount points at or below path (from our mountinfo), deepest first."""
    path = os.path.realpath(path)
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mp = fields[4].replace("\\040", " ")
            if mp == path or mp.startswith(path + "/"):
                res.append(mp)
    return sorted(res, key=len, reverse=True)


def mounts_referencing(path):
    """mountinfo lines whose root or mount point mentions path."""
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return [l.rstrip("\n") for l in f if path in l]


def processes_in_cgroup(name):
    """PIDs whose /proc/PID/cgroup has a path component equal to name."""
    pids = []
    for ent in os.listdir("/proc"):
        if not ent.isdigit():
            continue
        try:
            with open("/proc/%s/cgroup" % ent) as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            if name in line.split(":", 2)[-1].split("/"):
                pids.append(int(ent))
                break
    return pids


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st.rsplit(")", 1)[1].split()[0] != "Z"


def leftovers(runtime, cid, bundle=None):
    """A list of human-readable leaks for container cid; empty when clean."""
    reap_zombies()
    problems = []
    state_dir = os.path.join(runtime.root, cid)
    if os.path.exists(state_dir):
        problems.append("state dir %s still exists" % state_dir)
    for d in cgroup_dirs_named(cid):
        problems.append("cgroup %s still exists" % d)
    if bundle is not None:
        for l in mounts_referencing(_bundle_path(bundle)):
            problems.append("mount still present: %s" % l)
    pid = runtime.pids.get(cid)
    if pid and pid_alive(pid):
        problems.append("container init %d still alive" % pid)
    for p in processes_in_cgroup(cid):
        problems.append("process %d still in a cgroup named %s" % (p, cid))
    return problems


def create_fails(runtime, bundle, cid, *needles):
    """`create` must fail, name each needle (capsa only: runc words its errors
    differently) and leave nothing behind. Returns the result."""
    r = runtime.create(bundle, cid)
    assert r.rc != 0, r
    for n in needles if runtime.name == "capsa" else ():
        assert n in r.err, (n, r)
    assert runtime.state(cid) is None
    assert cid not in runtime.list_ids()
    ensure_nothing_left(runtime, cid, bundle)
    return r


def ensure_nothing_left(runtime, cid, bundle=None, timeout=5.0):
    """Assert no state dir, cgroup, mount or process remains for cid.

    Processes take a moment to die after SIGKILL, so retry briefly."""
    deadline = time.monotonic() + timeout
    while True:
        problems = leftovers(runtime, cid, bundle)
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not problems, "leftovers of %s:\n  %s" % (cid, "\n  ".join(problems))


def unmount_under(path):
    for mp in mounts_under(path):
        subprocess.run(["umount", "-l", mp], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
