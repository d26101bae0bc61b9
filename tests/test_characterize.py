"""Operator characterization: the least-squares fit, nextpnr report parsing and the derived
numbers on hand-made inputs (expected values worked out in comments), the committed timing
files, and (board marker) one real Yosys + nextpnr run."""
import json
from pathlib import Path

import pytest

from allo_rtl.tools import characterize as ch
from allo_rtl.hls.timing import DATA_DIR, FAMILIES, TimingModel

REPO = Path(__file__).resolve().parent.parent


def test_fit_exact_line():
    base, per_bit = ch.fit_linear([4, 8, 16, 32], [1 + 0.5 * w for w in (4, 8, 16, 32)])
    assert base == pytest.approx(1.0) and per_bit == pytest.approx(0.5)


def test_fit_least_squares_by_hand():
    # w = 1,2,3, d = 2,3,5: mean w 2, mean d 10/3; Sxy = (-1)(-4/3) + 0 + (1)(5/3) = 3,
    # Sxx = 2 -> slope 1.5, base 10/3 - 1.5 * 2 = 1/3
    base, per_bit = ch.fit_linear([1, 2, 3], [2, 3, 5])
    assert base == pytest.approx(1 / 3) and per_bit == pytest.approx(1.5)


def test_fit_keeps_coefficients_non_negative():
    # falling delays: slope would be -0.5; constrained optimum is slope 0, base = mean = 2
    assert ch.fit_linear([4, 8], [3, 1]) == pytest.approx((2.0, 0.0))
    # free fit d = -3 + w; with base 0: slope = (4*1 + 8*5) / (16 + 64) = 0.55
    assert ch.fit_linear([4, 8], [1, 5]) == pytest.approx((0.0, 0.55))


def test_fit_one_width_is_flat():
    assert ch.fit_linear([8, 8], [2.0, 3.0]) == pytest.approx((2.5, 0.0))


def _seg(kind, delay, cell):
    return {"type": kind, "delay": delay, "from": {"cell": cell, "port": "O", "loc": [1, 1]},
            "to": {"cell": cell, "port": "I", "loc": [1, 2]}}


REPORT = {
    "fmax": {"clk": {"achieved": 380.95, "constraint": 100}},
    "utilization": {"ICESTORM_LC": {"used": 10, "available": 5280}},
    "critical_paths": [
        {"from": "<async>", "to": "posedge clk",          # pin -> register: skipped
         "path": [_seg("source", 0, "pin"), _seg("routing", 9.0, "a"), _seg("setup", 1.0, "a")]},
        {"from": "posedge clk", "to": "posedge other",    # cross-domain: skipped
         "path": [_seg("clk-to-q", 0.5, "x"), _seg("setup", 9.0, "y")]},
        {"from": "posedge clk", "to": "posedge clk",
         "path": [_seg("clk-to-q", 0.5, "a_reg"), _seg("routing", 1.0, "lut"),
                  _seg("logic", 0.25, "lut"), _seg("routing", 0.75, "r_reg"),
                  _seg("setup", 0.125, "r_reg")]},
    ],
}


def test_reg_to_reg_path_from_report():
    p = ch.reg_to_reg_path(REPORT)
    # 0.5 + 1.0 + 0.25 + 0.75 + 0.125 = 2.625 (= 1000 / 380.95 MHz)
    assert p == {"path_ns": pytest.approx(2.625), "clk_to_q_ns": 0.5, "setup_ns": 0.125,
                 "from": "a_reg", "to": "r_reg"}


def test_report_without_clock_path_is_an_error():
    with pytest.raises(ValueError, match="clock-to-clock"):
        ch.reg_to_reg_path({"critical_paths": REPORT["critical_paths"][:2]})


def _pt(cls, width, path, **extra):
    return {"class": cls, "width": width, "path_ns": path, "setup_ns": 1.0, **extra}


def test_derive_by_hand():
    previous = json.loads((DATA_DIR / "generic.json").read_text())["ops"]
    points = [_pt("register", 4, 4.0), _pt("register", 8, 4.5), _pt("register", 16, 4.0),
              _pt("logic", 4, 7.0), _pt("logic", 8, 7.0),
              _pt("add", 4, 6.0), _pt("add", 8, 8.0),
              _pt("mul", 8, 4.2, fit=False),
              _pt("shift", 4, 5.0), _pt("shift", 8, 6.0),
              _pt("mux", 4, 5.5), _pt("mux", 8, 5.5),
              _pt("mem_read_setup", 16, 3.5, bram=1), _pt("mem_read_out", 16, 5.0, bram=1),
              _pt("mem_write", 16, 2.5, bram=1)]
    ops = ch.derive(points, previous)
    # baseline = median(4.0, 4.5, 4.0) = 4.0; register setup 1.0, clock-to-out 4.0 - 1.0 = 3.0
    assert ops["register"] == {"setup_ns": 1.0, "clock_to_out_ns": 3.0}
    assert ops["logic"] == {"base_ns": 3.0, "per_bit_ns": 0.0}          # 7.0 - 4.0, flat
    assert ops["add"] == {"base_ns": 0.0, "per_bit_ns": 0.5}            # 2.0 at 4, 4.0 at 8
    assert ops["shift"] == {"base_ns": 0.0, "per_bit_ns": 0.25}         # 1.0 at 4, 2.0 at 8
    assert ops["mux"] == {"base_ns": 1.5, "per_bit_ns": 0.0}
    assert ops["mul"] == previous["mul"]                  # no fittable point: kept
    # mem read setup 3.5 - 3.0; clock-to-out 5.0 - 1.0; write 2.5 - 3.0 < 0 -> 0
    assert ops["mem_read"] == {"latency": 1, "setup_ns": 0.5, "clock_to_out_ns": 4.0}
    assert ops["mem_write"] == {"setup_ns": 0.0}
    warns = ch.sanity(ops, points)
    assert len(warns) == 1 and "mem_write" in warns[0]
    assert ch.kept_classes(points) == ["mul"]


def test_plan_records_wide_multipliers_unfitted():
    jobs = ch.plan(ch.FAMILIES["ecp5"], (8, 32))
    muls = [(w, fit) for cls, w, fit in jobs if cls == "mul"]
    assert muls == [(8, True), (18, True), (32, False)]       # 18: widest single MULT18X18D
    assert {cls for cls, _, _ in jobs} == {"register", *ch.OP_CLASSES, *ch.MEM_DESIGNS}


def test_dumps_round_trips():
    data = {"family": "x", "clock_ns": 10.0, "source": "s",
            "ops": {"add": {"base_ns": 1.0, "per_bit_ns": 0.1}},
            "measurements": {"date": "d", "points": [{"class": "add", "width": 4}]}}
    assert json.loads(ch.dumps(data)) == data


REQUIRED = {"wire": ("base_ns", "per_bit_ns"), "logic": ("base_ns", "per_bit_ns"),
            "add": ("base_ns", "per_bit_ns"), "mul": ("base_ns", "per_bit_ns"),
            "shift": ("base_ns", "per_bit_ns"), "mux": ("base_ns", "per_bit_ns"),
            "mem_read": ("latency", "setup_ns", "clock_to_out_ns"), "mem_write": ("setup_ns",),
            "register": ("setup_ns", "clock_to_out_ns")}


@pytest.mark.parametrize("family", FAMILIES)
def test_committed_timing_files(family):
    tm = TimingModel(family)
    assert tm.clock_ns > 0 and tm.data["family"] == family and tm.data["source"]
    for cls, keys in REQUIRED.items():
        for key in keys:
            assert tm.data["ops"][cls][key] >= 0, (cls, key)
    assert tm._delay("add", 32) > tm._delay("add", 8) > 0
    if family != "generic":      # measured files carry their raw points
        m = tm.data["measurements"]
        assert tm.data["source"].startswith("measured") and m["tools"] and m["date"]
        classes = {p["class"] for p in m["points"]}
        assert {"register", *ch.OP_CLASSES, *ch.MEM_DESIGNS} <= classes
        assert all(p["bram"] == 1 for p in m["points"] if p["class"] in ch.MEM_DESIGNS)


@pytest.mark.board
def test_characterize_runs_tools(capsys):
    work = REPO / "build" / "test_characterize"       # YoWASP cannot see /tmp
    assert ch.main(["--family", "ice40", "--widths", "4,8", "--seeds", "1", "--out",
                    str(work / "out"), "--build-dir", str(work)]) == 0
    data = json.loads((work / "out" / "ice40.json").read_text())
    assert data["ops"]["add"]["per_bit_ns"] > 0 and data["ops"]["logic"]["base_ns"] > 0
    adds = {p["width"]: p["path_ns"] for p in data["measurements"]["points"]
            if p["class"] == "add"}
    assert adds[8] > adds[4]
    assert "op class" in capsys.readouterr().out
