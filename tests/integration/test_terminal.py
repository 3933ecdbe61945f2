"""process.terminal with --console-socket (tests/helper/recvtty receives the pty master
by SCM_RIGHTS and copies the container's output), and the errors around it."""

import os
import subprocess
import time

import pytest

import capsa_harness as h

RECVTTY = os.environ.get("CAPSA_RECVTTY", os.path.join(os.path.dirname(h.HELPER_BIN),
                                                       "recvtty"))


def _recvtty(workdir, text=None):
    if not os.access(RECVTTY, os.X_OK):
        pytest.skip("recvtty not built (make recvtty)")
    sock = os.path.join(workdir, "console.sock")
    out = open(os.path.join(workdir, "tty.out"), "wb")
    argv = [RECVTTY] + (["-w", text] if text else []) + [sock]
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE)
    for _ in range(200):
        if os.path.exists(sock):
            break
        if p.poll() is not None:
            break
        time.sleep(0.01)
    assert os.path.exists(sock), p.stderr.read() if p.poll() is not None else "no socket"
    return p, sock, out.name


def _finish(p, path):
    try:
        p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise
    text = open(path, errors="replace").read().replace("\r", "")
    return p.returncode, text


def _terminal_bundle(bundle, *args):
    bundle.config["process"]["terminal"] = True
    bundle.set_args(*args).write()


def test_console_socket_create_start(runtime, bundle, cid, workdir):
    _terminal_bundle(bundle, h.HELPER, "isatty", "--", "stat", "/dev/console")
    p, sock, out = _recvtty(workdir)
    r = runtime.create(bundle, cid, "--console-socket", sock)
    assert r.rc == 0, r
    assert runtime.start(cid).rc == 0
    rc, text = _finish(p, out)
    assert rc == 0, text
    f = h.facts(text)
    assert (f["stdin"], f["stdout"], f["stderr"]) == ("1", "1", "1"), text
    # The slave is /dev/pts/N of the container's devpts, and /dev/console is it too.
    assert f["stdin_tty"].startswith("/dev/pts/"), text
    assert f["type"] == "char", text
    runtime.wait_status(cid, "stopped")
    assert runtime.delete(cid).rc == 0
    h.ensure_nothing_left(runtime, cid, bundle)


def test_console_socket_input(runtime, bundle, cid, workdir):
    _terminal_bundle(bundle, "sh", "-c", "read x; echo got-$x")
    p, sock, out = _recvtty(workdir, text="hello\\n")
    r = runtime.run(bundle, cid, "-d", "--console-socket", sock)
    assert r.rc == 0, r
    rc, text = _finish(p, out)
    assert "got-hello" in text, text
    runtime.wait_status(cid, "stopped")
    assert runtime.delete(cid).rc == 0


def test_controlling_terminal(runtime, bundle, cid, workdir):
    _terminal_bundle(bundle, "sh", "-c", "%s pid; tty; [ -t 0 ] && echo ctty=yes"
                     % h.HELPER)
    p, sock, out = _recvtty(workdir)
    assert runtime.run(bundle, cid, "-d", "--console-socket", sock).rc == 0
    rc, text = _finish(p, out)
    assert "/dev/pts/" in text and "ctty=yes" in text, text
    assert h.facts(text)["sid"] == "1", text
    runtime.wait_status(cid, "stopped")
    assert runtime.delete(cid).rc == 0


def test_terminal_detached_without_socket_fails(runtime, bundle, cid):
    _terminal_bundle(bundle, "true")
    r = runtime.run(bundle, cid, "-d")
    assert r.rc != 0, r
    assert "console socket" in r.err or "console-socket" in r.err, r
    h.ensure_nothing_left(runtime, cid, bundle)


def test_console_socket_missing_path(runtime, bundle, cid, workdir):
    _terminal_bundle(bundle, "true")
    sock = os.path.join(workdir, "nobody-listens.sock")
    r = runtime.create(bundle, cid, "--console-socket", sock)
    assert r.rc != 0, r
    assert "nobody-listens.sock" in r.err, r
    h.ensure_nothing_left(runtime, cid, bundle)


def test_console_socket_without_terminal(capsa, bundle, cid, workdir):
    """capsa refuses a console socket for a non-terminal process (runc 1.1.5 ignores
    it, leaving the receiver waiting forever)."""
    bundle.set_args("true").write()
    p, sock, out = _recvtty(workdir)
    try:
        r = capsa.create(bundle, cid, "--console-socket", sock)
        assert r.rc != 0 and "terminal" in r.err, r
        h.ensure_nothing_left(capsa, cid, bundle)
    finally:
        p.kill()
        p.wait()
