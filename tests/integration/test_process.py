"""process.*: args, env, cwd, user uid/gid/additionalGids, umask, rlimits, oomScoreAdj;
hostname, domainname and sysctl."""

import os

import capsa_harness as h


def test_args_passed_verbatim(runtime, bundle, cid):
    bundle.set_args("sh", "-c", 'for a in "$@"; do echo "[$a]"; done', "sh",
                    "two words", "", "*", "$HOME").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.out.splitlines() == ["[two words]", "[]", "[*]", "[$HOME]"], r


def test_args_path_lookup(runtime, bundle, cid):
    """args[0] without a slash is found through the container's PATH."""
    bundle.set_args("capsa-test-helper", "umask").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and "umask" in r.facts, r


def test_env_exact(runtime, bundle, cid):
    bundle.config["process"]["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY=", "X=1=2"]
    bundle.helper("env").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    env = r.out.splitlines()
    for e in ("PATH=/bin", "FOO=bar baz", "EMPTY=", "X=1=2"):
        assert e in env, (e, env)
    # Nothing of the runtime's own environment leaks in (HOME is added as runc does).
    assert not [e for e in env if e.startswith(("PYTEST", "CAPSA_BIN"))], env


def test_home_set_from_passwd(runtime, bundle, cid):
    bundle.config["process"]["env"] = ["PATH=/bin"]
    bundle.helper("env").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert "HOME=/root" in r.out.splitlines(), r


def test_exec_home_set_from_passwd(runtime, bundle, cid):
    """Regression: exec'd processes got no HOME (only the init did); runc sets it."""
    bundle.config["process"]["env"] = ["PATH=/bin"]
    bundle.helper("sleep", "30").write()
    assert runtime.run(bundle, cid, "-d").rc == 0
    runtime.pids[cid] = runtime.state(cid)["pid"]
    r = runtime("exec", cid, h.HELPER, "env")
    assert r.rc == 0 and "HOME=/root" in r.out.splitlines(), r
    r = runtime("exec", "--user", "1000:1000", cid, h.HELPER, "env")
    assert r.rc == 0 and "HOME=/home/test" in r.out.splitlines(), r
    r = runtime("exec", "--env", "HOME=/mine", cid, h.HELPER, "env")
    assert r.rc == 0 and [e for e in r.out.splitlines() if e.startswith("HOME=")] == \
        ["HOME=/mine"], r
    assert runtime.delete(cid, force=True).rc == 0


def test_home_of_other_users(runtime, bundle, cid):
    """HOME comes from the container's passwd entry of process.user.uid, "/" without one."""
    bundle.config["process"]["env"] = ["PATH=/bin"]
    with open(os.path.join(bundle.rootfs, "etc", "passwd"), "a") as f:
        f.write("app:x:1234:1234:app:/srv/app:/bin/sh\n")
    bundle.config["process"]["user"] = {"uid": 1234, "gid": 1234}
    bundle.helper("env").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and "HOME=/srv/app" in r.out.splitlines(), r
    bundle.config["process"]["user"] = {"uid": 4242, "gid": 4242}
    bundle.write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and "HOME=/" in r.out.splitlines(), r
    # An explicit HOME wins.
    bundle.config["process"]["env"] = ["PATH=/bin", "HOME=/mine"]
    bundle.write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and [e for e in r.out.splitlines() if e.startswith("HOME=")] == \
        ["HOME=/mine"], r


def test_cwd(runtime, bundle, cid):
    bundle.config["process"]["cwd"] = "/tmp"
    bundle.helper("cwd").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and r.facts["cwd"] == "/tmp", r


def test_cwd_created_when_missing(runtime, bundle, cid):
    bundle.config["process"]["cwd"] = "/work/here"
    bundle.helper("cwd").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and r.facts["cwd"] == "/work/here", r


def test_user_uid_gid_additional_gids(runtime, bundle, cid):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1001,
                                        "additionalGids": [5, 100, 2000]}
    bundle.helper("ids").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    f = r.facts
    assert (f["uid"], f["euid"], f["gid"], f["egid"]) == ("1000", "1000", "1001", "1001"), f
    assert set(f["groups"].split(",")) >= {"5", "100", "2000"}, f


def test_exec_user_and_additional_gids(runtime, bundle, cid):
    """exec --user uid:gid and --additional-gids (lc_parse_user, lc_parse_additional_gids,
    fuzzed by tests/fuzz/fuzz_user_spec): strict decimal, a bad one refused by name."""
    bundle.helper("sleep", "30").write()
    assert runtime.run(bundle, cid, "-d").rc == 0
    runtime.pids[cid] = runtime.state(cid)["pid"]
    r = runtime("exec", "--user", "1000:1001", "--additional-gids", "5",
                "--additional-gids", "2000", cid, h.HELPER, "ids")
    assert r.rc == 0, r
    f = r.facts
    assert (f["uid"], f["gid"]) == ("1000", "1001"), f
    assert set(f["groups"].split(",")) == {"5", "2000"}, f
    for args, bad in ((["--user", "1000:x"], "--user"), (["--user", "4294967295"], "--user"),
                      (["--additional-gids", "5", "--additional-gids", "+7"], "+7"),
                      (["--additional-gids", "4294967296"], "4294967296")):
        r = runtime("exec", *args, cid, h.HELPER, "ids")
        assert r.rc != 0 and bad in r.err and "uid=" not in r.out, (args, r)
    assert runtime.delete(cid, force=True).rc == 0


def test_user_root_has_no_extra_groups(runtime, bundle, cid):
    bundle.helper("ids").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts["groups"] in ("", "0"), r


def test_umask(runtime, bundle, cid):
    bundle.config["process"]["user"]["umask"] = 0o077
    bundle.helper("umask").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and r.facts["umask"] == "0077", r


def test_default_umask(runtime, bundle, cid):
    bundle.helper("umask").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and r.facts["umask"] == "0022", r


def test_rlimits(runtime, bundle, cid):
    bundle.config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
    ]
    bundle.helper("rlimits").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    f = r.facts
    assert f["RLIMIT_NOFILE"] == "512 1024", f
    assert f["RLIMIT_CORE"] == "0 0", f
    assert f["RLIMIT_NPROC"] == "300 400", f


def test_oom_score_adj(runtime, bundle, cid):
    bundle.config["process"]["oomScoreAdj"] = 500
    bundle.helper("read", "/proc/self/oom_score_adj").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and r.out.strip() == "500", r


def test_hostname_domainname(runtime, bundle, cid):
    bundle.config["hostname"] = "box1"
    bundle.config["domainname"] = "example.org"
    bundle.helper("hostname").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and r.facts["hostname"] == "box1", r
    if runtime.name != "runc":  # runc 1.1.5 ignores domainname
        assert r.facts["domainname"] == "example.org", r


def test_sysctl(runtime, bundle, cid):
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1",
                                        "kernel.msgmax": "4096"}
    bundle.set_args("sh", "-c", "cat /proc/sys/net/ipv4/ip_forward "
                    "/proc/sys/kernel/msgmax").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0 and r.out.split() == ["1", "4096"], r
    # The host's value is untouched (the container has its own ipc namespace).
    assert open("/proc/sys/kernel/msgmax").read().strip() != "4096"


def test_sysctl_outside_namespace_refused(runtime, bundle, cid):
    """A sysctl no namespace isolates would change the host: refused (capsa wrote the
    host's vm.swappiness before)."""
    host = open("/proc/sys/vm/swappiness").read()
    other = "17" if host.strip() != "17" else "18"
    bundle.config["linux"]["sysctl"] = {"vm.swappiness": other}
    bundle.set_args("true").write()
    r = h.create_fails(runtime, bundle, cid)
    assert "vm.swappiness" in r.err, r
    assert open("/proc/sys/vm/swappiness").read() == host


def test_sysctl_net_needs_network_namespace(runtime, bundle, cid):
    bundle.config["linux"]["namespaces"] = [
        n for n in bundle.config["linux"]["namespaces"] if n["type"] != "network"]
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    bundle.set_args("true").write()
    r = h.create_fails(runtime, bundle, cid)
    assert "net.ipv4.ip_forward" in r.err, r


def test_sysctl_kernel_hostname_conflicts_with_field(runtime, bundle, cid):
    """kernel.hostname in a new uts namespace would silently override "hostname" (it
    is written last): refused with the JSON path and the key, in either spelling, as
    runc refuses it, with or without the field."""
    for key, hostname in (("kernel.hostname", "box1"), ("kernel/hostname", "box1"),
                          ("kernel.hostname", None)):
        if hostname:
            bundle.config["hostname"] = hostname
        else:
            bundle.config.pop("hostname", None)
        bundle.config["linux"]["sysctl"] = {key: "from-sysctl"}
        bundle.helper("hostname").write()
        h.create_fails(runtime, bundle, cid, "linux.sysctl", key, "hostname")


def test_sysctl_kernel_domainname_conflicts_with_field(capsa, bundle, cid):
    """With "domainname" set, kernel.domainname is a second, conflicting value (runc
    1.1.5 knows no domainname field and takes the sysctl)."""
    bundle.config["domainname"] = "example.org"
    bundle.config["linux"]["sysctl"] = {"kernel.domainname": "other.org"}
    bundle.helper("hostname").write()
    h.create_fails(capsa, bundle, cid, "linux.sysctl", "kernel.domainname", "domainname")


def test_sysctl_kernel_domainname_alone_is_set(runtime, bundle, cid):
    """Without the field, kernel.domainname is the only value: it starts and is set
    (runc accepts it the same way)."""
    bundle.config.pop("domainname", None)
    bundle.config["hostname"] = "box1"
    bundle.config["linux"]["sysctl"] = {"kernel.domainname": "from-sysctl.org"}
    bundle.helper("hostname").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert (r.facts["hostname"], r.facts["domainname"]) == ("box1", "from-sysctl.org"), r


def test_stdio_passed_through(runtime, bundle, cid):
    bundle.set_args("sh", "-c", "read x; echo got=$x; echo err >&2").write()
    r = runtime.run(bundle, cid, input="hello\n")
    assert r.rc == 0, r
    assert "got=hello" in r.out and "err" in r.err, r


def test_not_a_tty_without_terminal(runtime, bundle, cid):
    bundle.helper("isatty").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert (r.facts["stdin"], r.facts["stdout"], r.facts["stderr"]) == ("0", "0", "0"), r


def test_process_in_own_session(runtime, bundle, cid):
    bundle.helper("pid").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.facts["sid"] == r.facts["pid"] == "1", r
    assert os.getsid(0) != 1
