"""Crash safety (issue 12): a create that runs out of disk (a small tmpfs as --root),
of file descriptors (a low RLIMIT_NOFILE) or of memory (a small memory cgroup around
capsa: the OOM killer ends it) fails with a clear error, or is killed, and nothing
is left once `delete --force` ran: no state entry, cgroup, mount or process."""

import os
import resource
import subprocess
import uuid

import pytest

import capsa_harness as h
from test_crash_points import leftovers_after


def sleeping(bundle):
    c = bundle.config
    c["process"]["args"] = [h.HELPER, "sleep", "60"]
    c["process"].pop("rlimits", None)  # RLIMIT_NOFILE above the caller's hard one
    bundle.write()
    return bundle


def create_with(rt, bundle, cid, preexec):
    """`create` as rt would run it, with a preexec_fn (limits, cgroup)."""
    argv = [rt.binary, "--root", rt.root, "create", "--bundle", bundle.path, cid]
    err_path = os.path.join(rt.workdir, "%s.err" % cid)
    with open(err_path, "wb") as err_f:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=err_f, preexec_fn=preexec, timeout=60)
    with open(err_path, errors="replace") as f:
        return p.returncode, f.read()


def check_clean(rt, bundle, cid):
    d = rt.delete(cid, force=True)
    assert d.rc == 0, d
    left = leftovers_after(rt, cid, bundle)
    assert not left, (cid, left)


def test_full_disk(capsa, bundle, cid, workdir):
    sleeping(bundle)
    mnt = os.path.join(workdir, "small")
    os.makedirs(mnt)
    failed = 0
    for free in range(5):  # pages left: each file of the state dir takes one
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt], check=True)
        try:
            with open(os.path.join(mnt, "fill"), "wb") as f:
                f.write(b"x" * (65536 - free * 4096))
            rt = h.Runtime("capsa", capsa.binary, os.path.join(mnt, "state"), capsa.workdir)
            i = "%s-%d" % (cid, free)
            rt.pids, rt.created = {}, [i]
            rc, err = create_with(rt, bundle, i, None)
            if rc != 0:
                failed += 1
                assert rc == 1 and "No space left on device" in err, (free, err)
            check_clean(rt, bundle, i)
        finally:
            subprocess.run(["umount", mnt], check=True)
    assert failed >= 2, "the tmpfs never ran full: the test tests nothing"


def test_few_file_descriptors(capsa, bundle, cid):
    sleeping(bundle)
    failed = 0
    for n in range(4, 20):
        def limit(n=n):
            resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
        i = "%s-%d" % (cid, n)
        capsa._track(i)
        rc, err = create_with(capsa, bundle, i, limit)
        if rc != 0:
            failed += 1
            assert rc == 1 and "Too many open files" in err, (n, err)
        check_clean(capsa, bundle, i)
    assert failed >= 4, "no limit was low enough"


def memory_cgroup():
    """A fresh memory cgroup (path, limit file), or skip."""
    name = "capsa-test-oom-%s" % uuid.uuid4().hex[:8]
    for base, limit in (("/sys/fs/cgroup/memory", "memory.limit_in_bytes"),
                        ("/sys/fs/cgroup", "memory.max")):
        if os.path.exists(os.path.join(base, limit)) or (
                limit == "memory.max" and os.path.exists(os.path.join(base, "cgroup.controllers"))
                and "memory" in open(os.path.join(base, "cgroup.subtree_control")).read()):
            path = os.path.join(base, name)
            os.mkdir(path)
            return path, limit
    pytest.skip("no memory cgroup controller to put capsa in")


def test_little_memory(capsa, bundle, cid):
    sleeping(bundle)
    path, limit = memory_cgroup()
    killed = 0
    try:
        for kb in (256, 512, 640, 768, 896, 1024, 2048):
            with open(os.path.join(path, limit), "w") as f:
                f.write(str(kb << 10))

            def enter():
                with open(os.path.join(path, "cgroup.procs"), "w") as f:
                    f.write("0")
            i = "%s-%d" % (cid, kb)
            capsa._track(i)
            rc, err = create_with(capsa, bundle, i, enter)
            if rc < 0:
                killed += 1
            else:
                assert rc == 0 or "cannot allocate memory" in err.lower(), (kb, rc, err)
            check_clean(capsa, bundle, i)
    finally:
        os.rmdir(path)
    assert killed >= 1, "the OOM killer never struck: the test tests nothing"
