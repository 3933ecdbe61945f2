"""Private instances of Docker, podman and containerd for the e2e tests.

Every engine runs with its own state directories under E2E_BASE (default
/var/tmp/capsa-e2e), its own socket, and knows two OCI runtimes: capsa (CAPSA_BIN)
and runc (RUNC_BIN), so each case runs against both: runc passing shows the test
is right, capsa passing shows capsa is a drop-in runtime."""

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import time

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CAPSA_BUILD_DIR", os.path.join(REPO, "build"))
CAPSA_BIN = os.path.realpath(os.environ.get("CAPSA_BIN", os.path.join(BUILD, "capsa")))
RUNC_BIN = os.environ.get("RUNC_BIN") or shutil.which("runc") or "/usr/sbin/runc"
BASE = os.environ.get("E2E_BASE", "/var/tmp/capsa-e2e")
RUNTIMES = {"capsa": CAPSA_BIN, "runc": RUNC_BIN}
IMAGE = "capsa-e2e/busybox:latest"
# dockerd's cgroup driver: cgroupfs here; v2-guest.sh also runs docker with systemd.
DOCKER_CGROUP_DRIVER = os.environ.get("E2E_DOCKER_CGROUP_DRIVER", "cgroupfs")


def sh(argv, timeout=120, check=False, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (argv, r.returncode, r.stdout, r.stderr))
    return r


def rootfs_tar(path):
    """A busybox rootfs tarball (tests/make-rootfs.sh), built once."""
    if os.path.exists(path):
        return path
    d = path + ".d"
    sh([os.path.join(REPO, "tests", "make-rootfs.sh"), d], check=True,
       env=dict(os.environ, CAPSA_TEST_HELPER=""))
    sh(["tar", "-C", d, "-cf", path + ".tmp", "."], check=True)
    os.rename(path + ".tmp", path)
    shutil.rmtree(d, ignore_errors=True)
    return path


def oci_archive(rootfs, path, name="docker.io/" + IMAGE):
    """An OCI image layout tarball with one layer, for `ctr images import`."""
    if os.path.exists(path):
        return path
    with open(rootfs, "rb") as f:
        raw = f.read()
    layer = gzip.compress(raw, mtime=0)
    blobs = {}

    def add(data, media):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media, "digest": digest, "size": len(data)}

    layer_desc = add(layer, "application/vnd.oci.image.layer.v1.tar+gzip")
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
    }).encode()
    config_desc = add(config, "application/vnd.oci.image.config.v1+json")
    manifest = json.dumps({"schemaVersion": 2, "config": config_desc,
                           "layers": [layer_desc]}).encode()
    man_desc = add(manifest, "application/vnd.oci.image.manifest.v1+json")
    man_desc["annotations"] = {"io.containerd.image.name": name,
                               "org.opencontainers.image.ref.name": "latest"}
    man_desc["platform"] = {"architecture": "amd64", "os": "linux"}
    index = json.dumps({"schemaVersion": 2, "manifests": [man_desc]}).encode()
    with tarfile.open(path + ".tmp", "w") as t:
        def put(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        put("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        put("index.json", index)
        for digest, data in blobs.items():
            put("blobs/sha256/" + digest.split(":")[1], data)
    os.rename(path + ".tmp", path)
    return path


def wait_socket(path, proc, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    with open(log, errors="replace") as f:
        raise RuntimeError("daemon did not come up (%s):\n%s" % (path, f.read()[-3000:]))


def stop_daemon(proc, timeout=30):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def unmount_under(path):
    """Lazy-unmount whatever a daemon left mounted below path (deepest first)."""
    with open("/proc/self/mountinfo") as f:
        points = [l.split()[4] for l in f]
    for p in sorted((p for p in points if p == path or p.startswith(path + "/")),
                    key=len, reverse=True):
        subprocess.run(["umount", "-l", p], stderr=subprocess.DEVNULL)


class Docker:
    def __init__(self, base, rootfs):
        self.base = base
        self.sock = os.path.join(base, "docker.sock")
        os.makedirs(base, exist_ok=True)
        conf = {
            "runtimes": {"capsa": {"path": CAPSA_BIN}},
            "storage-driver": "overlay2",
            "bridge": "none", "iptables": False, "ip-masq": False,
            "data-root": os.path.join(base, "data"), "exec-root": os.path.join(base, "exec"),
            "pidfile": os.path.join(base, "docker.pid"),
            "hosts": ["unix://" + self.sock],
            "exec-opts": ["native.cgroupdriver=" + DOCKER_CGROUP_DRIVER],
            "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 1024, "Soft": 1024}},
        }
        cfg = os.path.join(base, "daemon.json")
        with open(cfg, "w") as f:
            json.dump(conf, f)
        self.log = os.path.join(base, "dockerd.log")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(["dockerd", "--config-file", cfg], stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        wait_socket(self.sock, self.proc, self.log)
        for _ in range(100):
            if self.cli("version").returncode == 0:
                break
            time.sleep(0.2)
        if self.cli("image", "inspect", IMAGE).returncode != 0:
            r = self.cli("import", rootfs, IMAGE, timeout=120)
            assert r.returncode == 0, r.stderr

    def cli_argv(self, *args):
        return ["docker", "-H", "unix://" + self.sock] + list(args)

    def cli(self, *args, timeout=120, input=None):
        return sh(self.cli_argv(*args), timeout=timeout, input=input)

    def runtime_args(self, runtime):
        return ["--runtime", runtime]

    def close(self):
        r = self.cli("ps", "-aq")
        ids = r.stdout.split()
        if ids:
            self.cli("rm", "-f", *ids)
        stop_daemon(self.proc)
        unmount_under(self.base)


def write_containers_conf(path, runroot):
    with open(path, "w") as f:
        f.write("""[containers]
# This VM's hard nofile limit is 20000 and CAP_SYS_RESOURCE is not in the bounding
# set: podman's defaults (nofile 1048576, nproc 4194304) fail for every runtime.
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "%(runroot)s/events.log"
tmp_dir = "%(runroot)s/tmp"
runtime = "capsa"
runtime_supports_json = ["crun", "runc", "capsa"]
runtime_supports_nocgroups = ["crun", "capsa"]

[engine.runtimes]
capsa = ["%(capsa)s"]
runc = ["%(runc)s"]
""" % {"runroot": runroot, "capsa": CAPSA_BIN, "runc": RUNC_BIN})


class Podman:
    def __init__(self, base, rootfs):
        self.base = base
        os.makedirs(base, exist_ok=True)
        self.root = os.path.join(base, "root")
        self.runroot = os.path.join(base, "runroot")
        os.makedirs(os.path.join(self.runroot, "tmp"), exist_ok=True)
        self.conf = os.path.join(base, "containers.conf")
        write_containers_conf(self.conf, self.runroot)
        self.env = dict(os.environ, CONTAINERS_CONF=self.conf)
        if self.cli("image", "exists", IMAGE).returncode != 0:
            r = self.cli("import", rootfs, IMAGE, timeout=120)
            assert r.returncode == 0, r.stderr

    def cli_argv(self, *args):
        return ["podman", "--root", self.root, "--runroot", self.runroot, "--storage-driver",
                "overlay", "--cgroup-manager", "cgroupfs", "--events-backend", "file"] + list(args)

    def cli(self, *args, timeout=120, input=None):
        return sh(self.cli_argv(*args), timeout=timeout, input=input, env=self.env)

    def runtime_args(self, runtime):
        return ["--runtime", runtime]

    def close(self):
        self.cli("pod", "rm", "-af")
        self.cli("rm", "-af")
        unmount_under(self.base)


class Containerd:
    def __init__(self, base, rootfs):
        self.base = base
        os.makedirs(base, exist_ok=True)
        self.sock = os.path.join(base, "containerd.sock")
        cfg = os.path.join(base, "config.toml")
        with open(cfg, "w") as f:
            f.write("""version = 2
root = "%(b)s/root"
state = "%(b)s/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "%(b)s/containerd.sock"
[ttrpc]
  address = "%(b)s/containerd.sock.ttrpc"
[debug]
  address = "%(b)s/debug.sock"
""" % {"b": base})
        self.log = os.path.join(base, "containerd.log")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(["containerd", "--config", cfg], stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        wait_socket(self.sock, self.proc, self.log)
        archive = oci_archive(rootfs, os.path.join(os.path.dirname(base), "busybox-oci.tar"))
        if self.cli("images", "check", "name==docker.io/" + IMAGE).stdout.count("\n") < 2:
            r = self.cli("images", "import", archive, timeout=120)
            assert r.returncode == 0, r.stderr

    def cli(self, *args, timeout=120, input=None):
        return sh(["ctr", "--address", self.sock, "--namespace", "e2e"] + list(args),
                  timeout=timeout, input=input)

    def runtime_args(self, runtime):
        return ["--runtime", "io.containerd.runc.v2", "--runc-binary", RUNTIMES[runtime]]

    def close(self):
        r = self.cli("tasks", "ls", "-q")
        for t in r.stdout.split():
            self.cli("tasks", "kill", "-s", "KILL", t)
        time.sleep(0.5)
        for t in r.stdout.split():
            self.cli("tasks", "delete", "-f", t)
        for c in self.cli("containers", "ls", "-q").stdout.split():
            self.cli("containers", "delete", c)
        stop_daemon(self.proc)
        unmount_under(self.base)
