"""The QoR suite in one command: PolyBench int32 (8 per dimension) without a user schedule (a)
and with the Allo-style schedule of ``polybench_int.SCHEDULES`` (b), and MachSuite kernels on
their own data; writes ``benchmarks/results/latest.json`` (with the commit and machine), a
markdown table and plots, and lists regressions against the last committed results.

    python -m benchmarks.suite [--fast] [--boards] [--only gemm,atax] [--out DIR]

Cycles come from the RTL simulation (Amaranth) for PolyBench, checked against numpy and
against the fast cycle model; MachSuite kernels run on the cycle model (the interpreter on the
synthesized module, results checked against MachSuite's check data, cycles exact) because
their runs are 10^5-10^6 cycles. ``--fast`` uses the cycle model for PolyBench too;
``--boards`` adds Fmax/LUT/FF/BRAM/DSP on ECP5-85F (ULX3S; slow). See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import allo_rtl as allo                          # noqa: E402
from allo_rtl.dse.resources import estimate      # noqa: E402
import kernels                                   # noqa: E402
from allo_rtl.sim.cycle_module import CycleModule    # noqa: E402
from allo_rtl.sim.hw_module import HardwareModule    # noqa: E402
from allo_rtl.sim.resource_bound import resource_bound    # noqa: E402

from . import machsuite, polybench_int           # noqa: E402
from .bench_polybench import pipeline_rows       # noqa: E402
from .suite_output import compare, write_markdown, write_plots   # noqa: E402

# Published cycles (calyx-evaluation, PolyBench int32 at 8 per dimension)
VIVADO_2019_2 = {"gemm": 2684, "2mm": 3718, "3mm": 5043, "atax": 715, "bicg": 218, "mvt": 597,
                 "gesummv": 532, "syrk": 2631, "doitgen": 14545}
CALYX = {"gemm": 9265, "2mm": 15571, "3mm": 17487, "atax": 2255, "bicg": 1083, "mvt": 1861,
         "gesummv": 2209, "syrk": 12075, "doitgen": 49479}
RESULTS = HERE / "results"
BOARD = "ulx3s-85f"


def compile_design(kernel, schedule):
    """(HardwareDesign, seconds from the kernel's source to its Verilog)."""
    t0 = time.perf_counter()
    s = allo.customize(kernel)
    if schedule is not None:
        schedule(s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        design = s.build(target="cycles").design     # the module as a build lowers it
    design.verilog
    return design, time.perf_counter() - t0


def main_loops(design, inputs):
    """The pipelined loops of the top: name, II achieved / requested, and why when worse; and
    the resource bound of a call on ``inputs`` (sim/resource_bound.py: run-time trips too)."""
    class _M:                                   # pipeline_rows reads mod.design
        pass
    m = _M()
    m.design = design
    rows = pipeline_rows(m)
    bound = resource_bound(design, *kernels.copy_args(inputs))
    loops = [{"loop": r["name"], "ii": r["ii"], "ii_requested": r["ii_requested"],
              "depth": r["depth"], "note": r["note"] if r["ii"] != r["ii_requested"] else ""}
             for r, _ in rows]
    top = next(f for f in design.report_dict()["functions"] if f["function"] == design.name)
    not_piped = [f"{r['name']} (line {r['line']}): {r['note']}" for r in top["loops"]
                 if not r["pipelined"] and r["ii_requested"]]
    return loops, (bound or None), not_piped


def polybench_row(case, label, fast, boards, html=None):
    schedule = polybench_int.SCHEDULES[case.name] if label == "b" else None
    design, compile_s = compile_design(case.kernel, schedule)
    inputs = case.make_inputs(np.random.default_rng(0), False)
    args, ref_args = kernels.copy_args(inputs), kernels.copy_args(inputs)
    expected = case.reference(ref_args)
    model = CycleModule(design)
    t0 = time.perf_counter()
    if fast:
        got = model(*args)
        cycles = model.cycles
    else:
        hw = HardwareModule(design)
        got = hw(*args)
        cycles = hw.cycles
        model(*kernels.copy_args(inputs))
    run_s = time.perf_counter() - t0
    ok = (expected is None or _same(got, expected)) and all(
        _same(args[k], ref_args[k]) for k in case.inplace)
    loops, bound, not_piped = main_loops(design, inputs) if label == "b" else ([], None, [])
    row = {"suite": "polybench", "kernel": case.name, "schedule": label, "cycles": cycles,
           "model_cycles": model.cycles, "source": "cycle model" if fast else "rtl",
           "ok": bool(ok and model.cycles == cycles), "loops": loops, "bound": bound,
           "not_pipelined": not_piped, "compile_s": round(compile_s, 3),
           "run_s": round(run_s, 3), "resources": estimate(design.report_dict()),
           "vivado": VIVADO_2019_2.get(case.name),
           "calyx": CALYX.get(case.name)}
    if boards:
        row["board"] = board_numbers(case, schedule, label)
    if html:
        Path(html).mkdir(parents=True, exist_ok=True)
        model.report(html=Path(html) / f"{case.name}_{label}.html")
    return row


def _same(a, b) -> bool:
    try:
        kernels.assert_same(a, b)
    except AssertionError:
        return False
    return True


def board_numbers(case, schedule, label):
    from allo_rtl.boards.build import build_bitstream
    import io
    s = allo.customize(case.kernel)
    if schedule is not None:
        schedule(s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        design = s.build(target="cycles", family="ecp5").design
    rep = build_bitstream(design, BOARD, HERE.parent / "build" / "suite" /
                          f"{case.name}_{label}", progress=io.StringIO())
    u = rep["utilization"]
    return {"board": BOARD, "fmax_mhz": rep["fmax_mhz"], "lut": u["lut"], "ff": u["ff"],
            "bram": u["bram"], "dsp": u["dsp"]}


def machsuite_row(k):
    design, compile_s = compile_design(k.kernel, None)
    inputs, check = k.data()
    args = k.inputs(inputs)
    model = CycleModule(design)
    t0 = time.perf_counter()
    result = model(*args)
    problem = k.check(args, result, check)
    return {"suite": "machsuite", "kernel": k.name, "schedule": "a", "cycles": model.cycles,
            "source": "cycle model", "ok": problem is None, "problem": problem,
            "compile_s": round(compile_s, 3), "run_s": round(time.perf_counter() - t0, 3),
            "note": k.note}


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def summary(rows):
    poly = {(r["kernel"], r["schedule"]): r for r in rows if r["suite"] == "polybench"}
    out = {}
    for label in ("a", "b"):
        rs = [r for (k, s), r in poly.items() if s == label and r["vivado"]]
        out[f"geomean_vivado_over_{label}"] = geomean([r["vivado"] / r["cycles"] for r in rs])
        out[f"geomean_calyx_over_{label}"] = geomean([r["calyx"] / r["cycles"] for r in rs])
    bounded = [r for r in poly.values() if r["bound"]]
    out["geomean_b_over_bound"] = geomean([r["cycles"] / r["bound"] for r in bounded])
    misses = []
    for (k, s), r in sorted(poly.items()):
        if s == "a" and r["vivado"] and r["cycles"] > r["vivado"]:
            misses.append(f"{k} (a): {r['cycles']} cycles > Vivado HLS {r['vivado']}")
        if s == "b" and r["bound"] and r["cycles"] > 1.15 * r["bound"]:
            why = "; ".join([f"{x['loop']} II {x['ii']}: {x['note']}" for x in r["loops"]
                             if x["note"]] + r["not_pipelined"]) or \
                "the FSM around the pipelines (loop entries, unpipelined outer loops)"
            misses.append(f"{k} (b): {r['cycles']} cycles = {r['cycles'] / r['bound']:.2f}x "
                          f"the bound {r['bound']} ({why})")
        if s == "b" and r["bound"] is None:
            misses.append(f"{k} (b): no bound (run-time trips or no pipelined loop"
                          + (f"; {'; '.join(r['not_pipelined'])}" if r["not_pipelined"] else "")
                          + ")")
        if not r["ok"]:
            misses.append(f"{k} ({s}): WRONG result or model != RTL")
    g = out["geomean_vivado_over_b"]
    if g is not None and g < 5:
        misses.append(f"geomean with schedules is {g:.2f}x fewer cycles than Vivado HLS "
                      "(goal: 5x)")
    out["misses"] = misses
    return out


def machine():
    return {"node": platform.node(), "machine": platform.machine(),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "cpus": os.cpu_count()}


def commit():
    def git(*a):
        return subprocess.run(["git", *a], cwd=HERE.parent, capture_output=True,
                              text=True).stdout.strip()
    head = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return head + ("+dirty" if dirty else "")


def run(opts):
    only = set(opts.only.split(",")) if opts.only else None
    rows = []
    t_start = time.perf_counter()
    compile_design(kernels.atax, None)      # warm-up: imports and Yosys start out of the timing
    for case in polybench_int.cases():
        if only and case.name not in only:
            continue
        for label in ("a", "b"):
            row = polybench_row(case, label, opts.fast, opts.boards, opts.html)
            rows.append(row)
            _progress(row)
    for name, why in polybench_int.UNSUPPORTED.items():
        if not only or name in only:
            rows.append({"suite": "polybench", "kernel": name, "schedule": "-",
                         "unsupported": why})
    if not opts.no_machsuite:
        for k in machsuite.KERNELS:
            if only and k.name not in only:
                continue
            row = machsuite_row(k)
            rows.append(row)
            _progress(row)
    supported = [r for r in rows if "unsupported" not in r]
    return {"commit": commit(), "machine": machine(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.perf_counter() - t_start, 1),
            "options": {"fast": opts.fast, "boards": opts.boards},
            "rows": rows, "summary": summary(supported)}


def _progress(row):
    if sys.stdout.isatty() or os.environ.get("ALLO_RTL_PROGRESS"):
        print(f"  {row['suite']:9s} {row['kernel']:18s} ({row['schedule']}) "
              f"{row['cycles']:>8} cycles {'ok' if row['ok'] else 'WRONG'}", flush=True)


def last_committed(path: Path):
    """The results file as the last commit holds it (None: never committed)."""
    try:
        rel = path.resolve().relative_to(HERE.parent)
    except ValueError:              # a folder outside the repository: nothing committed there
        return None
    out = subprocess.run(["git", "show", f"HEAD:{rel.as_posix()}"], cwd=HERE.parent,
                         capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else None


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.suite",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true",
                    help="PolyBench cycles from the fast cycle model, no RTL simulation")
    ap.add_argument("--boards", action="store_true",
                    help=f"add Fmax and resources on {BOARD} (ECP5-85F); slow")
    ap.add_argument("--only", help="comma-separated kernel names")
    ap.add_argument("--no-machsuite", action="store_true")
    ap.add_argument("--html", help="also write each PolyBench design's HTML report here")
    ap.add_argument("--out", default=str(RESULTS), help="results folder")
    opts = ap.parse_args(argv)
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    latest = out / "latest.json"
    previous = last_committed(latest)
    results = run(opts)
    results["regressions"] = compare(previous, results) if previous else []
    latest.write_text(json.dumps(results, indent=1) + "\n")
    md = write_markdown(results, out / "latest.md")
    write_plots(results, out)
    print(md)
    return results


if __name__ == "__main__":
    main()
