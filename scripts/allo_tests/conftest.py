"""Run Allo's own tests unchanged against allo_rtl (scripts/allo_tests/run.sh copies this file
beside Allo's tests/): every `allo` / `allo.X.Y` import resolves
to `allo_rtl` / `allo_rtl.X.Y` when allo_rtl provides that module (else the import fails as it
would for a missing module). Allo's tests themselves are never copied into this repository."""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass


class _AlloAlias(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != "allo" and not fullname.startswith("allo."):
            return None
        real = "allo_rtl" + fullname[len("allo"):]
        try:
            spec = importlib.util.find_spec(real)
        except ModuleNotFoundError:
            return None
        if spec is None:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(real), is_package=spec.submodule_search_locations is not None)


sys.meta_path.insert(0, _AlloAlias())
import allo  # noqa: E402,F401  (binds allo -> allo_rtl before any test module imports it)
assert allo.__name__ == "allo_rtl", allo


# A test running longer than ALLO_TEST_TIMEOUT seconds (default 300) fails as "slow": Allo's
# tests take seconds on Allo's LLVM backend; here the default build simulates hardware.
import os  # noqa: E402
import signal  # noqa: E402

import pytest  # noqa: E402


class SlowTest(Exception):
    pass


@pytest.fixture(autouse=True)
def _time_limit():
    limit = int(os.environ.get("ALLO_TEST_TIMEOUT", "300"))

    def expire(signum, frame):
        raise SlowTest(f"took more than {limit} s")
    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(limit)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)
