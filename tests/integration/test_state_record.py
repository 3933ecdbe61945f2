"""The state dir's state.json as capsa reads it back (record_parse, fuzzed by
tests/fuzz/fuzz_state): a pid beyond pid_t is refused, never truncated into another
process's pid (4294967296 + P read as P made `kill` signal P)."""

import json
import os
import subprocess

import capsa_harness as h


def _start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def test_pid_beyond_pid_t_is_not_another_process(capsa, bundle, cid):
    bundle.helper("sleep", "30").write()
    assert capsa.run(bundle, cid, "-d").rc == 0
    capsa.pids[cid] = capsa.state(cid)["pid"]
    path = os.path.join(capsa.root, cid, "state.json")
    with open(path) as f:
        saved = f.read()
    victim = subprocess.Popen(["sleep", "60"])
    try:
        # A record whose pid wraps to an unrelated process of ours, with that
        # process's start time, as a corrupt or forged file could hold.
        rec = json.loads(saved)
        rec["pid"] = victim.pid + 2**32
        rec["pid_start"] = _start_time(victim.pid)
        rec.pop("pid_identity", None)
        with open(path, "w") as f:
            json.dump(rec, f)
        st = capsa("state", cid)
        capsa("kill", cid, "KILL")
        assert victim.poll() is None, "capsa kill signalled a process outside the container"
        assert f'"pid": {victim.pid},' not in st.out, st
    finally:
        with open(path, "w") as f:
            f.write(saved)
        victim.kill()
        victim.wait()
    assert capsa.delete(cid, force=True).rc == 0
    h.ensure_nothing_left(capsa, cid, bundle)
