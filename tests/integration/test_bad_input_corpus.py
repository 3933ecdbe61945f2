"""A bad-input corpus through the real binary (issue 12): malformed JSON, wrong
types, huge and negative numbers, empty and unknown values, relative paths, a
rootfs that is a file or the host's /. Each create exits 1 with a message that
names the JSON path (or the file) and leaves nothing behind."""

import json

import pytest

import capsa_harness as h


def at(path, value):
    def edit(c):
        o = c
        for k in path[:-1]:
            o = o[k]
        o[path[-1]] = value
    return edit


# name -> (edit of the default config, text the message must contain)
CASES = {
    "uid-negative": (at(["process", "user", "uid"], -1), "process.user.uid"),
    "uid-2^32": (at(["process", "user", "uid"], 2 ** 32), "process.user.uid"),
    "uid-2^64": (at(["process", "user", "uid"], 2 ** 64), "process.user.uid"),
    "uid-float": (at(["process", "user", "uid"], 1.5), "process.user.uid"),
    "rlimit-negative": (at(["process", "rlimits"],
                           [{"type": "RLIMIT_NOFILE", "hard": -1, "soft": 1}]),
                        "process.rlimits[0].hard"),
    "rlimit-unknown": (at(["process", "rlimits"],
                          [{"type": "RLIMIT_FOO", "hard": 1, "soft": 1}]),
                       "process.rlimits[0].type"),
    "oom-score-huge": (at(["process", "oomScoreAdj"], 5000), "process.oomScoreAdj"),
    "memory-2^70": (at(["linux", "resources", "memory"], {"limit": 2 ** 70}),
                    "linux.resources.memory.limit"),
    "cpu-shares-negative": (at(["linux", "resources", "cpu"], {"shares": -5}),
                            "linux.resources.cpu.shares"),
    "pids-string": (at(["linux", "resources", "pids"], {"limit": "10"}),
                    "linux.resources.pids.limit"),
    "console-negative": (at(["process", "consoleSize"], {"height": -1, "width": 5}),
                         "process.consoleSize.height"),
    "namespaces-object": (at(["linux", "namespaces"], {}), "linux.namespaces"),
    "mounts-object": (at(["mounts"], {}), "mounts"),
    "root-string": (at(["root"], "rootfs"), "root"),
    "hostname-number": (at(["hostname"], 5), "hostname"),
    "terminal-string": (at(["process", "terminal"], "yes"), "process.terminal"),
    "env-number": (at(["process", "env"], [5]), "process.env[0]"),
    "args-null": (at(["process", "args"], None), "process.args"),
    "masked-relative": (lambda c: c["linux"]["maskedPaths"].append("proc/kcore"),
                        "linux.maskedPaths[10]"),
    "hook-relative": (at(["hooks"], {"prestart": [{"path": "bin/true"}]}),
                      "hooks.prestart[0].path"),
    "seccomp-unknown-action": (at(["linux", "seccomp"], {"defaultAction": "SCMP_ACT_FOO"}),
                               "linux.seccomp.defaultAction"),
    "uidmap-without-userns": (at(["linux", "uidMappings"],
                                 [{"containerID": 0, "hostID": 1000, "size": 1}]),
                              "linux.uidMappings"),
    "userns-without-maps": (lambda c: c["linux"]["namespaces"].append({"type": "user"}),
                            "linux.uidMappings"),
    "device-unknown-type": (at(["linux", "devices"],
                               [{"path": "/dev/x", "type": "z", "major": 1, "minor": 1}]),
                            "linux.devices[0].type"),
    "device-negative-major": (at(["linux", "devices"],
                                 [{"path": "/dev/x", "type": "c", "major": -1, "minor": 1}]),
                              "linux.devices[0].major"),
    "sysctl-host": (at(["linux", "sysctl"], {"foo.bar": "1"}), "linux.sysctl"),
    "rootfs-is-a-file": (at(["root", "path"], "config.json"), "root.path"),
}

RAW = {
    "empty-file": b"",
    "array": b"[]",
    "null": b"null",
    "trailing-garbage": b"{}x",
    "deep-nesting": b'{"annotations":' + b"[" * 100000 + b"]" * 100000 + b"}",
    "bad-utf8": b'{"ociVersion": "\xff\xfe"}',
    "number-overflow": b'{"ociVersion": "1.0.2", "process": {"user": {"uid": 1e400}}}',
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config(capsa, bundle, cid, name):
    edit, needle = CASES[name]
    bundle.config["process"]["args"] = [h.HELPER, "true"]
    edit(bundle.config)
    bundle.write()
    r = h.create_fails(capsa, bundle, cid, needle)
    assert r.rc == 1, r


@pytest.mark.parametrize("name", sorted(RAW))
def test_malformed_json(capsa, bundle, cid, name):
    with open(bundle.config_path, "wb") as f:
        f.write(RAW[name])
    r = h.create_fails(capsa, bundle, cid, "config.json")
    assert r.rc == 1, r


def test_rootfs_is_the_host_root(capsa, bundle, cid):
    """root.path resolving to the host's /: the container's cgroup mounts land on the
    very /sys/fs/cgroup paths that were being read from a live mountinfo, which grew
    without end (baseline: tens of thousands of mounts, create never returned)."""
    bundle.config["process"]["args"] = [h.HELPER, "true"]
    bundle.config["root"]["path"] = "../" * (bundle.path.count("/") + 1)
    bundle.write()
    r = capsa.create(bundle, cid, timeout=20)
    # No capsa-test-helper in the host's /bin: create fails, at the exec lookup.
    assert r.rc == 1 and "capsa-test-helper" in r.err, r
    h.ensure_nothing_left(capsa, cid, bundle)


@pytest.mark.parametrize("sig", ["SIGFOO", "FOO", "99", "-1"])
def test_kill_with_unknown_signal(capsa, bundle, cid, sig):
    bundle.config["process"]["args"] = [h.HELPER, "sleep", "60"]
    bundle.write()
    assert capsa.create(bundle, cid).rc == 0
    r = capsa.kill(cid, sig)
    assert r.rc == 1 and "signal" in r.err.lower(), r
    assert capsa.state(cid)["status"] == "created"
    assert capsa.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)
