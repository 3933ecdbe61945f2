"""Fixtures for the engine e2e tests (tests/e2e/README via run.sh).

Each engine daemon is started once per session with private state (see
engines.py). E2E_ENGINES (comma list, default docker,podman,containerd) picks
the engines; a missing engine binary skips its cases with a reason."""

import os
import shutil
import uuid

import pytest

import engines as e

ENGINES = [x for x in os.environ.get("E2E_ENGINES", "docker,podman,containerd").split(",") if x]
BINARIES = {"docker": "dockerd", "podman": "podman", "containerd": "containerd"}
_started = {}


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="e2e tests need root")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def rootfs_tar():
    os.makedirs(e.BASE, exist_ok=True)
    return e.rootfs_tar(os.path.join(e.BASE, "busybox-rootfs.tar"))


def _engine(name, rootfs_tar):
    if name not in ENGINES:
        pytest.skip("engine %s not selected (E2E_ENGINES)" % name)
    if shutil.which(BINARIES[name]) is None:
        pytest.skip("%s is not installed (tests/e2e/install-engines.sh)" % BINARIES[name])
    if not os.access(e.CAPSA_BIN, os.X_OK):
        pytest.fail("capsa binary %s is not built (set CAPSA_BIN)" % e.CAPSA_BIN)
    if name not in _started:
        cls = {"docker": e.Docker, "podman": e.Podman, "containerd": e.Containerd}[name]
        _started[name] = cls(os.path.join(e.BASE, name), rootfs_tar)
    return _started[name]


def pytest_sessionfinish(session, exitstatus):
    for eng in _started.values():
        eng.close()


@pytest.fixture(params=["capsa", "runc"])
def runtime(request):
    return request.param


@pytest.fixture
def name():
    return "e2e-" + uuid.uuid4().hex[:10]


@pytest.fixture(params=["docker", "podman"])
def dk(request, rootfs_tar, runtime):
    """A docker-CLI-compatible engine (docker or podman) bound to one runtime."""
    d = DockerLike(_engine(request.param, rootfs_tar), request.param, runtime)
    yield d
    d.cleanup()


@pytest.fixture
def podman(rootfs_tar, runtime):
    d = DockerLike(_engine("podman", rootfs_tar), "podman", runtime)
    yield d
    d.cleanup()


@pytest.fixture
def ctr(rootfs_tar, runtime):
    return CtrRun(_engine("containerd", rootfs_tar), runtime)


class DockerLike:
    def __init__(self, eng, engine, runtime):
        self.eng, self.engine, self.runtime = eng, engine, runtime
        self.names = []

    def __call__(self, *args, **kw):
        return self.eng.cli(*args, **kw)

    def run(self, *args, name=None, **kw):
        """`run --runtime R [--name N] args...`; removed at teardown."""
        extra = []
        if name:
            self.names.append(name)
            extra = ["--name", name]
        return self.eng.cli("run", *self.eng.runtime_args(self.runtime), *extra, *args, **kw)

    def cleanup(self):
        if self.names:
            self.eng.cli("rm", "-f", *self.names)

    def inspect(self, name, fmt):
        return self.eng.cli("inspect", "-f", fmt, name).stdout.strip()


class CtrRun:
    def __init__(self, eng, runtime):
        self.eng, self.runtime = eng, runtime

    def __call__(self, *args, **kw):
        return self.eng.cli(*args, **kw)

    def run(self, *args, **kw):
        """`ctr run --runtime io.containerd.runc.v2 --runc-binary R args...`; the image
        is inserted before the id, which is the first non-flag argument's position."""
        return self.eng.cli("run", *self.eng.runtime_args(self.runtime), *args, **kw)
