"""podman's `container checkpoint` and `container restore` with capsa (and runc, to show
the test is right) as the OCI runtime (issue 14).  CRIU 3.17 cannot dump on the host's
6.18 kernel: this runs in the v2vm guest (tests/e2e/v2-guest.sh, plain mode), which
loads the modules criu probes from CAPSA_CRIU_KMODS (tests/criu-guest-kmods.sh)."""

import os
import shutil
import subprocess
import time

import pytest

IMG = "capsa-e2e/busybox:latest"
# The start time once, then a counter: a restore keeps both, a restart rewrites both.
COUNTER = ("date +%s%N > /tmp/started; i=0; "
           "while true; do echo $i > /tmp/count; i=$((i+1)); sleep 0.2; done")


@pytest.fixture(scope="module", autouse=True)
def criu_ready():
    criu = shutil.which("criu")
    if criu is None:
        pytest.skip("criu is not installed (tests/install-deps.sh)")
    kmods = os.environ.get("CAPSA_CRIU_KMODS")
    if kmods:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
        for m in ("nf_conntrack_netlink", "nft_compat", "xt_mark", "nf_tables", "unix_diag",
                  "tcp_diag", "udp_diag", "netlink_diag", "af_packet_diag", "raw_diag"):
            subprocess.run(["modprobe", "-d", kmods, m], check=False)
    r = subprocess.run([criu, "check"], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("criu check fails on this kernel (%s): runs in the v2vm guest "
                    "(tests/e2e/v2-guest.sh)" % os.uname().release)


def ok(r):
    assert r.returncode == 0, "rc=%d out=%r err=%r" % (r.returncode, r.stdout, r.stderr[-3000:])
    return r.stdout


def counter(podman, name):
    r = podman("exec", name, "cat", "/tmp/count", "/tmp/started")
    ok(r)
    c, started = r.stdout.split()
    return int(c), started


def wait_counter_above(podman, name, n, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        c, started = counter(podman, name)
        if c > n:
            return c, started
        time.sleep(0.3)
    raise AssertionError("%s: counter stayed at %d" % (name, counter(podman, name)[0]))


def test_podman_checkpoint_restore_counter(podman, name):
    ok(podman.run("-d", "--network", "none", IMG, "sh", "-c", COUNTER, name=name))
    _, started = wait_counter_above(podman, name, 5)
    pid = podman.inspect(name, "{{.State.Pid}}")
    ok(podman("container", "checkpoint", name, timeout=300))
    assert podman.inspect(name, "{{.State.Status}}") == "exited"
    assert podman.inspect(name, "{{.State.Checkpointed}}") == "true"
    ok(podman("container", "restore", name, timeout=300))
    assert podman.inspect(name, "{{.State.Status}}") == "running"
    assert podman.inspect(name, "{{.State.Pid}}") != pid
    c, started_after = counter(podman, name)
    # the same process tree, not a new start: the start mark is the old one, and
    # the counter goes on from where it was (a restart would be back near 0)
    assert started_after == started
    assert c >= 5, c
    assert wait_counter_above(podman, name, c)[0] > c
    ok(podman("rm", "-f", name))


def test_podman_checkpoint_export_restore_new_container(podman, name, tmp_path):
    """--export and restore --import --name: a new container from the archive, the
    counter goes on there (podman's migration path)."""
    ok(podman.run("-d", "--network", "none", IMG, "sh", "-c", COUNTER, name=name))
    c0, started = wait_counter_above(podman, name, 5)
    archive = str(tmp_path / "ckpt.tar.gz")
    ok(podman("container", "checkpoint", "--export", archive, name, timeout=300))
    assert os.path.getsize(archive) > 0
    other = name + "-b"
    podman.names.append(other)
    ok(podman("container", "restore", "--import", archive, "--name", other,
              *podman.eng.runtime_args(podman.runtime), timeout=300))
    assert podman.inspect(other, "{{.State.Status}}") == "running"
    c, started_after = counter(podman, other)
    assert started_after == started and c >= c0
    assert wait_counter_above(podman, other, c)[0] > c
    ok(podman("rm", "-f", name, other))
