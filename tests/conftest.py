"""Under ``CI=true`` a test may not skip: a missing prerequisite (the ``../shared`` Omniglot copies, Lake's
runs, the source articles, Chromium) fails the run, so a green CI run means that every test ran. Outside CI a
missing prerequisite still skips, with its reason, so a learner's laptop without the data can run the rest."""

from __future__ import annotations

import os

import pytest


def ci() -> bool:
    """Whether this is a CI run (``CI=true``, as GitHub Actions and ``.ci/run`` set it)."""
    return os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"CI=true, so this test may not skip: {reason}. Provide the prerequisite (.ci/run expects "
                           "../shared/data/omniglot beside the clone and installs Chromium).")


@pytest.fixture(scope="module")
def one_thread():
    """Small networks run several times faster on one thread than on two on a shared CPU (no oversubscription).
    A module opts in with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


#: the files that take longest, in this order, ahead of every other file: `make test` hands whole files to its
#: workers in collection order (``--dist loadfile --no-loadscope-reorder``), so the long ones start at once and
#: the many short files fill in around them instead of one long file running alone at the end
LONGEST_FIRST = ("tests/test_browser.py", "tests/test_fresh_runtime.py", "tests/test_browser_app.py",
                 "tests/test_distributed.py")


def pytest_collection_modifyitems(config, items):
    def rank(item) -> tuple[int, int]:
        path = item.nodeid.split("::")[0]
        if path in LONGEST_FIRST:
            return 0, LONGEST_FIRST.index(path)
        return (1 if path.startswith("notebooks/") and "/solutions/" not in path else 2), 0

    items.sort(key=rank)  # stable: every file's tests stay together and in their order
