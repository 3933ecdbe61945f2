"""--pidfd-socket on create, run and exec: the runtime sends a pidfd of the
container's init (or of the exec'd process) over SCM_RIGHTS, as containerd's shim
asks for. runc gained the flag in 1.2, so these cases run against capsa only."""

import os
import signal
import socket
import threading

import capsa_harness as h


class PidfdReceiver:
    """A unix socket that accepts one connection and keeps the fd it is sent."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.fds = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        conn, _ = self.sock.accept()
        with conn:
            _, fds, _, _ = socket.recv_fds(conn, 64, 4)
            self.fds.extend(fds)

    def pidfd(self, timeout=10):
        self.thread.join(timeout)
        self.sock.close()
        assert len(self.fds) == 1, self.fds
        return self.fds[0]


def pid_of_pidfd(fd):
    with open("/proc/self/fdinfo/%d" % fd) as f:
        for line in f:
            if line.startswith("Pid:"):
                return int(line.split()[1])
    raise AssertionError("fd %d is not a pidfd" % fd)


def test_create_sends_init_pidfd(capsa, bundle, cid, workdir):
    bundle.set_args("sleep", "100").write()
    rx = PidfdReceiver(os.path.join(workdir, "pidfd.sock"))
    r = capsa.create(bundle, cid, "--pidfd-socket", rx.path)
    assert r.rc == 0, r
    fd = rx.pidfd()
    try:
        assert pid_of_pidfd(fd) == capsa.state(cid)["pid"]
    finally:
        os.close(fd)
    assert capsa.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)


def test_run_detached_sends_init_pidfd(capsa, bundle, cid, workdir):
    bundle.set_args("sleep", "100").write()
    rx = PidfdReceiver(os.path.join(workdir, "pidfd.sock"))
    r = capsa.run(bundle, cid, "-d", "--pidfd-socket", rx.path)
    assert r.rc == 0, r
    fd = rx.pidfd()
    try:
        assert pid_of_pidfd(fd) == capsa.state(cid)["pid"]
    finally:
        os.close(fd)
    assert capsa.delete(cid, force=True).rc == 0


def test_exec_sends_process_pidfd(capsa, bundle, cid, workdir):
    bundle.set_args("sleep", "100").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    rx = PidfdReceiver(os.path.join(workdir, "pidfd.sock"))
    pid_file = os.path.join(workdir, "exec.pid")
    r = capsa("exec", "-d", "--pid-file", pid_file, "--pidfd-socket", rx.path, cid, "sleep", "50")
    assert r.rc == 0, r
    fd = rx.pidfd()
    try:
        with open(pid_file) as f:
            pid = int(f.read())
        assert pid_of_pidfd(fd) == pid
        # The pidfd works: kill the process through it. The detached process is our
        # child (we are the subreaper), and the container's init cannot finish dying
        # while it is an unreaped zombie in its pid namespace, so reap it here.
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        assert os.waitpid(pid, 0)[0] == pid
    finally:
        os.close(fd)
    assert capsa.delete(cid, force=True).rc == 0
