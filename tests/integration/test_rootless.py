"""Rootless containers: capsa run by an unprivileged user (nobody) with the config of
`capsa spec --rootless`: its own uid mapped to root, no cgroup it may write (runc's
"ignore cgroup permission errors"), exec through the container's user namespace."""

import json
import pwd
import uuid
import os
import shutil
import subprocess
import tempfile
import time

import pytest

import capsa_harness as h

NOBODY = 65534


def _as_user(uid, gid, cgroup=None):
    def become():
        if cgroup:  # while still root: a login session's cgroup, delegated to the user
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                f.write("0")
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    return become


def _run(argv, cwd, timeout=30, uid=NOBODY, gid=NOBODY, env=None, stdin=subprocess.DEVNULL,
         cgroup=None):
    """Output through files, not pipes: a created container keeps its stdio open."""
    full_env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/"}
    full_env.update(env or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.run(argv, cwd=cwd, env=full_env, preexec_fn=_as_user(uid, gid, cgroup),
                           stdin=stdin, stdout=out, stderr=err, timeout=timeout)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(argv, p.returncode, out.read().decode(),
                                           err.read().decode())


def _edit_config(bundle, args, edit=None):
    """The bundle's config with process.args, no terminal, and edit(config) applied."""
    with open(os.path.join(bundle, "config.json")) as f:
        c = json.load(f)
    c["process"]["terminal"] = False
    c["process"]["args"] = args
    if edit:
        edit(c)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(c, f)


def _user_bundle(workdir, rootfs, uid, gid):
    """A copy of capsa and a bundle (on the shared rootfs) that uid may use."""
    probe = _run(["unshare", "--user", "--map-root-user", "true"], "/", uid=uid, gid=gid)
    if probe.returncode != 0:
        pytest.skip("unprivileged user namespaces are not allowed here: %s" % probe.stderr.strip())
    binary = os.path.join(workdir, "capsa")
    shutil.copy2(h.CAPSA_BIN, binary)
    os.chmod(binary, 0o755)
    bundle = os.path.join(workdir, "bundle")
    os.mkdir(bundle)
    os.symlink(rootfs, os.path.join(bundle, "rootfs"))
    os.chown(bundle, uid, gid)
    return binary, bundle


@pytest.fixture
def rootless(workdir, rootfs):
    """A copy of capsa, a state root and a bundle, all reachable by nobody."""
    binary, bundle = _user_bundle(workdir, rootfs, NOBODY, NOBODY)
    root = os.path.join(workdir, "state")
    os.mkdir(root, 0o700)
    os.chown(root, NOBODY, NOBODY)
    r = _run([binary, "spec", "--rootless"], bundle)
    assert r.returncode == 0, r
    ids = []

    def capsa(*args, **kw):
        if args and args[0] in ("run", "create"):
            ids.append(args[-1])
        return _run([binary, "--root", root] + list(args), bundle, **kw)

    def config(args, edit=None):
        _edit_config(bundle, args, edit)

    yield capsa, config, root
    for cid in ids:
        capsa("delete", "--force", cid)
    h.reap_zombies()


def test_rootless_run_maps_own_uid_to_root(rootless, cid):
    capsa, config, _ = rootless
    config(["/bin/sh", "-c", "echo uid=$(id -u) gid=$(id -g); cat /proc/self/uid_map"])
    r = capsa("run", cid)
    assert r.returncode == 0, r
    assert "uid=0 gid=0" in r.stdout, r
    # The mapping: container root is nobody on the host, and nothing else.
    assert r.stdout.split()[2:] == ["0", str(NOBODY), "1"], r.stdout
    assert capsa("list", "-q").stdout.split() == []


def test_rootless_lifecycle_and_exec(rootless, cid):
    capsa, config, root = rootless
    config(["/bin/sleep", "60"])
    assert capsa("create", "--bundle", ".", cid).returncode == 0
    st = json.loads(capsa("state", cid).stdout)
    assert st["status"] == "created", st
    assert capsa("start", cid).returncode == 0
    st = json.loads(capsa("state", cid).stdout)
    assert st["status"] == "running", st
    # The host sees the init as nobody, inside it is root.
    assert os.stat("/proc/%d" % st["pid"]).st_uid == NOBODY
    # exec joins the container's user namespace before its pid namespace.
    r = capsa("exec", cid, "/bin/sh", "-c", "echo uid=$(id -u) pid1=$(cat /proc/1/comm)")
    assert r.returncode == 0, r
    assert "uid=0 pid1=sleep" in r.stdout, r
    assert capsa("kill", cid, "KILL").returncode == 0
    for _ in range(100):
        h.reap_zombies()
        if json.loads(capsa("state", cid).stdout)["status"] == "stopped":
            break
        time.sleep(0.05)
    r = capsa("delete", cid)
    assert r.returncode == 0, r
    assert capsa("list", "-q").stdout.split() == []
    assert not os.path.exists(os.path.join(root, cid))


def test_rootless_resources_without_cgroup_warn_and_run(rootless, cid):
    """Without a cgroup the user may write, a memory limit cannot be honoured: the
    container runs (as runc and crun's rootless modes do) and a warning names what
    was not applied. With a delegated cgroup the limit is in force."""
    capsa, config, root = rootless

    def limit(c):
        c["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 100}}
    config(["/bin/sh", "-c", "cat /sys/fs/cgroup/memory.max "
                             "/sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null; echo ran"],
           limit)
    r = capsa("run", cid)
    assert r.returncode == 0, r
    assert "ran" in r.stdout, r
    if str(64 << 20) in r.stdout:
        return  # a delegated cgroup: the limit applies
    assert "linux.resources (memory, pids) not applied" in r.stderr, r


@pytest.mark.parametrize("resources", [{}, {"devices": [{"allow": False, "access": "rwm"}]}],
                         ids=["empty", "device-rules"])
def test_rootless_resources_that_ask_no_limit_run_quietly(rootless, cid, resources):
    """podman always sends `resources: {}` (and device rules): no limit is asked, so
    nothing is lost without a cgroup and nothing is said."""
    capsa, config, _ = rootless
    config(["/bin/echo", "ran"], lambda c: c["linux"].__setitem__("resources", resources))
    r = capsa("run", cid)
    assert r.returncode == 0, r
    assert r.stdout.strip() == "ran", r
    assert "not applied" not in r.stderr, r


# --- An ordinary user with subordinate id ranges (/etc/subuid, /etc/subgid) ---------

def _sub_range(path, name):
    with open(path) as f:
        for line in f:
            parts = line.strip().split(":")
            if len(parts) == 3 and parts[0] == name:
                return int(parts[1]), int(parts[2])
    return None


@pytest.fixture(scope="module")
def subuser():
    """A throw-away user made by `useradd -m`, which gives it a 65536-id range in
    /etc/subuid and /etc/subgid; removed (with its ranges) afterwards."""
    if shutil.which("useradd") is None or shutil.which("newuidmap") is None:
        pytest.skip("needs useradd and newuidmap (Debian's passwd and uidmap packages)")
    name = "capsarl%s" % uuid.uuid4().hex[:6]
    r = subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("useradd failed: %s" % r.stderr.strip())
    try:
        pw = pwd.getpwnam(name)
        sub_u = _sub_range("/etc/subuid", name)
        sub_g = _sub_range("/etc/subgid", name)
        if not sub_u or not sub_g or sub_u[1] < 65536 or sub_g[1] < 65536:
            pytest.skip("useradd gave %s no 65536-id subordinate ranges" % name)
        yield {"name": name, "uid": pw.pw_uid, "gid": pw.pw_gid, "home": pw.pw_dir,
               "subuid": sub_u[0], "subgid": sub_g[0]}
    finally:
        subprocess.run(["userdel", "-r", "-f", name], capture_output=True)


@pytest.fixture
def asuser(subuser, workdir, rootfs):
    """capsa run by the subuser: a copy of the binary, a state root in its
    $XDG_RUNTIME_DIR, a bundle it owns."""
    uid, gid = subuser["uid"], subuser["gid"]
    binary, bundle = _user_bundle(workdir, rootfs, uid, gid)
    xdg = os.path.join(workdir, "xdg")
    os.mkdir(xdg, 0o700)
    os.chown(xdg, uid, gid)
    root = os.path.join(xdg, "capsa-state")
    env = {"XDG_RUNTIME_DIR": xdg, "USER": subuser["name"], "HOME": subuser["home"]}
    ids = []

    def run(argv, **kw):
        kw.setdefault("env", env)
        return _run(argv, bundle, uid=uid, gid=gid, **kw)

    r = run([binary, "spec", "--rootless"])
    assert r.returncode == 0, r

    def capsa(*args, **kw):
        if args and args[0] in ("run", "create"):
            ids.append(args[-1])
        return run([binary, "--root", root] + list(args), **kw)

    def config(args, edit=None):
        _edit_config(bundle, args, edit)

    class U:
        pass
    u = U()
    u.capsa, u.config, u.run, u.binary, u.root, u.bundle, u.xdg, u.env = (
        capsa, config, run, binary, root, bundle, xdg, env)
    u.uid, u.gid, u.subuid, u.subgid, u.workdir = (uid, gid, subuser["subuid"],
                                                    subuser["subgid"], workdir)
    yield u
    for cid in ids:
        capsa("delete", "--force", cid)
    # Whatever ran under unshare chose its own state root.
    for d in (os.path.join(xdg, "capsa"),):
        if os.path.isdir(d):
            for cid in os.listdir(d):
                run(["unshare", "--user", "--map-root-user", binary, "--root", d, "delete",
                     "--force", cid])
    h.reap_zombies()


def _multi_id(c, uid, gid, subuid, subgid):
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1},
                                 {"containerID": 1, "hostID": subuid, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 1},
                                 {"containerID": 1, "hostID": subgid, "size": 65536}]


def test_subuser_one_id_mapping(asuser, cid):
    asuser.config(["/bin/sh", "-c", "echo uid=$(id -u); cat /proc/self/uid_map"])
    r = asuser.capsa("run", cid)
    assert r.returncode == 0, r
    assert r.stdout.split() == ["uid=0", "0", str(asuser.uid), "1"], r


def test_subuser_multi_id_mapping_through_newuidmap(asuser, cid):
    """A mapping of the user's subordinate range: only newuidmap/newgidmap may write
    it. A process running as uid 1000 writes a file on a bind mount: on the host it
    belongs to subuid+999."""
    vol = os.path.join(asuser.workdir, "vol")
    os.mkdir(vol)
    os.chmod(vol, 0o777)

    def edit(c):
        _multi_id(c, asuser.uid, asuser.gid, asuser.subuid, asuser.subgid)
        c["process"]["user"] = {"uid": 1000, "gid": 1000}
        c["mounts"].append({"destination": "/tmp", "type": "bind", "source": vol,
                            "options": ["rbind", "rw"]})
    asuser.config(["/bin/sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map;"
                                    " echo hi > /tmp/f"], edit)
    r = asuser.capsa("run", cid)
    assert r.returncode == 0, r
    lines = [l.split() for l in r.stdout.strip().splitlines()]
    assert lines[0] == ["1000"] and lines[1] == ["1000"], r
    assert lines[2:] == [["0", str(asuser.uid), "1"], ["1", str(asuser.subuid), "65536"],
                         ["0", str(asuser.gid), "1"], ["1", str(asuser.subgid), "65536"]], r
    st = os.stat(os.path.join(vol, "f"))
    assert (st.st_uid, st.st_gid) == (asuser.subuid + 999, asuser.subgid + 999)


def test_subuser_mapping_beyond_its_range_is_refused_clearly(asuser, cid):
    """An id the user was not given: newuidmap refuses, and the error says which
    mapping, which ids this user may map and how."""
    def edit(c):
        _multi_id(c, asuser.uid, asuser.gid, asuser.subuid, asuser.subgid)
        c["linux"]["uidMappings"][1]["hostID"] = 5000  # not in /etc/subuid
    asuser.config(["/bin/true"], edit)
    r = asuser.capsa("run", cid)
    assert r.returncode != 0, r
    assert "linux.uidMappings" in r.stderr and "/etc/subuid" in r.stderr \
        and "newuidmap" in r.stderr, r
    assert asuser.capsa("list", "-q").stdout.split() == []


def test_subuser_exec_with_terminal(asuser, cid):
    """`exec -t` of a rootless container, its stdio on a real terminal."""
    asuser.config(["/bin/sleep", "60"],
                  lambda c: _multi_id(c, asuser.uid, asuser.gid, asuser.subuid, asuser.subgid))
    assert asuser.capsa("run", "-d", cid).returncode == 0
    master, slave = os.openpty()
    try:
        r = asuser.capsa("exec", "-t", cid, "/bin/sh", "-c", "tty; id -u", stdin=slave)
    finally:
        os.close(slave)
        os.close(master)
    assert r.returncode == 0, r
    out = r.stdout.replace("\r", "").split()
    assert out[0].startswith("/dev/pts/") and out[1] == "0", r


def _userns_root(asuser, argv, **kw):
    """Run argv as root of a user namespace of the subuser (as podman runs a runtime)."""
    return asuser.run(["unshare", "--user", "--map-root-user"] + argv, **kw)


def _map_ns_root(c):
    """Inside `unshare -r` only id 0 exists: the container's root is that one."""
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]


def test_root_in_a_user_namespace_keeps_state_in_xdg_runtime_dir(asuser, cid):
    """No --root: root inside a user namespace cannot write /run, so the state goes to
    $XDG_RUNTIME_DIR/capsa, as runc's does."""
    asuser.config(["/bin/sleep", "60"], _map_ns_root)
    r = _userns_root(asuser, [asuser.binary, "create", "--bundle", ".", cid])
    assert r.returncode == 0, r
    assert os.path.isdir(os.path.join(asuser.xdg, "capsa", cid)), r
    r = _userns_root(asuser, [asuser.binary, "delete", "--force", cid])
    assert r.returncode == 0, r


def test_root_in_a_user_namespace_is_rootless_by_default(asuser, cid):
    """--rootless auto: root in a non-initial user namespace may write no cgroup; the
    container runs without one (podman sends `resources: {}`)."""
    def edit(c):
        c["linux"]["resources"] = {}
        _map_ns_root(c)
    asuser.config(["/bin/echo", "ran"], edit)
    r = _userns_root(asuser, [asuser.binary, "--root", asuser.root, "run", cid])
    assert r.returncode == 0, r
    assert r.stdout.strip() == "ran", r


def test_devices_in_an_existing_user_namespace_are_bound_from_the_host(asuser, cid):
    """A config without a user namespace, run inside one (podman rootless): mknod is
    refused, so /dev/null and friends are the host's nodes bind-mounted."""
    def edit(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "user"]
        c["linux"].pop("uidMappings", None)
        c["linux"].pop("gidMappings", None)
        c["linux"]["resources"] = {}
    asuser.config(["/bin/sh", "-c", "echo x > /dev/null && stat -c '%t:%T' /dev/null /dev/zero"],
                  edit)
    r = _userns_root(asuser, [asuser.binary, "--root", asuser.root, "--rootless", "true",
                              "run", cid])
    assert r.returncode == 0, r
    assert r.stdout.split() == ["1:3", "1:5"], r


def test_subuser_list_shows_the_owner(asuser, subuser, cid):
    """list names the user who created the container (runc: the state dir's owner)."""
    asuser.config(["/bin/sleep", "60"])
    assert asuser.capsa("run", "-d", cid).returncode == 0
    r = asuser.capsa("list")
    assert r.returncode == 0, r
    row = [l.split() for l in r.stdout.splitlines() if l.startswith(cid)]
    assert row and row[0][-1] == subuser["name"], r.stdout
    listed = json.loads(asuser.capsa("list", "-f", "json").stdout)
    assert [c["owner"] for c in listed] == [subuser["name"]], listed


def test_subuser_unmapped_uid_is_named(asuser, cid):
    """process.user.uid outside the one-id mapping: refused up front, naming the uid
    and the ids the mapping covers (5993ea5: `setresgid 1000: Invalid argument`)."""
    asuser.config(["/bin/true"],
                  lambda c: c["process"].__setitem__("user", {"uid": 1000, "gid": 0}))
    r = asuser.capsa("run", cid)
    assert r.returncode != 0, r
    assert "process.user.uid 1000 is not mapped by linux.uidMappings (container ids 0)" \
        in r.stderr, r
    assert asuser.capsa("list", "-q").stdout.split() == []


def test_subuser_additional_groups_without_gid_range(asuser, cid):
    """additionalGids with only the user's own gid mapped: setgroups is denied in
    such a namespace; the error says so and how to map a range."""
    def edit(c):
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": asuser.gid, "size": 1}]
        c["process"]["user"] = {"uid": 0, "gid": 0, "additionalGids": [0]}
    asuser.config(["/bin/true"], edit)
    r = asuser.capsa("run", cid)
    assert r.returncode != 0, r
    assert "process.user.additionalGids" in r.stderr and "/etc/subgid" in r.stderr, r
    # With a range mapped through newgidmap, groups are allowed.
    def ranged(c):
        _multi_id(c, asuser.uid, asuser.gid, asuser.subuid, asuser.subgid)
        c["process"]["user"] = {"uid": 0, "gid": 0, "additionalGids": [10, 20]}
        c["process"]["args"] = ["/bin/sh", "-c", "id -G"]
    asuser.config(["/bin/true"], ranged)
    r = asuser.capsa("run", cid + "-r")
    assert r.returncode == 0, r
    assert r.stdout.split() == ["0", "10", "20"], r


def test_subuser_config_without_user_namespace_is_explained(asuser, cid):
    """An ordinary user and a config without a user namespace: the clone cannot work;
    the error says why and what to add (5993ea5: clone ...: Operation not permitted)."""
    def edit(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "user"]
        c["linux"].pop("uidMappings")
        c["linux"].pop("gidMappings")
    asuser.config(["/bin/true"], edit)
    r = asuser.capsa("run", cid)
    assert r.returncode != 0, r
    assert "linux.namespaces: uid %d may create namespaces only inside a new user namespace" \
        % asuser.uid in r.stderr and "spec --rootless" in r.stderr, r


def test_subuser_check_reports_what_works_rootless(asuser, subuser):
    """`capsa check` as an ordinary user: namespaces work inside a user namespace
    (5993ea5 called seven of them missing and suggested kernel options), and the
    idmap-tools line names this user's subordinate ranges."""
    r = asuser.run([asuser.binary, "check"])
    lines = r.stdout.splitlines()
    ns = [l for l in lines if l.split()[1:2] and l.split()[1].startswith("namespace.")]
    assert len(ns) >= 7, r.stdout
    assert all(l.startswith("ok ") for l in ns), "\n".join(ns)
    assert "CONFIG_*_NS" not in r.stdout
    idmap = [l for l in lines if "rootless.idmap-tools" in l]
    assert idmap and idmap[0].startswith("ok "), r.stdout
    assert "uids %d-%d" % (asuser.subuid, asuser.subuid + 65535) in idmap[0], idmap


@pytest.fixture
def delegated_v2(asuser):
    """A cgroup v2 subtree owned by the subuser (as systemd delegates one to a user
    session): the directory, cgroup.procs, cgroup.threads and cgroup.subtree_control
    are the user's. capsa runs from a leaf in it, so that moving the container's init
    stays below a cgroup the user owns. Pure cgroup v2 only (the v2vm guest)."""
    top = "/sys/fs/cgroup"
    if not os.path.exists(os.path.join(top, "cgroup.subtree_control")):
        pytest.skip("needs cgroup v2 mounted at /sys/fs/cgroup (tests/cgroup-v2.sh runs it)")
    with open(os.path.join(top, "cgroup.subtree_control")) as f:
        enabled = f.read().split()
    if "memory" not in enabled or "pids" not in enabled:
        pytest.skip("memory and pids are not enabled below the cgroup v2 root")
    name = "capsa-rl-%s" % uuid.uuid4().hex[:8]
    deleg = os.path.join(top, name)
    os.mkdir(deleg)
    launcher = os.path.join(deleg, "launcher")
    try:
        for f in ("", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control"):
            os.chown(os.path.join(deleg, f), asuser.uid, asuser.gid)
        os.mkdir(launcher)
        for f in ("", "cgroup.procs"):
            os.chown(os.path.join(launcher, f), asuser.uid, asuser.gid)
        with open(os.path.join(deleg, "cgroup.subtree_control"), "w") as f:
            f.write("+memory +pids")
        yield "/" + name, launcher
    finally:
        for d in sorted((os.path.join(dp, x) for dp, dirs, _ in os.walk(deleg) for x in dirs),
                        key=len, reverse=True):
            os.rmdir(d)
        os.rmdir(deleg)


def test_subuser_delegated_cgroup_v2_applies_limits(asuser, delegated_v2, cid):
    """With a cgroup the user may write, rootless is no excuse: memory and pids
    limits are in force for the container, and no warning says otherwise."""
    parent, launcher = delegated_v2

    def edit(c):
        _multi_id(c, asuser.uid, asuser.gid, asuser.subuid, asuser.subgid)
        c["linux"]["cgroupsPath"] = "%s/%s" % (parent, cid)
        c["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 42}}
    asuser.config(["/bin/sleep", "60"], edit)
    r = _run([asuser.binary, "--root", asuser.root, "run", "-d", cid], asuser.bundle,
             uid=asuser.uid, gid=asuser.gid, env=asuser.env, cgroup=launcher)
    try:
        assert r.returncode == 0, r
        assert "not applied" not in r.stderr, r
        cg = "/sys/fs/cgroup%s/%s" % (parent, cid)
        with open(cg + "/memory.max") as f:
            assert f.read().strip() == str(64 << 20)
        with open(cg + "/pids.max") as f:
            assert f.read().strip() == "42"
        st = json.loads(asuser.capsa("state", cid).stdout)
        with open("/proc/%d/cgroup" % st["pid"]) as f:
            assert f.read().strip() == "0::%s/%s" % (parent, cid)
    finally:
        asuser.capsa("delete", "--force", cid)
