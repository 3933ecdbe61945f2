"""Mount destinations that are dangling symlinks inside the image: like runc, capsa
resolves them inside the rootfs, creates what is missing there and mounts on it; never
outside the rootfs, whatever the link says."""

import os
import uuid

import pytest

import capsa_harness as h


def _volume(workdir, name="vol"):
    src = os.path.join(workdir, name)
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, "token"), "w") as f:
        f.write("volume-token\n")
    return src


def _bind(config, src, dest, *opts):
    config["mounts"].append({"destination": dest, "type": "bind", "source": src,
                             "options": ["rbind"] + list(opts)})


def _link(bundle, name, target):
    path = os.path.join(bundle.rootfs, name.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


@pytest.mark.parametrize("target", ["../foo/bar/not/here", "/foo/bar/not/here"])
def test_directory_volume_on_dangling_symlink(runtime, bundle, cid, workdir, target):
    src = _volume(workdir)
    _link(bundle, "/etc/x", target)
    _bind(bundle.config, src, "/etc/x", "ro")
    bundle.set_args("cat", "/etc/x/token", "/foo/bar/not/here/token").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.out.count("volume-token") == 2, r
    # Made in the image, not elsewhere.
    assert os.path.isdir(os.path.join(bundle.rootfs, "foo/bar/not/here"))
    h.ensure_nothing_left(runtime, cid, bundle)


def test_file_volume_on_dangling_symlink(runtime, bundle, cid, workdir):
    src = os.path.join(workdir, "file")
    with open(src, "w") as f:
        f.write("file-token\n")
    _link(bundle, "/etc/conf", "/data/conf.d/conf")
    bundle.config["mounts"].append({"destination": "/etc/conf", "type": "bind",
                                    "source": src, "options": ["bind", "ro"]})
    bundle.set_args("cat", "/data/conf.d/conf").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert "file-token" in r.out, r
    assert os.path.isfile(os.path.join(bundle.rootfs, "data/conf.d/conf"))


@pytest.mark.parametrize("how", ["absolute", "dotdot"])
def test_dangling_symlink_never_creates_on_the_host(runtime, bundle, cid, workdir, how):
    """The image points the link at a host path (absolute, or climbing with ..):
    the directory is made under the rootfs, never on the host."""
    host_dir = os.path.join(h.BASE, "escape-" + uuid.uuid4().hex[:8])
    target = host_dir + "/made" if how == "absolute" else "../../../../../.." + host_dir + "/made"
    src = _volume(workdir)
    _link(bundle, "/etc/evil", target)
    _bind(bundle.config, src, "/etc/evil")
    bundle.set_args("cat", "/etc/evil/token").write()
    try:
        r = runtime.run(bundle, cid)
        assert r.rc == 0, r
        assert "volume-token" in r.out, r
        assert not os.path.exists(host_dir), "created on the host: %s" % host_dir
        assert os.path.isdir(os.path.join(bundle.rootfs, host_dir.lstrip("/"), "made"))
    finally:
        if os.path.isdir(host_dir):
            os.system("rm -rf '%s'" % host_dir)


def test_symlink_loop_destination_fails_cleanly(capsa, bundle, cid, workdir):
    src = _volume(workdir)
    _link(bundle, "/etc/loop1", "/etc/loop2")
    _link(bundle, "/etc/loop2", "/etc/loop1")
    _bind(bundle.config, src, "/etc/loop1")
    bundle.write()
    h.create_fails(capsa, bundle, cid, "/etc/loop")
    h.ensure_nothing_left(capsa, cid, bundle)


# ---- a read-only /dev in the config: filled first, read-only after (as runc)

def test_readonly_dev_tmpfs(runtime, bundle, cid):
    for m in bundle.config["mounts"]:
        if m["destination"] == "/dev":
            m["options"].append("ro")
    bundle.set_args("sh", "-c", "ls /dev/null /dev/pts/ptmx /dev/shm >/dev/null && echo nodes-ok; "
                    "touch /dev/new 2>/dev/null && echo dev-writable || echo dev-ro; "
                    "echo x > /dev/null && echo null-ok").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert "nodes-ok" in r.out and "dev-ro" in r.out and "null-ok" in r.out, r
    h.ensure_nothing_left(runtime, cid, bundle)


# ---- bind sources that the container's root cannot reach on its own: in a user
# namespace it is an unprivileged host user, so capsa (host root) opens the source
# and makes the detached copy before the init mounts it, as runc does.

USERNS = [{"containerID": 0, "hostID": 100000, "size": 65536}]


def _userns(bundle):
    c = bundle.config
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = USERNS
    c["linux"]["gidMappings"] = USERNS
    # The image belongs to host root: make the mount points beforehand.
    os.makedirs(os.path.join(bundle.rootfs, "mnt", "v"), exist_ok=True)


def _private_source(workdir):
    """A volume under a 0700 directory of host root: unreachable for uid 100000."""
    private = os.path.join(workdir, "private")
    os.makedirs(os.path.join(private, "vol"))
    os.chmod(private, 0o700)
    with open(os.path.join(private, "vol", "token"), "w") as f:
        f.write("private-token\n")
    return os.path.join(private, "vol")


def test_bind_source_unreachable_by_userns_root(runtime, bundle, cid, workdir):
    _userns(bundle)
    src = _private_source(workdir)
    _bind(bundle.config, src, "/mnt/v", "ro")
    bundle.set_args("cat", "/mnt/v/token").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert "private-token" in r.out, r
    h.ensure_nothing_left(runtime, cid, bundle)


def test_bind_source_through_symlink_unreachable_by_userns_root(capsa, bundle, cid, workdir):
    _userns(bundle)
    src = _private_source(workdir)
    link = os.path.join(workdir, "private", "link")
    os.symlink(src, link)
    _bind(bundle.config, link, "/mnt/v", "ro")
    bundle.set_args("cat", "/mnt/v/token").write()
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    assert "private-token" in r.out, r


@pytest.mark.parametrize("through_symlink", [False, True])
def test_idmapped_bind_mount(capsa, bundle, cid, workdir, through_symlink):
    """idmap: host root's files show as the container's root, not as nobody (it
    needs CAP_SYS_ADMIN over the source's filesystem: only host root has it)."""
    _userns(bundle)
    src = _volume(workdir)
    if through_symlink:
        os.symlink(src, os.path.join(workdir, "vol-link"))
        src = os.path.join(workdir, "vol-link")
    bundle.config["mounts"].append({"destination": "/mnt/v", "type": "bind", "source": src,
                                    "options": ["bind", "idmap"]})
    bundle.set_args("sh", "-c", "stat -c %u:%g /mnt/v/token; touch /mnt/v/new && stat -c %u /mnt/v/new").write()
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    assert r.out.split() == ["0:0", "0"], r
    # Written through the idmapped mount by the container's root: host root's file.
    assert os.stat(os.path.join(workdir, "vol", "new")).st_uid == 0


def test_userns_bind_flags_still_apply(capsa, bundle, cid, workdir):
    """The detached copy made by the parent still gets the config's flags."""
    _userns(bundle)
    src = _private_source(workdir)
    _bind(bundle.config, src, "/mnt/v", "ro", "nosuid", "nodev", "noexec")
    bundle.set_args("sh", "-c", "grep ' /mnt/v ' /proc/self/mountinfo; touch /mnt/v/x 2>/dev/null "
                    "&& echo writable || echo readonly").write()
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    opts = r.out.split()[5].split(",")
    assert {"ro", "nosuid", "nodev", "noexec"} <= set(opts), r
    assert "readonly" in r.out, r
