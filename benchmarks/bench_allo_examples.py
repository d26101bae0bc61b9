"""Allo's own PolyBench schedules (its ``examples/polybench/``), run unchanged on allo-rtl at
int32, 8 per dimension: cycles against the resource lower bound of the loops they pipeline.

    python benchmarks/bench_allo_examples.py --allo PATH/TO/allo [--kernels gemm,atax] [--size mini]

PATH/TO/allo is a checkout of cornell-zhang/allo (the files are read from there at run time,
never copied into this repository). Each example file defines a schedule function whose first
parameter is ``concrete_type`` (``gemm(concrete_type, p, r, q)``, ``atax(...)``, ...); it is
called with ``int32`` and 8 for every size parameter, its schedule built with the default build,
and the design run on random inputs against allo-rtl's interpreter (results must be equal)
and timed in cycles.

"bound" is the resource lower bound of the call (allo_rtl/sim/resource_bound.py): over every
entry of every pipelined loop of the hierarchy, (trips - 1) x ResMII + depth -- ResMII the most
accesses a memory port serves per iteration after register promotion -- plus every run of a
block outside the pipelines at its busiest port or its chain of dependent operations (a loop
the example leaves sequential runs one iteration after another: a read, then the write of
what it read, takes two cycles), with run-time trips counted on the call's inputs: what any
schedule with those loops pipelined or sequential needs. A dataflow region (two_mm,
three_mm) counts, per entry, the largest of its stages' bounds: they run concurrently.
Recurrences are not in it; "+rec" is the same bound with each pipeline's iterations at least
max(ResMII, RecMII) apart (allo_rtl/hls/recurrence.py: a carried value's chain of unit
latencies -- syrk's int -> float -> add -> int update of ``buffer``, 12 cycles, which no
schedule of the example's loops shortens). Goal (issue 17): ratio <= 1.15. ``--pipeline-loops 1`` builds with every innermost loop the schedule leaves
sequential pipelined (Vitis HLS does so from 64 trips by default).
"""
import argparse
import importlib.util
import inspect
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import allo_rtl
import allo_rtl.ir.types
from allo_rtl.ir.types import int32
from allo_rtl.sim.resource_bound import resource_bound

KERNELS = ("gemm", "two_mm", "three_mm", "atax", "bicg", "mvt", "gesummv", "syrk", "syr2k",
           "doitgen", "trmm", "jacobi_1d", "jacobi_2d")
SIZE = 8
TIME_PARAMS = {"tsteps": 2}           # time steps of the stencils (kept short)


def alias_allo():
    """``import allo`` in the example files gives allo-rtl (the only change they need)."""
    sys.modules["allo"] = allo_rtl
    sys.modules["allo.ir"] = allo_rtl.ir
    sys.modules["allo.ir.types"] = allo_rtl.ir.types


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"allo_example_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def schedule_function(mod):
    for name, fn in vars(mod).items():
        if inspect.isfunction(fn) and not name.startswith("test"):
            params = list(inspect.signature(fn).parameters)
            if params and params[0] == "concrete_type":
                return fn
    raise LookupError(f"{mod.__file__}: no schedule function (first parameter concrete_type)")


def call_schedule(fn, sizes: dict | None):
    """(the top schedule, the hardware module if the example built it itself). ``sizes``:
    the example's psize.json entry (its parameter names, any case), else 8 everywhere."""
    args = []
    for name, p in list(inspect.signature(fn).parameters.items())[1:]:
        if p.default is not inspect.Parameter.empty:
            break                       # alpha, beta: the example's own defaults
        if sizes is not None:
            by_name = {k.lower(): v for k, v in sizes.items()}
            args.append(by_name[name.lower()] if name.lower() in by_name else
                        by_name[name.lower()[:1]])     # qq -> Q, rr -> R
        else:
            args.append(TIME_PARAMS.get(name.lower(), SIZE))
    made = []                           # the schedules the example customizes; the last is the top
    customize = allo_rtl.customize

    def recording(*a, **k):
        made.append(customize(*a, **k))
        return made[-1]
    allo_rtl.customize = recording
    try:
        out = fn(int32, *args)
    finally:
        allo_rtl.customize = customize
    return (made[-1], out) if not hasattr(out, "build") else (out, None)


def random_inputs(top, rng):
    out = []
    for p in top.params:
        t = p.type
        if hasattr(t, "shape") and t.shape:
            out.append(rng.integers(-50, 50, size=t.shape).astype(np.int32))
        else:
            out.append(np.int32(rng.integers(-50, 50)))
    return out


def run(path: Path, rng, sizes, pipeline_loops=None):
    mod = load(path)
    t0 = time.perf_counter()
    s, hw = call_schedule(schedule_function(mod), sizes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if pipeline_loops is not None:      # the example's own build is not that build
            hw = s.build(pipeline_loops=pipeline_loops)
        hw = hw or s.build()
    build_s = time.perf_counter() - t0
    top = s.module.functions[s.module.top]
    inputs = random_inputs(top, rng)
    ref_args = [a.copy() for a in inputs]
    hw_args = [a.copy() for a in inputs]
    want = s.build(target="python")(*ref_args)
    got = hw(*hw_args)
    same = all(np.array_equal(a, b) for a, b in zip(hw_args, ref_args)) and \
        (want is None or np.array_equal(np.asarray(got), np.asarray(want)))
    funcs = hw.design.report_dict()["functions"]
    # every call's pipelines, traced trips; a dataflow region counts its slowest stage
    bound = resource_bound(hw.design, *inputs)
    with_rec = resource_bound(hw.design, *inputs, recurrences=True)
    iis = " ".join(f"{f['function']}.{r['name']}:{r['ii']}" for f in funcs
                   for r in f["loops"] if r["pipelined"])
    limits = [f"{f['function']}.{r['name']}: {r['note']}" for f in funcs for r in f["loops"]
              if r["pipelined"] and r["ii"] != 1]
    return hw.cycles, bound, with_rec, build_s, same, iis, limits


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--allo", required=True, type=Path, help="a checkout of cornell-zhang/allo")
    ap.add_argument("--kernels", default=",".join(KERNELS))
    ap.add_argument("--size", default="8", help="8 (every dimension; the calyx-evaluation "
                    "sizes) or a psize.json class of the examples: mini, small, ...")
    ap.add_argument("--pipeline-loops", type=int, default=None, metavar="N",
                    help="build with pipeline_loops=N: innermost loops of N+ iterations the "
                    "schedule leaves sequential are pipelined, as Vitis HLS does by default")
    args = ap.parse_args(argv)
    psize = json.loads((args.allo / "examples" / "polybench" / "psize.json").read_text())
    alias_allo()
    rng = np.random.default_rng(0)
    print(f"{'example':10s} {'cycles':>7s} {'bound':>6s} {'ratio':>5s} {'+rec':>6s} {'ratio':>5s} "
          f"{'build s':>7s} ok  pipelined loops: II")
    notes = []
    for name in args.kernels.split(","):
        path = args.allo / "examples" / "polybench" / f"{name}.py"
        try:
            sizes = None if args.size == "8" else psize[name][args.size]
            cycles, bound, with_rec, build_s, ok, iis, limits = run(path, rng, sizes,
                                                                   args.pipeline_loops)
        except Exception as e:          # an example allo-rtl cannot run yet: say why, go on
            print(f"{name:10s} {'-':>7s} {'-':>6s} {'-':>5s} {'-':>6s} {'-':>5s} {'-':>7s} --  "
                  f"not run: {type(e).__name__}: {str(e).splitlines()[0][:110]}")
            continue
        ratio = f"{cycles / bound:5.2f}" if bound else "  n/a"
        rec_ratio = f"{cycles / with_rec:5.2f}" if with_rec else "  n/a"
        print(f"{name:10s} {cycles:7d} {bound or 0:6d} {ratio} {with_rec or 0:6d} {rec_ratio} "
              f"{build_s:7.2f} "
              f"{'ok' if ok else 'WRONG'}  {iis}", flush=True)
        notes += [f"  {name}: {n}" for n in limits]
    if notes:
        print("loops not at II=1:")
        print("\n".join(notes))


if __name__ == "__main__":
    main()
