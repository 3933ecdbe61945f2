"""process.terminal in the foreground needs a terminal of ours to proxy to (stdin,
stdout or stderr, or the controlling /dev/tty), as runc's does. Without one, a shell
would wait on a pty nobody can reach until it is killed: `run` and `exec -t` refuse
at once, saying what to do. The harness runs capsa in a new session with stdio from
/dev/null and files: no terminal at all."""

import time

import capsa_harness as h

HINT = "the input device is not a TTY"


def test_run_with_terminal_and_no_tty_fails_at_once(capsa, bundle, cid):
    bundle.config["process"]["terminal"] = True
    bundle.set_args("sh").write()
    t0 = time.monotonic()
    r = capsa.run(bundle, cid, timeout=15)
    assert r.rc != 0, r
    assert time.monotonic() - t0 < 5
    assert "process.terminal: " + HINT in r.err and "--console-socket" in r.err, r
    h.ensure_nothing_left(capsa, cid, bundle)


def test_exec_tty_with_no_tty_fails_at_once(capsa, bundle, cid):
    bundle.set_args("sleep", "30").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    t0 = time.monotonic()
    r = capsa("exec", "-t", cid, "sh", timeout=15)
    assert r.rc != 0, r
    assert time.monotonic() - t0 < 5
    assert "exec --tty: " + HINT in r.err, r
    assert capsa.delete(cid, force=True).rc == 0


def test_exec_detached_tty_without_console_socket_says_only_that(capsa, bundle, cid):
    bundle.set_args("sleep", "30").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    r = capsa("exec", "-d", "-t", cid, "true")
    assert r.rc != 0, r
    assert "cannot allocate tty if capsa will detach without setting console socket\"" \
        in r.err, r
    assert "Invalid argument" not in r.err, r
    assert capsa.delete(cid, force=True).rc == 0
