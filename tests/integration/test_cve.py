"""Regression tests for the container-escape CVE classes of runc and crun, each with a
malicious rootfs or caller (REFERENCE.md 4.3): the runtime must refuse, or stay inside
the rootfs; the host is checked afterwards (decoys empty, victims untouched, no mount
landed outside the bundle).

The path tests run twice: with openat2(RESOLVE_IN_ROOT) and with the fallback resolver
(CAPSA_TEST_NO_OPENAT2=1), as on kernels before 5.6."""

import hashlib
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

import capsa_harness as h

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "security"))
import probe as sysprobe  # noqa: E402

CAP_SYS_PTRACE = "CAP_SYS_PTRACE"


@pytest.fixture(scope="module")
def probe_bin():
    return sysprobe.build()


@pytest.fixture(params=["openat2", "no-openat2"])
def resolver_env(request):
    env = dict(os.environ)
    if request.param == "no-openat2":
        env["CAPSA_TEST_NO_OPENAT2"] = "1"
    else:
        env.pop("CAPSA_TEST_NO_OPENAT2", None)
    return env


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def host_mount_points():
    with open("/proc/self/mountinfo") as f:
        return {line.split()[4] for line in f}


def replace_with_symlink(rootfs, name, target):
    p = os.path.join(rootfs, name.lstrip("/"))
    if os.path.islink(p) or os.path.isfile(p):
        os.unlink(p)
    elif os.path.isdir(p):
        shutil.rmtree(p)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    os.symlink(target, p)


def drop_mount(config, dest):
    config["mounts"] = [m for m in config["mounts"] if m["destination"] != dest]


def make_victim(workdir, name="victim", text="untouched"):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def assert_host_clean(before, decoys=(), victims=()):
    for d in decoys:
        assert os.listdir(d) == [], "runtime wrote into host decoy %s: %s" % (d, os.listdir(d))
    for v, text in victims:
        with open(v) as f:
            assert f.read() == text, "host victim %s was modified" % v
    new = host_mount_points() - before
    for d in list(decoys) + [v for v, _ in victims]:
        assert d not in new, "a mount landed on host path %s" % d


# ---------------------------------------------------------------- CVE-2019-5736

def _attacker(capsa, make_bundle, probe_bin, cid, mark, seconds, victim_ino=0):
    """A container running the published attack pattern against every process in its
    pid namespace that runs the capsa copy (argv[0], or the copy's inode: capsa wipes
    its argv where a container can see it). It holds CAP_SYS_PTRACE (the worst case:
    only the seal protects, not ptrace access checks)."""
    b = make_bundle()
    path = sysprobe.install(b, probe_bin)
    for k in b.config["process"]["capabilities"]:
        b.config["process"]["capabilities"][k].append(CAP_SYS_PTRACE)
    b.set_args(path, "exe-attack", mark, str(seconds), str(victim_ino)).write()
    proc = capsa.spawn("run", "--bundle", b.path, cid)
    h.wait_for_output(proc.out_path, "ready=1")
    return proc, capsa.state(cid)["pid"]


@pytest.mark.parametrize("phase", ["create", "run", "exec"])
def test_cve_2019_5736_exe_overwrite(request, capsa, make_bundle, workdir, cid, probe_bin,
                                     phase):
    """create/run: the victim container joins the attacker's pid namespace (a pod
    sharing one), so its init is visible there while it is still capsa; exec: capsa
    exec enters the attacker's own container (the original CVE)."""
    # Never the build output: a private copy, found by its unique path.
    mark = "capsa-victim-" + uuid.uuid4().hex[:8]
    copy = os.path.join(workdir, mark)
    shutil.copy2(capsa.binary, copy)
    digest = sha256(copy)
    victim_rt = h.Runtime("capsa", copy, os.path.join(workdir, "state-copy"),
                          os.path.join(workdir, "io-copy"))
    request.node._capsa_runtimes.append(victim_rt)

    atk_id = cid + "-atk"
    attacker, atk_pid = _attacker(capsa, make_bundle, probe_bin, atk_id, mark, 4,
                                  os.stat(copy).st_ino)
    victim = make_bundle()
    for ns in victim.config["linux"]["namespaces"]:
        if ns["type"] == "pid":
            ns["path"] = "/proc/%d/ns/pid" % atk_pid
    vid = cid + "-v"
    if phase == "create":
        victim.helper("sleep", "10").write()
        assert victim_rt.create(victim, vid).rc == 0
        time.sleep(1.5)           # the init waits on exec.fifo as the capsa binary
        victim_rt.delete(vid, force=True)
    elif phase == "run":
        # The init stays capsa while a createRuntime hook runs: a window the
        # attacker cannot miss.
        victim.config["hooks"] = {"createRuntime": [{"path": "/bin/sleep",
                                                     "args": ["sleep", "1.5"]}]}
        victim.helper("exit", "0").write()
        r = victim_rt.run(victim, vid)
        assert r.rc == 0, r
    else:
        # The copy needs the attacker container in its own state dir: exec through
        # the copy with the build's state root.
        exec_rt = h.Runtime("capsa", copy, capsa.root, os.path.join(workdir, "io-exec"))
        # Each exec is capsa inside the container for a few ms only: repeat.
        for _ in range(15):
            r = exec_rt("exec", atk_id, h.HELPER, "exit", "0")
            assert r.rc == 0, r
    # The victim's init was reparented to the test (a subreaper): reap it, or the
    # attacker's pid namespace cannot finish dying.
    deadline = time.time() + 20
    while attacker.poll() is None and time.time() < deadline:
        h.reap_zombies()
        time.sleep(0.1)
    r = capsa.finish(attacker)
    f = r.facts
    assert sha256(copy) == digest, "the capsa copy was overwritten: %r" % r
    # Non-vacuous: the attacker did see and open capsa's exe, and every write failed.
    assert int(f["found"]) >= 1, r
    assert f["opened_for_write"] == "0", r


def _process_starts(strace, workdir, name, argv):
    """Run argv under strace; per pid, the execve/execveat/arch_prctl(ARCH_SET_FS)
    calls in order (each glibc start issues one ARCH_SET_FS). The runtime's own
    process comes first."""
    log = os.path.join(workdir, "strace-" + name)
    r = subprocess.run([strace, "-f", "-qq", "-e", "trace=execve,execveat,arch_prctl",
                        "-o", log] + argv, capture_output=True, text=True, timeout=60)
    events = {}
    with open(log) as f:
        for line in f:
            pid, _, call = line.partition(" ")
            call = call.strip()
            for kind in ("execveat(", "execve(", "arch_prctl(ARCH_SET_FS"):
                if call.startswith(kind) and ("= 0" in call or "execve" in kind):
                    events.setdefault(int(pid), []).append(kind.rstrip("("))
    return r, events


def test_exe_seal_before_libc_starts(capsa, make_bundle, cid, workdir):
    """The static binary re-executes from its read-only clone before glibc starts
    (runtime/early_seal.c): run and exec start glibc once in the runtime process,
    not twice; commands that need no seal never re-execute."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace not installed: cannot see the process starts")
    r = subprocess.run(["readelf", "-l", capsa.binary], capture_output=True, text=True)
    if "INTERP" in r.stdout or os.uname().machine != "x86_64":
        pytest.skip("the pre-libc entry is built into static x86_64 binaries only")
    b = make_bundle()
    b.helper("exit", "0").write()
    base = [capsa.binary, "--root", capsa.root]
    capsa._track(cid + "-fg")
    r, ev = _process_starts(strace, workdir, "run", base + ["run", "--bundle", b.path, cid + "-fg"])
    assert r.returncode == 0, r
    first = ev[next(iter(ev))]
    # execve(capsa), the seal's execveat, then glibc's one start.
    assert first[:3] == ["execve", "execveat", "arch_prctl(ARCH_SET_FS"], first
    assert first.count("arch_prctl(ARCH_SET_FS") == 1, first
    # strace -f would wait for a detached container: start it untraced.
    b = make_bundle()
    b.helper("sleep", "30").write()
    assert capsa.run(b, cid, "-d").rc == 0
    r, ev = _process_starts(strace, workdir, "exec",
                            base + ["exec", cid, h.HELPER, "exit", "0"])
    assert r.returncode == 0, r
    first = ev[next(iter(ev))]
    assert first[:3] == ["execve", "execveat", "arch_prctl(ARCH_SET_FS"], first
    # Global flags with values before the command are skipped like main() does.
    r, ev = _process_starts(strace, workdir, "exec-flags",
                            [capsa.binary, "--log-format", "json", "--root", capsa.root,
                             "--log", os.path.join(workdir, "log.json"), "-criu", "criu",
                             "--rootless=false", "--rootless", "false", "--debug", "exec",
                             cid, h.HELPER, "exit", "0"])
    assert r.returncode == 0, r
    assert ev[next(iter(ev))][:2] == ["execve", "execveat"], ev[next(iter(ev))]
    r, ev = _process_starts(strace, workdir, "state", base + ["state", cid])
    assert r.returncode == 0, r
    assert ev[next(iter(ev))] == ["execve", "arch_prctl(ARCH_SET_FS"], ev[next(iter(ev))]
    # --version before a command word: main prints and exits, no seal.
    r, ev = _process_starts(strace, workdir, "version", [capsa.binary, "--version", "run"])
    assert r.returncode == 0 and "capsa version" in r.stdout, r
    assert ev[next(iter(ev))] == ["execve", "arch_prctl(ARCH_SET_FS"], ev[next(iter(ev))]
    # The re-exec marker never reaches the container.
    r = capsa("exec", cid, h.HELPER, "env")
    assert r.rc == 0 and "PATH=" in r.out, r
    assert "_CAPSA_EXE_SEALED" not in r.out, r.out
    assert capsa.delete(cid, force=True).rc == 0


def test_exe_seal_skipped_on_read_only_binary(capsa, make_bundle, cid, workdir):
    """A binary already on a read-only mount is not re-executed, by either path."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace not installed: cannot see the process starts")
    ro = os.path.join(workdir, "capsa-ro")
    shutil.copy2(capsa.binary, ro)
    subprocess.run(["mount", "--bind", ro, ro], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", ro], check=True)
        b = make_bundle()
        b.helper("exit", "0").write()
        capsa._track(cid)
        r, ev = _process_starts(strace, workdir, "ro-run",
                                [ro, "--root", capsa.root, "run", "--bundle", b.path, cid])
        assert r.returncode == 0, r
        assert "execveat" not in ev[next(iter(ev))], ev[next(iter(ev))]
    finally:
        subprocess.run(["umount", ro])


# ---------------------------------------------------------------- CVE-2024-21626

def _host_dir_fd():
    return os.open("/sys/fs/cgroup", os.O_RDONLY | os.O_DIRECTORY)   # inheritable


def test_cve_2024_21626_fds_run(capsa, bundle, cid):
    fd = _host_dir_fd()
    try:
        bundle.helper("fds").write()
        r = capsa.run(bundle, cid, pass_fds=(fd,))
    finally:
        os.close(fd)
    assert r.rc == 0, r
    assert r.facts["fds"] == "0,1,2", r


def test_cve_2024_21626_fds_create(capsa, bundle, cid, workdir):
    fd = _host_dir_fd()
    out = os.path.join(workdir, "create.out")
    try:
        bundle.helper("fds").write()
        r = capsa.create(bundle, cid, pass_fds=(fd,), stdout_path=out)
    finally:
        os.close(fd)
    assert r.rc == 0, r
    assert capsa.start(cid).rc == 0
    capsa.wait_status(cid, "stopped")
    with open(out) as f:
        assert h.facts(f.read())["fds"] == "0,1,2"


def test_cve_2024_21626_fds_exec(capsa, bundle, cid):
    bundle.helper("sleep", "30").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    fd = _host_dir_fd()
    try:
        r = capsa("exec", cid, h.HELPER, "fds", pass_fds=(fd,))
    finally:
        os.close(fd)
    assert r.rc == 0, r
    assert r.facts["fds"] == "0,1,2", r


def test_preserve_fds_exact(capsa, bundle, cid, workdir):
    # The caller holds fds 3, 4 and 5 but preserves 2: only 0-4 reach the process.
    bundle.helper("fds").write()
    capsa._track(cid)
    argv = [capsa.binary, "--root", capsa.root, "run", "--bundle", bundle.path,
            "--preserve-fds", "2", cid]
    r = subprocess.run(["/bin/sh", "-c", 'exec "$@" 3</dev/null 4</dev/null 5</dev/null',
                        "sh"] + argv, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r
    assert h.facts(r.stdout)["fds"] == "0,1,2,3,4", r


def test_preserve_fds_exact_exec(capsa, bundle, cid):
    bundle.helper("sleep", "30").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    argv = [capsa.binary, "--root", capsa.root, "exec", "--preserve-fds", "1", cid,
            h.HELPER, "fds"]
    r = subprocess.run(["/bin/sh", "-c", 'exec "$@" 3</dev/null 4</dev/null', "sh"] + argv,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r
    assert h.facts(r.stdout)["fds"] == "0,1,2,3", r


def test_cve_2024_21626_cwd_proc_fd_run(capsa, bundle, cid):
    fd = _host_dir_fd()
    try:
        bundle.config["process"]["cwd"] = "/proc/self/fd/%d" % fd
        bundle.helper("cwd").write()
        r = capsa.run(bundle, cid, pass_fds=(fd,))
    finally:
        os.close(fd)
    assert r.rc != 0, "cwd through a host fd was accepted: %r" % r
    h.ensure_nothing_left(capsa, cid, bundle)


def test_cve_2024_21626_cwd_proc_fd_exec(capsa, bundle, cid):
    bundle.helper("sleep", "30").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    fd = _host_dir_fd()
    try:
        r = capsa("exec", "--cwd", "/proc/self/fd/%d" % fd, cid, h.HELPER, "cwd",
                  pass_fds=(fd,))
    finally:
        os.close(fd)
    assert r.rc != 0, "exec cwd through a host fd was accepted: %r" % r


# ------------------------------------------- mount targets, symlinks, swapped files

def test_symlinked_proc_and_sys(capsa, bundle, cid, workdir, resolver_env):
    # CVE-2019-19921, CVE-2023-27561: procfs or sysfs mounted on a host path.
    before = host_mount_points()
    decoys = []
    for name in ("proc", "sys"):
        d = os.path.join(workdir, "decoy-" + name)
        os.mkdir(d)
        decoys.append(d)
        replace_with_symlink(bundle.rootfs, name, d)
    bundle.helper("caps").write()
    r = capsa.run(bundle, cid, env=resolver_env)
    assert r.rc != 0, r
    assert_host_clean(before, decoys)
    h.ensure_nothing_left(capsa, cid, bundle)


def test_relative_symlinked_proc_stays_inside(capsa, bundle, cid, workdir, resolver_env):
    # A relative symlink climbing out: resolved inside the root it is /, not the host.
    before = host_mount_points()
    decoy = os.path.join(workdir, "decoy")
    os.mkdir(decoy)
    depth = bundle.rootfs.count("/")
    replace_with_symlink(bundle.rootfs, "proc", "../" * depth + decoy.lstrip("/"))
    bundle.helper("caps").write()
    r = capsa.run(bundle, cid, env=resolver_env)
    print("outcome:", r.rc, r.err.strip()[-160:])
    # The host's mountinfo cannot show a mount made in the container's namespace:
    # the refusal itself is the observable outcome.
    assert r.rc != 0 and "/proc" in r.err and "is a symlink" in r.err, r
    assert_host_clean(before, [decoy])
    h.ensure_nothing_left(capsa, cid, bundle)


def test_dev_symlinks_without_dev_tmpfs(capsa, bundle, cid, workdir, resolver_env):
    # The 2025/2026 /dev CVEs: no tmpfs on /dev, so the image's /dev entries are
    # what the runtime meets: /dev/null, /dev/console, /dev/full point at host files,
    # /dev/pts at a host directory.
    before = host_mount_points()
    drop_mount(bundle.config, "/dev")
    bundle.config["root"]["readonly"] = False
    victims = [(make_victim(workdir, n), "untouched") for n in ("null", "console", "full")]
    decoy = os.path.join(workdir, "decoy-pts")
    os.mkdir(decoy)
    for v, _ in victims:
        replace_with_symlink(bundle.rootfs, "dev/" + os.path.basename(v), v)
    replace_with_symlink(bundle.rootfs, "dev/pts", decoy)
    bundle.helper("write", "/dev/null", "pwned").write()
    r = capsa.run(bundle, cid, env=resolver_env)
    print("outcome:", r.rc, r.err.strip()[-160:])
    assert_host_clean(before, [decoy], victims)
    h.ensure_nothing_left(capsa, cid, bundle)


def test_mount_destination_through_symlink(capsa, bundle, cid, workdir, resolver_env):
    # CVE-2019-18837: a mount destination whose parent is a symlink to the host.
    before = host_mount_points()
    decoy = os.path.join(workdir, "decoy-mnt")
    os.mkdir(decoy)
    replace_with_symlink(bundle.rootfs, "mnt", decoy)
    bundle.config["mounts"].append({"destination": "/mnt/evil", "type": "tmpfs",
                                    "source": "tmpfs", "options": ["size=1m"]})
    bundle.config["root"]["readonly"] = False
    bundle.helper("write", "/mnt/evil/x", "pwned").write()
    r = capsa.run(bundle, cid, env=resolver_env)
    print("outcome:", r.rc, r.err.strip()[-160:])
    assert_host_clean(before, [decoy])
    h.ensure_nothing_left(capsa, cid, bundle)


def test_masked_path_symlink_to_host(capsa, bundle, cid, workdir, resolver_env):
    # A masked path that is a symlink out of the rootfs: the mask must not land on
    # the host file (and nothing may be written there).
    before = host_mount_points()
    victim = make_victim(workdir)
    replace_with_symlink(bundle.rootfs, "etc/evil", victim)
    # The same path inside the rootfs: resolved in the root, the mask lands there
    # and the container reads nothing; followed to the host, the mask would land
    # on the host file (in the container's mount namespace, out of the host's
    # sight) and the container would read this text.
    inside = os.path.join(bundle.rootfs, victim.lstrip("/"))
    os.makedirs(os.path.dirname(inside), exist_ok=True)
    with open(inside, "w") as f:
        f.write("inside-unmasked")
    bundle.config["linux"]["maskedPaths"].append("/etc/evil")
    bundle.helper("read", "/etc/evil").write()
    r = capsa.run(bundle, cid, env=resolver_env)
    print("outcome:", r.rc, r.err.strip()[-160:])
    assert r.rc == 0, r
    assert "inside-unmasked" not in r.out, r
    assert_host_clean(before, victims=[(victim, "untouched")])
    h.ensure_nothing_left(capsa, cid, bundle)


def test_masks_use_real_dev_null(capsa, bundle, cid, workdir, resolver_env):
    # CVE-2025-31133: the image's /dev/null is a regular file with content; a mask
    # bound from it would show that content. Masks must use the real 1:3 device.
    drop_mount(bundle.config, "/dev")
    bundle.config["root"]["readonly"] = False
    p = os.path.join(bundle.rootfs, "dev", "null")
    if os.path.lexists(p):
        os.unlink(p)
    with open(p, "w") as f:
        f.write("fake-dev-null")
    with open(os.path.join(bundle.rootfs, "etc", "masked"), "w") as f:
        f.write("secret")
    bundle.config["linux"]["maskedPaths"].append("/etc/masked")
    bundle.helper("read", "/etc/masked", "--", "stat", "/dev/null").write()
    r = capsa.run(bundle, cid, env=resolver_env)
    if r.rc == 0:
        assert "secret" not in r.out and "fake-dev-null" not in r.out, r
        f = r.facts
        assert f["type"] == "char" and f["rdev"] == "1:3", r
    else:
        # Refused rather than binding the image's file (runc 1.1.5 would bind it).
        assert "is not the null device (1:3)" in r.err, r
    h.ensure_nothing_left(capsa, cid, bundle)


def test_device_nodes_only_from_config(capsa, bundle, cid, workdir):
    # Nodes the image brings in /dev are hidden by the runtime's own /dev; the
    # config's devices are created.
    os.makedirs(os.path.join(bundle.rootfs, "dev"), exist_ok=True)
    os.mknod(os.path.join(bundle.rootfs, "dev", "mem"), 0o020666, os.makedev(1, 1))
    bundle.config["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10,
                                          "minor": 229, "fileMode": 0o666}]
    bundle.set_args("/bin/sh", "-c", "ls /dev").write()
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    names = set(r.out.split())
    assert "mem" not in names, r
    assert "fuse" in names and "null" in names, r
    expected = {"null", "zero", "full", "random", "urandom", "tty", "fuse", "ptmx", "pts",
                "shm", "mqueue", "fd", "stdin", "stdout", "stderr", "core", "console"}
    assert names <= expected, names - expected


def test_nodev_nosuid_where_configured(runtime, bundle, cid):
    bundle.helper("mounts").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    opts = {}
    for line in r.out.splitlines():
        parts = line.split()
        if len(parts) > 5:
            opts[parts[4]] = set(parts[5].split(","))
    for dest in ("/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"):
        assert {"nosuid", "nodev", "noexec"} <= opts[dest], (dest, opts[dest])
    assert {"nosuid", "noexec"} <= opts["/dev/pts"], opts["/dev/pts"]
    assert "nosuid" in opts["/dev"], opts["/dev"]


def test_no_openat2_switch_is_honoured(capsa, make_bundle, cid, workdir):
    # The fallback runs above are only meaningful if capsa then makes no openat2 call.
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace not installed: cannot count openat2 calls")
    counts = {}
    for mode in ("openat2", "no-openat2"):
        b = make_bundle()
        b.helper("exit", "0").write()
        env = dict(os.environ)
        env.pop("CAPSA_TEST_NO_OPENAT2", None)
        if mode == "no-openat2":
            env["CAPSA_TEST_NO_OPENAT2"] = "1"
        log = os.path.join(workdir, "strace-" + mode)
        capsa._track(cid + mode)
        r = subprocess.run([strace, "-f", "-qq", "-e", "trace=openat2", "-o", log,
                            capsa.binary, "--root", capsa.root, "run", "--bundle", b.path,
                            cid + mode], env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r
        with open(log) as f:
            counts[mode] = sum(1 for line in f if "openat2(" in line)
    assert counts["openat2"] > 0, counts
    assert counts["no-openat2"] == 0, counts


# ---- CVE-2019-16884: a volume over /proc (or over files the runtime and the LSMs use
# below it) is refused before anything runs; lxcfs-style file binds stay allowed.

@pytest.mark.parametrize("dest", ["/proc", "/proc/self/attr", "/proc/sys"])
def test_volume_over_proc_refused(runtime, bundle, cid, workdir, dest):
    fake = os.path.join(workdir, "fake")
    os.makedirs(fake)
    bundle.config["mounts"].append({"destination": dest, "type": "bind", "source": fake,
                                    "options": ["rbind"]})
    bundle.helper("attr").write()
    r = runtime.run(bundle, cid)
    assert r.rc != 0, r
    if runtime.name == "capsa":
        assert "cannot be mounted because it is" in r.err, r
    assert os.listdir(fake) == []
    h.ensure_nothing_left(runtime, cid, bundle)


def test_lxcfs_style_proc_file_bind_allowed(runtime, bundle, cid, workdir):
    src = make_victim(workdir, "meminfo", "MemTotal: 1234 kB\n")
    bundle.config["mounts"].append({"destination": "/proc/meminfo", "type": "bind",
                                    "source": src, "options": ["bind", "ro"]})
    bundle.helper("read", "/proc/meminfo").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert "MemTotal: 1234 kB" in r.out, r


# ---- races: a host-side attacker flips a path of the rootfs between a directory (or
# file) and a symlink to the host with renameat2(RENAME_EXCHANGE) while capsa sets the
# container up, again and again (the CVE-2019-19921 / 2023-27561 / 2025-31133 /
# 2025-52881 pattern; in real attacks another container sharing the volume does it).

import ctypes  # noqa: E402
import threading  # noqa: E402

_libc = ctypes.CDLL(None, use_errno=True)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a, b):
    return _libc.renameat2(_AT_FDCWD, a.encode(), _AT_FDCWD, b.encode(), _RENAME_EXCHANGE)


class Flipper(threading.Thread):
    def __init__(self, path, alt):
        super().__init__(daemon=True)
        self.path, self.alt, self.stop, self.flips = path, alt, threading.Event(), 0

    def run(self):
        while not self.stop.is_set():
            if _exchange(self.path, self.alt) == 0:
                self.flips += 1

    def finish(self):
        self.stop.set()
        self.join()


RACES = {
    # name: (path in rootfs, make the benign thing, config change)
    "proc": "proc",
    "mount-target": "mnt/target",
    "dev-null-mask": "dev/null",
}


@pytest.mark.parametrize("race", sorted(RACES))
def test_race_swapped_paths(capsa, make_bundle, cid, workdir, race):
    before = host_mount_points()
    decoy_dir = os.path.join(workdir, "decoy-dir")
    os.mkdir(decoy_dir)
    victim = make_victim(workdir)
    b = make_bundle()
    rel = RACES[race]
    path = os.path.join(b.rootfs, rel)
    alt = path + ".alt"
    if os.path.lexists(path):
        shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if race == "dev-null-mask":
        drop_mount(b.config, "/dev")
        b.config["linux"]["maskedPaths"].append("/etc/hostname")
        open(path, "w").close()
        os.symlink(victim, alt)
    else:
        os.mkdir(path)
        os.symlink(decoy_dir, alt)
        if race == "mount-target":
            b.config["mounts"].append({"destination": "/" + rel, "type": "tmpfs",
                                       "source": "tmpfs", "options": ["size=1m"]})
    b.config["root"]["readonly"] = False
    b.helper("exit", "0").write()
    flipper = Flipper(path, alt)
    flipper.start()
    outcomes = {}
    try:
        for i in range(25):
            r = capsa.run(b, "%s-%d" % (cid, i))
            outcomes[r.rc] = outcomes.get(r.rc, 0) + 1
            if r.rc != 0:
                outcomes.setdefault("errors", set()).add(
                    r.err.split("msg=")[-1].strip()[:140])
            capsa.delete("%s-%d" % (cid, i), force=True)
    finally:
        flipper.finish()
    print("race %s: %d flips, outcomes %s" % (race, flipper.flips, outcomes))
    assert flipper.flips > 100, flipper.flips
    assert_host_clean(before, [decoy_dir], [(victim, "untouched")])


# ---- CVE-2025-52565 (/dev/console): with a terminal and no tmpfs on /dev, the image's
# /dev/console is a symlink to a host file; the pty must not be bound over it.

def test_dev_console_symlink_with_terminal(capsa, bundle, cid, workdir, resolver_env):
    recvtty = os.path.join(os.path.dirname(h.HELPER_BIN), "recvtty")
    if not os.access(recvtty, os.X_OK):
        pytest.skip("recvtty not built (make recvtty)")
    before = host_mount_points()
    drop_mount(bundle.config, "/dev")
    bundle.config["root"]["readonly"] = False
    victim = make_victim(workdir, "console-victim")
    replace_with_symlink(bundle.rootfs, "dev/console", victim)
    bundle.config["process"]["terminal"] = True
    bundle.helper("write", "/dev/console", "pwned", "--", "stat", "/dev/console").write()
    sock = os.path.join(workdir, "console.sock")
    out = open(os.path.join(workdir, "tty.out"), "wb")
    p = subprocess.Popen([recvtty, sock], stdout=out, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.exists(sock) or p.poll() is not None:
                break
            time.sleep(0.01)
        r = capsa.run(bundle, cid, "--console-socket", sock, env=resolver_env)
        print("outcome:", r.rc, r.err.strip()[-160:])
    finally:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        out.close()
    assert_host_clean(before, victims=[(victim, "untouched")])
    if r.rc == 0:
        with open(out.name, errors="replace") as f:
            facts = h.facts(f.read().replace("\r", ""))
        # Inside, /dev/console is the pty (a char device), not the host file.
        assert facts.get("type") == "char", facts
    h.ensure_nothing_left(capsa, cid, bundle)
