"""Timing characterization: the fit on hand-computed points, the committed data loads, and
(marker ``board``) one bench design goes through Yosys + nextpnr."""
import json

import pytest

from allo_rtl.hls.characterize import CLASSES, fit, measure
from allo_rtl.hls.timing import DATA_DIR, TimingModel


def test_fit_recovers_a_line_and_never_goes_negative():
    assert fit([4, 8, 16, 32], [1.4, 1.8, 2.6, 4.2]) == (1.0, 0.1)
    base, per_bit = fit([4, 8, 16], [3.0, 2.0, 1.0])      # shrinking delays: flat, not negative
    assert per_bit == 0.0 and base > 0


@pytest.mark.parametrize("family", ["ice40", "ecp5"])
def test_committed_data_is_measured_and_loads(family):
    data = json.loads((DATA_DIR / f"{family}.json").read_text())
    assert "measured" in data["source"]
    for cls in CLASSES:
        assert data["ops"][cls]["base_ns"] >= 0 and data["ops"][cls]["per_bit_ns"] >= 0
        assert len(data["measurements"][cls]) >= 2
    add = data["measurements"]["add"]
    assert add[-1][1] > add[0][1]                # a 32-bit add is slower than a 4-bit one
    assert TimingModel(family).clock_ns > 0


@pytest.mark.board
def test_one_bench_design_through_the_toolchain(tmp_path_factory):
    from pathlib import Path
    work = Path("build/test_characterize").resolve()      # YoWASP cannot see /tmp
    wire = measure("ice40", "wire", 8, work)
    add = measure("ice40", "add", 16, work)
    assert 0 < wire < add < 100
