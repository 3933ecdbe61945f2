"""linux.netDevices (runtime-spec 1.3, config-linux.md "Network Devices"): host
network devices moved into the container's network namespace, renamed, with their
permanent global addresses, up. This host has veth but no dummy driver, so each test
makes a veth pair: one end goes in, the other stays on the host (in a netns of the
test) to ping across.

The spec says a runtime MUST NOT move a device out of the namespace before deleting
the container: when the namespace dies, the kernel moves physical devices back to
the initial namespace and destroys virtual ones (a veth together with its peer).
The tests check exactly that, and that a namespace joined by path keeps its device.
"""

import json
import os
import subprocess
import time
import uuid

import pytest

import capsa_harness as h


def ip(*args, check=True):
    r = subprocess.run(["ip"] + list(args), capture_output=True, text=True)
    if check:
        assert r.returncode == 0, (args, r.stderr)
    return r


def link_exists(name, netns=None):
    pre = ["-n", netns] if netns else []
    return ip(*pre, "link", "show", "dev", name, check=False).returncode == 0


def addrs(name, netns=None):
    pre = ["-n", netns] if netns else []
    out = ip(*pre, "-o", "addr", "show", "dev", name).stdout
    return [line.split()[3] for line in out.splitlines()]


class Veth:
    """A veth pair: `inner` for the container, `outer` kept by the test in a netns of
    its own (so the host's routes never see the test subnet) with the peer address."""

    def __init__(self, n):
        tag = uuid.uuid4().hex[:6]
        self.inner, self.outer, self.ns = "cn%si" % tag, "cn%so" % tag, "capsa-nd-" + tag
        self.n, self.net = n, "10.251.%d" % n

    def setup(self):
        n = self.n
        ip("netns", "add", self.ns)
        ip("link", "add", self.inner, "type", "veth", "peer", "name", self.outer,
           "netns", self.ns)
        ip("-n", self.ns, "addr", "add", self.net + ".1/24", "dev", self.outer)
        ip("-n", self.ns, "link", "set", self.outer, "up")
        ip("addr", "add", self.net + ".2/24", "dev", self.inner)
        ip("addr", "add", "fd00:ca:%d::2/64" % n, "dev", self.inner, "nodad")
        # Not of global scope: the spec leaves it behind.
        ip("addr", "add", "169.254.%d.2/16" % n, "scope", "link", "dev", self.inner)

    def cleanup(self):
        ip("link", "del", self.inner, check=False)
        ip("netns", "del", self.ns, check=False)


@pytest.fixture
def veths():
    made = []

    def make():
        v = Veth(len(made) + 1 + (os.getpid() % 50) * 4)
        made.append(v)
        try:
            v.setup()
        except AssertionError as e:
            pytest.skip("cannot make a veth pair in a netns: %s" % e)
        return v
    yield make
    for v in made:
        v.cleanup()


def with_devices(bundle, devices, caps=("CAP_NET_RAW",)):
    bundle.config["linux"]["netDevices"] = devices
    for k in bundle.config["process"]["capabilities"].values():
        k.extend(caps)
    return bundle


def test_features_report_net_devices(capsa):
    r = capsa("features")
    assert r.rc == 0, r
    assert json.loads(r.out)["linux"]["netDevices"] == {"enabled": True}, r.out


def test_moved_in_renamed_with_addresses_up_and_pinging(capsa, bundle, cid, veths):
    v = veths()
    with_devices(bundle, {v.inner: {"name": "ctr0"}})
    bundle.set_args("sh", "-c", "ls /sys/class/net; ip -o addr show dev ctr0; "
                    "cat /sys/class/net/ctr0/operstate; "
                    "ping -c 1 -W 3 %s.1 >/dev/null && echo pinged" % v.net).write()
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    out = r.out.split()
    assert "ctr0" in out and v.inner not in out, r.out
    assert "%s.2/24" % v.net in out, r.out
    assert "fd00:ca:%s::2/64" % v.net.split(".")[2] in out, r.out
    assert not any(a.startswith("169.254.") for a in out), r.out  # link scope stays behind
    assert "up" in out and "pinged" in out, r.out
    h.ensure_nothing_left(capsa, cid, bundle)


def test_moved_in_under_its_own_name(capsa, bundle, cid, veths):
    v = veths()
    with_devices(bundle, {v.inner: {}})
    bundle.set_args("sh", "-c", "ip -o addr show dev %s; ping -c 1 -W 3 %s.1 >/dev/null "
                    "&& echo pinged" % (v.inner, v.net)).write()
    assert capsa.create(bundle, cid).rc == 0
    # Created, not started: the device has already left the host.
    assert not link_exists(v.inner)
    assert capsa.start(cid).rc == 0
    capsa.wait_status(cid, "stopped")
    r = capsa.delete(cid)
    assert r.rc == 0, r


def test_template_name_numbered_by_the_kernel(capsa, bundle, cid, veths):
    v = veths()
    with_devices(bundle, {v.inner: {"name": "net%d"}})
    bundle.set_args("sh", "-c", "ip -o addr show dev net0").write()
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    assert "%s.2/24" % v.net in r.out.split(), r.out


def test_veth_dies_with_the_namespace_after_delete_force(capsa, bundle, cid, veths):
    """Not moved back (spec: MUST NOT); the kernel destroys the veth, and so its
    host peer, when the killed container's namespace goes."""
    v = veths()
    with_devices(bundle, {v.inner: {"name": "ctr0"}})
    bundle.set_args("sleep", "300").write()
    assert capsa.create(bundle, cid).rc == 0
    assert capsa.start(cid).rc == 0
    assert link_exists(v.outer, v.ns)
    assert capsa.kill(cid, "KILL").rc == 0
    capsa.wait_status(cid, "stopped")
    assert capsa.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)
    assert not link_exists(v.inner) and not link_exists("ctr0")
    # Destruction of a dead namespace is asynchronous.
    deadline = time.monotonic() + 5
    while link_exists(v.outer, v.ns) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not link_exists(v.outer, v.ns), "the veth peer outlived the namespace"


def test_joined_namespace_keeps_the_device(capsa, bundle, cid, veths):
    """A namespace joined by path is not the container's to clean up: after delete
    the device is still there, renamed, with its address."""
    v = veths()
    pod = v.ns + "p"
    ip("netns", "add", pod)
    try:
        for n in bundle.config["linux"]["namespaces"]:
            if n["type"] == "network":
                n["path"] = "/run/netns/" + pod
        with_devices(bundle, {v.inner: {"name": "ctr0"}})
        bundle.set_args("sh", "-c", "ping -c 1 -W 3 %s.1 >/dev/null && echo pinged"
                        % v.net).write()
        r = capsa.run(bundle, cid)
        assert r.rc == 0 and "pinged" in r.out, r
        h.ensure_nothing_left(capsa, cid, bundle)
        assert "%s.2/24" % v.net in addrs("ctr0", pod)
        assert not link_exists(v.inner)
    finally:
        ip("netns", "del", pod, check=False)


def logged(text):
    """As the error log line quotes it."""
    return text.replace('"', '\\"')


def _stays_on_host(v):
    assert link_exists(v.inner), "%s left the host" % v.inner
    assert "%s.2/24" % v.net in addrs(v.inner)


@pytest.mark.parametrize("devices,needle", [
    (lambda v: {v.inner: {"name": "abcdefghijklmnop"}},
     'linux.netDevices["{inner}"].name: invalid device name "abcdefghijklmnop": longer than 15'),
    (lambda v: {v.inner: {"name": "a/b"}},
     'linux.netDevices["{inner}"].name: invalid device name "a/b"'),
    (lambda v: {v.inner: {"name": "ctr0"}, "lo": {"name": "ctr0"}},
     'linux.netDevices["lo"].name: "ctr0" is also the name of linux.netDevices["{inner}"]'),
    (lambda v: {v.inner: {}, "nosuchdev0": {}},
     'linux.netDevices["nosuchdev0"]: no network device "nosuchdev0" on the host'),
])
def test_bad_input_refused_before_anything(capsa, bundle, cid, veths, devices, needle):
    v = veths()
    with_devices(bundle, devices(v)).set_args("true").write()
    h.create_fails(capsa, bundle, cid, logged(needle.format(inner=v.inner)))
    _stays_on_host(v)


def test_no_network_namespace_refused(capsa, bundle, cid, veths):
    v = veths()
    ns = bundle.config["linux"]["namespaces"]
    ns[:] = [n for n in ns if n["type"] != "network"]
    with_devices(bundle, {v.inner: {}}).set_args("true").write()
    h.create_fails(capsa, bundle, cid, "linux.netDevices: moving network devices needs a "
                   "network namespace")
    _stays_on_host(v)


def test_failed_move_takes_the_others_back(capsa, bundle, cid, veths):
    """The second device cannot take the name "lo" in the container: create fails
    and the first one, already moved, is back on the host as it was."""
    v, w = veths(), veths()
    ip("link", "set", v.inner, "up")
    with_devices(bundle, {v.inner: {"name": "ctr0"}, w.inner: {"name": "lo"}})
    bundle.set_args("true").write()
    h.create_fails(capsa, bundle, cid, logged('linux.netDevices["%s"]: as "lo"' % w.inner))
    for d in (v, w):
        _stays_on_host(d)
        assert "fd00:ca:%s::2/64" % d.net.split(".")[2] in addrs(d.inner)
    assert "UP" in ip("link", "show", "dev", v.inner).stdout.split("<")[1].split(">")[0]


def test_moved_into_a_user_namespaced_container(capsa, bundle, cid, veths):
    """The container's network namespace belongs to its user namespace: the host
    side still moves the device and sets its address and state there."""
    v = veths()
    cfg = bundle.config
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/sys/fs/cgroup"]
    with_devices(bundle, {v.inner: {"name": "ctr0"}})
    bundle.set_args("sh", "-c", "ip -o addr show dev ctr0; ping -c 1 -W 3 %s.1 >/dev/null "
                    "&& echo pinged" % v.net).write()
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    assert "%s.2/24" % v.net in r.out.split() and "pinged" in r.out, r.out


def test_create_failing_later_gives_the_devices_back(capsa, bundle, cid, veths):
    """The init fails after the move (process.args[0] does not exist): create fails,
    and the device is back on the host as it was, not destroyed with the namespace."""
    v = veths()
    ip("link", "set", v.inner, "up")
    with_devices(bundle, {v.inner: {"name": "ctr0"}}).set_args("/no/such/binary").write()
    h.create_fails(capsa, bundle, cid, "/no/such/binary")
    _stays_on_host(v)
    assert "fd00:ca:%s::2/64" % v.net.split(".")[2] in addrs(v.inner)
    assert ",UP" in ip("link", "show", "dev", v.inner).stdout
    # Still a working pair: the peer was not destroyed with the namespace.
    assert link_exists(v.outer, v.ns)


def test_no_host_handle_reaches_the_container(capsa, bundle, cid, veths):
    """The host side did the move: the container's process, even with
    CAP_NET_ADMIN and CAP_SYS_ADMIN, holds no fd (a host netns or rtnetlink socket
    would let it reach the host's network) and sees only its own devices."""
    v = veths()
    with_devices(bundle, {v.inner: {"name": "ctr0"}},
                 caps=("CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_NET_RAW"))
    bundle.helper("fds").write()
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts["fds"] == "0,1,2", r.out
    bundle.set_args("ls", "/sys/class/net").write()
    cid2 = cid + "b"
    v2 = veths()
    bundle.config["linux"]["netDevices"] = {v2.inner: {"name": "ctr0"}}
    bundle.write()
    r = capsa.run(bundle, cid2)
    assert r.rc == 0, r
    assert sorted(r.out.split()) == ["ctr0", "lo"], r.out
