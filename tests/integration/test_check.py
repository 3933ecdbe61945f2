"""`capsa check` against facts the test reads itself from this machine."""

import os
import re
import shutil

STATUSES = {"ok", "limited", "missing", "info"}


def cgroup_layout():
    """v1 / hybrid / v2 from /proc/self/mountinfo, independently of capsa."""
    v1 = v2_root = v2_elsewhere = False
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mountpoint = fields[4]
            fstype = fields[fields.index("-") + 1]
            if fstype == "cgroup":
                v1 = True
            elif fstype == "cgroup2":
                if mountpoint == "/sys/fs/cgroup":
                    v2_root = True
                else:
                    v2_elsewhere = True
    if v2_root:
        return "v2"
    return "hybrid" if v1 and v2_elsewhere else "v1"


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def items(capsa):
    r = capsa("check", "--format", "json")
    assert r.rc in (0, 1), r
    doc = r.json()
    assert doc["ready"] == (r.rc == 0), r
    return {i["name"]: i for i in doc["items"]}, doc


def test_check_ready_here(capsa):
    # This machine runs containers as root: every required probe must pass.
    r = capsa("check", "--format", "json")
    assert r.rc == 0, r
    for item in r.json()["items"]:
        assert item["status"] in STATUSES, item
        assert item["meaning"], item
        if item["required"]:
            assert item["status"] != "missing", item


def test_check_matches_host_facts(capsa):
    it, _ = items(capsa)
    assert it["kernel"]["value"].startswith(os.uname().release)

    layout = cgroup_layout()
    assert it["cgroup.layout"]["value"].startswith(layout), it["cgroup.layout"]
    assert it["cgroup.layout"]["status"] == ("ok" if layout == "v2" else "limited")

    aa = read("/sys/module/apparmor/parameters/enabled")
    assert it["lsm.apparmor"]["value"] == ("enabled" if aa == "Y" else "off")
    enforce = read("/sys/fs/selinux/enforce")
    expected = "off" if enforce is None else ("enforcing" if enforce == "1" else "permissive")
    assert it["lsm.selinux"]["value"] == expected

    actions = read("/proc/sys/kernel/seccomp/actions_avail") or ""
    assert (it["seccomp.notify"]["status"] == "ok") == ("user_notif" in actions)

    with open("/proc/self/status") as f:
        status = f.read()
    eff = int(re.search(r"CapEff:\s*([0-9a-f]+)", status).group(1), 16)
    last = int(read("/proc/sys/kernel/cap_last_cap"))
    full = (1 << (last + 1)) - 1
    assert (it["capabilities.effective"]["status"] == "ok") == (eff & full == full)

    assert (it["namespace.time"]["status"] != "missing") == os.path.exists("/proc/self/ns/time")
    filesystems = read("/proc/filesystems")
    if "\toverlay" in filesystems:
        assert it["fs.overlay"]["status"] == "ok"
    tools = shutil.which("newuidmap") and shutil.which("newgidmap")
    if not tools:
        assert it["rootless.idmap-tools"]["status"] == "limited"
        assert "newuidmap missing" in it["rootless.idmap-tools"]["value"]


def test_check_attach_cost_and_favordynmods(capsa):
    it, _ = items(capsa)
    layout = cgroup_layout()
    cost = it["cgroup.attach-cost"]
    favordynmods = False
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] in ("cgroup", "cgroup2") and "favordynmods" in fields[sep + 3].split(","):
                favordynmods = True
    if layout == "v2":
        assert "CLONE_INTO_CGROUP" in cost["meaning"]
        return
    # v1/hybrid: the item names favordynmods, says how to avoid the cost, and
    # (as root) reports a measured attach time; the temporary cgroup is gone.
    assert "favordynmods" in cost["value"]
    if not favordynmods:
        assert cost["status"] == "limited"
        assert "favordynmods" in cost["fix"] and "cgroup v2" in cost["fix"]
    if os.geteuid() == 0:
        assert re.search(r"took \d+\.\d ms", cost["value"]), cost
    leftovers = [d for d in os.listdir("/sys/fs/cgroup/pids") if d.startswith("capsa-check-")] \
        if os.path.isdir("/sys/fs/cgroup/pids") else []
    assert leftovers == []


def test_check_no_measure_skips_timing(capsa):
    r = capsa("check", "--format", "json", "--no-measure")
    doc = r.json()
    cost = [i for i in doc["items"] if i["name"] == "cgroup.attach-cost"]
    if cost and cgroup_layout() != "v2":
        assert "took" not in cost[0]["value"]


def test_check_text_lines(capsa):
    r = capsa("check")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    entries = [l for l in lines if l and not l.startswith(" ")]
    assert entries[-1].startswith("ready for default containers"), r.out
    for l in entries[:-1]:
        assert l.split()[0] in STATUSES, l
    assert any(l.strip().startswith("means:") for l in lines)
    assert any(l.strip().startswith("fix:") for l in lines)
    assert any(l.split()[1] == "cgroup.layout" for l in entries[:-1])


def test_check_rejects_bad_format(capsa):
    r = capsa("check", "--format", "yaml")
    assert r.rc != 0
    assert "format" in r.err
