"""Regressions found by running capsa under Docker, podman and containerd
(tests/e2e). Each case also runs against runc when RUNC_BIN is set."""

import capsa_harness as h


def test_non_root_process_user_starts(runtime, bundle, cid):
    # docker run --user 1000: the init opens exec.fifo after switching to uid 1000,
    # so the fifo must be writable by others (runc: 0622).
    bundle.set_args("id", "-u")
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.write()
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert r.out.strip() == "1000", r
    h.ensure_nothing_left(runtime, cid, bundle)


def test_start_of_a_short_process_reaped_at_once(runtime, bundle, cid):
    # containerd's shim (a subreaper) reaps the init as soon as it exits; `start`
    # used to look the init up after releasing it and failed with
    # "pidfd_open N: No such process" when `true` was already gone.
    import os
    import threading

    bundle.set_args("true").write()
    for i in range(15):
        c = "%s-%d" % (cid, i)
        r = runtime.create(bundle, c)
        assert r.rc == 0, r
        pid = runtime.state(c)["pid"]
        # The init is our child (we are the subreaper): reap it the moment it exits.
        t = threading.Thread(target=os.waitpid, args=(pid, 0), daemon=True)
        t.start()
        r = runtime.start(c)
        assert r.rc == 0, r
        t.join(10)
        runtime.delete(c, force=True)
