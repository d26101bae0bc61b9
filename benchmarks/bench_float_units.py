"""LUT/FF/DSP and Fmax of the float units on ECP5 (LFE5U-85F-6) with YoWASP Yosys + nextpnr.

Each unit sits between a serial shift chain that fills its input registers from one pin and
an XOR-reduce of its (registered) result to another pin, so any width fits the package; the
counts include that harness (the chain's flip-flops and about ``width / 3`` LUTs of XOR).

    python benchmarks/bench_float_units.py [--units fadd,fmul] [--stages 0,2,4] [--out DIR]

The build directory must not be under /tmp (YoWASP tools cannot see it).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from amaranth.back import rtlil
from amaranth.hdl import Cat, ClockDomain, Module, Signal

from allo_rtl.boards.build import parse_reports
from allo_rtl.boards.registry import get_board
from allo_rtl.primitives.float import FAdd, FMul, float32
from allo_rtl.tools.characterize import FAMILIES, run_nextpnr, run_yosys

UNITS = {"fadd": FAdd, "fmul": FMul}


def harness(unit) -> tuple[Module, list]:
    """registered a, b (from a shift chain) -> unit -> registered result -> XOR pin."""
    m = Module()
    m.domains.sync = cd = ClockDomain("sync", reset_less=True)
    m.submodules.unit = unit
    sin, sout = Signal(), Signal()
    a, b = Signal(len(unit.a)), Signal(len(unit.b))
    prev = sin
    for reg in (a, b):
        m.d.sync += reg.eq(Cat(prev, reg[:-1]))
        prev = reg[-1]
    r = Signal(len(unit.result))
    m.d.comb += [unit.a.eq(a), unit.b.eq(b)]
    m.d.sync += r.eq(unit.result)
    m.d.comb += sout.eq(r.xor())
    return m, [cd.clk, sin, sout]


def measure(name: str, stages: int, root: Path, freq_mhz: float) -> dict:
    fam = FAMILIES["ecp5"]
    build_dir = root / f"{name}_s{stages}"
    build_dir.mkdir(parents=True, exist_ok=True)
    m, ports = harness(UNITS[name](float32, stages=stages))
    (build_dir / "top.il").write_text(rtlil.convert(m, ports=ports, name="top"))
    run_yosys(fam, build_dir)
    fam_freq = type(fam)(**{**fam.__dict__, "freq_mhz": freq_mhz})
    run_nextpnr(fam_freq, build_dir, seed=1)
    rep = parse_reports(build_dir, get_board(fam.board), freq_mhz)
    util = rep["utilization"]
    return {"unit": name, "stages": stages, "lut": util["lut"], "ff": util["ff"],
            "dsp": util["dsp"], "fmax_mhz": rep["fmax_mhz"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", default="fadd,fmul")
    ap.add_argument("--stages", default="0,2,4")
    ap.add_argument("--freq", type=float, default=150.0, help="nextpnr target (MHz)")
    ap.add_argument("--out", type=Path, default=Path("build/bench_float"))
    args = ap.parse_args(argv)
    print(f"{'unit':6} {'stages':>6} {'LUT':>6} {'FF':>6} {'DSP':>4} {'Fmax MHz':>9}")
    rows = []
    for unit in args.units.split(","):
        for stages in args.stages.split(","):
            stages = min(int(stages), UNITS[unit].max_stages)   # "max" fits all
            if any(r["unit"] == unit and r["stages"] == stages for r in rows):
                continue
            r = measure(unit, stages, args.out.resolve(), args.freq)
            rows.append(r)
            print(f"{r['unit']:6} {r['stages']:6} {r['lut']:6} {r['ff']:6} {r['dsp']:4} "
                  f"{r['fmax_mhz']!s:>9}", flush=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
