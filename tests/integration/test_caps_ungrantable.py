"""runtime-spec 1.1: a capability that is unknown, or that the runtime cannot grant,
MUST be logged as a warning and SHOULD NOT fail the container. capsa skips it, warns
once per name (on stderr or in --log, forwarded from the container process), and
grants exactly the other, grantable capabilities: an odd name smuggles nothing in.

This VM's bounding set lacks CAP_SYS_RESOURCE, so `docker run --privileged` asks for a
capability no process here can hold (runc 1.1.5 fails there with EPERM)."""

import os
import re

import pytest

import capsa_harness as h

# Capability numbers, in the kernel's order (include/uapi/linux/capability.h).
CAP_NAMES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
]
SETS = ("bounding", "effective", "permitted", "inheritable", "ambient")
FIELDS = {"bounding": "CapBnd", "effective": "CapEff", "permitted": "CapPrm",
          "inheritable": "CapInh", "ambient": "CapAmb"}
GRANTABLE = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE",
             "CAP_SYS_ADMIN"]


def bits(names):
    return sum(1 << CAP_NAMES.index(n) for n in names)


def host_bounding():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                return int(line.split()[1], 16)
    raise AssertionError("no CapBnd in /proc/self/status")


def ungrantable_cap():
    """A capability the kernel knows but our bounding set lacks (CAP_SYS_RESOURCE on
    this VM), or skip."""
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    bnd = host_bounding()
    for n in range(min(last + 1, len(CAP_NAMES))):
        if not bnd & (1 << n):
            return CAP_NAMES[n]
    pytest.skip("the bounding set here holds every capability: none is ungrantable")


def caps_inside(r):
    assert r.rc == 0, r
    return {k: int(v, 16) for k, v in r.facts.items() if k.startswith("Cap")}


def warnings_naming(text, name):
    """Warning lines that quote name (logfmt escapes the quotes)."""
    quoted = re.compile(r'\\?"%s\\?"' % re.escape(name))
    return [l for l in text.splitlines() if "warn" in l and quoted.search(l)]


def all_sets(names):
    return {s: list(names) for s in SETS}


def test_unknown_and_ungrantable_skipped_with_one_warning(capsa, bundle, cid):
    missing = ungrantable_cap()
    bundle.config["process"]["capabilities"] = all_sets(
        GRANTABLE[:2] + ["CAP_UNKNOWN", missing] + GRANTABLE[2:] + ["CAP_UNKNOWN"])
    bundle.helper("caps").write()
    r = capsa.run(bundle, cid)
    caps = caps_inside(r)
    # Root keeps all five sets: exactly the grantable requested capabilities.
    for s in SETS:
        assert caps[FIELDS[s]] == bits(GRANTABLE), (s, r)
    # Listed in five sets (CAP_UNKNOWN twice in each): one warning per name, with the
    # JSON path of its first use.
    for name, idx in (("CAP_UNKNOWN", 2), (missing, 3)):
        w = warnings_naming(r.err, name)
        assert len(w) == 1, (name, r)
        assert "process.capabilities.bounding[%d]" % idx in w[0], w
    assert "level=error" not in r.err, r


def test_exec_cap_unknown_and_ungrantable(capsa, bundle, cid, workdir):
    """`exec --cap` with an unknown and an ungrantable name: the exec runs with the
    config's capabilities plus the grantable one; the warnings reach --log once."""
    missing = ungrantable_cap()
    caps = bundle.config["process"]["capabilities"]
    for s in SETS:
        caps[s] = ["CAP_KILL"] if s in ("bounding", "effective", "permitted") else []
    bundle.set_args("sleep", "30").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    log = os.path.join(workdir, "exec.log")
    capsa.global_args = ["--log", log]
    r = capsa("exec", "--cap", "CAP_UNKNOWN", "--cap", missing, "--cap", "CAP_SYS_ADMIN",
              "--cap", "CAP_UNKNOWN", cid, h.HELPER, "caps")
    capsa.global_args = []
    got = caps_inside(r)
    want = bits(["CAP_KILL", "CAP_SYS_ADMIN"])
    assert (got["CapBnd"], got["CapEff"], got["CapPrm"]) == (want, want, want), r
    assert got["CapInh"] == got["CapAmb"] == 0, r
    text = open(log).read()
    for name in ("CAP_UNKNOWN", missing):
        assert len(warnings_naming(text, name)) == 1, (name, text)
    assert capsa.delete(cid, force=True).rc == 0


SMUGGLERS = ["CAP_ALL", "ALL", "all", "cap_sys_admin", "Cap_Sys_Admin", "21", "CAP_21",
             "CAP_SYS_ADMIN ", " CAP_SYS_ADMIN", "CAP_SYS_ADMIN\n",
             "CAP_SYS_ADMIN,CAP_NET_ADMIN", "CAP_SYS_ADMIN=ep", "=ep", "", "CAP_",
             "CAP_SYS_MODULE\nlevel=error msg=forged"]


def test_unknown_names_smuggle_nothing(capsa, bundle, cid):
    """Names that only look like capabilities (other case, numbers, lists, libcap's
    text forms, trailing bytes) grant nothing in any set; a name holding a newline
    cannot forge a log line."""
    bundle.config["process"]["capabilities"] = all_sets(["CAP_KILL"] + SMUGGLERS)
    bundle.helper("caps").write()
    r = capsa.run(bundle, cid)
    caps = caps_inside(r)
    for s in SETS:
        assert caps[FIELDS[s]] == bits(["CAP_KILL"]), (s, r)
    assert not any(l.startswith("level=error") or "msg=forged" in l.split('"')[0]
                   for l in r.err.splitlines()), r
    assert len(warnings_naming(r.err, "CAP_ALL")) == 1, r


def test_user_namespace_grants_its_own_full_set(capsa, bundle, cid):
    """In a new user namespace every capability of that namespace can be granted, the
    one our bounding set lacks too: grantability is judged where the process is."""
    missing = ungrantable_cap()
    if not os.path.exists("/proc/self/ns/user"):
        pytest.skip("kernel has no user namespace")
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    m = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.config["linux"]["uidMappings"] = m
    bundle.config["linux"]["gidMappings"] = m
    bundle.config["process"]["capabilities"] = all_sets(["CAP_KILL", missing])
    bundle.helper("caps").write()
    r = capsa.run(bundle, cid)
    caps = caps_inside(r)
    for s in SETS:
        assert caps[FIELDS[s]] == bits(["CAP_KILL", missing]), (s, r)
    assert not warnings_naming(r.err, missing), r


def test_nul_in_a_name_is_refused(capsa, bundle, cid):
    """JSON may carry "\\u0000"; a C string would end there and "CAP_SYS_ADMIN\\u0000x",
    a name no runtime knows, would become CAP_SYS_ADMIN. The config is refused."""
    bundle.config["process"]["capabilities"] = all_sets(["CAP_KILL", "CAP_SYS_ADMIN\u0000x"])
    bundle.helper("caps").write()
    h.create_fails(capsa, bundle, cid, "NUL")
