"""Global options and per-command flags of the runc command line: --help everywhere,
--version, --log/--log-format/--debug, spec (--rootless), and create's --no-pivot,
--no-new-keyring and --preserve-fds."""

import json
import os
import re
import subprocess

import pytest

import capsa_harness as h

COMMANDS = ["create", "start", "run", "state", "kill", "delete", "list", "spec"]


def test_help_global(runtime):
    for args in (["--help"], ["-h"], ["help"]):
        r = runtime(*args)
        assert r.rc == 0, r
        for c in COMMANDS:
            assert re.search(r"^\s+%s\b" % c, r.out, re.M), (c, r.out)
        assert "--root" in r.out and "--log-format" in r.out


@pytest.mark.parametrize("command", COMMANDS)
def test_help_every_command(runtime, command):
    for args in ([command, "--help"], [command, "-h"], ["help", command]):
        r = runtime(*args)
        assert r.rc == 0, r
        assert "USAGE" in r.out, r
        assert re.search(r"\b%s\b" % command, r.out), r


def test_help_lists_command_flags(runtime):
    r = runtime("create", "--help")
    for flag in ("--bundle", "-b", "--pid-file", "--console-socket", "--no-pivot",
                 "--no-new-keyring", "--preserve-fds"):
        assert flag in r.out, (flag, r.out)
    r = runtime("run", "--help")
    for flag in ("--detach", "-d", "--keep", "--bundle", "--console-socket", "--pid-file",
                 "--no-pivot", "--no-new-keyring", "--preserve-fds"):
        assert flag in r.out, (flag, r.out)
    assert "--all" in runtime("kill", "--help").out
    assert "--force" in runtime("delete", "--help").out
    out = runtime("list", "--help").out
    assert "--format" in out and "--quiet" in out
    assert "--rootless" in runtime("spec", "--help").out


def test_version(runtime):
    for flag in ("--version", "-v"):
        r = runtime(flag)
        assert r.rc == 0, r
        assert re.search(r"version \d+\.\d+\.\d+", r.out), r
        assert re.search(r"^spec: 1\.\d+\.\d+", r.out, re.M), r


def test_unknown_command_and_flag(runtime):
    r = runtime("frobnicate")
    assert r.rc != 0, r
    r = runtime("state", "--no-such-flag", "x")
    assert r.rc != 0, r
    assert "no-such-flag" in r.err, r


def test_missing_container_id(runtime):
    for c in ("create", "start", "state", "kill", "delete", "run"):
        r = runtime(c)
        assert r.rc != 0, (c, r)
        assert "container id" in r.err or "argument" in r.err, (c, r)


def _json_lines(path):
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    return [json.loads(l) for l in lines]


def test_log_json_on_error(runtime, workdir, cid):
    log = os.path.join(workdir, "log.json")
    r = runtime("--log", log, "--log-format", "json", "state", cid)
    assert r.rc != 0
    entries = _json_lines(log)
    assert entries, "nothing logged"
    for e in entries:
        assert {"level", "msg", "time"} <= set(e), e
    err = [e for e in entries if e["level"] == "error"]
    assert err and "does not exist" in err[-1]["msg"], entries
    # RFC 3339 time.
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", err[-1]["time"]), err


def test_log_text_on_error(runtime, workdir, cid):
    log = os.path.join(workdir, "log.txt")
    r = runtime("--log", log, "state", cid)
    assert r.rc != 0
    text = open(log).read()
    assert "level=error" in text and "does not exist" in text, text


def test_debug_logs_json(runtime, bundle, cid, workdir):
    bundle.set_args("true").write()
    log = os.path.join(workdir, "debug.json")
    runtime._track(cid)
    r = runtime("--debug", "--log", log, "--log-format", "json", "run", "--bundle",
                bundle.path, cid)
    assert r.rc == 0, r
    entries = _json_lines(log)
    assert any(e["level"] == "debug" for e in entries), entries
    h.ensure_nothing_left(runtime, cid, bundle)


def test_no_debug_no_debug_lines(runtime, bundle, cid, workdir):
    bundle.set_args("true").write()
    log = os.path.join(workdir, "quiet.json")
    runtime._track(cid)
    r = runtime("--log", log, "--log-format", "json", "run", "--bundle", bundle.path, cid)
    assert r.rc == 0, r
    entries = _json_lines(log) if os.path.exists(log) else []
    assert not [e for e in entries if e["level"] == "debug"], entries


def test_bad_log_format(runtime):
    r = runtime("--log-format", "xml", "list")
    assert r.rc != 0, r


def test_spec_default(runtime, workdir):
    d = os.path.join(workdir, "s")
    os.mkdir(d)
    assert runtime("spec", "-b", d).rc == 0
    c = json.load(open(os.path.join(d, "config.json")))
    assert c["process"]["terminal"] is True
    assert c["process"]["args"] == ["sh"]
    types = {n["type"] for n in c["linux"]["namespaces"]}
    assert types == {"pid", "network", "ipc", "uts", "mount"}, types
    assert c["root"] == {"path": "rootfs", "readonly": True}
    assert "/proc/kcore" in c["linux"]["maskedPaths"]
    assert "/proc/sys" in c["linux"]["readonlyPaths"]


def test_spec_rootless(runtime, workdir):
    d = os.path.join(workdir, "s")
    os.mkdir(d)
    r = runtime("spec", "--rootless", "--bundle", d)
    assert r.rc == 0, r
    c = json.load(open(os.path.join(d, "config.json")))
    types = {n["type"] for n in c["linux"]["namespaces"]}
    assert "user" in types and "network" not in types, types
    assert c["linux"]["uidMappings"][0]["containerID"] == 0
    assert c["linux"]["uidMappings"][0]["size"] == 1
    assert c["linux"]["gidMappings"][0]["containerID"] == 0
    assert "resources" not in c["linux"]
    # Bind-mounted /sys in place of a sysfs that a rootless user cannot mount.
    sys_mount = [m for m in c["mounts"] if m["destination"] == "/sys"][0]
    assert sys_mount["type"] == "none" and "rbind" in sys_mount["options"], sys_mount


def test_spec_in_cwd(runtime, workdir):
    d = os.path.join(workdir, "s")
    os.mkdir(d)
    assert runtime("spec", cwd=d).rc == 0
    assert os.path.exists(os.path.join(d, "config.json"))


def test_no_pivot(runtime, bundle, cid):
    bundle.helper("mounts", "--", "pid").write()
    r = runtime.run(bundle, cid, "--no-pivot")
    assert r.rc == 0, r
    root = [l for l in r.out.splitlines() if l.split()[4:5] == ["/"]]
    assert root, r.out
    h.ensure_nothing_left(runtime, cid, bundle)


def _session_keyring_id():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    # keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create=1)
    return libc.syscall(250, 0, -3, 1)


def test_no_new_keyring(runtime, bundle, cid):
    """Without --no-new-keyring the container joins a fresh session keyring; with it,
    it keeps the caller's."""
    host = _session_keyring_id()
    if host < 0:
        pytest.skip("keyctl not available on this host")
    bundle.helper("syscall-errno", "keyctl").write()
    r1 = runtime.run(bundle, cid)
    assert r1.rc == 0, r1
    r2 = runtime.run(bundle, cid + "-n", "--no-new-keyring")
    assert r2.rc == 0, r2
    own, inherited = int(r1.facts["ret"]), int(r2.facts["ret"])
    assert own > 0 and own != host, (host, r1)
    assert inherited == host, (host, r2)


def test_preserve_fds(runtime, bundle, cid, workdir):
    bundle.helper("fds").write()
    paths = [os.path.join(workdir, "extra%d" % i) for i in range(3)]
    fds = []
    for p in paths:
        open(p, "w").close()
        fds.append(os.open(p, os.O_RDONLY))

    def place_fds():
        # Become fds 3, 4, 5 of the runtime: --preserve-fds counts from 3.
        for i, fd in enumerate(fds):
            os.dup2(fd, 3 + i)

    runtime._track(cid)
    argv = [runtime.binary, "--root", runtime.root, "run", "--preserve-fds", "2",
            "--bundle", bundle.path, cid]
    try:
        out = subprocess.run(argv, preexec_fn=place_fds, close_fds=False,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=30, text=True)
    finally:
        for fd in fds:
            os.close(fd)
    assert out.returncode == 0, out
    f = h.facts(out.stdout)
    fdlist = f["fds"].split(",")
    assert fdlist[:5] == ["0", "1", "2", "3", "4"], f
    assert f["fd.3"].endswith("extra0") and f["fd.4"].endswith("extra1"), f
    # The third was not asked for.
    assert not any(v.endswith("extra2") for k, v in f.items() if k.startswith("fd.")), f


def test_without_preserve_fds_extra_fds_closed(runtime, bundle, cid, workdir):
    bundle.helper("fds").write()
    p = os.path.join(workdir, "x")
    open(p, "w").close()
    fd = os.open(p, os.O_RDONLY)
    try:
        r = runtime.run(bundle, cid, pass_fds=(fd,))
        assert r.rc == 0, r
        assert r.facts["fds"] == "0,1,2", r
    finally:
        os.close(fd)
