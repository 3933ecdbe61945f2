"""First end-to-end checks: the binary answers, `spec` writes a config, `run` reports the
container's exit status, and a create/start/delete cycle leaves nothing behind."""

import json
import os
import re

import capsa_harness as h


def test_version(runtime):
    r = runtime("--version")
    assert r.rc == 0, r
    assert re.search(r"\d+\.\d+\.\d+", r.out), r


def test_spec_writes_parsable_config(runtime, workdir):
    d = os.path.join(workdir, "specdir")
    os.mkdir(d)
    r = runtime("spec", "--bundle", d)
    assert r.rc == 0, r
    with open(os.path.join(d, "config.json")) as f:
        config = json.load(f)
    assert re.match(r"^1\.\d+\.\d+", config["ociVersion"]), config["ociVersion"]
    assert config["root"]["path"] == "rootfs"
    assert config["process"]["args"]
    # runc refuses to overwrite an existing config.json.
    r = runtime("spec", "--bundle", d)
    assert r.rc != 0, r


def test_run_true_exits_zero(runtime, bundle, cid):
    bundle.set_args("/bin/true").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    h.ensure_nothing_left(runtime, cid, bundle)


def test_run_reports_exit_status(runtime, bundle, cid):
    bundle.set_args("sh", "-c", "exit 3").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 3, r
    h.ensure_nothing_left(runtime, cid, bundle)


def test_run_helper_sees_config(runtime, bundle, cid):
    bundle.helper("ids", "--", "hostname", "--", "cwd").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    f = r.facts
    assert (f["uid"], f["gid"], f["hostname"], f["cwd"]) == ("0", "0", "runc", "/"), r


def test_create_start_delete_cycle(runtime, bundle, cid, workdir):
    bundle.helper("ids").write()
    out = os.path.join(workdir, "container.out")
    r = runtime.create(bundle, cid, stdout_path=out)
    assert r.rc == 0, r
    st = runtime.state(cid)
    assert st is not None and st["status"] == "created", st
    assert st["id"] == cid and st["pid"] > 0, st
    assert os.path.realpath(st["bundle"]) == os.path.realpath(bundle.path), st
    assert h.pid_alive(st["pid"])

    r = runtime.start(cid)
    assert r.rc == 0, r
    st = runtime.wait_status(cid, "stopped")
    assert st is not None and st["status"] == "stopped", st
    with open(out) as f:
        assert h.facts(f.read())["uid"] == "0"

    r = runtime.delete(cid)
    assert r.rc == 0, r
    assert runtime.state(cid) is None
    h.ensure_nothing_left(runtime, cid, bundle)


def test_foreground_run_forwards_signal(runtime, bundle, cid):
    """A signal to a foreground `run` is forwarded to the container's init.

    The init is pid 1 of its namespace, so only a handled signal has an effect: the
    shell's trap turns SIGTERM into exit status 7, which `run` passes on."""
    bundle.set_args("sh", "-c", "trap 'exit 7' TERM; echo ready; sleep 30 & wait").write()
    runtime._track(cid)
    p = runtime.spawn("run", "--bundle", bundle.path, cid)
    assert h.wait_for_output(p.out_path, "ready"), runtime.finish(p, timeout=1)
    p.send_signal(15)
    r = runtime.finish(p)
    assert r.rc == 7, r
    h.ensure_nothing_left(runtime, cid, bundle)
