"""pytest fixtures for capsa integration tests (see tests/README.md).

Fixtures:
  rootfs        session: path of the shared busybox rootfs (built once, cached by hash)
  workdir       per test: a scratch dir under /var/tmp/capsa-tests/work, removed after
  bundle        per test: a Bundle (private rootfs copy + runc-default config dict)
  make_bundle   factory for more bundles in the same test
  cid           a unique container id for this test
  runtime       the runtime under test: "capsa", plus "runc" when RUNC_BIN is set
  capsa, runc   one specific runtime (runc skips when not installed)
"""

import os
import re
import shutil
import uuid

import pytest

import capsa_harness as h

RUNC_BIN = os.environ.get("RUNC_BIN")
RUNTIMES = ["capsa"] + (["runc"] if RUNC_BIN else [])


def pytest_configure(config):
    if os.geteuid() == 0:
        h.set_child_subreaper()


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="integration tests need root (sudo tests/run.sh)")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def rootfs():
    return h.build_rootfs()


@pytest.fixture
def workdir(request):
    h.ensure_base()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:60]
    path = os.path.join(h.BASE, "work", "%s-%s" % (name, uuid.uuid4().hex[:8]))
    os.makedirs(path)
    os.chmod(os.path.join(h.BASE, "work"), 0o755)
    os.chmod(path, 0o755)
    runtimes = []
    request.node._capsa_runtimes = runtimes
    yield path
    # Teardown: containers first (they hold mounts and processes), then mounts, files.
    for rt in runtimes:
        rt.cleanup()
    h.unmount_under(path)
    h.reap_zombies()
    if not h.mounts_under(path):
        shutil.rmtree(path, ignore_errors=True)


def _make_runtime(request, workdir, name, binary):
    rt = h.Runtime(name, binary, os.path.join(workdir, "state-" + name),
                   os.path.join(workdir, "io-" + name))
    request.node._capsa_runtimes.append(rt)
    return rt


def _capsa(request, workdir):
    if not os.access(h.CAPSA_BIN, os.X_OK):
        pytest.fail("capsa binary %s is not built (set CAPSA_BIN)" % h.CAPSA_BIN)
    return _make_runtime(request, workdir, "capsa", h.CAPSA_BIN)


def _runc(request, workdir):
    binary = RUNC_BIN or shutil.which("runc")
    if not binary:
        pytest.skip("runc not installed (set RUNC_BIN)")
    return _make_runtime(request, workdir, "runc", binary)


@pytest.fixture(params=RUNTIMES)
def runtime(request, workdir):
    return _capsa(request, workdir) if request.param == "capsa" else _runc(request, workdir)


@pytest.fixture
def capsa(request, workdir):
    return _capsa(request, workdir)


@pytest.fixture
def runc(request, workdir):
    return _runc(request, workdir)


@pytest.fixture
def make_bundle(workdir, rootfs):
    count = [0]

    def make(config=None):
        count[0] += 1
        return h.Bundle(os.path.join(workdir, "bundle%d" % count[0]), rootfs, config)
    return make


@pytest.fixture
def bundle(make_bundle):
    return make_bundle()


@pytest.fixture
def cid(request):
    return "capsa-test-%s" % uuid.uuid4().hex[:12]
