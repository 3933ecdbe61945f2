"""`capsa audit` of real bundles: capsa's and runc's default specs, the hardened
spec, and the hardened spec running the busybox test bundle."""

import json
import os
import shutil
import subprocess

import pytest

import capsa_harness as h


def audit(capsa, bundle_dir, fmt="json"):
    r = capsa("audit", "--bundle", bundle_dir, "--format", fmt)
    return r


def rules(doc, severity=None):
    return {f["rule"] for f in doc["findings"] if severity is None or f["severity"] == severity}


def spec_into(runtime, workdir, name, *flags):
    d = os.path.join(workdir, name)
    os.mkdir(d)
    r = runtime("spec", "--bundle", d, *flags)
    return d, r


def test_audit_capsa_default_spec(capsa, workdir):
    d, r = spec_into(capsa, workdir, "default")
    assert r.rc == 0, r
    r = audit(capsa, d)
    assert r.rc == 1, r            # a high finding: no seccomp
    doc = r.json()
    assert rules(doc, "high") == {"seccomp-missing"}, doc
    assert {"root-without-userns", "memory-limit-missing", "pids-limit-missing",
            "capability-ambient"} <= rules(doc, "medium"), doc
    assert doc["summary"]["high"] == 1
    for f in doc["findings"]:
        assert f["path"] and f["fix"] and f["message"], f


def test_audit_runc_default_spec(capsa, workdir):
    runc = shutil.which("runc")
    if not runc:
        pytest.skip("runc is not installed")
    d = os.path.join(workdir, "runc-default")
    os.mkdir(d)
    subprocess.run([runc, "spec", "--bundle", d], check=True)
    r = audit(capsa, d)
    assert r.rc == 1, r
    assert "seccomp-missing" in rules(r.json(), "high")


def test_audit_text_output(capsa, workdir):
    d, _ = spec_into(capsa, workdir, "text")
    r = audit(capsa, d, fmt="text")
    assert r.rc == 1, r
    assert "1 high" in r.out.splitlines()[0], r.out
    assert "seccomp-missing" in r.out and "linux.seccomp" in r.out and "fix:" in r.out


def test_audit_clean_bundle_exits_zero(capsa, workdir):
    d = os.path.join(workdir, "clean")
    os.mkdir(d)
    here = os.path.dirname(os.path.abspath(__file__))
    shutil.copy(os.path.join(here, "..", "unit", "fixtures", "audit", "clean.json"),
                os.path.join(d, "config.json"))
    r = audit(capsa, d)
    assert r.rc == 0, r
    assert r.json()["findings"] == [], r


def test_audit_missing_config_fails(capsa, workdir):
    r = audit(capsa, os.path.join(workdir, "nowhere"))
    assert r.rc != 0
    assert "config.json" in r.err


def hardened_spec(capsa, workdir, name, *flags):
    d, r = spec_into(capsa, workdir, name, "--hardened", *flags)
    if r.rc != 0 and "hardened" in (r.err + r.out) and "not defined" in (r.err + r.out):
        pytest.skip("capsa spec --hardened is not wired yet")
    assert r.rc == 0, r
    return d


@pytest.mark.parametrize("rootless", [False, True])
def test_audit_hardened_spec_has_no_high(capsa, workdir, rootless):
    d = hardened_spec(capsa, workdir, "hardened", *(["--rootless"] if rootless else []))
    r = audit(capsa, d)
    assert r.rc == 0, r
    doc = r.json()
    assert doc["summary"]["high"] == 0, doc
    with open(os.path.join(d, "config.json")) as f:
        config = json.load(f)
    assert config["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
    assert config["process"]["noNewPrivileges"] is True
    assert config["root"]["readonly"] is True
    assert ("uidMappings" in config["linux"]) == rootless


def test_hardened_spec_runs_busybox(capsa, workdir, make_bundle, cid):
    d = hardened_spec(capsa, workdir, "hardened-run")
    with open(os.path.join(d, "config.json")) as f:
        config = json.load(f)
    bundle = make_bundle(config)
    bundle.set_args("sh", "-c", "echo hi").write()
    r = capsa.run(bundle, cid)
    assert r.rc == 0, r
    assert r.out.strip() == "hi", r
    h.ensure_nothing_left(capsa, cid, bundle)
