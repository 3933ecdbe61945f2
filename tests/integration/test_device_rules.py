"""The device cgroup applies exactly linux.resources.devices plus the default set
runc allows (null zero full random urandom tty console ptmx pts, mknod of any
node): a linux.devices node widens nothing.  Code inside the container tries to
open the nodes it was given, and nodes it makes itself, for more than its rules
allow.  Side by side with runc where it is installed.

tests/cgroup-v2.sh also runs this file in the pure cgroup v2 guest (the eBPF
filter), plain and with CAPSA_TEST_SYSTEMD=1 (--systemd-cgroup), where the scope
must carry the same rules as DevicePolicy=strict + DeviceAllow, and keep
enforcing them across `systemctl daemon-reload` and `set-property`."""

import os
import subprocess

import pytest

import capsa_harness as h

SYSTEMD = os.environ.get("CAPSA_TEST_SYSTEMD") == "1"
DENY_ALL = {"allow": False, "access": "rwm"}
FUSE = {"path": "/dev/f", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666}
KMSG = {"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 0o666}


def _runtime(request, workdir, name):
    """capsa or runc, through the systemd driver when CAPSA_TEST_SYSTEMD=1."""
    binary = h.CAPSA_BIN if name == "capsa" else (os.environ.get("RUNC_BIN") or
                                                  h.shutil.which("runc"))
    if not binary:
        pytest.skip("runc not installed (set RUNC_BIN)")
    if name == "runc" and os.environ.get("CAPSA_TEST_COMPARE_RUNC") == "0":
        pytest.skip("runc not compared here (CAPSA_TEST_COMPARE_RUNC=0: slow in emulation)")
    r = h.Runtime(name, binary, os.path.join(workdir, "state-" + name),
                  os.path.join(workdir, "io-" + name),
                  global_args=["--systemd-cgroup"] if SYSTEMD else [])
    request.node._capsa_runtimes.append(r)
    return r


@pytest.fixture(params=["capsa", "runc"])
def rt(request, workdir):
    return _runtime(request, workdir, request.param)


@pytest.fixture
def capsa_sd(request, workdir):
    return _runtime(request, workdir, "capsa")


def configure(bundle, cid, nodes, rules, *args):
    c = bundle.config
    c["linux"]["devices"] = nodes
    c["linux"]["resources"]["devices"] = rules
    # mknod is the attacker's other way to a node: give it CAP_MKNOD.
    for k in ("bounding", "effective", "permitted"):
        c["process"]["capabilities"][k].append("CAP_MKNOD")
    if SYSTEMD:
        c["linux"]["cgroupsPath"] = "system.slice:capsa-test:%s" % cid
    bundle.set_args(*args).write()


def probe_script(checks):
    """sh that tries each (path, mode) open and marks the helper's answer."""
    return "; ".join("echo @%s:%s; %s open %s %s" % (p, m, h.HELPER, p, m) for p, m in checks)


def parse_probe(out):
    """{"path:mode": "ok" | errno name}"""
    res, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = line[1:]
        elif cur and line.startswith("opened="):
            res[cur] = "ok"
        elif cur and line.startswith("errno_name="):
            res[cur] = line.split("=", 1)[1]
    return res


# The attacker: every way to write what it may only read, through the node it
# was given and through a node of the same numbers that it makes itself.
FUSE_ATTACK = [("/dev/f", "w"), ("/dev/f", "rw"), ("/dev/f2", "w"), ("/dev/f2", "rw")]


def test_node_with_read_rule_stays_read_only(rt, bundle, cid):
    """Docker's --device /dev/fuse:/dev/f:r: the node plus an "r" rule."""
    configure(bundle, cid, [FUSE], [DENY_ALL, {"allow": True, "type": "c", "major": 10,
                                           "minor": 229, "access": "r"}],
          "sh", "-c", "mknod /dev/f2 c 10 229 && chmod 666 /dev/f2; " +
          probe_script([("/dev/f", "r"), ("/dev/null", "w")] + FUSE_ATTACK))
    r = rt.run(bundle, cid)
    got = parse_probe(r.out)
    for p, m in FUSE_ATTACK:
        assert got.get("%s:%s" % (p, m)) == "EPERM", (rt.name, p, m, got, r)
    # The rule's own access works (ENODEV where the host has no fuse): not EPERM.
    assert got.get("/dev/f:r") not in (None, "EPERM"), (rt.name, got, r)
    assert got.get("/dev/null:w") == "ok", (rt.name, got, r)
    h.ensure_nothing_left(rt, cid, bundle)


def test_node_under_deny_all_is_unreachable(rt, bundle, cid):
    """A config that denies all devices and creates /dev/kmsg: no write to the host's
    kernel log (the open alone is refused; nothing is written on success either)."""
    configure(bundle, cid, [KMSG], [DENY_ALL], "sh", "-c",
          "mknod /dev/k2 c 1 11; " + probe_script([("/dev/kmsg", "w"), ("/dev/k2", "w")]))
    r = rt.run(bundle, cid)
    got = parse_probe(r.out)
    assert got == {"/dev/kmsg:w": "EPERM", "/dev/k2:w": "EPERM"}, (rt.name, got, r)
    h.ensure_nothing_left(rt, cid, bundle)


# ------------------------------------------------- systemd's copy of the rules (v2)

# What the fuse_r config allows: its rule, then runc's defaults (mknod of anything).
SCOPE_ALLOW = {"/dev/char/10:229 r", "char-* m", "block-* m", "/dev/char/1:3 rwm",
               "/dev/char/1:5 rwm", "/dev/char/1:7 rwm", "/dev/char/1:8 rwm",
               "/dev/char/1:9 rwm", "/dev/char/5:0 rwm", "/dev/char/5:1 rwm",
               "/dev/char/5:2 rwm", "char-136 rwm"}
ATTACK = [("/dev/f", "w"), ("/dev/f", "rw"), ("/dev/kmsg", "w")]


def systemctl(*args):
    return subprocess.run(["systemctl"] + list(args), capture_output=True, text=True,
                          timeout=60)


def assert_enforced(rt, cid, when):
    r = rt("exec", cid, "sh", "-c", probe_script(ATTACK + [("/dev/f", "r"),
                                                           ("/dev/null", "w")]))
    got = parse_probe(r.out)
    for p, m in ATTACK:
        assert got.get("%s:%s" % (p, m)) == "EPERM", (rt.name, when, p, m, got, r)
    assert got.get("/dev/f:r") not in (None, "EPERM"), (rt.name, when, got, r)
    assert got.get("/dev/null:w") == "ok", (rt.name, when, got, r)


def test_systemd_scope_carries_the_device_rules(capsa_sd, bundle, cid):
    """DevicePolicy=strict and one DeviceAllow per allowed device, as runc sets them;
    a daemon-reload and a set-property of something else (systemd attaches its
    program again) leave denied devices denied and allowed ones usable.  (runc
    1.1.5 fails the last part: it leaves /dev/char/M:m paths the host lacks out of
    DeviceAllow, so after the reload systemd's program denies even the "r" rule.)"""
    rt = capsa_sd
    if not SYSTEMD or not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        pytest.skip("needs the systemd driver on cgroup v2 (tests/cgroup-v2.sh, systemd mode)")
    configure(bundle, cid, [FUSE, KMSG], [DENY_ALL, {"allow": True, "type": "c", "major": 10,
                                                     "minor": 229, "access": "r"}],
              "sleep", "100")
    r = rt.run(bundle, cid, "--detach")
    assert r.rc == 0, r
    unit = "capsa-test-%s.scope" % cid
    show = systemctl("show", unit, "-p", "DevicePolicy", "-p", "DeviceAllow")
    lines = show.stdout.splitlines()
    assert "DevicePolicy=strict" in lines, (rt.name, show.stdout)
    allow = {l.split("=", 1)[1] for l in lines if l.startswith("DeviceAllow=")}
    assert allow == SCOPE_ALLOW, show.stdout
    assert_enforced(rt, cid, "at start")
    assert systemctl("daemon-reload").returncode == 0
    r = systemctl("set-property", "--runtime", unit, "CPUWeight=42")
    assert r.returncode == 0, r
    assert_enforced(rt, cid, "after daemon-reload and set-property")
    assert rt.kill(cid).rc == 0
    rt.wait_status(cid, "stopped")
    assert rt.delete(cid).rc == 0
    h.ensure_nothing_left(rt, cid, bundle)
