"""pytest plugin for the CLI sanitizer layer (tests/run.sh, tests/cli-sanitize.sh):
fails a test when a capsa it ran reported a leak, an invalid access or undefined
behaviour, even when the test itself passed (a failing path whose expected exit
status the sanitizer's happens to match, a report from a process of a detached
container).

Load with `-p sanitizer_reports` and set CAPSA_SANITIZER_LOGS to the directory that
ASAN_OPTIONS' log_path writes into. Two places are looked at after each test:
 - new files in CAPSA_SANITIZER_LOGS (ASan and LSan reports, `<log_path>.<pid>`);
 - the stdout/stderr files of every runtime call of the test: UBSan's reports in
   the combined ASan+UBSan runtime go to stderr whatever log_path says, and so do
   those of a process that could no longer open the log (inside a container)."""

import os

import pytest

LOGS = os.environ.get("CAPSA_SANITIZER_LOGS")
MARKERS = ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
           "LeakSanitizer has encountered a fatal error", "SUMMARY: UndefinedBehaviorSanitizer",
           "SUMMARY: AddressSanitizer")


def _report_files():
    try:
        return set(os.listdir(LOGS))
    except FileNotFoundError:
        return set()


def _head(path, limit=3000):
    try:
        with open(path, errors="replace") as f:
            return f.read(limit)
    except OSError as e:
        return "(unreadable: %s)" % e


def _io_reports(node):
    found = []
    for rt in getattr(node, "_capsa_runtimes", []):
        try:
            names = sorted(os.listdir(rt.workdir))
        except FileNotFoundError:
            continue
        for name in names:
            text = _head(os.path.join(rt.workdir, name), 1 << 20)
            for m in MARKERS:
                i = text.find(m)
                if i >= 0:
                    start = text.rfind("\n", 0, max(i - 200, 0)) + 1
                    found.append("%s:\n%s" % (name, text[start:start + 3000]))
                    break
    return found


@pytest.fixture(autouse=True)
def sanitizer_reports(request, workdir):
    """Requests workdir so that this teardown runs before workdir's removes the files."""
    if not LOGS:
        yield
        return
    before = _report_files()
    yield
    reports = ["%s:\n%s" % (f, _head(os.path.join(LOGS, f)))
               for f in sorted(_report_files() - before)]
    reports += _io_reports(request.node)
    if reports:
        pytest.fail("sanitizer report(s) during this test:\n\n" + "\n\n".join(reports),
                    pytrace=False)
