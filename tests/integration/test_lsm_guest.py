"""MAC labels for real: the host runs no LSM, so these boot a guest with v2vm
(../shared/tools/README.md beside the repository) once per LSM and run capsa there (~5 s per boot).

AppArmor: a container confined by a profile loaded with apparmor_parser shows it in
/proc/self/attr/current and is denied the file the profile forbids.
SELinux (permissive): process.selinuxLabel with type and MCS categories is the
container's context; a tmpfs with linux.mountLabel carries that context.
Enforcing SELinux is not tested: v2vm's command runs as kernel_t, and Debian's policy
denies kernel_t the transition to svirt_t (checked: avc denied { transition }
scontext=kernel_t tcontext=svirt_t:s0:c1,c2, even from a tmpfs labelled
svirt_image_t); it would need capsa itself to run in a domain allowed to enter
svirt_t (virtd_t) with a labelled rootfs."""

import os
import shutil
import subprocess

import pytest

import capsa_harness as h

# ../shared/tools/v2vm beside the repository (as tests/cgroup-v2.sh finds it).
_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
V2VM = os.environ.get("CAPSA_V2VM",
                      os.path.join(os.path.dirname(_REPO), "shared", "tools", "v2vm"))
GUEST_SCRIPT = os.path.join(os.path.dirname(__file__), "fixtures", "security", "lsm_guest.sh")
LABEL = "system_u:system_r:svirt_t:s0:c1,c2"
MOUNT_LABEL = "system_u:object_r:svirt_image_t:s0:c1,c2"


def _need_v2vm():
    if not os.access(V2VM, os.X_OK):
        msg = "v2vm not found at %s (set CAPSA_V2VM)" % V2VM
        print("SKIP:", msg)
        pytest.skip(msg)


def _guest(mode, workdir, *extra):
    capsa = os.path.realpath(h.CAPSA_BIN)
    shares = {workdir, os.path.dirname(capsa), os.path.dirname(GUEST_SCRIPT)}
    argv = [V2VM, "--timeout", "240"]
    for s in sorted(shares):
        argv += ["--share", s]
    argv += list(extra) + ["--", GUEST_SCRIPT, mode, capsa, workdir]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if r.returncode == 125:
        pytest.skip("v2vm failed to boot: " + r.stderr[-500:])
    return r


def _bundle(rootfs, workdir, name):
    b = h.Bundle(os.path.join(workdir, name), rootfs)
    # The helper binary is a hard link into the shared rootfs cache, which the guest
    # sees read-only anyway; nothing else to prepare.
    return b


def test_apparmor_profile_confines(rootfs, workdir):
    _need_v2vm()
    b = _bundle(rootfs, workdir, "bundle-apparmor")
    with open(os.path.join(b.rootfs, "secret"), "w") as f:
        f.write("top-secret\n")
    os.chmod(os.path.join(b.rootfs, "secret"), 0o644)
    b.config["process"]["apparmorProfile"] = "capsa-test"
    b.helper("attr", "--", "read", "/secret").write()
    bx = _bundle(rootfs, workdir, "bundle-apparmor-exec")
    bx.config["process"]["apparmorProfile"] = "capsa-test"
    bx.helper("sleep", "60").write()
    # CVE-2019-16884: a /proc volume over procfs with fake attr files.
    fake = os.path.join(workdir, "fakeproc")
    for d in ("self/attr/apparmor", "thread-self/attr/apparmor"):
        os.makedirs(os.path.join(fake, d))
        for name in ("exec", "current"):
            open(os.path.join(fake, d, name), "w").close()
            open(os.path.join(fake, os.path.dirname(d), name), "w").close()
    fp = _bundle(rootfs, workdir, "bundle-fakeproc")
    fp.config["process"]["apparmorProfile"] = "capsa-test"
    fp.config["mounts"].insert(1, {"destination": "/proc", "type": "bind", "source": fake,
                                   "options": ["rbind"]})
    fp.config["linux"]["maskedPaths"] = []
    fp.config["linux"]["readonlyPaths"] = []
    fp.helper("sleep", "60").write()
    r = _guest("apparmor", workdir)
    f = h.facts(r.stdout)
    err = open(os.path.join(workdir, "aa.err")).read() if os.path.exists(
        os.path.join(workdir, "aa.err")) else ""
    assert "apparmor" in f.get("lsm", ""), (r.stdout, r.stderr)
    assert f.get("loaded") == "1", (r.stdout, r.stderr)
    assert f.get("attr", "").startswith("capsa-test"), (r.stdout, err)
    assert "top-secret" not in r.stdout, r.stdout
    assert f.get("run_rc") != "0", (r.stdout, err)       # the read of /secret failed
    assert f.get("dmesg_denied") == "1", (r.stdout, err)
    assert f.get("exec_attr", "").startswith("capsa-test"), (r.stdout, err)
    # The fake /proc: refused, or confined anyway; nothing written to the fakes.
    fp_err = open(os.path.join(workdir, "fp.err")).read()
    assert f.get("fp_run_rc") != "0" or f.get("fp_attr", "").startswith("capsa-test"), \
        (r.stdout, fp_err)
    for dirpath, _, files in os.walk(fake):
        for name in files:
            assert os.path.getsize(os.path.join(dirpath, name)) == 0, (dirpath, name)
    print("fake /proc volume:", "refused" if f.get("fp_run_rc") != "0" else "confined",
          fp_err.strip()[-200:])


def test_selinux_label_and_mount_label(rootfs, workdir):
    _need_v2vm()
    b = _bundle(rootfs, workdir, "bundle-selinux")
    os.makedirs(os.path.join(b.rootfs, "mnt"), exist_ok=True)
    b.config["process"]["selinuxLabel"] = LABEL
    b.config["linux"]["mountLabel"] = MOUNT_LABEL
    b.config["mounts"].append({"destination": "/mnt", "type": "tmpfs", "source": "tmpfs",
                               "options": ["size=1m"]})
    b.helper("sleep", "60").write()
    r = _guest("selinux", workdir, "--lsm", "selinux")
    f = h.facts(r.stdout)
    err = open(os.path.join(workdir, "se.err")).read() if os.path.exists(
        os.path.join(workdir, "se.err")) else ""
    assert "selinux" in f.get("lsm", ""), (r.stdout, r.stderr)
    assert f.get("enforce") == "0", r.stdout
    assert f.get("run_rc") == "0", (r.stdout, err)
    assert f.get("outside_attr") == LABEL, (r.stdout, err)
    assert f.get("exec_attr") == LABEL, (r.stdout, err)
    assert f.get("mnt_context") == MOUNT_LABEL, (r.stdout, err)
