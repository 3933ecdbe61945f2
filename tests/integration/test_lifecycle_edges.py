"""Lifecycle edges found while running the OCI conformance suite: a failing
startContainer hook reported by `start`, and a container that shares every
namespace of the host (the spec's "inherit" case)."""

import os

import pytest

import capsa_harness as h


def test_failing_start_container_hook_fails_start(runtime, bundle, cid):
    if runtime.name == "runc":
        pytest.skip("runc 1.1.5 reports startContainer failures only in the container's stderr")
    bundle.config["hooks"] = {"startContainer": [
        {"path": "/bin/sh", "args": ["sh", "-c", "echo hook-broke >&2; exit 3"]}]}
    bundle.set_args("sleep", "30").write()
    assert runtime.create(bundle, cid).rc == 0
    r = runtime.start(cid)
    assert r.rc == 1
    assert "startContainer hook #0" in r.err and "hook-broke" in r.err
    runtime.wait_status(cid, "stopped")
    assert runtime.delete(cid).rc == 0
    h.ensure_nothing_left(runtime, cid, bundle)


def _ns_inode(pid, kind):
    return os.stat("/proc/%s/ns/%s" % (pid, kind)).st_ino


def test_no_namespaces_shares_the_hosts(runtime, bundle, cid):
    cfg = bundle.config
    cfg["linux"]["namespaces"] = []
    cfg["linux"].pop("maskedPaths", None)
    cfg["linux"].pop("readonlyPaths", None)
    cfg.pop("hostname", None)
    # Mounts here land in the host's mount namespace: keep them few.
    cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] in ("/proc", "/dev")]
    bundle.set_args("sleep", "30").write()
    try:
        assert runtime.run(bundle, cid, "-d").rc == 0
        pid = runtime.state(cid)["pid"]
        for kind in ("pid", "net", "ipc", "uts", "mnt", "cgroup", "user"):
            assert _ns_inode(pid, kind) == _ns_inode("self", kind), kind
        # The container still sees its own rootfs (chroot).
        assert os.readlink("/proc/%d/root" % pid) == bundle.rootfs
        if runtime.name == "capsa":
            # ... and so does a process exec'd into it (the host has no helper).
            assert not os.path.exists("/bin/capsa-test-helper")
            r = runtime("exec", cid, "/bin/capsa-test-helper", "stat", "/bin/capsa-test-helper")
            assert r.rc == 0, r
        assert runtime.delete(cid, force=True).rc == 0
    finally:
        h.unmount_under(bundle.path)


def test_masked_paths_need_a_mount_namespace(capsa, bundle, cid):
    bundle.config["linux"]["namespaces"] = [
        n for n in bundle.config["linux"]["namespaces"] if n["type"] != "mount"]
    bundle.set_args("true").write()
    r = capsa.create(bundle, cid)
    assert r.rc == 1
    assert "need a mount namespace" in r.err
    h.ensure_nothing_left(capsa, cid, bundle)


def test_seccomp_denying_getcwd_without_nnp(runtime, bundle, cid):
    """The cwd is set and verified before a filter that denies getcwd is loaded
    (without noNewPrivileges the filter goes in early); runtime-tools linux_seccomp."""
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.helper("syscall-errno", "getcwd").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts.get("errno_name") == "EPERM" or r.facts.get("errno") == "1", r


def test_child_error_names_errno_once(capsa, bundle, cid):
    bundle.set_args("/no/such/binary").write()
    r = capsa.create(bundle, cid)
    assert r.rc == 1
    assert r.err.count("No such file or directory") == 1, r.err
    h.ensure_nothing_left(capsa, cid, bundle)


def test_failing_poststop_hook_does_not_stop_the_next(runtime, bundle, cid, workdir):
    """Spec: a failing poststop hook is a warning; the remaining hooks still run
    (runtime-tools poststop_fail)."""
    out = os.path.join(workdir, "poststop.out")
    bundle.config["hooks"] = {"poststop": [
        {"path": "/bin/false", "args": ["false"]},
        {"path": "/bin/sh", "args": ["sh", "-c", "echo second >> %s" % out]}]}
    bundle.set_args("true").write()
    assert runtime.run(bundle, cid).rc == 0
    assert open(out).read() == "second\n"
    h.ensure_nothing_left(runtime, cid, bundle)


def test_no_process_creates_and_start_fails(capsa, bundle, cid):
    """Spec: `start` MUST fail when process is not set; create succeeds. The waiting
    init must not hold the state dir's lock (delete used to block on it)."""
    del bundle.config["process"]
    bundle.write()
    assert capsa.create(bundle, cid, timeout=10).rc == 0
    assert capsa.state(cid)["status"] == "created"
    r = capsa.start(cid, timeout=10)
    assert r.rc == 1 and "process: not set" in r.err, r
    capsa.wait_status(cid, "stopped")
    assert capsa.delete(cid, timeout=10).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)


@pytest.mark.parametrize("field,value", [
    ("intelRdt", {"closID": "c1"})])  # netDevices: test_netdev.py
def test_unimplemented_linux_fields_are_refused(capsa, bundle, cid, field, value):
    """Not implemented, so refused with the JSON path, never silently ignored."""
    bundle.config["linux"][field] = value
    bundle.set_args("true").write()
    r = capsa.create(bundle, cid)
    assert r.rc == 1 and ("linux.%s: not supported" % field) in r.err, r
    h.ensure_nothing_left(capsa, cid, bundle)
