"""Device escapes through the config and the image: device numbers beyond the
kernel's dev_t or negative (truncated into another device, or read as a wildcard)
are refused before anything is made, with the JSON path named; an image's
/dev/ptmx that is an absolute symlink to a host node gives the container no host
pty, with openat2 and with the userspace resolver that replaces it."""

import os
import platform

import pytest

import capsa_harness as h

KMSG_RULE_2_32 = 4294967296 + 11      # (int32_t) 11: "c 1:11" in the eBPF program


@pytest.mark.parametrize("where,value,path", [
    ("node", {"major": 4294967297}, "linux.devices[0].major"),      # makedev: major 1
    ("node", {"minor": 1 << 20}, "linux.devices[0].minor"),
    ("node", {"major": -1}, "linux.devices[0].major"),
    ("rule", {"minor": KMSG_RULE_2_32}, "linux.resources.devices[1].minor"),
    ("rule", {"major": -2}, "linux.resources.devices[1].major"),
    ("rule", {"major": 4096}, "linux.resources.devices[1].major"),
])
def test_device_numbers_out_of_range(capsa, bundle, cid, where, value, path):
    c = bundle.config
    node = {"path": "/dev/x", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666}
    rule = {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"}
    (node if where == "node" else rule).update(value)
    c["linux"]["devices"] = [node]
    c["linux"]["resources"]["devices"].append(rule)
    bundle.helper("open", "/dev/kmsg", "w").write()
    h.create_fails(capsa, bundle, cid, path + ": value %d out of range" % list(value.values())[0])


# ---------------------------------------------------------------- /dev/ptmx (item 9)

SECCOMP_WRAPPER = """#!/usr/bin/python3
# Run capsa where openat2 does not exist: a seccomp filter answers ENOSYS, as
# a kernel before 5.6 or a container manager's profile does.
import ctypes, os, struct, sys
AUDIT_ARCH_X86_64, NR_OPENAT2, ENOSYS = 0xC000003E, 437, 38
insns = [(0x20, 0, 0, 4), (0x15, 0, 3, AUDIT_ARCH_X86_64), (0x20, 0, 0, 0),
         (0x15, 0, 1, NR_OPENAT2), (0x06, 0, 0, 0x00050000 | ENOSYS), (0x06, 0, 0, 0x7FFF0000)]
code = b"".join(struct.pack("HBBI", *i) for i in insns)
buf = ctypes.create_string_buffer(code, len(code))
prog = struct.pack("HxxxxxxP", len(insns), ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(22, 2, ctypes.c_char_p(prog), 0, 0) != 0:   # PR_SET_SECCOMP, FILTER
    sys.exit("seccomp: errno %%d" %% ctypes.get_errno())
os.execv(%r, [%r] + sys.argv[1:])
"""


def _no_openat2_runtime(request, workdir):
    """capsa under a seccomp filter that makes openat2 ENOSYS."""
    if platform.machine() != "x86_64":
        pytest.skip("the openat2 filter is written for x86_64")
    wrapper = os.path.join(workdir, "capsa-no-openat2")
    with open(wrapper, "w") as f:
        f.write(SECCOMP_WRAPPER % (h.CAPSA_BIN, h.CAPSA_BIN))
    os.chmod(wrapper, 0o755)
    rt = h.Runtime("capsa", wrapper, os.path.join(workdir, "state-noat2"),
                   os.path.join(workdir, "io-noat2"))
    request.node._capsa_runtimes.append(rt)
    return rt


def _console_stat_to_file(bundle):
    """Facts of /dev/console go to a file in the rootfs, not through the pty: the
    last output of a process that exits at once can be lost on its way through
    the terminal (a race of the foreground proxy, seen in the slow v2 guest)."""
    bundle.config["root"]["readonly"] = False
    bundle.set_args("sh", "-c", "%s stat /dev/console > /console.facts" % h.HELPER)


def _run_on_a_pty(rt, bundle, cid, env):
    """A foreground terminal needs one of ours to proxy to (as runc's): one we hold."""
    master, slave = os.openpty()
    try:
        return rt.run(bundle, cid, env=env, stdin=slave)
    finally:
        os.close(slave)
        os.close(master)


def _console_facts(bundle):
    with open(os.path.join(bundle.rootfs, "console.facts")) as f:
        return h.facts(f.read())


@pytest.mark.parametrize("resolver", ["openat2", "env-fallback", "enosys"])
@pytest.mark.parametrize("target", ["/dev/ptmx", "/dev/pts/ptmx"])
def test_image_ptmx_symlink_to_host(request, capsa, workdir, bundle, cid, resolver, target):
    """The image's /dev is used as it is (no tmpfs, no devpts over it), and its
    /dev/ptmx points at the host's multiplexer. The pty must come from inside the
    rootfs or not at all: a host pty as the container's console would be a host
    terminal the container reads and writes (and its numbers in the host's devpts)."""
    c = bundle.config
    c["mounts"] = [m for m in c["mounts"] if m["destination"] not in ("/dev", "/dev/pts")]
    c["process"]["terminal"] = True
    dev = os.path.join(bundle.rootfs, "dev")
    os.makedirs(dev, exist_ok=True)
    os.symlink(target, os.path.join(dev, "ptmx"))
    _console_stat_to_file(bundle)
    bundle.write()
    host_devpts = os.stat("/dev/pts/ptmx").st_dev
    env = dict(os.environ)
    rt = capsa
    if resolver == "env-fallback":
        env["CAPSA_TEST_NO_OPENAT2"] = "1"
    elif resolver == "enosys":
        rt = _no_openat2_runtime(request, workdir)
    r = _run_on_a_pty(rt, bundle, cid, env)
    if r.rc == 0:
        f = _console_facts(bundle)
        assert f.get("type") == "char", r
        got = tuple(int(x) for x in f["dev"].split(":"))
        assert got != (os.major(host_devpts), os.minor(host_devpts)), \
            ("the container's console is a pty of the host's devpts", resolver, r)
    else:
        assert "open /dev/ptmx of the container" in r.err, r
    # The link is the image's own business: it is left as it was.
    assert os.readlink(os.path.join(dev, "ptmx")) == target
    h.ensure_nothing_left(rt, cid, bundle)


@pytest.mark.parametrize("resolver", ["env-fallback", "enosys"])
def test_ptmx_without_openat2_still_works(request, capsa, workdir, bundle, cid, resolver):
    """The usual layout (devpts on /dev/pts, /dev/ptmx -> pts/ptmx) through the
    userspace resolver: the container gets a pty of its own devpts instance."""
    bundle.config["process"]["terminal"] = True
    _console_stat_to_file(bundle)
    bundle.write()
    env = dict(os.environ)
    rt = capsa
    if resolver == "env-fallback":
        env["CAPSA_TEST_NO_OPENAT2"] = "1"
    else:
        rt = _no_openat2_runtime(request, workdir)
    r = _run_on_a_pty(rt, bundle, cid, env)
    assert r.rc == 0, r
    f = _console_facts(bundle)
    host_devpts = os.stat("/dev/pts/ptmx").st_dev
    assert f["type"] == "char" and f["rdev"].startswith("136:"), r
    assert f["dev"] != "%d:%d" % (os.major(host_devpts), os.minor(host_devpts)), r
    h.ensure_nothing_left(rt, cid, bundle)
