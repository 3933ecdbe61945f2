"""Hooks die with the capsa that runs them (issue 12: no orphan when the parent dies).

prestart, createRuntime, poststart and poststop hooks run on the host as children of
`capsa create`/`start`/`delete`. When that capsa is SIGKILLed while it waits for a
hook, the hook must not stay running (it was adopted by us, the subreaper, before the
fix). The hook here records its pid and becomes `sleep` (exec, so the recorded pid is
the process capsa forked), and only the first time, so the `delete --force` after the
kill does not wait for a second one."""

import os
import signal
import time

import pytest

import capsa_harness as h
from test_crash_points import delete_force, leftovers_after, proc_state

# hook kind -> the command that runs it
HOOK_COMMANDS = {"createRuntime": "create", "prestart": "create", "poststart": "start",
                 "poststop": "delete"}


def _sleeping_hook(workdir):
    pidfile = os.path.join(workdir, "hook.pid")
    once = os.path.join(workdir, "hook.once")
    script = ('[ -e {once} ] && exit 0; : > {once}; echo $$ > {pid}.tmp; '
              'mv {pid}.tmp {pid}; exec sleep 60').format(once=once, pid=pidfile)
    return {"path": "/bin/sh", "args": ["sh", "-c", script]}, pidfile


def _wait_for_pid(proc, pidfile, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                return int(f.read())
        assert proc.poll() is None, "capsa ended before its hook ran: %s" % proc.argv
        time.sleep(0.01)
    raise AssertionError("the hook did not start within %ss" % timeout)


def _gone(pid, timeout=5.0):
    """True when pid is dead (reaped, or a zombie of ours) within timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc_state(pid) in (None, "Z", "X"):
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("kind", sorted(HOOK_COMMANDS))
def test_hook_dies_with_killed_capsa(capsa, bundle, cid, workdir, kind):
    hook, pidfile = _sleeping_hook(workdir)
    bundle.config["hooks"] = {kind: [hook]}
    bundle.set_args("sleep", "60").write()
    command = HOOK_COMMANDS[kind]
    capsa._track(cid)
    if command == "create":
        args = ["create", "--bundle", bundle.path, cid]
    else:
        assert capsa.create(bundle, cid).rc == 0
        if command == "start":
            args = ["start", cid]
        else:
            assert capsa.start(cid).rc == 0
            args = ["delete", "--force", cid]
    proc = capsa.spawn(*args)
    hook_pid = _wait_for_pid(proc, pidfile)
    try:
        # Only capsa: its session (spawn starts a new one) holds the hook too.
        os.kill(proc.pid, signal.SIGKILL)
        capsa.finish(proc)
        assert _gone(hook_pid), "%s hook %d outlived the killed capsa %s" % (
            kind, hook_pid, command)
    finally:
        if proc_state(hook_pid) not in (None, "Z", "X"):
            os.kill(hook_pid, signal.SIGKILL)
    d = delete_force(capsa, cid)
    assert d.rc == 0, d
    assert leftovers_after(capsa, cid, bundle) == []
