"""VM isolation (issue 15): containers with annotation run.capsa.isolation "vm" run
in their own qemu guest (TCG here), driven through capsa's own commands and podman.

Each VM boot costs seconds under TCG, so one container serves several assertions.
Skips (with the reason) only where qemu or a guest kernel is missing."""

import array
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

import engines as e

REPO = e.REPO
HELPER = os.environ.get("CAPSA_TEST_HELPER", os.path.join(e.BUILD, "capsa-test-helper"))
ANNOTATION = {"run.capsa.isolation": "vm"}


def _why_no_vm():
    if shutil.which("qemu-system-x86_64") is None:
        return "qemu-system-x86_64 is not installed"
    if not os.path.exists("/etc/capsa/vm.json") and not any(
            n.startswith("vmlinuz-") for n in os.listdir("/boot")):
        return "no guest kernel: no /etc/capsa/vm.json and nothing in /boot (tests/vm-kernel.sh)"
    return None


pytestmark = pytest.mark.skipif(_why_no_vm() is not None, reason=_why_no_vm() or "")


@pytest.fixture(scope="module")
def rootfs():
    d = tempfile.mkdtemp(prefix="capsa-vm-rootfs-")
    r = subprocess.run([os.path.join(REPO, "tests", "make-rootfs.sh"), d, HELPER],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Vm:
    """capsa with a private --root, and a bundle whose config runs in a VM."""

    def __init__(self, rootfs, tmp):
        self.root = os.path.join(tmp, "state")
        self.bundle = os.path.join(tmp, "bundle")
        os.makedirs(self.bundle)
        self.rootfs = rootfs
        self.ids = []

    def capsa(self, *args, timeout=180, **kw):
        return subprocess.run([e.CAPSA_BIN, "--root", self.root, *args], capture_output=True,
                              text=True, timeout=timeout, **kw)

    def config(self, args, terminal=False, edit=None):
        r = subprocess.run([e.CAPSA_BIN, "spec", "--bundle", self.bundle], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr
        path = os.path.join(self.bundle, "config.json")
        with open(path) as f:
            c = json.load(f)
        c["root"] = {"path": self.rootfs, "readonly": False}
        c["process"]["args"] = args
        c["process"]["terminal"] = terminal
        c["annotations"] = dict(ANNOTATION)
        if edit:
            edit(c)
        with open(path, "w") as f:
            json.dump(c, f)

    def create_logged(self, cid):
        """create with the container's stdio in a file (the supervisor keeps it:
        pipes of ours would never end); returns the file's path."""
        out = os.path.join(self.bundle, "out")
        with open(out, "w") as o:
            r = subprocess.run([e.CAPSA_BIN, "--root", self.root, "create", "--bundle",
                                self.bundle, cid], stdin=subprocess.DEVNULL, stdout=o,
                               stderr=subprocess.STDOUT, timeout=180)
        assert r.returncode == 0, open(out).read()
        return out

    def new_id(self):
        i = "vm-" + uuid.uuid4().hex[:10]
        self.ids.append(i)
        return i

    def state(self, cid):
        r = self.capsa("state", cid)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def wait_stopped(self, cid, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            if self.state(cid)["status"] == "stopped":
                return
            time.sleep(0.2)
        raise AssertionError("container %s did not stop" % cid)

    def assert_nothing_left(self, cid, pid=None):
        assert not os.path.exists(os.path.join(self.root, cid)), "state dir left"
        for d in ("/sys/fs/cgroup/unified/capsa", "/sys/fs/cgroup/capsa",
                  "/sys/fs/cgroup/memory/capsa"):
            assert not os.path.exists(os.path.join(d, cid)), "cgroup %s/%s left" % (d, cid)
        if pid:
            # Gone, or a zombie waiting for our reaper (create's parent has exited).
            try:
                with open("/proc/%d/stat" % pid) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except FileNotFoundError:
                state = "gone"
            assert state in ("gone", "Z"), "the VM's supervisor %d is left (%s)" % (pid, state)
            assert not subprocess.run(["pgrep", "-P", str(pid)], capture_output=True).stdout, \
                "qemu (the supervisor's child) is left"
        # qemu is the supervisor's child and dies with it: no qemu names our state dir
        # (its sockets were in it) nor runs from our cached initramfs for this bundle.
        with open("/proc/mounts") as f:
            assert self.rootfs not in f.read(), "a mount of the rootfs is left on the host"

    def cleanup(self):
        for cid in self.ids:
            self.capsa("delete", "--force", cid)


@pytest.fixture
def vm(rootfs):
    tmp = tempfile.mkdtemp(prefix="capsa-vm-")
    v = Vm(rootfs, tmp)
    yield v
    v.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


def host_cmdline():
    with open("/proc/cmdline") as f:
        return f.read().strip()


def host_version():
    with open("/proc/version") as f:
        return f.read().strip()


def test_vm_run_guest_kernel_exit_status_nothing_left(vm):
    """capsa run: the guest's kernel answers, the host's command line is not
    visible, stdout and stderr come back apart, the exit status is the process's,
    and nothing remains (state dir, cgroup, supervisor, qemu)."""
    vm.config(["sh", "-c", "cat /proc/version; echo CMDLINE $(cat /proc/cmdline); "
               "echo to-stderr >&2; exit 3"])
    cid = vm.new_id()
    t0 = time.time()
    r = vm.capsa("run", "--bundle", vm.bundle, cid)
    print("VM run took %.1f s" % (time.time() - t0))
    assert r.returncode == 3, r.stderr
    version = r.stdout.splitlines()[0]
    assert version.startswith("Linux version "), r.stdout
    assert version != host_version()
    assert os.uname().release not in version
    cmdline = re.search(r"^CMDLINE (.*)$", r.stdout, re.M).group(1)
    assert cmdline != host_cmdline()
    assert "rdinit=/init" in cmdline
    assert "to-stderr" in r.stderr and "to-stderr" not in r.stdout
    vm.assert_nothing_left(cid)
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert cid not in out


def test_vm_lifecycle_exec_kill_delete(vm):
    """create/state/start/exec/kill/delete of one VM container: the state's pid is
    the supervisor (qemu's parent) on the host, exec runs in the guest with its own
    exit status and stdin, SIGTERM reaches the container's process (its trap runs),
    and delete leaves nothing."""
    vm.config(["sh", "-c", "trap 'echo got-TERM; exit 7' TERM; echo started; "
               "while :; do sleep 0.1; done"])
    cid = vm.new_id()
    out = vm.create_logged(cid)
    st = vm.state(cid)
    assert st["status"] == "created"
    pid = st["pid"]
    children = subprocess.run(["ps", "--ppid", str(pid), "-o", "comm="], capture_output=True,
                              text=True).stdout.split()
    assert any(c.startswith("qemu-system") for c in children), children
    assert st["annotations"]["run.capsa.isolation"] == "vm"

    r = vm.capsa("start", cid)
    assert r.returncode == 0, r.stderr
    assert vm.state(cid)["status"] == "running"

    r = vm.capsa("exec", cid, "sh", "-c", "cat /proc/version; exit 5")
    assert r.returncode == 5, r.stderr
    assert r.stdout.startswith("Linux version ") and r.stdout.strip() != host_version()
    r = vm.capsa("exec", cid, "cat", input="through-stdin\n")
    assert r.returncode == 0 and r.stdout == "through-stdin\n", (r.stdout, r.stderr)
    # The guest's pid namespace: the container's process is pid 1 there.
    r = vm.capsa("exec", cid, "capsa-test-helper", "ids")
    assert r.returncode == 0, r.stderr

    r = vm.capsa("kill", cid, "TERM")
    assert r.returncode == 0, r.stderr
    vm.wait_stopped(cid)
    with open(out) as f:
        text = f.read()
    assert "started" in text and "got-TERM" in text, text
    r = vm.capsa("delete", cid)
    assert r.returncode == 0, r.stderr
    vm.assert_nothing_left(cid, pid)


def _console_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    return s


def _recv_fd(srv, timeout=180):
    srv.settimeout(timeout)
    conn, _ = srv.accept()
    fds = array.array("i")
    _, anc, _, _ = conn.recvmsg(1024, socket.CMSG_LEN(fds.itemsize))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    conn.close()
    return fds[0]


def _read_until(fd, needle, timeout=60):
    buf = b""
    end = time.time() + timeout
    os.set_blocking(fd, False)
    while needle not in buf and time.time() < end:
        try:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buf += chunk
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            break
    return buf


def test_vm_terminal_console_socket_and_sigkill(vm):
    """process.terminal with --console-socket: the master we receive carries the
    guest's terminal (the process sees a tty, reads what we type); then SIGKILL
    (as `podman stop` ends with) stops it and delete leaves nothing."""
    vm.config(["sh", "-c", "test -t 0 && echo IS-A-TTY; read x; echo got-$x; sleep 1000"],
              terminal=True)
    cid = vm.new_id()
    sock = os.path.join(vm.bundle, "console.sock")
    srv = _console_socket(sock)
    r = vm.capsa("create", "--bundle", vm.bundle, "--console-socket", sock, cid,
                 stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    master = _recv_fd(srv)
    pid = vm.state(cid)["pid"]
    assert vm.capsa("start", cid).returncode == 0
    assert b"IS-A-TTY" in _read_until(master, b"IS-A-TTY")
    os.write(master, b"abc\n")
    assert b"got-abc" in _read_until(master, b"got-abc")
    r = vm.capsa("kill", cid, "KILL")
    assert r.returncode == 0, r.stderr
    vm.wait_stopped(cid)
    os.close(master)
    srv.close()
    assert vm.capsa("delete", cid).returncode == 0
    vm.assert_nothing_left(cid, pid)


def _edit(path, value):
    def f(c):
        node = c
        keys = path.split(".")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return f


@pytest.mark.parametrize("edit,expect", [
    (lambda c: c["linux"]["namespaces"].append({"type": "network", "path": "/proc/1/ns/net"})
     if not any(n["type"] == "network" for n in c["linux"]["namespaces"])
     else [n.update(path="/proc/1/ns/net") for n in c["linux"]["namespaces"] if n["type"] == "network"],
     r"linux\.namespaces\[\d+\]\.path"),
    (_edit("linux.devices", [{"path": "/dev/sda", "type": "b", "major": 8, "minor": 0}]),
     r"linux\.devices\[0\]"),
    (_edit("linux.netDevices", {"eth9": {}}), r"linux\.netDevices"),
    (_edit("hooks", {"prestart": [{"path": "/bin/true"}]}), r"hooks\.prestart"),
    (lambda c: c["mounts"].append({"destination": "/x", "type": "bind", "source": "/dev/null",
                                   "options": ["bind"]}), r"mounts\[\d+\]\.source"),
    (_edit("annotations", {"run.capsa.isolation": "vm", "run.capsa.vm.network": "bridge"}),
     r"annotations\.run\.capsa\.vm\.network"),
    (_edit("linux.resources", {"memory": {"limit": 64 << 20}}),
     r"linux\.resources\.memory\.limit"),
])
def test_vm_refuses_what_a_vm_cannot_honour(vm, edit, expect):
    """What a VM cannot honour fails create at once, naming the JSON path, and
    nothing is left (no VM is started)."""
    vm.config(["true"], edit=edit)
    cid = vm.new_id()
    r = vm.capsa("create", "--bundle", vm.bundle, cid, timeout=30)
    assert r.returncode != 0
    assert re.search(expect, r.stderr), r.stderr
    vm.assert_nothing_left(cid)


def test_vm_isolation_global_flag(vm):
    """--isolation vm needs no annotation; --isolation container ignores none (the
    annotation wins); a bad value is refused."""
    r = vm.capsa("--isolation", "bogus", "state", "x")
    assert r.returncode != 0 and "--isolation" in r.stderr
    # A refusal shows the VM path was taken without booting one.
    vm.config(["true"], edit=lambda c: (c.pop("annotations"),
                                        c["linux"].update(netDevices={"eth9": {}})))
    cid = vm.new_id()
    r = vm.capsa("--isolation", "vm", "create", "--bundle", vm.bundle, cid, timeout=30)
    assert r.returncode != 0 and "VM container" in r.stderr, r.stderr


@pytest.fixture
def podman_engine():
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (tests/e2e/install-engines.sh)")
    base = os.environ.get("E2E_BASE", "/var/tmp/capsa-e2e")
    tar = e.rootfs_tar(os.path.join(base, "busybox-rootfs.tar"))
    eng = e.Podman(os.path.join(base, "podman-vm"), tar)
    yield eng
    eng.close()


def test_vm_podman_annotation(podman_engine):
    """podman run --annotation run.capsa.isolation=vm: the guest's kernel answers
    and podman reports the container's exit status."""
    r = podman_engine.cli("run", "--rm", "--runtime", "capsa", "--annotation",
                          "run.capsa.isolation=vm", e.IMAGE, "sh", "-c",
                          "cat /proc/version; exit 3", timeout=240)
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert r.stdout.startswith("Linux version ") and r.stdout.strip() != host_version()


def test_vm_check_reports_accelerator():
    """`capsa check` says VM isolation is available and whether KVM or TCG runs it:
    here /dev/kvm (kvm-pvm, or none) cannot boot a stock kernel, so TCG, "limited"."""
    r = subprocess.run([e.CAPSA_BIN, "check", "--format", "json", "--no-measure"],
                       capture_output=True, text=True)
    items = {i["name"]: i for i in json.loads(r.stdout)["items"]}
    vm_item = items["isolation.vm"]
    kvm_usable = (os.access("/dev/kvm", os.R_OK | os.W_OK) and not os.path.exists("/sys/module/kvm_pvm")
                  and re.search(r"\b(vmx|svm)\b", open("/proc/cpuinfo").read()) is not None)
    if kvm_usable:
        assert vm_item["status"] == "ok" and vm_item["value"].startswith("KVM"), vm_item
    else:
        assert vm_item["status"] == "limited" and vm_item["value"].startswith("TCG"), vm_item
        assert "KVM" in vm_item["fix"]


def test_vm_container_root_cannot_reach_the_control_channel(vm):
    """The attacker is root in the container, with every device allowed and
    CAP_MKNOD: it makes nodes for the guest's virtio ports and tries to write
    forged frames into the control channel, and looks for the host. The port is
    held by the guest's init (the kernel lets one opener in: EBUSY), the guest's
    processes and kernel are all it sees, and the VM ends normally."""
    script = r"""
maj=$(awk '$2 == "virtio-portsdev" {print $1}' /proc/devices)
echo MAJOR=$maj
for m in 0 1 2 3; do
  mknod /dev/port$m c $maj $m || { echo MKNOD-FAILED; continue; }
  if printf '\042\000\000\000\004\000\000\000\000\000\000\000' >/dev/port$m; then
    echo OPENED-$m
  fi
done
# On the 9p share qemu cannot make a device node at all (no CAP_MKNOD on the host).
mknod /tmp/hostnode c 1 3 2>/dev/null && echo HOST-MKNOD
echo PROCS $(ls -d /proc/[0-9]* | wc -l)
exit 0
"""

    def privileged(c):
        caps = c["process"]["capabilities"]
        for k in ("bounding", "effective", "permitted"):
            caps[k] = sorted(set(caps.get(k, [])) | {"CAP_MKNOD", "CAP_SYS_ADMIN"})
        c["linux"].setdefault("resources", {})["devices"] = [{"allow": True, "access": "rwm"}]
    vm.config(["sh", "-c", script], edit=privileged)
    cid = vm.new_id()
    r = vm.capsa("run", "--bundle", vm.bundle, cid)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert re.search(r"MAJOR=\d+", r.stdout), r.stdout
    assert "MKNOD-FAILED" not in r.stdout, r.stdout
    assert "OPENED" not in r.stdout, r.stdout
    assert "busy" in r.stderr.lower(), r.stderr  # the control port exists, and is taken
    assert "HOST-MKNOD" not in r.stdout and not os.path.exists(
        os.path.join(vm.rootfs, "tmp", "hostnode")), r.stdout
    # The container's process and the shell's children: no host process in sight.
    procs = int(re.search(r"PROCS (\d+)", r.stdout).group(1))
    assert procs < 10, r.stdout
    vm.assert_nothing_left(cid)


def test_vm_container_cannot_read_the_guest_init(vm):
    """The guest's init holds the control channel. A container that shares the
    guest's pid namespace (root, without CAP_SYS_PTRACE, as by default) tries to
    read that init's environment, memory maps and fd links: refused, because the
    init keeps capabilities the container lacks, and it is non-dumpable too."""
    script = r"""
head -c1 /proc/1/environ >/dev/null 2>&1 && echo READ-ENVIRON
head -c1 /proc/1/maps >/dev/null 2>&1 && echo READ-MAPS
for f in /proc/1/fd/*; do readlink $f >/dev/null 2>&1 && echo READ-FD-LINK; done
echo INIT=$(cat /proc/1/comm)
exit 0
"""

    def share_pid_ns(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]
    vm.config(["sh", "-c", script], edit=share_pid_ns)
    cid = vm.new_id()
    r = vm.capsa("run", "--bundle", vm.bundle, cid)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "INIT=" in r.stdout and "INIT=sh" not in r.stdout, r.stdout  # the guest's init
    for leak in ("READ-ENVIRON", "READ-MAPS", "READ-FD-LINK"):
        assert leak not in r.stdout, r.stdout
    vm.assert_nothing_left(cid)


def test_vm_podman_exec_and_stop(podman_engine):
    """podman exec in a VM container (conmon's `exec --detach --pid-file`: a host
    process stands for the exec and carries its status), then podman stop."""
    name = "vm-" + uuid.uuid4().hex[:8]
    r = podman_engine.cli("run", "-d", "--name", name, "--runtime", "capsa", "--annotation",
                          "run.capsa.isolation=vm", e.IMAGE, "sleep", "1000", timeout=240)
    try:
        assert r.returncode == 0, r.stderr
        r = podman_engine.cli("exec", name, "sh", "-c", "cat /proc/version; exit 4")
        assert r.returncode == 4, (r.stdout, r.stderr)
        assert r.stdout.startswith("Linux version ") and r.stdout.strip() != host_version()
        r = podman_engine.cli("stop", "-t", "2", name)
        assert r.returncode == 0, r.stderr
        state = podman_engine.cli("inspect", "-f", "{{.State.Status}}", name).stdout.strip()
        assert state == "exited", state
    finally:
        podman_engine.cli("rm", "-f", name)


def _read_counter(path, timeout=10):
    """The counter the container writes (through the 9p-shared rootfs)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text.isdigit():
                return int(text)
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    raise AssertionError("no counter in %s" % path)


def test_vm_ps_update_pause_in_the_guest(vm):
    """ps, update and pause/resume act on the container's cgroup in its guest (one
    VM for all): ps lists the guest's processes of the container (an exec'd sleep,
    not the host's supervisor or qemu), with a terminal escape in a container's
    argv made harmless; update --pids-limit/--memory reach the guest cgroup's
    pids.max/memory.max, a memory limit beyond the VM's RAM is refused naming
    linux.resources.memory.limit; pause stops the container's processes (a counter
    stops), state says paused, resume continues it."""
    cnt = "/tmp/vm-count-" + uuid.uuid4().hex[:8]

    def edit(c):
        c["linux"].setdefault("resources", {})["memory"] = {"limit": 512 << 20}

    vm.config(["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > %s.new; "
               "mv %s.new %s; sleep 0.1; done" % (cnt, cnt, cnt)], edit=edit)
    host_cnt = os.path.join(vm.rootfs, cnt.lstrip("/"))
    cid = vm.new_id()
    out = vm.create_logged(cid)
    sup = vm.state(cid)["pid"]
    r = vm.capsa("start", cid)
    assert r.returncode == 0, r.stderr
    try:
        # Its stdio goes to the supervisor: not pipes of ours.
        r = subprocess.run([e.CAPSA_BIN, "--root", vm.root, "exec", "--detach", cid, "sh", "-c",
                            "sleep 777; true # \x1b[2Jevil"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        assert r.returncode == 0
        end = time.time() + 30
        while True:
            r = vm.capsa("ps", cid)
            assert r.returncode == 0, r.stderr
            if any(l.split()[1:] == ["sleep", "777"] for l in r.stdout.splitlines()) \
                    or time.time() > end:
                break
            time.sleep(0.3)
        table = r.stdout
        lines = table.splitlines()
        assert lines[0].split() == ["PID", "CMD"], table
        assert any(l.split()[1:] == ["sleep", "777"] for l in lines[1:]), table
        assert any("mv %s.new" % cnt in l or "sh -c i=0" in l for l in lines[1:]), table
        assert "qemu" not in table and "\x1b" not in table, table
        assert "?[2Jevil" in table, table
        r = vm.capsa("ps", "--format", "json", cid)
        assert r.returncode == 0, r.stderr
        pids = json.loads(r.stdout)
        # Guest pids: the container's init and the exec'd processes, not the host's.
        assert len(pids) >= 3 and sup not in pids, (pids, sup, table)
        sleep_pid = next(int(l.split()[0]) for l in lines[1:] if l.split()[1:] == ["sleep", "777"])
        assert sleep_pid in pids, (pids, table)

        r = vm.capsa("update", "--pids-limit", "42", "--memory", str(256 << 20), cid)
        assert r.returncode == 0, r.stderr
        r = vm.capsa("exec", cid, "cat", "/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/memory.max")
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ["42", str(256 << 20)], r.stdout
        r = vm.capsa("update", "--memory", str(1 << 30), cid)
        assert r.returncode != 0 and "linux.resources.memory.limit" in r.stderr, r.stderr

        before = _read_counter(host_cnt)
        r = vm.capsa("pause", cid)
        assert r.returncode == 0, r.stderr
        assert vm.state(cid)["status"] == "paused"
        frozen = _read_counter(host_cnt)
        time.sleep(1.5)
        assert _read_counter(host_cnt) == frozen and frozen >= before
        # The VM itself runs on: ps still answers (the guest reads its /proc).
        r = vm.capsa("ps", "--format", "json", cid)
        assert r.returncode == 0 and len(json.loads(r.stdout)) >= 3, r.stderr
        r = vm.capsa("resume", cid)
        assert r.returncode == 0, r.stderr
        assert vm.state(cid)["status"] == "running"
        end = time.time() + 20
        while _read_counter(host_cnt) == frozen and time.time() < end:
            time.sleep(0.2)
        assert _read_counter(host_cnt) > frozen, "the counter did not go on after resume"
    finally:
        vm.capsa("kill", cid, "KILL")
        try:
            os.unlink(host_cnt)
        except FileNotFoundError:
            pass
    vm.wait_stopped(cid)
    r = vm.capsa("delete", cid)
    assert r.returncode == 0, r.stderr
    vm.assert_nothing_left(cid, sup)


def _root_fstype(mounts):
    for line in mounts.splitlines():
        f = line.split()
        if len(f) > 2 and f[1] == "/":
            return f[2]
    return None


def _children(pid):
    r = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid=,comm="], capture_output=True,
                       text=True)
    return [l.split(None, 1) for l in r.stdout.splitlines() if l.strip()]


@pytest.mark.skipif(not os.access("/usr/lib/qemu/virtiofsd", os.X_OK),
                    reason="no /usr/lib/qemu/virtiofsd: shares are 9p")
def test_vm_writable_shares_use_virtiofs_9p_fallback(vm):
    """A writable rootfs is shared through virtio-fs where virtiofsd runs (a
    virtiofsd per share, the supervisor's child): the container's / is virtiofs,
    a file written in the guest is on the host; container root with CAP_MKNOD
    cannot make a device node on the host through it (virtiofsd runs without
    CAP_MKNOD); delete leaves no virtiofsd. CAPSA_VM_9P=1 falls back to 9p."""
    vm.config(["sleep", "1000"])
    cid = vm.new_id()
    vm.create_logged(cid)
    sup = vm.state(cid)["pid"]
    kids = _children(sup)
    vfsd = [int(p) for p, c in kids if c.strip() == "virtiofsd"]
    assert vfsd and any(c.startswith("qemu-system") for p, c in kids), kids
    assert vm.capsa("start", cid).returncode == 0
    name = "vm-vfs-" + uuid.uuid4().hex[:8]
    try:
        r = vm.capsa("exec", cid, "sh", "-c", "cat /proc/self/mounts; echo hi > /tmp/%s" % name)
        assert r.returncode == 0, r.stderr
        assert _root_fstype(r.stdout) == "virtiofs", r.stdout
        with open(os.path.join(vm.rootfs, "tmp", name)) as f:
            assert f.read() == "hi\n"
        r = vm.capsa("exec", "--cap", "CAP_MKNOD", cid, "mknod", "/tmp/%s.null" % name, "c", "1",
                     "3")
        assert r.returncode != 0, "mknod through virtio-fs succeeded"
        assert not os.path.exists(os.path.join(vm.rootfs, "tmp", name + ".null"))
    finally:
        for n in (name, name + ".null"):
            try:
                os.unlink(os.path.join(vm.rootfs, "tmp", n))
            except FileNotFoundError:
                pass
    assert vm.capsa("kill", cid, "KILL").returncode == 0
    vm.wait_stopped(cid)
    assert vm.capsa("delete", cid).returncode == 0
    vm.assert_nothing_left(cid, sup)
    for p in vfsd:
        assert not os.path.exists("/proc/%d/cmdline" % p) or \
            open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()[0] == "Z", \
            "virtiofsd %d is left" % p

    os.unlink(os.path.join(vm.bundle, "config.json"))
    vm.config(["cat", "/proc/self/mounts"])
    cid = vm.new_id()
    r = vm.capsa("run", "--bundle", vm.bundle, cid, stdin=subprocess.DEVNULL,
                 env=dict(os.environ, CAPSA_VM_9P="1"))
    assert r.returncode == 0, r.stderr
    assert _root_fstype(r.stdout) == "9p", r.stdout
