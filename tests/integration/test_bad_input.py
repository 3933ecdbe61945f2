"""Every bad input gets a clear error and leaves nothing behind (no state dir, cgroup,
mount or process)."""

import os

import pytest

import capsa_harness as h


def test_invalid_json(runtime, bundle, cid):
    with open(bundle.config_path, "w") as f:
        f.write('{"ociVersion": "1.0.2", "process": {')
    h.create_fails(runtime, bundle, cid, "config.json")


def test_missing_config(runtime, bundle, cid):
    r = h.create_fails(runtime, bundle, cid, "config.json")
    assert "no such file" in r.err.lower() or "not found" in r.err, r


def test_wrong_type(runtime, bundle, cid):
    bundle.config["process"]["args"] = "sh"
    bundle.write()
    r = h.create_fails(runtime, bundle, cid)
    if runtime.name == "capsa":
        assert "process.args" in r.err, r


def test_unknown_namespace(runtime, bundle, cid):
    bundle.config["linux"]["namespaces"].append({"type": "pidd"})
    bundle.write()
    r = h.create_fails(runtime, bundle, cid, "pidd")
    if runtime.name == "capsa":
        assert "linux.namespaces[5].type" in r.err, r


def test_duplicate_namespace(runtime, bundle, cid):
    bundle.config["linux"]["namespaces"].append({"type": "pid"})
    bundle.write()
    r = h.create_fails(runtime, bundle, cid)
    assert "pid" in r.err and "duplicate" in r.err.lower(), r


def test_relative_cwd(runtime, bundle, cid):
    bundle.config["process"]["cwd"] = "tmp"
    bundle.write()
    h.create_fails(runtime, bundle, cid, "cwd")


def test_missing_args_binary_fails_create(runtime, bundle, cid):
    bundle.set_args("/bin/no-such-binary").write()
    h.create_fails(runtime, bundle, cid, "no-such-binary")


def test_args_binary_not_in_path_fails_create(runtime, bundle, cid):
    bundle.set_args("no-such-command").write()
    h.create_fails(runtime, bundle, cid, "no-such-command")


def test_empty_args(runtime, bundle, cid):
    bundle.set_args().write()
    h.create_fails(runtime, bundle, cid, "args")


def test_nonexistent_rootfs(runtime, bundle, cid):
    bundle.config["root"]["path"] = "no-such-rootfs"
    bundle.write()
    h.create_fails(runtime, bundle, cid, "no-such-rootfs")


def test_nonexistent_bundle(runtime, workdir, cid):
    path = os.path.join(workdir, "no-such-bundle")
    r = runtime.create(path, cid)
    assert r.rc != 0 and "no-such-bundle" in r.err, r
    assert runtime.state(cid) is None
    h.ensure_nothing_left(runtime, cid)


def test_nonexistent_bind_source(runtime, bundle, cid):
    bundle.config["mounts"].append({"destination": "/mnt/x", "type": "bind",
                                    "source": "/no/such/source", "options": ["bind"]})
    bundle.set_args("true").write()
    h.create_fails(runtime, bundle, cid, "/no/such/source")


def test_bad_mount_type(runtime, bundle, cid):
    bundle.config["mounts"].append({"destination": "/mnt/x", "type": "nosuchfs",
                                    "source": "x"})
    bundle.set_args("true").write()
    h.create_fails(runtime, bundle, cid, "/mnt/x")


def test_early_child_failure_reported_not_the_placement(capsa, bundle, cid):
    """Regression: when the init failed its first mount while capsa was still
    placing it in the cgroups (v1), 59 of 200 runs reported "sync: send message:
    Broken pipe" or "receive message: Connection reset by peer" instead of the
    mount error. Every run must name the mount."""
    bundle.config["mounts"].insert(0, {"destination": "/proc", "type": "bogusfs",
                                       "source": "x"})
    bundle.set_args("true").write()
    for i in range(40):
        r = h.create_fails(capsa, bundle, "%s-%d" % (cid, i), "mount \\\"/proc\\\"")
        assert "Broken pipe" not in r.err and "reset by peer" not in r.err, r


def test_bad_uid_map(runtime, bundle, cid):
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 1000,
                                              "size": 0}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 1000,
                                              "size": 1}]
    bundle.set_args("true").write()
    h.create_fails(runtime, bundle, cid)


@pytest.mark.parametrize("bad", ["a/b", "..", "../x", "x" * 1025, ""])
def test_bad_container_id(runtime, bundle, cid, bad):
    bundle.set_args("true").write()
    r = runtime.create(bundle, bad) if bad else runtime("create", "--bundle", bundle.path, "")
    assert r.rc != 0, r
    assert "id" in r.err.lower(), r
    # Nothing escaped the state root.
    assert os.listdir(runtime.root) == [], os.listdir(runtime.root)
    assert not os.path.exists(os.path.join(os.path.dirname(runtime.root), "x"))


def test_duplicate_id(runtime, make_bundle, cid):
    b1, b2 = make_bundle(), make_bundle()
    b1.set_args("sleep", "10").write()
    b2.set_args("sleep", "10").write()
    assert runtime.create(b1, cid).rc == 0
    r = runtime.create(b2, cid)
    assert r.rc != 0, r
    assert "exist" in r.err, r
    # The first container is untouched.
    st = runtime.state(cid)
    assert st["status"] == "created"
    assert os.path.realpath(st["bundle"]) == os.path.realpath(b1.path)
    assert runtime.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(runtime, cid, b2)


def test_start_nonexistent(runtime, cid):
    r = runtime.start(cid)
    assert r.rc != 0 and "does not exist" in r.err, r


def test_state_kill_nonexistent(runtime, cid):
    for args in (("state", cid), ("kill", cid, "KILL")):
        r = runtime(*args)
        assert r.rc != 0 and "does not exist" in r.err, (args, r)


def test_delete_running_without_force(runtime, bundle, cid):
    bundle.set_args("sleep", "30").write()
    assert runtime.run(bundle, cid, "-d").rc == 0
    runtime.pids[cid] = runtime.state(cid)["pid"]
    r = runtime.delete(cid)
    assert r.rc != 0 and "running" in r.err, r
    assert runtime.state(cid)["status"] == "running"
    assert runtime.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(runtime, cid, bundle)


def test_failure_in_init_leaves_nothing(runtime, bundle, cid):
    """A failure deep in the child (a mount onto a path through a file) is reported
    with its reason, and the half-made container is cleaned up."""
    bundle.config["mounts"].append({"destination": "/bin/busybox/sub", "type": "tmpfs",
                                    "source": "tmpfs"})
    bundle.set_args("true").write()
    h.create_fails(runtime, bundle, cid, "/bin/busybox/sub")
