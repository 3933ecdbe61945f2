"""Devices: linux.devices nodes with type/major/minor/mode/uid/gid, the default device
nodes and /dev symlinks, /dev/ptmx."""

import capsa_harness as h

DEFAULT_NODES = {"/dev/null": "1:3", "/dev/zero": "1:5", "/dev/full": "1:7",
                 "/dev/random": "1:8", "/dev/urandom": "1:9", "/dev/tty": "5:0"}
DEFAULT_LINKS = {"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0",
                 "/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2",
                 "/dev/ptmx": "pts/ptmx"}


def _stat_all(runtime, bundle, cid, paths):
    script = "; ".join("echo @%s; %s stat %s" % (p, h.HELPER, p) for p in paths)
    bundle.set_args("sh", "-c", script).write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    out, cur = {}, None
    for line in r.out.splitlines():
        if line.startswith("@"):
            cur = line[1:]
            out[cur] = {}
        elif "=" in line and cur:
            k, v = line.split("=", 1)
            out[cur][k] = v
    return out


def test_default_devices(runtime, bundle, cid):
    st = _stat_all(runtime, bundle, cid, list(DEFAULT_NODES) + list(DEFAULT_LINKS) +
                   ["/dev/pts", "/dev/shm", "/dev/mqueue"])
    for p, rdev in DEFAULT_NODES.items():
        assert st[p]["type"] == "char" and st[p]["rdev"] == rdev, (p, st[p])
        assert st[p]["mode"] == "0666", (p, st[p])
    for p, target in DEFAULT_LINKS.items():
        assert st[p]["type"] == "symlink" and st[p]["target"] == target, (p, st[p])
    for d in ("/dev/pts", "/dev/shm", "/dev/mqueue"):
        assert st[d]["type"] == "dir", (d, st[d])


def test_default_devices_usable(runtime, bundle, cid):
    bundle.set_args("sh", "-c", "echo x > /dev/null && head -c 4 /dev/zero | wc -c && "
                    "head -c 8 /dev/urandom | wc -c").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and r.out.split() == ["4", "8"], r


def test_no_console_without_terminal(runtime, bundle, cid):
    bundle.helper("stat", "/dev/console").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 1 and r.facts["errno_name"] == "ENOENT", r


def test_config_devices(runtime, bundle, cid):
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640,
         "uid": 1000, "gid": 100},
        {"path": "/dev/sub/myzero", "type": "c", "major": 1, "minor": 5},
        {"path": "/dev/myloop", "type": "b", "major": 7, "minor": 200, "fileMode": 0o600},
        {"path": "/dev/myfifo", "type": "p"},
    ]
    bundle.config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"})
    st = _stat_all(runtime, bundle, cid, ["/dev/mynull", "/dev/sub/myzero", "/dev/myloop",
                                          "/dev/myfifo"])
    n = st["/dev/mynull"]
    assert (n["type"], n["rdev"], n["mode"], n["uid"], n["gid"]) == \
        ("char", "1:3", "0640", "1000", "100"), n
    z = st["/dev/sub/myzero"]
    assert (z["type"], z["rdev"], z["uid"], z["gid"]) == ("char", "1:5", "0", "0"), z
    b = st["/dev/myloop"]
    assert (b["type"], b["rdev"], b["mode"]) == ("block", "7:200", "0600"), b
    assert st["/dev/myfifo"]["type"] == "fifo", st


def test_config_device_usable_by_its_owner(runtime, bundle, cid):
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600,
         "uid": 1000, "gid": 1000}]
    bundle.config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"})
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.helper("write", "/dev/mynull", "hello").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and r.facts["written"] == "5", r


def test_devices_in_user_namespace(runtime, bundle, cid):
    """In a user namespace nodes cannot be made: they are bind mounts of the host's."""
    m = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = m
    bundle.config["linux"]["gidMappings"] = m
    st = _stat_all(runtime, bundle, cid, ["/dev/null", "/dev/urandom"])
    assert st["/dev/null"]["type"] == "char" and st["/dev/null"]["rdev"] == "1:3", st
    assert st["/dev/urandom"]["rdev"] == "1:9", st
