"""The container lifecycle through the CLI: create/start/state/kill/delete, run -d and
--keep, pid files, exit codes and signals, concurrent creates of one id."""

import json
import os
import signal
import stat
import time

import capsa_harness as h

STATE_KEYS = {"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"}


def _sleeper(bundle, secs=30):
    """The container prints "ready" and sleeps; pid 1 is a shell that traps TERM."""
    bundle.set_args("sh", "-c",
                    "trap 'exit 42' TERM; echo ready; sleep %d & wait" % secs).write()
    return bundle


def test_state_through_lifecycle(runtime, bundle, cid, workdir):
    _sleeper(bundle)
    out = os.path.join(workdir, "c.out")
    r = runtime.create(bundle, cid, stdout_path=out)
    assert r.rc == 0, r
    st = runtime.state(cid)
    assert st["status"] == "created", st
    assert STATE_KEYS <= set(st), st
    assert st["id"] == cid
    assert st["rootfs"] == os.path.join(os.path.realpath(bundle.path), "rootfs"), st
    assert os.path.realpath(st["bundle"]) == os.path.realpath(bundle.path)
    assert st["owner"] == ""
    assert st["ociVersion"].startswith("1."), st
    assert "T" in st["created"] and st["created"].endswith("Z"), st
    # Nothing runs the user process before start.
    time.sleep(0.1)
    assert "ready" not in open(out).read()

    assert runtime.start(cid).rc == 0
    assert h.wait_for_output(out, "ready")
    st = runtime.state(cid)
    assert st["status"] == "running", st
    assert h.pid_alive(st["pid"])

    # A second start of a running container fails.
    r = runtime.start(cid)
    assert r.rc != 0, r

    r = runtime.kill(cid, "KILL")
    assert r.rc == 0, r
    st = runtime.wait_status(cid, "stopped")
    assert st["status"] == "stopped", st
    assert runtime.delete(cid).rc == 0
    assert runtime.state(cid) is None
    h.ensure_nothing_left(runtime, cid, bundle)


def test_state_annotations(runtime, bundle, cid):
    bundle.config["annotations"] = {"org.example.key": "value", "b": "2"}
    bundle.set_args("sleep", "10").write()
    assert runtime.create(bundle, cid).rc == 0
    st = runtime.state(cid)
    assert st["annotations"] == {"org.example.key": "value", "b": "2"}, st
    assert runtime.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(runtime, cid, bundle)


def test_create_short_bundle_flag_and_pid_file(runtime, bundle, cid, workdir):
    bundle.set_args("sleep", "10").write()
    pid_file = os.path.join(workdir, "init.pid")
    runtime._track(cid)
    r = runtime("create", "-b", bundle.path, "--pid-file", pid_file, cid)
    assert r.rc == 0, r
    st = runtime.state(cid)
    runtime.pids[cid] = st["pid"]
    with open(pid_file) as f:
        text = f.read()
    assert text.strip() == str(st["pid"]), text
    # runc writes the pid without a trailing newline.
    assert not text.endswith("\n")
    assert runtime.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(runtime, cid, bundle)


def test_pid_file_on_a_device_or_fifo_is_written_in_place(capsa, bundle, cid, workdir):
    """Regression: --pid-file /dev/null replaced the host's /dev/null with a regular
    file (a temporary file renamed over it, runc's way). A private null device and a
    fifo stand in for /dev/null and a reader here."""
    bundle.set_args("sleep", "10").write()
    null = os.path.join(workdir, "null")
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    r = capsa.create(bundle, cid, "--pid-file", null)
    assert r.rc == 0, r
    st = os.stat(null)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3), st
    assert not [n for n in os.listdir(workdir) if n.startswith(".null")]
    assert capsa.delete(cid, force=True).rc == 0

    fifo = os.path.join(workdir, "pid.fifo")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        r = capsa.create(bundle, cid, "--pid-file", fifo)
        assert r.rc == 0, r
        assert os.read(reader, 64).decode() == str(capsa.state(cid)["pid"])
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    finally:
        os.close(reader)
    assert capsa.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)


def test_create_bundle_defaults_to_cwd(runtime, bundle, cid):
    bundle.set_args("true").write()
    runtime._track(cid)
    r = runtime("create", cid, cwd=bundle.path)
    assert r.rc == 0, r
    assert os.path.realpath(runtime.state(cid)["bundle"]) == os.path.realpath(bundle.path)
    assert runtime.delete(cid, force=True).rc == 0


def test_run_detached(runtime, bundle, cid, workdir):
    _sleeper(bundle)
    out = os.path.join(workdir, "c.out")
    t0 = time.monotonic()
    r = runtime.run(bundle, cid, "-d", stdout_path=out)
    assert r.rc == 0, r
    assert time.monotonic() - t0 < 10
    assert h.wait_for_output(out, "ready")
    st = runtime.state(cid)
    assert st["status"] == "running", st
    runtime.pids[cid] = st["pid"]
    # A trapped SIGTERM: the process chooses its exit.
    assert runtime.kill(cid, "TERM").rc == 0
    assert runtime.wait_status(cid, "stopped")["status"] == "stopped"
    assert runtime.delete(cid).rc == 0
    h.ensure_nothing_left(runtime, cid, bundle)


def test_run_detach_long_flag_pid_file(runtime, bundle, cid, workdir):
    bundle.set_args("sleep", "10").write()
    pid_file = os.path.join(workdir, "p")
    r = runtime.run(bundle, cid, "--detach", "--pid-file", pid_file)
    assert r.rc == 0, r
    st = runtime.state(cid)
    runtime.pids[cid] = st["pid"]
    assert open(pid_file).read().strip() == str(st["pid"])
    assert runtime.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(runtime, cid, bundle)


def test_run_removes_container_without_keep(runtime, bundle, cid):
    bundle.set_args("true").write()
    assert runtime.run(bundle, cid).rc == 0
    assert runtime.state(cid) is None
    assert cid not in runtime.list_ids()
    h.ensure_nothing_left(runtime, cid, bundle)


def test_run_keep_leaves_stopped_container(runtime, bundle, cid):
    bundle.set_args("sh", "-c", "exit 5").write()
    r = runtime.run(bundle, cid, "--keep")
    assert r.rc == 5, r
    st = runtime.state(cid)
    assert st is not None and st["status"] == "stopped", st
    assert cid in runtime.list_ids()
    assert runtime.delete(cid).rc == 0
    h.ensure_nothing_left(runtime, cid, bundle)


def test_run_exit_code_passthrough(runtime, bundle, cid):
    bundle.helper("exit", "77").write()
    assert runtime.run(bundle, cid).rc == 77


def test_run_killed_by_sigkill_exits_137(runtime, bundle, cid):
    _sleeper(bundle)
    runtime._track(cid)
    p = runtime.spawn("run", "--bundle", bundle.path, cid)
    assert h.wait_for_output(p.out_path, "ready"), runtime.finish(p, timeout=1)
    r = runtime.kill(cid, "9")
    assert r.rc == 0, r
    r = runtime.finish(p)
    assert r.rc == 137, r
    h.ensure_nothing_left(runtime, cid, bundle)


def test_run_trapped_sigterm_via_kill(runtime, bundle, cid):
    _sleeper(bundle)
    runtime._track(cid)
    p = runtime.spawn("run", "--bundle", bundle.path, cid)
    assert h.wait_for_output(p.out_path, "ready"), runtime.finish(p, timeout=1)
    assert runtime.kill(cid, "SIGTERM").rc == 0
    r = runtime.finish(p)
    assert r.rc == 42, r
    h.ensure_nothing_left(runtime, cid, bundle)


def test_run_process_killed_by_signal_exit_code(runtime, bundle, cid):
    # No pid namespace: the helper is not an init, so SIGUSR1 kills it.
    bundle.config["linux"]["namespaces"] = [
        n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    bundle.helper("kill-self", "USR1").write()
    r = runtime.run(bundle, cid)
    assert r.rc == 128 + signal.SIGUSR1, r


def test_kill_default_signal_is_term(runtime, bundle, cid, workdir):
    _sleeper(bundle)
    out = os.path.join(workdir, "o")
    assert runtime.run(bundle, cid, "-d", stdout_path=out).rc == 0
    assert h.wait_for_output(out, "ready")
    runtime.pids[cid] = runtime.state(cid)["pid"]
    r = runtime("kill", cid)
    assert r.rc == 0, r
    assert runtime.wait_status(cid, "stopped")["status"] == "stopped"
    assert runtime.delete(cid).rc == 0


def test_kill_by_number_and_unknown_signal(runtime, bundle, cid):
    bundle.set_args("sleep", "30").write()
    assert runtime.run(bundle, cid, "-d").rc == 0
    runtime.pids[cid] = runtime.state(cid)["pid"]
    r = runtime.kill(cid, "NOTASIGNAL")
    assert r.rc != 0 and "signal" in r.err.lower(), r
    assert runtime.state(cid)["status"] == "running"
    assert runtime.kill(cid, str(int(signal.SIGKILL))).rc == 0
    assert runtime.wait_status(cid, "stopped")["status"] == "stopped"
    # Killing a stopped container fails (runc: "container not running").
    r = runtime.kill(cid, "KILL")
    assert r.rc != 0, r
    assert runtime.delete(cid).rc == 0
    h.ensure_nothing_left(runtime, cid, bundle)


def test_kill_all(runtime, bundle, cid, workdir):
    # The init ignores TERM; two children do not.  --all reaches them all.
    bundle.set_args("sh", "-c", "sleep 30 & sleep 30 & echo ready; wait").write()
    out = os.path.join(workdir, "o")
    assert runtime.run(bundle, cid, "-d", stdout_path=out).rc == 0
    assert h.wait_for_output(out, "ready")
    runtime.pids[cid] = runtime.state(cid)["pid"]
    assert len(h.processes_in_cgroup(cid)) >= 3
    r = runtime.kill(cid, "KILL", "--all")
    assert r.rc == 0, r
    assert runtime.wait_status(cid, "stopped")["status"] == "stopped"
    deadline = time.monotonic() + 5
    while h.processes_in_cgroup(cid) and time.monotonic() < deadline:
        h.reap_zombies()
        time.sleep(0.05)
    assert h.processes_in_cgroup(cid) == []
    assert runtime.delete(cid).rc == 0
    h.ensure_nothing_left(runtime, cid, bundle)


def test_delete_running_needs_force(runtime, bundle, cid):
    bundle.set_args("sleep", "30").write()
    assert runtime.run(bundle, cid, "-d").rc == 0
    runtime.pids[cid] = runtime.state(cid)["pid"]
    r = runtime.delete(cid)
    assert r.rc != 0, r
    assert "running" in r.err, r
    assert runtime.state(cid)["status"] == "running"
    r = runtime.delete(cid, force=True)
    assert r.rc == 0, r
    h.ensure_nothing_left(runtime, cid, bundle)


def test_delete_created_container(runtime, bundle, cid):
    bundle.set_args("true").write()
    assert runtime.create(bundle, cid).rc == 0
    # runc deletes a created container without --force (it kills the init).
    r = runtime.delete(cid)
    assert r.rc == 0, r
    h.ensure_nothing_left(runtime, cid, bundle)


def test_delete_force_nonexistent_succeeds(runtime, cid):
    r = runtime.delete(cid, force=True)
    assert r.rc == 0, r
    r = runtime.delete(cid)
    assert r.rc != 0 and "does not exist" in r.err, r


def test_start_nonexistent(runtime, cid):
    r = runtime.start(cid)
    assert r.rc != 0
    assert "does not exist" in r.err, r


def test_concurrent_creates_one_wins(capsa, make_bundle, cid):
    # capsa only: runc 1.1.5 can fail both ("unable to store init state").
    runtime = capsa
    bundles = [make_bundle(), make_bundle()]
    for b in bundles:
        b.set_args("sleep", "10").write()
    runtime._track(cid)
    procs = [runtime.spawn("create", "--bundle", b.path, cid) for b in bundles]
    results = [runtime.finish(p) for p in procs]
    ok = [r for r in results if r.rc == 0]
    failed = [r for r in results if r.rc != 0]
    assert len(ok) == 1 and len(failed) == 1, results
    assert "exist" in failed[0].err, failed[0]
    st = runtime.state(cid)
    assert st["status"] == "created", st
    runtime.pids[cid] = st["pid"]
    # The loser left nothing of its own: only one container process in the cgroup.
    assert runtime.delete(cid, force=True).rc == 0
    for b in bundles:
        h.ensure_nothing_left(runtime, cid, b)


def test_list_formats(runtime, bundle, cid):
    bundle.set_args("sleep", "30").write()
    assert runtime.run(bundle, cid, "-d").rc == 0
    st = runtime.state(cid)
    runtime.pids[cid] = st["pid"]

    r = runtime("list")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], r
    row = [l for l in lines[1:] if l.split()[0] == cid]
    assert len(row) == 1, r
    cols = row[0].split()
    assert cols[1] == str(st["pid"]) and cols[2] == "running", cols
    assert cols[3] == st["bundle"] and cols[5] == "root", cols

    r = runtime("list", "--format", "json")
    assert r.rc == 0, r
    items = json.loads(r.out)
    mine = [i for i in items if i["id"] == cid]
    assert len(mine) == 1, items
    assert STATE_KEYS <= set(mine[0]), mine
    assert mine[0]["status"] == "running" and mine[0]["pid"] == st["pid"]
    assert mine[0]["owner"] == "root"

    r = runtime("list", "-f", "json")
    assert r.rc == 0 and json.loads(r.out) == items

    r = runtime("list", "-q")
    assert r.rc == 0 and r.out.split() == [cid], r
    r = runtime("list", "--quiet")
    assert r.rc == 0 and r.out.split() == [cid], r

    assert runtime.delete(cid, force=True).rc == 0
    r = runtime("list", "--format", "json")
    assert r.rc == 0 and json.loads(r.out) in ([], None), r
    r = runtime("list")
    assert r.rc == 0 and len(r.out.splitlines()) == 1, r


def test_list_bad_format(runtime):
    r = runtime("list", "--format", "yaml")
    assert r.rc != 0 and "format" in r.err, r


def test_root_holds_state(runtime, bundle, cid, workdir):
    bundle.set_args("true").write()
    root = os.path.join(workdir, "altroot")
    assert runtime("--root", root, "create", "--bundle", bundle.path, cid).rc == 0
    try:
        assert os.path.isdir(os.path.join(root, cid))
        # Invisible through the default per-test root.
        assert runtime.state(cid) is None
        r = runtime("--root", root, "state", cid)
        assert r.rc == 0 and json.loads(r.out)["id"] == cid, r
    finally:
        assert runtime("--root", root, "delete", "--force", cid).rc == 0
    assert not os.path.exists(os.path.join(root, cid))
