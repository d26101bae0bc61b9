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
from allo_rtl import progress                    # noqa: E402
from allo_rtl.dse.resources import estimate      # noqa: E402
import float_polybench                           # noqa: E402
import kernels                                   # noqa: E402
from allo_rtl.sim.cycle_module import CycleModule    # noqa: E402
from allo_rtl.sim.hw_module import HardwareModule    # noqa: E402
from allo_rtl.sim.resource_bound import resource_bound    # noqa: E402

from . import machsuite, polybench_int           # noqa: E402
from .bench_polybench import pipeline_rows       # noqa: E402
from .board_cache import BOARDS, BoardCache      # noqa: E402
from .suite_output import compare, write_markdown, write_plots   # noqa: E402

# Published cycles (calyx-evaluation, PolyBench int32 at 8 per dimension)
VIVADO_2019_2 = {"gemm": 2684, "2mm": 3718, "3mm": 5043, "atax": 715, "bicg": 218, "mvt": 597,
                 "gesummv": 532, "syrk": 2631, "doitgen": 14545}
CALYX = {"gemm": 9265, "2mm": 15571, "3mm": 17487, "atax": 2255, "bicg": 1083, "mvt": 1861,
         "gesummv": 2209, "syrk": 12075, "doitgen": 49479}
RESULTS = HERE / "results"


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


def main_loops(design, inputs=None):
    """The pipelined loops of the top: name, II achieved / requested, and why when worse; and
    the resource bound of a call on ``inputs`` (sim/resource_bound.py: run-time trips too;
    None without inputs)."""
    class _M:                                   # pipeline_rows reads mod.design
        pass
    m = _M()
    m.design = design
    rows = pipeline_rows(m)
    bound = None if inputs is None else resource_bound(design, *kernels.copy_args(inputs))
    loops = [{"loop": r["name"], "ii": r["ii"], "ii_requested": r["ii_requested"],
              "depth": r["depth"], "note": r["note"] if r["ii"] != r["ii_requested"] else ""}
             for r, _ in rows]
    top = next(f for f in design.report_dict()["functions"] if f["function"] == design.name)
    not_piped = [f"{r['name']} (line {r['line']}): {r['note']}" for r in top["loops"]
                 if not r["pipelined"] and r["ii_requested"]]
    return loops, (bound or None), not_piped


def polybench_row(case, label, fast, boards=(), html=None, board_cache=None):
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
        row["board"] = board_numbers(case, schedule, label, boards, board_cache)
    if html:
        Path(html).mkdir(parents=True, exist_ok=True)
        model.report(html=Path(html) / f"{case.name}_{label}.html")
    return row


def float_schedule(s):
    """(b) of float32 PolyBench: every innermost loop pipelined at II 1 (float sums keep the
    source's order, so accumulations recur at the adder's latency; the II says so)."""
    kernels.pipeline_innermost(s)


def float_row(case, label):
    """float32 PolyBench at MINI size: cycles from the fast cycle model (the interpreter on
    the synthesized module; model == RTL is tests/test_cycle_model.py's), every written
    array bit for bit against numpy float32 computed in the source's order."""
    design, compile_s = compile_design(case.kernel, float_schedule if label == "b" else None)
    args = case.make_inputs(np.random.default_rng(0))
    ref = kernels.copy_args(args)
    case.reference(ref)
    model = CycleModule(design)
    t0 = time.perf_counter()
    model(*args)
    run_s = time.perf_counter() - t0
    bad = [k for k in case.written
           if not np.array_equal(args[k].view(np.uint32), ref[k].view(np.uint32))]
    loops, _, not_piped = main_loops(design) if label == "b" else ([], None, [])
    return {"suite": "polybench_f32", "kernel": case.name, "schedule": label,
            "cycles": model.cycles, "source": "cycle model", "ok": not bad,
            "problem": f"arguments {bad} differ from numpy float32" if bad else None,
            "loops": loops, "not_pipelined": not_piped, "compile_s": round(compile_s, 3),
            "run_s": round(run_s, 3), "resources": estimate(design.report_dict())}


def _same(a, b) -> bool:
    try:
        kernels.assert_same(a, b)
    except AssertionError:
        return False
    return True


def board_numbers(case, schedule, label, boards, cache):
    """{board: numbers} for the families in ``boards`` (cached, benchmarks/board_cache.py)."""
    out = {}
    for which in boards:
        too_big = _exceeds_ice40(out.get("ecp5")) if which == "ice40" else None
        if too_big:
            out[which] = {"board": "icebreaker", "fits": False, "reason": too_big}
            continue
        folder = f"{case.name.replace('/', '_')}_{label}_{which}"
        out[which] = cache.numbers(case.kernel, schedule, which,
                                   HERE.parent / "build" / "suite" / folder,
                                   f"{case.name} ({label})", progress=progress_stream())
    return out


def fill_board_cache(opts):
    """Board builds alone, cheapest first ((a) designs before the unrolled (b) ones, each by
    the resource model's LUT estimate), so an interrupted run has covered the most designs;
    the cache keeps each as it finishes."""
    only = set(opts.only.split(",")) if opts.only else None
    cases = [c for c in polybench_int.cases() if not only or c.name in only]
    def size(case, label):          # the resource model's LUTs: smaller builds faster
        schedule = polybench_int.SCHEDULES[case.name] if label == "b" else None
        return estimate(compile_design(case.kernel, schedule)[0].report_dict())["lut"]
    jobs = [(c, lb) for lb in ("a", "b")
            for c in sorted(cases, key=lambda c, lb=lb: size(c, lb))]
    if not opts.no_machsuite:             # MachSuite's kernels (no user schedule) after them
        jobs += [(k, "a") for k in machsuite.KERNELS if not only or k.name in only]
    t0 = time.perf_counter()
    for done, (case, label) in enumerate(jobs, 1):
        schedule = polybench_int.SCHEDULES[case.name] if label == "b" else None
        got = board_numbers(case, schedule, label, opts.boards, opts.board_cache)
        if progress.enabled(sys.stderr):
            print(f"  {progress.bar(done, len(jobs))} {case.name} ({label}): " + ", ".join(
                f"{b['board']} {b.get('fmax_mhz', '-')} MHz" for b in got.values()),
                file=sys.stderr, flush=True)
    c = opts.board_cache
    print(f"board cache {c.path}: {c.built} built, {c.hits} cached, "
          f"{time.perf_counter() - t0:.0f} s")
    return None


def _exceeds_ice40(ecp5):
    """Why a design built for ECP5 cannot fit the UP5K (None: it may): its ECP5 LUT count
    or multiplier count (one 18x18 block a 16x16 SB_MAC16 at best) is above the UP5K's."""
    from allo_rtl.boards import get_board
    up5k = get_board("icebreaker")
    if not ecp5 or "lut" not in ecp5:          # not built (or did not fit) on ECP5
        return None
    if ecp5["lut"] > up5k.luts:
        return f"{ecp5['lut']} LUTs on ECP5 > {up5k.luts} on the UP5K"
    if ecp5["dsp"] > up5k.dsps:
        return f"{ecp5['dsp']} multiplier blocks on ECP5 > {up5k.dsps} DSPs on the UP5K"
    return None


def machsuite_row(k, fast=False, rtl_simulator=None, boards=(), board_cache=None):
    """A MachSuite kernel on its data: the cycle model always (results checked against
    check.data); for the short ones (``k.rtl``), or every one when ``rtl_simulator`` names a
    simulator, the RTL simulation too, whose results are the ones checked and whose cycles
    must equal the model's."""
    design, compile_s = compile_design(k.kernel, None)
    inputs, check = k.data()
    args = k.inputs(inputs)
    model = CycleModule(design)
    t0 = time.perf_counter()
    simulator = rtl_simulator or ("amaranth" if k.rtl and not fast else None)
    if simulator:
        model(*k.inputs(inputs))
        hw = HardwareModule(design, max_cycles=10 * model.cycles + 1000, simulator=simulator)
        result = hw(*args)
        cycles = hw.cycles
        source = "rtl" if simulator == "amaranth" else f"rtl ({simulator})"
    else:
        result = model(*args)
        cycles, source = model.cycles, "cycle model"
    problem = k.check(args, result, check)
    if problem is None and cycles != model.cycles:
        problem = f"RTL took {cycles} cycles, the cycle model says {model.cycles}"
    row = {"suite": "machsuite", "kernel": k.name, "schedule": "a", "cycles": cycles,
           "model_cycles": model.cycles, "source": source, "ok": problem is None,
           "problem": problem, "compile_s": round(compile_s, 3),
           "run_s": round(time.perf_counter() - t0, 3), "note": k.note}
    if boards:
        row["board"] = board_numbers(k, None, "a", boards, board_cache)
    return row


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
    for r in rows:
        if r["suite"] != "polybench" and not r["ok"]:
            misses.append(f"{r['suite']} {r['kernel']} ({r['schedule']}): WRONG: {r['problem']}")
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
    jobs = [(lambda c=case, lb=label: polybench_row(c, lb, opts.fast, opts.boards, opts.html,
                                                    opts.board_cache))
            for case in polybench_int.cases() if not only or case.name in only
            for label in ("a", "b")]
    if not opts.no_float:
        jobs += [(lambda c=case, lb=label: float_row(c, lb))
                 for case in float_polybench.CASES if not only or f"f32:{case.name}" in only
                 for label in ("a", "b")]
    if not opts.no_machsuite:
        jobs += [(lambda k=k: machsuite_row(k, opts.fast, opts.machsuite_rtl, opts.boards,
                                            opts.board_cache))
                 for k in machsuite.KERNELS
                 if not only or k.name in only]
    for done, job in enumerate(jobs, 1):
        row = job()
        rows.append(row)
        _progress(row, done, len(jobs))
    for name, why in polybench_int.UNSUPPORTED.items():
        if not only or name in only:
            rows.append({"suite": "polybench", "kernel": name, "schedule": "-",
                         "unsupported": why})
    supported = [r for r in rows if "unsupported" not in r]
    return {"commit": commit(), "machine": machine(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "seconds": round(time.perf_counter() - t_start, 1),
            "options": {"fast": opts.fast, "boards": opts.boards},
            **({"board_builds": {"built": opts.board_cache.built, "cached":
                                 opts.board_cache.hits}} if opts.board_cache else {}),
            "rows": rows, "summary": summary(supported)}


def progress_stream():
    """Where a board build reports its stages: stderr on a terminal, else nowhere."""
    return progress.stream(sys.stderr)


def _progress(row, done, total):
    if progress.enabled(sys.stderr):
        print(f"  {progress.bar(done, total)} {row['suite']:9s} {row['kernel']:18s} "
              f"({row['schedule']}) {row['cycles']:>8} cycles "
              f"{'ok' if row['ok'] else 'WRONG'}", file=sys.stderr, flush=True)


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
    ap.add_argument("--boards", nargs="?", const="ecp5,ice40", default="",
                    help="add Fmax and resources from board builds: ecp5 (ULX3S, ECP5-85F), "
                         "ice40 (iCEBreaker, UP5K, where the design fits) or both (the "
                         "default); cached in results/boards.json, minutes a design when not")
    ap.add_argument("--rebuild-boards", action="store_true",
                    help="ignore the board cache")
    ap.add_argument("--cached-boards", action="store_true",
                    help="with --boards: take board numbers from the cache only (a design "
                         "not built yet says so) instead of building")
    ap.add_argument("--boards-only", action="store_true",
                    help="only fill the board cache (every PolyBench (a) design first, then "
                         "the (b) ones, then MachSuite's; --only selects), no simulation, no "
                         "results written")
    ap.add_argument("--only", help="comma-separated kernel names")
    ap.add_argument("--no-machsuite", action="store_true")
    ap.add_argument("--machsuite-rtl", choices=("amaranth", "icarus", "verilator"),
                    help="simulate every MachSuite kernel as RTL on this simulator (the long "
                         "ones take their results and cycles from the cycle model otherwise; "
                         "verilator: about 30 min for all twelve)")
    ap.add_argument("--no-float", action="store_true", help="leave out float32 PolyBench")
    ap.add_argument("--html", help="also write each PolyBench design's HTML report here")
    ap.add_argument("--out", default=str(RESULTS), help="results folder")
    opts = ap.parse_args(argv)
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    latest = out / "latest.json"
    previous = last_committed(latest)
    opts.boards = [b for b in opts.boards.split(",") if b]
    for b in opts.boards:
        if b not in BOARDS:
            ap.error(f"--boards: {b!r} is not one of {', '.join(BOARDS)}")
    if opts.boards_only and not opts.boards:
        opts.boards = ["ecp5", "ice40"]
    opts.board_cache = BoardCache(out / "boards.json", opts.rebuild_boards,
                                  opts.cached_boards) if opts.boards else None
    if opts.boards_only:
        return fill_board_cache(opts)
    results = run(opts)
    results["regressions"] = compare(previous, results) if previous else []
    latest.write_text(json.dumps(results, indent=1) + "\n")
    md = write_markdown(results, out / "latest.md")
    write_plots(results, out)
    print(md)
    return results


if __name__ == "__main__":
    main()
