"""Issue 16, items 7 and 13: the container gets no handle of capsa's own, and an
exec'd process never leaves the container's cgroup.

Item 7: with fd 3 closed in the caller, `--preserve-fds 1` used to hand the
container capsa's own --log file (opened at the lowest free number).  The helper
inside lists its fds and their targets; the log file must not be among them, and
capsa refuses with the flag and the fd named (as runc does since runc#5474).

Item 13 (--cgroup) tests are further down."""

import os
import subprocess

import pytest

import capsa_harness as h


def _targets(facts):
    return {k: v for k, v in facts.items() if k.startswith("fd.")}


def _assert_refused(r, fd=3):
    assert r.rc != 0, "capsa handed over an fd the caller did not pass: %r" % r
    assert "--preserve-fds" in r.err and "fd %d" % fd in r.err, r


def _assert_log_not_inside(r, log):
    """Whatever capsa did, the container saw no fd on the --log file."""
    leaked = {k: v for k, v in _targets(r.facts).items() if v == log} if r.rc == 0 else {}
    assert not leaked, "the container holds capsa's log file: %r" % r


# --------------------------------------------------------------------------- item 7

@pytest.mark.parametrize("cmd", ["run", "create"])
def test_preserve_fds_never_hands_over_the_log_file(capsa, bundle, cid, workdir, cmd):
    log, out = os.path.join(workdir, "capsa.log"), os.path.join(workdir, "init.out")
    bundle.helper("fds").write()
    capsa._track(cid)
    # The harness starts capsa with every fd above 2 closed: fd 3 is free.
    r = capsa("--log", log, cmd, "--preserve-fds", "1", "--bundle", bundle.path, cid,
              stdout_path=out)
    if cmd == "create" and r.rc == 0:
        assert capsa.start(cid).rc == 0
        capsa.wait_status(cid, "stopped")
        with open(out) as f:
            r = h.Result(r.argv, r.rc, f.read(), r.err)
    _assert_log_not_inside(r, log)
    _assert_refused(r)
    h.ensure_nothing_left(capsa, cid, bundle)


def test_exec_preserve_fds_never_hands_over_the_log_file(capsa, bundle, cid, workdir):
    log = os.path.join(workdir, "capsa.log")
    bundle.helper("sleep", "30").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    r = capsa("--log", log, "exec", "--preserve-fds", "1", cid, h.HELPER, "fds")
    _assert_log_not_inside(r, log)
    _assert_refused(r)
    # Nothing started: only the init is in the container.
    ps = capsa("ps", "--format", "json", cid)
    assert ps.rc == 0 and len(ps.json()) == 1, ps


def test_preserve_fds_gap_is_refused(capsa, bundle, cid, workdir):
    """fd 3 passed, fd 4 not: --preserve-fds 2 names fd 4."""
    log = os.path.join(workdir, "capsa.log")
    bundle.helper("fds").write()
    capsa._track(cid)
    argv = [capsa.binary, "--root", capsa.root, "--log", log, "run", "--preserve-fds", "2",
            "--bundle", bundle.path, cid]
    p = subprocess.run(["/bin/sh", "-c", 'exec "$@" 3</dev/null', "sh"] + argv,
                       capture_output=True, text=True, timeout=30)
    r = h.Result(argv, p.returncode, p.stdout, p.stderr)
    _assert_log_not_inside(r, log)
    _assert_refused(r, fd=4)
    h.ensure_nothing_left(capsa, cid, bundle)


def test_preserve_fds_passed_fds_still_work(capsa, bundle, cid, workdir):
    """The caller really passes fds 3 and 4 (and a log file): both reach the process."""
    log = os.path.join(workdir, "capsa.log")
    bundle.helper("fds").write()
    capsa._track(cid)
    a, b = os.path.join(workdir, "a"), os.path.join(workdir, "b")
    argv = [capsa.binary, "--root", capsa.root, "--log", log, "run", "--preserve-fds", "2",
            "--bundle", bundle.path, cid]
    p = subprocess.run(["/bin/sh", "-c", 'exec "$@" 3>"$A" 4>"$B"', "sh"] + argv,
                       env=dict(os.environ, A=a, B=b), capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p
    f = h.facts(p.stdout)
    assert f["fds"] == "0,1,2,3,4", f
    assert f["fd.3"] == a and f["fd.4"] == b, f


def test_closed_stdout_does_not_become_the_log_file(capsa, bundle, cid, workdir):
    """With stdout closed, capsa's --log file took fd 1, and the created init held
    it as its stdout until start (anything exec'd could open /proc/1/fd/1). Now
    closed stdio is /dev/null before capsa opens anything."""
    log = os.path.join(workdir, "capsa.log")
    bundle.helper("sleep", "30").write()
    capsa._track(cid)
    argv = [capsa.binary, "--root", capsa.root, "--log", log, "create", "--bundle",
            bundle.path, cid]
    # stderr to a file: the created init keeps it open (a pipe would never end)
    with open(os.path.join(workdir, "create.err"), "w+") as err:
        p = subprocess.run(["/bin/sh", "-c", 'exec "$@" >&-', "sh"] + argv,
                           stdin=subprocess.DEVNULL, stderr=err, timeout=30)
        err.seek(0)
        assert p.returncode == 0, err.read()
    pid = capsa.state(cid)["pid"]
    held = {fd: os.readlink("/proc/%d/fd/%d" % (pid, fd)) for fd in (0, 1, 2)}
    assert log not in held.values(), "the created init holds capsa's log file: %r" % held
    assert held[1] == "/dev/null", held
    assert capsa.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)
