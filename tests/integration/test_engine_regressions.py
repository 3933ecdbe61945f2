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
