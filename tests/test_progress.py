"""Progress (allo_rtl/progress.py) shows on a terminal only: a long simulation, a board
build's stages and a DSE sweep stay quiet when their output is a pipe or a file, and
ALLO_RTL_PROGRESS=1 / 0 turns it on / off whatever the stream."""
import io
import sys
from pathlib import Path

import pytest

import allo_rtl as allo
from allo_rtl import int32, progress
from allo_rtl.sim import amaranth_sim

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class _Tty(io.StringIO):
    def isatty(self):
        return True


def spins(x: int32) -> int32:
    y: int32 = 0
    while x > 0:            # x > 0 never ends
        y = y + 1
    return y


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)


def test_enabled_follows_the_stream_and_the_environment(monkeypatch):
    assert progress.enabled(_Tty()) and not progress.enabled(io.StringIO())
    monkeypatch.setenv(progress.ENV, "1")
    assert progress.enabled(io.StringIO())
    monkeypatch.setenv(progress.ENV, "0")
    assert not progress.enabled(_Tty())
    out = io.StringIO()
    print("x", file=progress.stream(out))
    assert out.getvalue() == ""


def test_bar():
    assert progress.bar(0, 4, width=8) == "[--------] 0/4"
    assert progress.bar(3, 4, width=8) == "[######--] 3/4"
    assert progress.bar(12, 12, width=4) == "[####] 12/12"


@pytest.mark.parametrize("tty", [True, False])
def test_long_simulation_progress_only_on_a_terminal(tty, monkeypatch):
    out = _Tty() if tty else io.StringIO()
    monkeypatch.setattr(amaranth_sim, "PROGRESS_AFTER_S", 0.0)
    monkeypatch.setattr(amaranth_sim, "PROGRESS_EVERY_S", 0.0)
    monkeypatch.setattr(sys, "stderr", out)
    mod = allo.customize(spins).build(max_cycles=3000)
    with pytest.raises(amaranth_sim.SimTimeoutError):
        mod(3)
    shown = "[allo-rtl] spins on amaranth:" in out.getvalue()
    assert shown == tty


def test_board_build_stages_go_to_a_terminal_only(monkeypatch):
    """build_bitstream's default progress stream: stderr on a terminal, dropped otherwise
    (an explicit stream always gets them)."""
    from allo_rtl.boards import build
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert isinstance(build.progress_stream(), progress._Null)
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    assert build.progress_stream() is tty


def test_suite_rows_progress_only_on_a_terminal(monkeypatch):
    from benchmarks import suite
    row = {"suite": "machsuite", "kernel": "aes/aes", "schedule": "a", "cycles": 10, "ok": True}
    quiet, loud = io.StringIO(), _Tty()
    monkeypatch.setattr(sys, "stderr", quiet)
    suite._progress(row, 1, 2)
    monkeypatch.setattr(sys, "stderr", loud)
    suite._progress(row, 1, 2)
    assert quiet.getvalue() == "" and "[##########----------] 1/2 machsuite aes/aes" in \
        loud.getvalue()
