"""The fast cycle model against the Amaranth simulation on PolyBench (int32, 8 per dimension):
per kernel and schedule, the simulated cycles, the model's cycles (they must be equal), and the
wall time of one call each way -- the simulation (``mod(...)``), ``mod.estimate(...)`` as a
user calls it (static count when control does not depend on data, else the control slice
runs), the whole interpreter traced (``trace=True, sliced=False``: what target="cycles"
pays, results included) and the control slice traced (``trace=True``); plus the
data-dependent kernels of tests/test_stall.py, where the traced paths are what estimate does.

    python benchmarks/bench_cycle_model.py [--json benchmarks/results/cycle_model.json]

Times are the best of 3 calls (the design is built once, outside the timing).
"""
import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import allo_rtl as allo          # noqa: E402
import kernels                   # noqa: E402
from test_stall import KERNELS   # noqa: E402

POLYBENCH = ("gemm", "2mm", "3mm", "atax", "bicg", "mvt", "gesummv", "syrk", "doitgen",
             "jacobi_1d")


def best_of(fn, n=3):
    best = math.inf
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def measure(name, mod, args):
    copy = kernels.copy_args
    sim_s, _ = best_of(lambda: mod(*copy(args)))
    cycles = mod.cycles
    static_s, est = best_of(lambda: mod.estimate(*copy(args)), 5)
    traced_s, traced = best_of(lambda: mod.estimate(*copy(args), trace=True, sliced=False))
    sliced_s, sliced = best_of(lambda: mod.estimate(*copy(args), trace=True))
    assert est == traced == sliced == cycles, \
        f"{name}: model {est}/{traced}/{sliced}, simulation {cycles}"
    return {"name": name, "cycles": cycles, "sim_s": sim_s, "static_s": static_s,
            "traced_s": traced_s, "sliced_s": sliced_s, "speedup_static": sim_s / static_s,
            "speedup_traced": sim_s / traced_s, "speedup_sliced": sim_s / sliced_s}


def rows():
    rng = np.random.default_rng(0)
    for case in kernels.CASES:
        if case.name not in POLYBENCH:
            continue
        for label, pipelined in (("a", False), ("b", True)):
            s = allo.customize(case.kernel)
            if pipelined:
                kernels.pipeline_innermost(s)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mod = s.build()
            yield measure(f"{case.name} ({label})", mod, case.make_inputs(rng, False))
    for name, (make, inputs, _) in sorted(KERNELS.items()):
        yield measure(name, make().build(), inputs(rng))


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="also write the rows as JSON here")
    opts = ap.parse_args(argv)
    print(f"{'kernel':22s} {'cycles':>7s} {'sim ms':>8s} {'estimate':>9s} {'traced ms':>9s} "
          f"{'sliced ms':>9s} {'x est.':>7s} {'x traced':>8s} {'x sliced':>8s}")
    out = []
    for r in rows():
        out.append(r)
        print(f"{r['name']:22s} {r['cycles']:7d} {r['sim_s'] * 1e3:8.1f} "
              f"{r['static_s'] * 1e3:9.2f} {r['traced_s'] * 1e3:9.2f} "
              f"{r['sliced_s'] * 1e3:9.2f} {r['speedup_static']:7.0f} "
              f"{r['speedup_traced']:8.1f} {r['speedup_sliced']:8.1f}", flush=True)
    poly = [r for r in out if "(" in r["name"]]
    summary = {"geomean_speedup_static_polybench": geomean([r["speedup_static"] for r in poly]),
               "geomean_speedup_traced_polybench": geomean([r["speedup_traced"] for r in poly]),
               "geomean_speedup_traced_all": geomean([r["speedup_traced"] for r in out]),
               "geomean_speedup_sliced_data_dependent": geomean(
                   [r["speedup_sliced"] for r in out if "(" not in r["name"]])}
    for k, v in summary.items():
        print(f"{k}: {v:.1f}x")
    if opts.json:
        Path(opts.json).write_text(json.dumps({"rows": out, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
