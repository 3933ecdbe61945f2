"""checkpoint and restore through CRIU (issue 14).

CRIU 3.17 (Debian 12) cannot dump on the 6.18 kernel of the host ("Failed to fill
self vdso symtable"): there the tests check that capsa reports the failure with
criu's version and log and leaves the container running.  The round trips run in
the v2vm guest (Debian's 6.1 kernel; tests/cgroup-v2.sh, plain mode), which loads
the netfilter and sock_diag modules criu needs from CAPSA_CRIU_KMODS.

The container's stdio are pipes (criu cannot save an fd to a host file outside
the container), and its counter goes to a file of its rootfs."""
import array
import fcntl
import json
import os
import pty
import shutil
import socket
import struct
import subprocess
import termios
import time

import pytest

import capsa_harness as h

COUNTER = "i=0; while true; do echo $i > /tmp/count; i=$((i+1)); sleep 0.2; done"


def criu_bin():
    return shutil.which("criu") or pytest.skip("criu is not installed (tests/install-deps.sh)")


_criu_works = None


def criu_works():
    """Whether criu can dump on this kernel (criu check)."""
    global _criu_works
    if _criu_works is None:
        r = subprocess.run([criu_bin(), "check"], capture_output=True, text=True)
        _criu_works = r.returncode == 0 or "vdso" not in (r.stdout + r.stderr)
        if not _criu_works:
            _criu_works = False
    return _criu_works


@pytest.fixture(scope="module", autouse=True)
def guest_setup():
    """In the guest: loopback up and the modules criu needs (no-ops elsewhere)."""
    kmods = os.environ.get("CAPSA_CRIU_KMODS")
    if kmods:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
        for m in ("nf_conntrack_netlink", "af_packet_diag", "raw_diag", "nft_compat", "xt_mark",
                  "nf_tables", "unix_diag", "tcp_diag", "udp_diag", "netlink_diag", "tun",
                  "veth"):
            subprocess.run(["modprobe", "-d", kmods, m], check=False)


def need_working_criu():
    if not criu_works():
        pytest.skip("criu cannot dump on this kernel (criu 3.17 vs %s): the round trips run "
                    "in the v2vm guest (tests/cgroup-v2.sh)" % os.uname().release)


class Piped:
    """A runtime call whose stdio are one pipe, as a shim gives them; or, with
    on_pty, a terminal of the test's (a shell's), whose slave is self.slave_st."""

    def __init__(self, runtime, *args, timeout=120, on_pty=False):
        if on_pty:
            self.r, w = pty.openpty()
            self.win, rin = -1, w
            self.slave_st = os.fstat(w)
        else:
            self.r, w = os.pipe()
            rin, self.win = os.pipe()
        argv = [runtime.binary, "--root", runtime.root] + [str(a) for a in args]
        p = subprocess.Popen(argv, stdin=rin, stdout=w, stderr=w, start_new_session=True)
        os.close(w)
        if rin != w:
            os.close(rin)
        self.rc = p.wait(timeout=timeout)
        fcntl.fcntl(self.r, fcntl.F_SETFL, os.O_NONBLOCK)
        try:
            self.out = os.read(self.r, 65536).decode(errors="replace")
        except (BlockingIOError, OSError):
            self.out = ""
        self.argv = argv

    def close(self):
        os.close(self.r)
        if self.win >= 0:
            os.close(self.win)


def count(bundle):
    try:
        with open(os.path.join(bundle.path, "rootfs/tmp/count")) as f:
            return int(f.read().strip() or -1)
    except (OSError, ValueError):
        return -1


def wait_count_above(bundle, n, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        c = count(bundle)
        if c > n:
            return c
        time.sleep(0.2)
    raise AssertionError("counter stayed at %d (not above %d)" % (count(bundle), n))


def start_counter(capsa, bundle, cid, on_pty=False):
    bundle.set_args("sh", "-c", COUNTER)
    bundle.config["root"]["readonly"] = False
    bundle.write()
    capsa._track(cid)
    p = Piped(capsa, "run", "-d", "--bundle", bundle.path, cid, on_pty=on_pty)
    assert p.rc == 0, p.out
    wait_count_above(bundle, 1)
    return p


def images(workdir, name):
    return os.path.join(workdir, name)


def why(r, img):
    """A failed call and the Error lines of criu's logs in img (the guest's files
    are gone once it powers off)."""
    out = [str(r)]
    for name in ("dump.log", "pre-dump.log", "restore.log"):
        try:
            with open(os.path.join(img, name), errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        errs = [ln for ln in lines if "Error" in ln or "Warn" in ln]
        out.append("%s: %s" % (name, "\n".join((errs or lines)[-25:])))
    return "\n".join(out)


def test_checkpoint_restore_counter(capsa, bundle, cid, workdir):
    need_working_criu()
    p = start_counter(capsa, bundle, cid)
    old_pid = capsa.state(cid)["pid"]
    img = images(workdir, "img")
    r = capsa("checkpoint", "--image-path", img, cid, timeout=180)
    assert r.rc == 0, r
    assert os.path.exists(os.path.join(img, "inventory.img"))
    # gone, as after runc's checkpoint: the process, the state, the cgroup
    assert cid not in capsa.list_ids()
    assert not h.pid_alive(old_pid)
    stopped_at = count(bundle)
    time.sleep(1)
    assert count(bundle) == stopped_at
    q = Piped(capsa, "restore", "-d", "--image-path", img, "--bundle", bundle.path, cid)
    assert q.rc == 0, q.out
    st = capsa.state(cid)
    assert st["status"] == "running"
    assert st["pid"] != old_pid and h.pid_alive(st["pid"])
    # the counter goes on from where it was, not from 0
    c = wait_count_above(bundle, stopped_at)
    assert c > stopped_at
    assert capsa("delete", "--force", cid).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)
    p.close()
    q.close()


def test_checkpoint_leave_running_joined_netns(capsa, bundle, cid, workdir):
    """--leave-running of a container that joins a network namespace by path: it
    keeps running; its images restore once it is gone. criu leaves the joined
    namespace out of the images (--external net[inode]) and the restored
    container is in that namespace again (--inherit-fd of the path), not in a
    copy of it."""
    need_working_criu()
    if shutil.which("ip") is None:
        pytest.skip("no ip(8)")
    name = "capsa-ck-" + cid[-8:]
    assert subprocess.run(["ip", "netns", "add", name]).returncode == 0
    path = "/run/netns/" + name
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
        for e in bundle.config["linux"]["namespaces"]:
            if e["type"] == "network":
                e["path"] = path
        p = start_counter(capsa, bundle, cid)
        pid = capsa.state(cid)["pid"]
        ino = os.stat(path).st_ino
        assert os.stat("/proc/%d/ns/net" % pid).st_ino == ino
        before = wait_count_above(bundle, 10)
        img = images(workdir, "img")
        r = capsa("checkpoint", "--leave-running", "--image-path", img, cid, timeout=180)
        assert r.rc == 0, why(r, img)
        assert capsa.state(cid)["status"] == "running" and capsa.state(cid)["pid"] == pid
        wait_count_above(bundle, count(bundle))
        assert capsa("delete", "--force", cid).rc == 0
        h.ensure_nothing_left(capsa, cid, bundle)
        # the images of a container left running restore once it is gone
        q = Piped(capsa, "restore", "-d", "--image-path", img, "--bundle", bundle.path, cid)
        assert q.rc == 0, why(q, img)
        new = capsa.state(cid)["pid"]
        assert new != pid
        assert os.stat("/proc/%d/ns/net" % new).st_ino == ino
        # the count goes on from the checkpoint (not from 0)
        with open(os.path.join(bundle.path, "rootfs/tmp/count"), "w") as f:
            f.write("-1\n")
        assert wait_count_above(bundle, -1) > before
        assert capsa("delete", "--force", cid).rc == 0
        h.ensure_nothing_left(capsa, cid, bundle)
        assert os.path.exists(path)  # the joined namespace is left alone
        p.close()
        q.close()
    finally:
        subprocess.run(["ip", "netns", "del", name])


def test_pre_dump_then_dump_and_restore_new_id(capsa, bundle, make_bundle, cid, workdir):
    """pre-dump, a final dump on it (--parent-path), restore into a new bundle and id.
    The container (process.terminal false) was run from a shell's terminal, which
    it inherited (runc's --shell-job case, passed as a runc user would): the
    restored container is on the terminal of the restoring capsa."""
    need_working_criu()
    # a bound file, whose mount point the new rootfs lacks (as podman's /etc/hosts
    # in a fresh rootfs): restore makes it
    src = os.path.join(workdir, "bound-file")
    with open(src, "w") as f:
        f.write("bound\n")
    bundle.config["mounts"].append({"destination": "/etc/capsa-bound", "type": "bind",
                                    "source": src, "options": ["rbind", "ro"]})
    p = start_counter(capsa, bundle, cid, on_pty=True)
    pre, final = images(workdir, "pre"), images(workdir, "final")
    r = capsa("checkpoint", "--pre-dump", "--image-path", pre, cid, timeout=180)
    assert r.rc == 0, r
    assert capsa.state(cid)["status"] == "running"
    r = capsa("checkpoint", "--shell-job", "--image-path", final, "--parent-path", "../pre", cid,
              timeout=180)
    assert r.rc == 0, why(r, final)
    # not a console of capsa's: nothing for --console-socket
    with open(os.path.join(final, "tty.json")) as f:
        assert json.load(f)["console"] is False
    assert os.path.islink(os.path.join(final, "parent"))
    stopped_at = count(bundle)
    # the new bundle: a copy of the rootfs as it is now (its files are part of the state)
    other = make_bundle(dict(bundle.config))
    shutil.rmtree(os.path.join(other.path, "rootfs"))
    shutil.copytree(os.path.join(bundle.path, "rootfs"), os.path.join(other.path, "rootfs"),
                    symlinks=True)
    os.unlink(os.path.join(other.path, "rootfs/etc/capsa-bound"))
    other.write()
    new_id = cid + "-b"
    capsa._track(new_id)
    q = Piped(capsa, "restore", "-d", "--shell-job", "--image-path", final, "--bundle",
              other.path, new_id, on_pty=True)
    assert q.rc == 0, why(q, final)
    assert capsa.state(new_id)["status"] == "running"
    out = os.stat("/proc/%d/fd/1" % capsa.state(new_id)["pid"])
    assert (out.st_rdev, out.st_dev) == (q.slave_st.st_rdev, q.slave_st.st_dev)
    assert capsa.state(new_id)["bundle"] == other.path
    assert wait_count_above(other, stopped_at) > stopped_at
    assert count(bundle) == stopped_at  # the old rootfs is left alone
    assert capsa("delete", "--force", new_id).rc == 0
    h.ensure_nothing_left(capsa, new_id, other)
    p.close()
    q.close()


def test_checkpoint_failure_is_reported_and_container_runs(capsa, bundle, cid, workdir):
    """Where criu cannot dump (the host's kernel): the reason, criu's version and
    the log path, and the container keeps running."""
    criu_bin()
    if criu_works():
        # make it fail here too: a criu that is not criu
        fake = os.path.join(workdir, "fake-criu")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\n[ \"$1\" = --version ] && { echo 'Version: 9.9'; exit 0; }\n"
                    "for a; do case $a in --log-file=*) l=${a#--log-file=};; "
                    "--work-dir=*) w=${a#--work-dir=};; esac; done\n"
                    "echo '(00.1) Error (criu/x.c:1): Failed to fill self vdso symtable' "
                    ">\"$w/$l\"; exit 1\n")
        os.chmod(fake, 0o755)
        global_args = ["--criu", fake]
    else:
        global_args = []
    p = start_counter(capsa, bundle, cid)
    pid = capsa.state(cid)["pid"]
    img = images(workdir, "img")
    r = capsa(*global_args, "checkpoint", "--image-path", img, cid, timeout=180)
    assert r.rc != 0
    assert "criu dump failed (criu " in r.err, r.err
    assert "vdso" in r.err and os.path.join(img, "dump.log") in r.err, r.err
    assert "still running" in r.err, r.err
    st = capsa.state(cid)
    assert st["status"] == "running" and st["pid"] == pid
    wait_count_above(bundle, count(bundle))
    p.close()


def test_dev_null_stdio_is_the_containers(capsa, bundle, cid):
    """A stdin that is the host's /dev/null (as conmon gives it) is reopened on the
    container's /dev/null, as runc does: criu cannot dump an fd whose mount is not
    in the container ("Can't lookup mount=N for fd=0 path=/dev/null")."""
    bundle.set_args("sh", "-c", "sed -n 's/^mnt_id:[[:space:]]*//p' /proc/self/fdinfo/0; "
                    "echo mounts; cut -d' ' -f1 /proc/self/mountinfo")
    bundle.write()
    r = capsa.run(bundle, cid, stdin=subprocess.DEVNULL)
    assert r.rc == 0, r
    mnt, rest = r.out.split("mounts\n", 1)
    assert mnt.strip() in rest.split(), "stdin's mount %s is not the container's: %s" % (
        mnt.strip(), r.out)


def test_features_report_criu(capsa, workdir):
    """features.json says whether checkpoint works here, as criu check decides,
    with criu's version and, when it fails, its reason."""
    criu = criu_bin()
    r = capsa("features")
    assert r.rc == 0, r
    ann = json.loads(r.out)["annotations"]
    v = subprocess.run([criu, "--version"], capture_output=True, text=True).stdout
    assert "Version: %s" % ann["run.capsa.criu.version"] in v, (ann, v)
    chk = subprocess.run([criu, "check"], capture_output=True, text=True)
    if chk.returncode == 0:
        assert ann["org.opencontainers.runc.checkpoint.enabled"] == "true", ann
        assert ann["run.capsa.criu.check"] == "ok", ann
    else:
        assert ann["org.opencontainers.runc.checkpoint.enabled"] == "false", ann
        first = [ln for ln in (chk.stdout + chk.stderr).splitlines() if "Error (" in ln]
        assert ann["run.capsa.criu.check"].startswith("failed: "), ann
        if first:
            assert first[0].split("): ", 1)[-1] in ann["run.capsa.criu.check"], (ann, first)
    # --criu names the binary: one that is missing is said so
    missing = os.path.join(workdir, "no-criu")
    r = capsa("--criu", missing, "features")
    assert r.rc == 0, r
    ann = json.loads(r.out)["annotations"]
    assert ann["org.opencontainers.runc.checkpoint.enabled"] == "false", ann
    assert missing in ann["run.capsa.criu.check"], ann
    # podman's probe of a runtime: `checkpoint --help` succeeds
    assert capsa("checkpoint", "--help").rc == 0


def test_bad_input(capsa, bundle, cid, workdir):
    criu_bin()
    # restore from a directory that does not exist
    missing = os.path.join(workdir, "no-such-images")
    r = capsa("restore", "-d", "--image-path", missing, "--bundle", bundle.path, cid)
    assert r.rc != 0 and "image directory" in r.err and missing in r.err, r
    assert cid not in capsa.list_ids()
    # checkpoint of a container that does not exist, then of one not running
    r = capsa("checkpoint", "--image-path", images(workdir, "i1"), cid)
    assert r.rc != 0 and "does not exist" in r.err, r
    bundle.set_args("true")
    bundle.write()
    assert capsa.create(bundle, cid).rc == 0
    r = capsa("checkpoint", "--image-path", images(workdir, "i2"), cid)
    assert r.rc != 0 and "only a running container can be checkpointed" in r.err, r
    assert capsa.state(cid)["status"] == "created"
    r = capsa("checkpoint", "--manage-cgroups-mode", "bogus", "--image-path",
              images(workdir, "i3"), cid)
    assert r.rc != 0 and "--manage-cgroups-mode" in r.err, r


# ---- terminal containers (the console's pty: criu_tty.c) ----

class ConsoleSocket:
    """A --console-socket receiver: the pty master capsa sends (SCM_RIGHTS)."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)

    def master(self, timeout=60):
        self.sock.settimeout(timeout)
        conn, _ = self.sock.accept()
        with conn:
            _, fds, _, _ = socket.recv_fds(conn, 4096, 1)
        self.sock.close()
        assert len(fds) == 1
        return fds[0]


class TtyReader:
    """Everything read from a pty master, and the counter lines in it."""

    def __init__(self, fd):
        self.fd = fd
        self.text = ""
        fcntl.fcntl(fd, fcntl.F_SETFL, os.O_NONBLOCK)

    def pump(self):
        """Read what is there; False once the slave side is gone (EIO)."""
        while True:
            try:
                b = os.read(self.fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not b:
                return False
            self.text += b.decode(errors="replace").replace("\r", "")

    def lines(self):
        return [ln for ln in self.text.split("\n") if ln.startswith("n=")]

    def numbers(self):
        return [int(ln.split()[0][2:]) for ln in self.lines()]

    def wait_number_above(self, n, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            self.pump()
            if self.numbers() and self.numbers()[-1] > n:
                return self.numbers()[-1]
            time.sleep(0.1)
        raise AssertionError("no counter above %d on the terminal: %r" % (n, self.text[-400:]))

    def drain(self, timeout=30):
        end = time.time() + timeout
        while self.pump() and time.time() < end:
            time.sleep(0.1)


def tty_nr(pid):
    """The controlling terminal of pid (/proc/PID/stat field 7), 0 for none."""
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[4])


def encode_dev(rdev):
    """A device number as /proc/PID/stat encodes it (the kernel's new_encode_dev)."""
    ma, mi = os.major(rdev), os.minor(rdev)
    return (mi & 0xff) | (ma << 8) | ((mi & ~0xff) << 12)


def set_winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def start_tty_counter(capsa, bundle, cid, workdir):
    """A terminal container run -d with a console socket, counting on its
    terminal until /tmp/stop exists, then exiting 7; its master, read."""
    bundle.config["process"]["terminal"] = True
    bundle.config["root"]["readonly"] = False
    bundle.set_args("sh", "-c", "stty -echo; i=0; while [ ! -e /tmp/stop ]; do "
                    'echo "n=$i size=$(stty size)"; i=$((i+1)); sleep 0.2; done; '
                    "echo bye; exit 7")
    bundle.write()
    capsa._track(cid)
    c1 = ConsoleSocket(os.path.join(workdir, "c1.sock"))
    r = capsa("run", "-d", "--console-socket", c1.path, "--bundle", bundle.path, cid)
    assert r.rc == 0, r
    m1 = c1.master()
    set_winsize(m1, 33, 101)
    t = TtyReader(m1)
    t.wait_number_above(1)
    return t


def checkpoint_tty(capsa, cid, img, t):
    """Checkpoint; the last count the old terminal showed."""
    r = capsa("checkpoint", "--image-path", img, cid, timeout=180)
    assert r.rc == 0, why(r, img)
    assert cid not in capsa.list_ids()
    t.drain()  # the old slave is closed: EIO after the last line
    os.close(t.fd)
    assert t.lines()[-1].endswith("size=33 101"), t.text[-200:]
    return t.numbers()[-1]


def test_tty_checkpoint_restore(capsa, bundle, cid, workdir):
    """A terminal container (process.terminal, --console-socket): checkpoint and
    restore -d with a new --console-socket; the counter goes on through the new
    master from where it was, the terminal's size and line settings (echo off)
    come along, it is the controlling terminal and /dev/console, state shows the
    new pid. Then the restored container is checkpointed again and restored in
    the foreground from a terminal: capsa copies the container's terminal to
    its own and ends with the container's exit status, and the container is
    gone, as after `run`."""
    need_working_criu()
    t1 = start_tty_counter(capsa, bundle, cid, workdir)
    old_pid = capsa.state(cid)["pid"]
    st0 = os.stat("/proc/%d/fd/0" % old_pid)
    old_tty = (st0.st_rdev, st0.st_dev)
    img = images(workdir, "img")
    last = checkpoint_tty(capsa, cid, img, t1)

    # detached without a console socket: refused, as for create
    r = capsa("restore", "-d", "--image-path", img, "--bundle", bundle.path, cid)
    assert r.rc != 0 and "console socket" in r.err, r
    assert cid not in capsa.list_ids()

    c2 = ConsoleSocket(os.path.join(workdir, "c2.sock"))
    r = capsa("restore", "-d", "--console-socket", c2.path, "--image-path", img,
              "--bundle", bundle.path, cid, timeout=180)
    assert r.rc == 0, why(r, img)
    t2 = TtyReader(c2.master())
    st = capsa.state(cid)
    assert st["status"] == "running", st
    pid = st["pid"]
    assert pid != old_pid and h.pid_alive(pid)
    t2.wait_number_above(last + 1)
    nums = t2.numbers()
    # the count goes on from the checkpoint, not from 0, with nothing lost
    assert nums[0] == last + 1, (last, nums[:5])
    assert nums == list(range(nums[0], nums[0] + len(nums))), nums
    assert all(ln.endswith("size=33 101") for ln in t2.lines()), t2.text[-300:]
    # its stdio is the new terminal: a pty slave, not the old one
    st0 = os.stat("/proc/%d/fd/0" % pid)
    assert 136 <= os.major(st0.st_rdev) <= 143, st0
    assert (st0.st_rdev, st0.st_dev) != old_tty
    # it is the controlling terminal of the restored session, as the old one was
    assert tty_nr(pid) == encode_dev(st0.st_rdev), (tty_nr(pid), st0)
    # and /dev/console, bound on the old slave, is bound on the new one
    con = os.stat("/proc/%d/root/dev/console" % pid)
    assert (con.st_rdev, con.st_dev) == (st0.st_rdev, st0.st_dev), (con, st0)
    # echo stays off: input typed on the new master is not echoed back
    os.write(t2.fd, b"typed-in\n")
    t2.wait_number_above(t2.numbers()[-1] + 2)
    assert "typed-in" not in t2.text, t2.text[-300:]

    # again, from the restored container, and back in the foreground
    img2 = images(workdir, "img2")
    last = checkpoint_tty(capsa, cid, img2, t2)
    master, slave = pty.openpty()
    p = subprocess.Popen([capsa.binary, "--root", capsa.root, "restore", "--image-path", img2,
                          "--bundle", bundle.path, cid], stdin=slave, stdout=slave,
                         stderr=slave, start_new_session=True)
    os.close(slave)
    try:
        t3 = TtyReader(master)
        t3.wait_number_above(last + 2, timeout=120)
        assert t3.numbers()[0] == last + 1, (last, t3.text[:300])
        st = capsa.state(cid)
        assert st["status"] == "running" and p.poll() is None, (st, t3.text[-300:])
        with open(os.path.join(bundle.path, "rootfs/tmp/stop"), "w"):
            pass
        rc = p.wait(timeout=60)
        t3.drain(timeout=5)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert rc == 7, (rc, t3.text[-300:])
    assert "bye" in t3.text, t3.text[-300:]
    assert cid not in capsa.list_ids()
    h.ensure_nothing_left(capsa, cid, bundle)
    os.close(master)


def test_restore_terminal_options(capsa, bundle, cid, workdir):
    """What a restore asks of the terminal, checked before criu runs (so on any
    kernel): a console socket for images without a terminal is refused, a
    detached restore of a terminal without one too, and a damaged tty.json is
    reported by name; nothing is left behind."""
    bundle.write()
    img = images(workdir, "img")
    os.makedirs(img)
    sock = ConsoleSocket(os.path.join(workdir, "c.sock"))
    r = capsa("restore", "-d", "--console-socket", sock.path, "--image-path", img,
              "--bundle", bundle.path, cid)
    assert r.rc != 0 and "has no terminal" in r.err, r
    h.ensure_nothing_left(capsa, cid, bundle)
    def tty_json(**kw):
        d = {"console": True, "keys": ["tty[8800:1a]"], "stdio": [0, 0, 0], "uid": 0,
             "gid": 5, "mode": 0o620}
        d.update(kw)
        with open(os.path.join(img, "tty.json"), "w") as f:
            json.dump(d, f)

    tty_json()
    r = capsa("restore", "-d", "--image-path", img, "--bundle", bundle.path, cid)
    assert r.rc != 0 and "console socket" in r.err, r
    h.ensure_nothing_left(capsa, cid, bundle)
    tty_json(mode=99999)
    r = capsa("restore", "-d", "--console-socket", sock.path, "--image-path", img,
              "--bundle", bundle.path, cid)
    assert r.rc != 0 and "tty.json" in r.err and "terminal description" in r.err, r
    h.ensure_nothing_left(capsa, cid, bundle)
    # keys that are not criu's tty[rdev:dev] are not passed on
    for bad in ("mnt[/]:/", "tty[1:2]x", "tty[1:2] --root=/"):
        tty_json(keys=[bad])
        r = capsa("restore", "-d", "--console-socket", sock.path, "--image-path", img,
                  "--bundle", bundle.path, cid)
        assert r.rc != 0 and "keys[0] is not tty[rdev:dev]" in r.err, (bad, r)
        h.ensure_nothing_left(capsa, cid, bundle)
