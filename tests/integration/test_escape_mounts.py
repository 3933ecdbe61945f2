"""Issue 16, mount items: the container (or its image, or a second container sharing a
volume) is the attacker.

- item 4: mount flags (ro, nosuid, nodev, noexec) go on the mount object capsa holds by
  fd, never on a path looked up again after mounting;
- item 5: ro on a recursive bind (an rbind'd /sys above all) covers every submount;
- item 6: the /proc rules apply to where a destination resolves, not to its spelling;
- item 8: tmpcopyup copies a deep image tree without deep recursion.

The path tests run with openat2(RESOLVE_IN_ROOT) and with the fallback resolver
(CAPSA_TEST_NO_OPENAT2=1)."""

import os
import subprocess

import pytest

import capsa_harness as h


@pytest.fixture(params=["openat2", "no-openat2"])
def resolver_env(request):
    env = dict(os.environ)
    env.pop("CAPSA_TEST_NO_OPENAT2", None)
    if request.param == "no-openat2":
        env["CAPSA_TEST_NO_OPENAT2"] = "1"
    return env


def host_mount_points():
    with open("/proc/self/mountinfo") as f:
        return {line.split()[4] for line in f}


def mountinfo(text):
    """[(mount point, per-mount options, fs type)] of a mountinfo dump."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) > 6 and "-" in f:
            sep = f.index("-")
            out.append((f[4], set(f[5].split(",")), f[sep + 1]))
    return out


def add_mount(bundle, dest, typ, source, options):
    bundle.config["mounts"].append({"destination": dest, "type": typ, "source": source,
                                    "options": options})


def volume(workdir, name="volume"):
    d = os.path.join(workdir, name)
    os.makedirs(d)
    return d


# ---- item 4: flags are never applied through a path resolved again.
#
# Deterministic form of the race: the destination "/vol/sub/.." resolves to /vol before
# the bind; resolved again after it, "sub" is looked up in the *volume*, where the
# attacker (a second container sharing it) made it a symlink to "/".  A runtime that
# remounts by path then makes the container's root read-only instead of the volume.

FLAGS = ["ro", "nosuid", "nodev", "noexec"]


def test_flags_not_applied_through_reresolved_path(capsa, bundle, cid, workdir, resolver_env):
    vol = volume(workdir)
    os.symlink("/", os.path.join(vol, "sub"))
    add_mount(bundle, "/vol/sub/..", "bind", vol, ["bind"] + FLAGS)
    bundle.config["root"]["readonly"] = False
    bundle.helper("mounts", "--", "write", "/vol/pwned", "x").write()
    r = capsa.run(bundle, cid, env=resolver_env)
    assert not os.path.exists(os.path.join(vol, "pwned")), \
        "the \"ro\" volume was writable from the container: %r" % r
    assert r.rc == 1 and r.facts["errno_name"] == "EROFS", r
    mnts = [m for m in mountinfo(r.out) if m[0] == "/vol"]
    assert mnts, r.out
    assert set(FLAGS) <= mnts[-1][1], mnts
    # The flags did not land on the container's root either.
    root = [m for m in mountinfo(r.out) if m[0] == "/"]
    assert "ro" not in root[-1][1], root
    h.ensure_nothing_left(capsa, cid, bundle)


# The race itself: a host-side process stands in for the second container and flips the
# destination between a directory and a symlink to /dev/shm (a mount root of the
# container, so that a remount by path succeeds there) with renameat2(RENAME_EXCHANGE)
# while containers with a "ro" volume start.  On 5993ea5 the remount then lands on
# /dev/shm and the volume stays writable (won within a few dozen runs).

def test_race_swapped_volume_destination(capsa, make_bundle, cid, workdir):
    before = host_mount_points()
    vol = volume(workdir)
    b = make_bundle()
    dest = os.path.join(b.rootfs, "vol")
    os.mkdir(dest)
    os.symlink("/dev/shm", dest + ".alt")
    add_mount(b, "/vol", "bind", vol, ["rbind"] + FLAGS)
    b.config["root"]["readonly"] = False
    # Wherever the volume ended up (the flipper renames its mount point too), try it.
    b.set_args("sh", "-c", "for i in 1 2; do for d in /vol /vol.alt /dev/shm; do "
               "%s write $d/pwned-$$ x; done; done; true" % h.HELPER).write()
    flipper = subprocess.Popen([h.HELPER_BIN, "flip", dest, dest + ".alt", "5000"],
                               stdout=subprocess.PIPE, text=True)
    started, runs, errors = 0, 0, set()
    try:
        while runs < 50 and flipper.poll() is None and not os.listdir(vol):
            i = "%s-%d" % (cid, runs)
            r = capsa.run(b, i)
            runs += 1
            started += r.rc == 0
            if r.rc:
                errors.add(r.err.strip()[-150:])
            capsa.delete(i, force=True)
    finally:
        flipper.terminate()
        out, _ = flipper.communicate()
    print("race: %d runs, %d started, %s, volume %s, errors %s"
          % (runs, started, out.strip() or "flipper stopped", os.listdir(vol), sorted(errors)))
    assert os.listdir(vol) == [], "a \"ro\" volume was written from a container"
    # A mount that escaped would land on the host's /, /dev/shm (the swap target) or
    # under the test's own tree; engines running meanwhile on the host make others.
    new = {m for m in host_mount_points() - before
           if m in ("/", "/dev/shm") or m.startswith(workdir) or m.startswith("/dev/")}
    assert new == set(), new
    assert runs >= 10 and started > 0, (runs, started)


# ---- item 5: an rbind'd /sys is read-only in all its submounts.

def _sys_attack(bundle, root):
    """List mounts, then try to move ourselves into the host's root pids cgroup (v1) or
    its root cgroup (pure v2)."""
    for rel in ("fs/cgroup/pids/cgroup.procs", "fs/cgroup/cgroup.procs"):
        if os.path.exists("/sys/" + rel):
            break
    else:
        pytest.skip("no root cgroup.procs of a pids or cgroup2 hierarchy on this host")
    bundle.helper("mounts", "--", "write", "%s/%s" % (root, rel), "0").write()


def _assert_sys_readonly(r, root):
    assert "written" not in r.facts, "wrote into the host's root pids cgroup: %r" % r
    assert r.rc == 1 and r.facts["errno_name"] == "EROFS", r
    subs = [m for m in mountinfo(r.out) if m[0] == root or m[0].startswith(root + "/")]
    assert len(subs) > 3, subs
    rw = [m for m in subs if "ro" not in m[1]]
    assert rw == [], rw


def test_userns_sysfs_fallback_is_readonly_recursively(capsa, bundle, cid):
    # A user namespace without a network namespace: sysfs cannot be mounted, capsa
    # binds the host's /sys (with its submounts) instead.  Identity map: container root
    # is the host's uid 0, so only the mount flags stand in the way.
    ident = [{"containerID": 0, "hostID": 0, "size": 65536}]
    bundle.config["linux"]["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts",
                                                                   "mount", "user")]
    bundle.config["linux"]["uidMappings"] = ident
    bundle.config["linux"]["gidMappings"] = ident
    # Without the cgroup mount on top, the host's hierarchies below /sys show.
    bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                               if m["destination"] != "/sys/fs/cgroup"]
    _sys_attack(bundle, "/sys")
    r = capsa.run(bundle, cid)
    _assert_sys_readonly(r, "/sys")
    h.ensure_nothing_left(capsa, cid, bundle)


def test_explicit_rbind_ro_of_sys_is_readonly_recursively(capsa, bundle, cid):
    add_mount(bundle, "/hostsys", "bind", "/sys", ["rbind", "ro"])
    _sys_attack(bundle, "/hostsys")
    r = capsa.run(bundle, cid)
    _assert_sys_readonly(r, "/hostsys")
    h.ensure_nothing_left(capsa, cid, bundle)


# ---- item 6: an image symlink to /proc does not carry a volume over /proc.

@pytest.mark.parametrize("link", ["/proc", "../proc", "proc", "./proc/", "/proc/sys"])
@pytest.mark.parametrize("kind", ["bind", "tmpfs"])
def test_volume_via_symlink_to_proc_refused(capsa, bundle, cid, workdir, resolver_env, link,
                                            kind):
    fake = volume(workdir, "fake")
    with open(os.path.join(fake, "kcore"), "w") as f:
        f.write("fake")
    os.symlink(link, os.path.join(bundle.rootfs, "foo"))
    if kind == "bind":
        add_mount(bundle, "/foo", "bind", fake, ["rbind"])
    else:
        add_mount(bundle, "/foo", "tmpfs", "tmpfs", ["size=1m"])
    bundle.helper("mounts", "--", "stat", "/proc/kcore").write()
    r = capsa.run(bundle, cid, env=resolver_env)
    if r.rc == 0:
        # Mounted somewhere harmless: /proc must still be procfs and masked.
        procs = [m for m in mountinfo(r.out) if m[0] == "/proc"]
        assert procs and procs[-1][2] == "proc", procs
        assert r.facts["rdev"] == "1:3", r     # /proc/kcore masked with /dev/null
    else:
        assert "cannot be mounted because it is" in r.err and "resolved to" in r.err, r
    assert os.listdir(fake) == ["kcore"]
    h.ensure_nothing_left(capsa, cid, bundle)


# ---- item 8: tmpcopyup walks a deep image tree without a stack frame per level.

def _deep_tree(rootfs, depth):
    rel = "/".join(["d"] * depth)
    path = os.path.join(rootfs, "data", rel)
    os.makedirs(path)
    with open(os.path.join(path, "deepest"), "w") as f:
        f.write("bottom-%d" % depth)
    os.symlink("deepest", os.path.join(path, "link"))
    return "/data/" + rel


def test_tmpcopyup_deep_tree(capsa, bundle, cid):
    deep = _deep_tree(bundle.rootfs, 200)
    os.chmod(os.path.join(bundle.rootfs, "data", "d", "d"), 0o750)
    add_mount(bundle, "/data", "tmpfs", "tmpfs", ["tmpcopyup", "ro", "size=4m"])
    bundle.helper("read", deep + "/link", "--", "stat", "/data/d/d", "--",
                  "write", deep + "/new", "x").write()
    r = capsa.run(bundle, cid)
    assert r.out.startswith("bottom-200"), r
    f = h.facts(r.out[len("bottom-200"):])
    assert f["mode"] == "0750", r          # the image's directory mode, copied
    # Filled first, read-only after: the copy is complete and the tmpfs not writable.
    assert r.rc == 1 and f["errno_name"] == "EROFS", r
    h.ensure_nothing_left(capsa, cid, bundle)


def test_tmpcopyup_too_deep_fails_cleanly(capsa, bundle, cid):
    _deep_tree(bundle.rootfs, 300)
    add_mount(bundle, "/data", "tmpfs", "tmpfs", ["tmpcopyup"])
    bundle.helper("exit", "0").write()
    r = capsa.run(bundle, cid)
    assert r.rc != 0, r
    assert "tmpcopyup: the image directory is nested deeper than" in r.err, r
    h.ensure_nothing_left(capsa, cid, bundle)
