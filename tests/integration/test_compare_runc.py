"""Side by side: the same bundles under capsa and runc give the same observable results
(state JSON keys and values, list columns and JSON keys, exit codes, what the process
sees)."""

import json
import os

import pytest

import capsa_harness as h


def _both(capsa, runc, make_bundle, cid, setup, *extra):
    """Run setup(bundle) on one bundle per runtime; returns {name: (runtime, bundle)}."""
    out = {}
    for rt in (capsa, runc):
        b = make_bundle()
        setup(b)
        b.write()
        out[rt.name] = (rt, b)
    return out


def test_state_json_same_keys_and_values(capsa, runc, make_bundle, cid):
    states = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.config["annotations"] = {"a": "1"}
        b.set_args("sleep", "30").write()
        assert rt.create(b, cid).rc == 0
        states[rt.name] = ("created", rt.state(cid), b)
        assert rt.start(cid).rc == 0
        running = rt.state(cid)
        assert rt.kill(cid, "KILL").rc == 0
        stopped = rt.wait_status(cid, "stopped")
        states[rt.name] = (states[rt.name][1], running, stopped, b)
        assert rt.delete(cid).rc == 0
        h.ensure_nothing_left(rt, cid, b)
    c, r = states["capsa"], states["runc"]
    for i, status in enumerate(("created", "running", "stopped")):
        cs, rs = c[i], r[i]
        assert list(cs) == list(rs), (status, cs, rs)  # same keys, same order
        assert cs["status"] == rs["status"] == status
        assert cs["id"] == rs["id"] == cid
        assert cs["annotations"] == rs["annotations"] == {"a": "1"}
        assert cs["owner"] == rs["owner"]
        assert cs["rootfs"] == os.path.join(c[3].path, "rootfs")
        assert rs["rootfs"] == os.path.join(r[3].path, "rootfs")
        assert (cs["pid"] > 0) == (rs["pid"] > 0), (cs, rs)
        assert type(cs["created"]) is type(rs["created"]) is str


def test_state_json_keys_without_annotations(capsa, runc, make_bundle, cid):
    keys = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.set_args("sleep", "10").write()
        assert rt.create(b, cid).rc == 0
        keys[rt.name] = list(rt.state(cid))
        assert rt.delete(cid, force=True).rc == 0
    assert keys["capsa"] == keys["runc"], keys


def test_list_same_columns_and_json_keys(capsa, runc, make_bundle, cid):
    res = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.set_args("sleep", "30").write()
        assert rt.run(b, cid, "-d").rc == 0
        rt.pids[cid] = rt.state(cid)["pid"]
        table = rt("list").out.splitlines()
        js = json.loads(rt("list", "--format", "json").out)
        quiet = rt("list", "-q").out.split()
        res[rt.name] = (table, js, quiet, b)
        assert rt.delete(cid, force=True).rc == 0
        res[rt.name] += (rt("list", "-f", "json").out.strip(), rt("list").out.splitlines())
    c, r = res["capsa"], res["runc"]
    assert c[0][0].split() == r[0][0].split(), (c[0], r[0])
    ccols, rcols = c[0][1].split(), r[0][1].split()
    assert len(ccols) == len(rcols)
    assert ccols[0] == rcols[0] == cid and ccols[2] == rcols[2] == "running"
    assert ccols[5] == rcols[5]  # owner
    assert [list(i) for i in c[1]] == [list(i) for i in r[1]], (c[1], r[1])
    assert c[2] == r[2] == [cid]
    # Empty list: same JSON and same header-only table.
    assert c[4] == r[4], (c[4], r[4])
    assert c[5] == r[5], (c[5], r[5])


@pytest.mark.parametrize("script,expected", [
    ("exit 0", 0), ("exit 3", 3), ("exit 255", 255),
    ("kill -KILL $$", None),  # init of a pid namespace ignores its own SIGKILL
])
def test_exit_codes_same(capsa, runc, make_bundle, cid, script, expected):
    rcs = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.set_args("sh", "-c", script).write()
        r = rt.run(b, cid)
        rcs[rt.name] = r.rc
        h.ensure_nothing_left(rt, cid, b)
    assert rcs["capsa"] == rcs["runc"], rcs
    if expected is not None:
        assert rcs["capsa"] == expected


def test_signal_exit_code_same(capsa, runc, make_bundle, cid):
    rcs = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.set_args("sh", "-c", "echo ready; sleep 30 & wait").write()
        rt._track(cid)
        p = rt.spawn("run", "--bundle", b.path, cid)
        assert h.wait_for_output(p.out_path, "ready"), rt.finish(p, timeout=1)
        assert rt.kill(cid, "KILL").rc == 0
        rcs[rt.name] = rt.finish(p).rc
        h.ensure_nothing_left(rt, cid, b)
    assert rcs["capsa"] == rcs["runc"] == 137, rcs


def test_error_exit_codes_same(capsa, runc, make_bundle, cid):
    rcs = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.set_args("/no/such/binary").write()
        rcs[rt.name] = (rt.create(b, cid).rc, rt.state(cid + "x") is None,
                        rt("state", cid + "x").rc, rt.start(cid + "x").rc,
                        rt.delete(cid + "x").rc, rt("kill", cid + "x", "KILL").rc)
    assert rcs["capsa"] == rcs["runc"], rcs


def test_process_view_same(capsa, runc, make_bundle, cid):
    """The helper reports the same ids, cwd, hostname, umask, rlimits, mounts' targets
    and device nodes under both runtimes."""
    outs = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.config["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5]}
        b.config["process"]["cwd"] = "/tmp"
        b.helper("ids", "--", "cwd", "--", "hostname", "--", "umask", "--", "rlimits",
                 "--", "nnp", "--", "isatty").write()
        r = rt.run(b, cid)
        assert r.rc == 0, r
        f = r.facts
        f.pop("domainname", None)  # runc 1.1.5 ignores domainname
        outs[rt.name] = f
    assert outs["capsa"] == outs["runc"], outs


def test_mount_points_same(capsa, runc, make_bundle, cid):
    mps = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.set_args("sh", "-c", "cut -d' ' -f5 /proc/self/mountinfo | sort; ls /dev").write()
        r = rt.run(b, cid)
        assert r.rc == 0, r
        # capsa also mounts the hybrid host's cgroup2 (runc 1.1.5 leaves it out).
        mps[rt.name] = [m for m in r.out.split() if m != "/sys/fs/cgroup/unified"]
    assert mps["capsa"] == mps["runc"], mps


# ---- capabilities and sysctl (issue 17) ----

def _caps_in(rt, b, cid, caps):
    b.config["process"]["capabilities"] = {s: list(caps) for s in
                                           ("bounding", "effective", "permitted",
                                            "inheritable", "ambient")}
    b.helper("caps").write()
    r = rt.run(b, cid)
    h.ensure_nothing_left(rt, cid, b)
    return r


def test_unknown_capability_ignored_like_runc(capsa, runc, make_bundle, cid):
    """runc 1.1.5 warns about an unknown name and runs without it: so does capsa, with
    the same five sets."""
    got = {}
    for rt in (capsa, runc):
        r = _caps_in(rt, make_bundle(), cid, ["CAP_KILL", "CAP_UNKNOWN", "CAP_CHOWN"])
        assert r.rc == 0 and "CAP_UNKNOWN" in r.err, r
        got[rt.name] = {k: v for k, v in r.facts.items() if k.startswith("Cap")}
    assert got["capsa"] == got["runc"], got


def test_ungrantable_capability_skipped_where_runc_fails(capsa, runc, make_bundle, cid):
    """A capability missing from our bounding set (CAP_SYS_RESOURCE on this VM): runc
    1.1.5 fails with EPERM; capsa follows runtime-spec 1.1 (warn, do not fail) and
    gives the sets runc gives when the name is left out."""
    from test_caps_ungrantable import ungrantable_cap
    missing = ungrantable_cap()
    r = _caps_in(capsa, make_bundle(), cid, ["CAP_KILL", missing])
    assert r.rc == 0 and missing in r.err, r
    w = _caps_in(runc, make_bundle(), cid, ["CAP_KILL"])
    assert w.rc == 0, w
    assert ({k: v for k, v in r.facts.items() if k.startswith("Cap")}
            == {k: v for k, v in w.facts.items() if k.startswith("Cap")}), (r, w)


def test_uts_sysctls_like_runc(capsa, runc, make_bundle, cid):
    """kernel.hostname in linux.sysctl is refused by both; kernel.domainname without
    the domainname field starts under both with the same names."""
    got = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.config["hostname"] = "box1"
        b.config["linux"]["sysctl"] = {"kernel.hostname": "other"}
        b.helper("hostname").write()
        h.create_fails(rt, b, cid, "linux.sysctl", "kernel.hostname")
        b.config["linux"]["sysctl"] = {"kernel.domainname": "example.org"}
        b.write()
        r = rt.run(b, cid)
        assert r.rc == 0, r
        got[rt.name] = (r.facts["hostname"], r.facts["domainname"])
    assert got["capsa"] == got["runc"] == ("box1", "example.org"), got


# ---- hooks, terminals, kill/delete, exit statuses and messages (issue 17) ----

import re  # noqa: E402 (this section's own; the file's head belongs to everyone)

_HOOK_KINDS = ("prestart", "createRuntime", "createContainer", "startContainer",
               "poststart", "poststop")


def _recording_hooks(b, outdir):
    """Each hook writes its working directory and its stdin (the state) to files;
    startContainer runs in the container, so it writes into the rootfs."""
    os.makedirs(os.path.join(b.rootfs, "hooklog"))
    b.config["root"]["readonly"] = False
    b.config["process"]["cwd"] = "/tmp"
    hooks = {}
    for k in _HOOK_KINDS:
        d = "/hooklog" if k == "startContainer" else outdir
        hooks[k] = [{"path": "/bin/sh", "args": ["sh", "-c", "pwd > %s/%s.cwd; cat > %s/%s.json"
                                                 % (d, k, d, k)]}]
    b.config["hooks"] = hooks


def _hook_records(b, outdir):
    got = {}
    for k in _HOOK_KINDS:
        d = os.path.join(b.rootfs, "hooklog") if k == "startContainer" else outdir
        try:
            cwd = open(os.path.join(d, k + ".cwd")).read().strip()
            state = json.load(open(os.path.join(d, k + ".json")))
        except FileNotFoundError:
            got[k] = None
            continue
        got[k] = (cwd.replace(os.path.realpath(b.path), "<bundle>"), list(state))
    return got


@pytest.mark.parametrize("how", ["run", "create-start-delete"])
def test_hook_cwd_and_state_keys_like_runc(capsa, runc, make_bundle, cid, workdir, how):
    """runc works from the bundle in create and run, so prestart, createRuntime and
    (in run) poststart/poststop start there; its init works from the rootfs, where
    createContainer hooks start. start and delete keep the caller's directory. The
    state on stdin has the same keys in the same order for every kind."""
    caller = os.path.join(workdir, "caller")
    os.makedirs(caller)
    got = {}
    for rt in (capsa, runc):
        b = make_bundle()
        outdir = os.path.join(workdir, "hooks-" + rt.name)
        os.makedirs(outdir)
        _recording_hooks(b, outdir)
        if how == "run":
            b.set_args("true").write()
            assert rt.run(b, cid, cwd=caller).rc == 0
        else:
            b.set_args("sleep", "30").write()
            assert rt.create(b, cid, cwd=caller).rc == 0
            assert rt.start(cid, cwd=caller).rc == 0
            assert rt.kill(cid, "KILL").rc == 0
            assert rt.wait_status(cid, "stopped")["status"] == "stopped"
            assert rt.delete(cid, cwd=caller).rc == 0
        h.ensure_nothing_left(rt, cid, b)
        got[rt.name] = _hook_records(b, outdir)
    c, r = got["capsa"], got["runc"]
    if how != "run":
        # runc 1.1.5 runs poststart hooks during create (from the bundle); the spec
        # and capsa run them in `start`, from start's directory.
        assert c["poststart"][0] == caller and r["poststart"][0] == "<bundle>", (c, r)
        c.pop("poststart")
        r.pop("poststart")
    assert c == r, (c, r)
    assert c["createContainer"][0] == "<bundle>/rootfs" and c["startContainer"][0] == "/tmp"
    assert c["prestart"][0] == "<bundle>"


_TTY_OWNER = "t=$(tty); echo tty=$t; stat -c 'owner=%u:%g mode=%a' $t; stty size"


def _subdir(d, name):
    path = os.path.join(d, name)
    os.makedirs(path)
    return path


def test_pty_owned_by_process_user_like_runc(capsa, runc, make_bundle, cid, workdir):
    """With process.user 1000, runc chowns the pty slave to uid 1000 (group kept:
    devpts' gid=5), in `run` and in `exec --tty --user`; the window size comes from
    consoleSize (config, exec --process)."""
    from test_terminal import _recvtty, _finish
    got = {}
    for rt in (capsa, runc):
        d = _subdir(workdir, rt.name)
        b = make_bundle()
        b.config["process"].update(terminal=True, user={"uid": 1000, "gid": 1000},
                                   consoleSize={"height": 33, "width": 111})
        b.set_args("sh", "-c", _TTY_OWNER + "; sleep 30").write()
        p, sock, out = _recvtty(d)
        assert rt.run(b, cid, "-d", "--console-socket", sock).rc == 0
        rt.pids[cid] = rt.state(cid)["pid"]
        assert h.wait_for_output(out, "owner="), open(out).read()
        ep, esock, eout = _recvtty(_subdir(d, "x"))
        r = rt("exec", "-d", "--tty", "--user", "1000:1000", "--console-socket", esock, cid,
               "sh", "-c", _TTY_OWNER)
        assert r.rc == 0, r
        proc = dict(b.config["process"], args=["sh", "-c", _TTY_OWNER],
                    consoleSize={"height": 44, "width": 122})
        with open(os.path.join(d, "p.json"), "w") as f:
            json.dump(proc, f)
        pp, psock, pout = _recvtty(_subdir(d, "p"))
        r = rt("exec", "-d", "--process", os.path.join(d, "p.json"), "--console-socket", psock,
               cid)
        assert r.rc == 0, r
        texts = [_finish(ep, eout)[1], _finish(pp, pout)[1]]
        h.reap_zombies()  # the exec'd processes, ours as their subreaper
        assert rt.delete(cid, force=True).rc == 0
        texts.insert(0, _finish(p, out)[1])
        # the execs' ptys are /dev/pts/1 or 2, depending on which one exits first
        got[rt.name] = [re.sub(r"/dev/pts/[12]$", "/dev/pts/N", t, flags=re.M).split()
                        for t in texts]
        h.ensure_nothing_left(rt, cid, b)
    assert got["capsa"] == got["runc"], got
    assert got["capsa"][0] == ["tty=/dev/pts/0", "owner=1000:5", "mode=620", "33", "111"]
    assert got["capsa"][2][-2:] == ["44", "122"]


def test_detached_stdio_owned_by_process_user_like_runc(capsa, runc, make_bundle, cid,
                                                         workdir):
    """A detached container running as uid 1000 gets its stdio chowned to 1000 (runc's
    fixStdioPermissions), so it can reopen /dev/stdout; /dev/null is left alone."""
    got = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.config["process"]["user"] = {"uid": 1000, "gid": 1000}
        b.set_args("sh", "-c", "echo first; echo reopened >> /dev/stdout || echo failed").write()
        path = os.path.join(workdir, rt.name + ".out")
        with open(path, "w") as f:
            os.fchmod(f.fileno(), 0o600)
            r = rt.run(b, cid, "-d", stdout_path=path)
        assert r.rc == 0, r
        rt.wait_status(cid, "stopped")
        assert rt.delete(cid).rc == 0
        st = os.stat(path)
        got[rt.name] = (open(path).read().split(), st.st_uid, st.st_gid,
                        os.stat("/dev/null").st_uid)
    assert got["capsa"] == got["runc"] == (["first", "reopened"], 1000, 0, 0), got


def test_create_terminal_without_console_socket_like_runc(capsa, runc, make_bundle, cid):
    """create always detaches: a terminal without --console-socket is refused up front
    with runc's reason (not a failure deep in the init)."""
    for rt in (capsa, runc):
        b = make_bundle()
        b.config["process"]["terminal"] = True
        b.set_args("true").write()
        r = h.create_fails(rt, b, cid)
        assert "will detach without setting console socket" in r.err, r

def test_foreground_run_leaves_callers_stdio_alone(capsa, make_bundle, cid, workdir):
    """The other side of the stdio chown: a foreground `run` lends the caller's own
    stdio (its terminal, its files) and must not give them to the container's user
    (runc copies through pipes of its own there)."""
    b = make_bundle()
    b.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    b.set_args("sh", "-c", "echo hi; chmod 666 /proc/self/fd/1 || echo refused").write()
    path = os.path.join(workdir, "caller.out")
    with open(path, "w") as f:
        os.fchmod(f.fileno(), 0o600)
    r = capsa.run(b, cid, stdout_path=path)
    st = os.stat(path)
    assert r.rc == 0 and r.out.split() == ["hi", "refused"], r
    assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600), st


def _msg(r, cid):
    """The error text of a failed command, as an engine reads it: the msg of the
    log line, with the id and the runtime's name neutralised."""
    m = re.search(r'msg="(.*)"', r.err)
    text = m.group(1) if m else r.err.strip()
    return text.replace(cid, "ID").replace("capsa", "RT").replace("runc", "RT")


def _in_state(rt, b, cid, state):
    if state == "created":
        assert rt.create(b, cid).rc == 0
        return
    assert rt.run(b, cid, "-d").rc == 0
    rt.pids[cid] = rt.state(cid)["pid"]
    if state == "paused":
        assert rt("pause", cid).rc == 0
    if state == "stopped":
        assert rt.kill(cid, "KILL").rc == 0
        assert rt.wait_status(cid, "stopped")["status"] == "stopped"


@pytest.mark.parametrize("state,args,after", [
    # runc's init dies of SIGTERM while it waits for start (Go's default action);
    # capsa's parked init is pid 1 of its namespace and would ignore it.
    ("created", ("TERM",), "stopped"),
    ("created", ("--all", "TERM"), "stopped"),
    # runc thaws a paused container after SIGKILL, so that it dies.
    ("paused", ("KILL",), "stopped"),
    # --all on a stopped container reaches what is left in the cgroup and succeeds
    # (containerd's shim relies on it); a plain kill is refused.
    ("stopped", ("--all", "KILL"), "stopped"),
])
def test_kill_by_state_like_runc(capsa, runc, make_bundle, cid, state, args, after):
    got = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.set_args("sleep", "60").write()
        _in_state(rt, b, cid, state)
        flags = [a for a in args if a.startswith("-")]
        sig = [a for a in args if not a.startswith("-")]
        r = rt("kill", *flags, cid, *sig)
        st = rt.wait_status(cid, after)
        got[rt.name] = (r.rc, _msg(r, cid) if r.rc else "", st and st["status"])
        assert rt.delete(cid, force=True).rc == 0
        h.ensure_nothing_left(rt, cid, b)
    assert got["capsa"] == got["runc"] == (0, "", after), got


def test_pause_created_container_like_runc(capsa, runc, make_bundle, cid):
    """runc pauses a created container: it shows as paused, cannot start, and
    resume brings it back to created, ready to start."""
    got = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.set_args("sh", "-c", "echo started").write()
        assert rt.create(b, cid).rc == 0
        rt.pids[cid] = rt.state(cid)["pid"]
        seen = [rt("pause", cid).rc, rt.state(cid)["status"]]
        r = rt.start(cid)
        seen += [r.rc, _msg(r, cid), rt("resume", cid).rc, rt.state(cid)["status"],
                 rt.start(cid).rc]
        seen.append(rt.wait_status(cid, "stopped")["status"])
        assert rt.delete(cid).rc == 0
        got[rt.name] = seen
        h.ensure_nothing_left(rt, cid, b)
    assert got["capsa"] == got["runc"] == [
        0, "paused", 1, "cannot start a container in the paused state", 0, "created", 0,
        "stopped"], got


@pytest.mark.parametrize("state,cmd", [
    ("running", "start"), ("paused", "start"), ("stopped", "start"),
    ("running", "delete"), ("paused", "delete"),
    ("stopped", "kill"), ("created", "resume"), ("stopped", "pause"),
])
def test_wrong_state_messages_like_runc(capsa, runc, make_bundle, cid, state, cmd):
    """A command refused for the container's state: same exit status and the same
    text as runc (no errno appended: the state is the reason)."""
    got = {}
    for rt in (capsa, runc):
        b = make_bundle()
        b.set_args("sleep", "60").write()
        _in_state(rt, b, cid, state)
        r = rt(cmd, cid)
        got[rt.name] = (r.rc, _msg(r, cid))
        assert rt.delete(cid, force=True).rc == 0
    assert got["capsa"] == got["runc"], got
    assert got["capsa"][0] != 0



@pytest.mark.parametrize("args", [
    ("start",), ("state",), ("kill",), ("kill", "KILL"), ("delete",), ("delete", "--force"),
    ("pause",), ("resume",), ("ps",), ("exec", "true"), ("update", "--memory", "1M"),
    ("events", "--stats"),
])
def test_missing_container_like_runc(capsa, runc, cid, args):
    """Every command on an id that does not exist: runc's exit status and text, which
    engines match ("does not exist": containerd's shim; exec fails with 255)."""
    got = {}
    for rt in (capsa, runc):
        # exec and kill take the id first, the others last
        r = rt(args[0], cid, *args[1:]) if args[0] in ("exec", "kill") else rt(*args, cid)
        got[rt.name] = (r.rc, _msg(r, cid) if r.rc else "")
    assert got["capsa"] == got["runc"], got


# ------------------------------------------ update and resources, runc's way (issue 17)

from test_cgroups import DOCKER_ZEROS, ZERO_FLAGS, v1_mounts  # noqa: E402

CMP_FILES = [("memory", "memory.limit_in_bytes"), ("memory", "memory.soft_limit_in_bytes"),
             ("memory", "memory.memsw.limit_in_bytes"), ("cpu", "cpu.shares"),
             ("cpu", "cpu.cfs_quota_us"), ("cpu", "cpu.cfs_period_us"), ("pids", "pids.max"),
             ("cpuset", "cpuset.cpus"), ("cpuset", "cpuset.mems")]


def _cg_limits(mounts, rel):
    out = {}
    for ctrl, name in CMP_FILES:
        path = "%s%s/%s" % (mounts.get(ctrl, "/nonexistent"), rel, name)
        if os.path.exists(path):
            with open(path) as f:
                out[name] = f.read().strip()
    return out


def _rmdirs(mounts, rels):
    for top in set(mounts.values()) | {"/sys/fs/cgroup/unified"}:
        for rel in rels:
            if os.path.isdir(top + rel):
                os.rmdir(top + rel)


def _updates_side_by_side(capsa, runc, make_bundle, cid, resources, updates,
                          parent_quota=None):
    """Per runtime: run a container with these resources (cgroupfs, its own cgroup,
    under a parent with a CFS quota if asked), apply each update in turn (a tuple of
    flags, or a dict for --resources -); [(rc, limit files)] after the run and after
    each update, for capsa and for runc."""
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        pytest.skip("side by side on cgroup v1 hierarchies only (the v2 guest has no runc)")
    mounts = v1_mounts()
    res = {}
    for rt in (capsa, runc):
        top = "/capsa-cmp-%s-%s" % (rt.name, cid)
        rel = top + ("/p" if parent_quota else "") + "/" + cid
        try:
            if parent_quota:
                os.makedirs(mounts["cpu"] + top + "/p")
                with open(mounts["cpu"] + top + "/p/cpu.cfs_quota_us", "w") as f:
                    f.write(str(parent_quota))
            b = make_bundle()
            b.config["linux"]["cgroupsPath"] = rel
            b.config["linux"]["resources"].update(json.loads(json.dumps(resources)))
            b.set_args("sleep", "60").write()
            r = rt.run(b, cid, "-d")
            steps = [(r.rc, _cg_limits(mounts, rel))]
            if r.rc == 0:
                rt.pids[cid] = rt.state(cid)["pid"]
                for u in updates:
                    if isinstance(u, dict):
                        r = rt("update", "--resources", "-", cid, input=json.dumps(u))
                    else:
                        r = rt("update", *u, cid)
                    steps.append((r.rc, _cg_limits(mounts, rel)))
            assert rt.delete(cid, force=True).rc in (0, 1)
            h.ensure_nothing_left(rt, cid, b)
            res[rt.name] = steps
        finally:
            _rmdirs(mounts, (top + "/p", top))
    return res["capsa"], res["runc"]


def test_update_docker_zeros_same_as_runc(capsa, runc, make_bundle, cid):
    """Docker 20.10's update body (every field, 0 where the user set nothing), the
    same zeros as flags, then that body with a memory limit: exit 0, nothing else
    moves (not the soft limit, not the quota), as with runc."""
    body = json.loads(json.dumps(DOCKER_ZEROS))
    body["memory"]["limit"] = 96 << 20
    c, r = _updates_side_by_side(
        capsa, runc, make_bundle, cid,
        {"memory": {"limit": 64 << 20, "reservation": 32 << 20, "swap": 128 << 20},
         "cpu": {"shares": 512, "quota": 50000, "period": 100000}, "pids": {"limit": 20}},
        [DOCKER_ZEROS, ZERO_FLAGS, body])
    assert c == r
    assert [rc for rc, _ in c] == [0, 0, 0, 0], c
    assert c[0][1]["memory.limit_in_bytes"] == str(64 << 20) and c[0][1]["pids.max"] == "20"
    assert c[1][1] == c[2][1] == c[0][1]
    assert c[3][1] == dict(c[0][1], **{"memory.limit_in_bytes": str(96 << 20)})


def test_create_zero_limits_same_as_runc(capsa, runc, make_bundle, cid):
    """memory.limit 0 and memory.swap 0 (and the other zeros) at create: no limit."""
    c, r = _updates_side_by_side(capsa, runc, make_bundle, cid, DOCKER_ZEROS, [])
    assert c == r
    assert c[0][0] == 0 and c[0][1]["memory.limit_in_bytes"] == "9223372036854771712", c


def test_update_memory_and_swap_same_as_runc(capsa, runc, make_bundle, cid):
    """--memory -1 with a swap limit (both become unlimited), then memory and
    memory+swap raised, lowered and crossed together, then memory alone."""
    steps = [("--memory", "-1")]
    steps += [("--memory", "%dM" % m, "--memory-swap", "%dM" % s)
              for m, s in ((64, 128), (256, 512), (32, 48), (40, 44), (8, 400), (300, 400))]
    steps += [("--memory", "100M")]
    c, r = _updates_side_by_side(capsa, runc, make_bundle, cid,
                                 {"memory": {"limit": 64 << 20, "swap": 128 << 20}}, steps)
    assert c == r
    assert all(rc == 0 for rc, _ in c), c
    if "memory.memsw.limit_in_bytes" in c[0][1]:
        assert c[1][1]["memory.memsw.limit_in_bytes"] == "9223372036854771712"
    assert c[-1][1]["memory.limit_in_bytes"] == str(100 << 20)


def test_update_cpu_period_under_parent_quota_same_as_runc(capsa, runc, make_bundle, cid):
    """A shorter period and a smaller quota under a parent with a quota of its own,
    and back: the kernel takes the pair only quota first one way, period first the
    other."""
    c, r = _updates_side_by_side(
        capsa, runc, make_bundle, cid, {"cpu": {"quota": 20000, "period": 100000}},
        [("--cpu-period", "10000", "--cpu-quota", "3000"),
         ("--cpu-period", "100000", "--cpu-quota", "20000")], parent_quota=50000)
    assert c == r
    assert [rc for rc, _ in c] == [0, 0, 0], c
    assert (c[1][1]["cpu.cfs_quota_us"], c[1][1]["cpu.cfs_period_us"]) == ("3000", "10000")
