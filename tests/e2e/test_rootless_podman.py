"""Rootless podman: an ordinary user (made here by `useradd -m`, which gives it
65536-id ranges in /etc/subuid and /etc/subgid) runs podman with capsa, and with
runc to show the cases are right. podman runs the runtime as root inside its own
user namespace: capsa must keep its state in $XDG_RUNTIME_DIR, count itself
rootless, run without a cgroup it may not write, and bind-mount device nodes."""

import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest

import engines as e

IMG = "localhost/capsa-e2e-rootless/busybox:latest"


def _sub_start(path, name):
    with open(path) as f:
        for line in f:
            parts = line.strip().split(":")
            if len(parts) == 3 and parts[0] == name:
                return int(parts[1])
    return None


class RootlessPodman:
    """podman as a throw-away user, with its own home, $XDG_RUNTIME_DIR and a
    containers.conf that knows capsa and runc."""

    def __init__(self, rootfs_tar):
        for tool in ("podman", "useradd", "newuidmap", "newgidmap"):
            if shutil.which(tool) is None:
                pytest.skip("%s is not installed (tests/e2e/install-engines.sh)" % tool)
        self.name = "capsapm%s" % uuid.uuid4().hex[:6]
        r = e.sh(["useradd", "-m", "-s", "/bin/sh", self.name])
        if r.returncode != 0:
            pytest.skip("useradd failed: %s" % r.stderr.strip())
        pw = pwd.getpwnam(self.name)
        self.uid, self.gid, self.home = pw.pw_uid, pw.pw_gid, pw.pw_dir
        self.subuid = _sub_start("/etc/subuid", self.name)
        self.subgid = _sub_start("/etc/subgid", self.name)
        self.base = os.path.join(e.BASE, "rootless-" + self.name)
        os.makedirs(self.base, mode=0o755)
        # Where logind would make it (a long path under /var/tmp made every foreground
        # run wait out podman's 20 s conmon exit timeout, with runc as with capsa).
        self.xdg = "/run/user/%d" % self.uid
        os.makedirs(self.xdg, mode=0o700, exist_ok=True)
        os.chown(self.xdg, self.uid, self.gid)
        # Private copies the user can execute whatever the build dir's permissions.
        self.capsa = os.path.join(self.base, "capsa")
        shutil.copy2(e.CAPSA_BIN, self.capsa)
        os.chmod(self.capsa, 0o755)
        self.conf = os.path.join(self.base, "containers.conf")
        with open(self.conf, "w") as f:
            f.write("""[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "capsa"
runtime_supports_json = ["crun", "runc", "capsa"]
runtime_supports_nocgroups = ["crun", "capsa"]
[engine.runtimes]
capsa = ["%s"]
runc = ["%s"]
""" % (self.capsa, e.RUNC_BIN))
        os.chmod(self.conf, 0o644)
        tar = os.path.join(self.base, "rootfs.tar")
        shutil.copy2(rootfs_tar, tar)
        os.chmod(tar, 0o644)
        if self.subuid is None or self.subgid is None:
            self.close()
            pytest.skip("useradd gave %s no subordinate id ranges" % self.name)
        r = self.cli("import", tar, IMG)
        if r.returncode != 0:
            self.close()
            pytest.fail("rootless podman import failed: %s" % r.stderr[-2000:])

    def argv(self, *args):
        env = ["HOME=" + self.home, "USER=" + self.name, "LOGNAME=" + self.name,
               "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "XDG_RUNTIME_DIR=" + self.xdg,
               "CONTAINERS_CONF=" + self.conf]
        return ["setpriv", "--reuid=%d" % self.uid, "--regid=%d" % self.gid, "--init-groups",
                "env", "-i"] + env + ["podman", "--cgroup-manager", "cgroupfs",
                                      "--events-backend", "file"] + list(args)

    def cli(self, *args, timeout=120):
        # Output through files, as the integration harness does.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            p = subprocess.run(self.argv(*args), cwd="/", stdin=subprocess.DEVNULL, stdout=out,
                               stderr=err, timeout=timeout)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(p.args, p.returncode,
                                               out.read().decode(errors="replace"),
                                               err.read().decode(errors="replace"))

    def close(self):
        self.cli("rm", "-af", "-t", "0")
        self.cli("system", "migrate")  # stops the pause process that holds the namespace
        pause = os.path.join(self.xdg, "libpod", "tmp", "pause.pid")
        if os.path.exists(pause):
            try:
                with open(pause) as f:
                    os.kill(int(f.read().strip()), 9)
            except (ValueError, OSError):
                pass
        # The user's storage holds files of its subordinate ids: remove it as the user.
        self.cli("system", "reset", "-f")
        e.unmount_under(self.base)
        e.unmount_under(self.home)
        e.sh(["userdel", "-r", "-f", self.name])
        e.unmount_under(self.xdg)
        shutil.rmtree(self.base, ignore_errors=True)
        shutil.rmtree(self.xdg, ignore_errors=True)


@pytest.fixture(scope="module")
def tun_for_users():
    """slirp4netns (rootless podman's default network) opens /dev/net/tun as the
    user; Debian's udev makes it 0666, this VM has 0600: widen it for these tests
    and put it back. True when there is a tun device (the v2vm guest has none)."""
    if not os.path.exists("/dev/net/tun"):
        yield False
        return
    mode = stat.S_IMODE(os.stat("/dev/net/tun").st_mode)
    os.chmod("/dev/net/tun", 0o666)
    yield True
    os.chmod("/dev/net/tun", mode)


@pytest.fixture(scope="module")
def rpm(rootfs_tar, tun_for_users):
    if "podman" not in os.environ.get("E2E_ENGINES", "docker,podman,containerd").split(","):
        pytest.skip("engine podman not selected (E2E_ENGINES)")
    p = RootlessPodman(rootfs_tar)
    # Without a tun device the cases that are not about the network run without one.
    p.net = [] if tun_for_users and shutil.which("slirp4netns") else ["--network", "none"]
    yield p
    p.close()


def ok(r):
    assert r.returncode == 0, "rc=%d out=%r err=%r" % (r.returncode, r.stdout, r.stderr[-2000:])
    return r.stdout


def test_rootless_run_rm(rpm, runtime):
    out = ok(rpm.cli("run", "--rm", *rpm.net, "--runtime", runtime, IMG, "sh", "-c",
                     "echo $(id -u) $(cat /proc/self/uid_map)"))
    # Root of podman's namespace is the user; 1.. are its subordinate ids.
    assert out.split()[:4] == ["0", "0", str(rpm.uid), "1"], out


def test_rootless_user_with_volume_owner_on_host(rpm, runtime):
    vol = os.path.join(rpm.base, "vol-" + runtime)
    os.mkdir(vol)
    os.chmod(vol, 0o777)
    ok(rpm.cli("run", "--rm", *rpm.net, "--runtime", runtime, "--user", "1000", "-v",
               vol + ":/v", IMG, "sh", "-c", "id -u > /v/f"))
    st = os.stat(os.path.join(vol, "f"))
    assert st.st_uid == rpm.subuid + 999, (st.st_uid, rpm.subuid)
    with open(os.path.join(vol, "f")) as f:
        assert f.read() == "1000\n"


def test_rootless_detached_exec_stop(rpm, runtime):
    name = "rl-" + uuid.uuid4().hex[:8]
    ok(rpm.cli("run", "-d", *rpm.net, "--runtime", runtime, "--name", name, IMG, "sleep",
               "1000"))
    try:
        assert ok(rpm.cli("exec", name, "sh", "-c", "echo $((6*7)) $(id -u)")) == "42 0\n"
        ok(rpm.cli("stop", "-t", "1", name))
        assert ok(rpm.cli("inspect", "-f", "{{.State.Running}}", name)).strip() == "false"
    finally:
        rpm.cli("rm", "-f", name)


def test_rootless_userns_keep_id(rpm, runtime):
    out = ok(rpm.cli("run", "--rm", *rpm.net, "--runtime", runtime, "--userns=keep-id", IMG,
                     "sh", "-c", "id -u; id -g"))
    assert out.split() == [str(rpm.uid), str(rpm.gid)], out


def test_rootless_publish_port_slirp4netns(rpm, runtime, tun_for_users):
    if not tun_for_users:
        pytest.skip("no /dev/net/tun for slirp4netns")
    if shutil.which("slirp4netns") is None:
        pytest.skip("slirp4netns is not installed (tests/install-deps.sh)")
    www = os.path.join(rpm.base, "www-" + runtime)
    os.mkdir(www)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("served by %s\n" % runtime)
    os.chmod(www, 0o755)
    os.chmod(os.path.join(www, "index.html"), 0o644)
    port = 18000 + (os.getpid() + (1 if runtime == "runc" else 0)) % 2000
    name = "rlweb-" + uuid.uuid4().hex[:8]
    ok(rpm.cli("run", "-d", "--runtime", runtime, "--name", name, "--network", "slirp4netns",
               "-p", "127.0.0.1:%d:80" % port, "-v", www + ":/www:ro", IMG,
               "httpd", "-f", "-p", "80", "-h", "/www"))
    try:
        body, last = None, None
        for _ in range(50):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/index.html" % port,
                                            timeout=2) as resp:
                    body = resp.read().decode()
                break
            except OSError as ex:
                last = ex
                time.sleep(0.1)
        assert body == "served by %s\n" % runtime, last
    finally:
        rpm.cli("rm", "-f", "-t", "0", name)


def test_rootless_limits_on_cgroup_v2(rpm, runtime):
    """On pure cgroup v2 with a cgroup delegated to the user (a systemd user session,
    podman's systemd cgroup manager): --memory and --pids-limit are in force inside
    the container. Without delegation runc refuses such a container and capsa runs
    it with a warning (as crun does): that is not this case."""
    if not os.path.exists("/sys/fs/cgroup/cgroup.subtree_control"):
        pytest.skip("needs pure cgroup v2 (tests/e2e in the v2vm guest)")
    session = "/sys/fs/cgroup/user.slice/user-%d.slice/user@%d.service" % (rpm.uid, rpm.uid)
    if not os.path.isdir(session):
        pytest.skip("needs a systemd user session delegating %s (v2vm --systemd with "
                    "user@%d.service; not set up by this fixture)" % (session, rpm.uid))
    out = ok(rpm.cli("--cgroup-manager", "systemd", "run", "--rm", *rpm.net, "--runtime",
                     runtime, "--memory", "64m",
                     "--pids-limit", "42", IMG, "sh", "-c",
                     "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max"))
    assert out.split() == [str(64 << 20), "42"], out
