"""PolyBench (int32, 8 per dimension, the calyx-evaluation sizes) with no user schedule:
cycles on the generated hardware vs Vivado HLS 2019.2's published default cycles, and the time
the HLS passes take per kernel.

    python benchmarks/bench_polybench.py

Kernels are the ones of tests/kernels.py (checked against numpy there). Pipelined variants
(issue #4's part (b)) are not available yet.
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import allo_rtl as allo          # noqa: E402
import kernels                   # noqa: E402
from allo_rtl.rtl.build import HardwareDesign   # noqa: E402

VIVADO_2019_2 = {"gemm": 2684, "2mm": 3718, "3mm": 5043, "atax": 715, "bicg": 218, "mvt": 597,
                 "gesummv": 532, "syrk": 2631, "doitgen": 14545}


def main():
    print(f"{'kernel':8s} {'cycles':>7s} {'vivado':>7s} {'ratio':>6s} {'hls s':>7s}  correct")
    for case in kernels.CASES:
        if case.name not in VIVADO_2019_2:
            continue
        s = allo.customize(case.kernel)
        t0 = time.perf_counter()
        design = HardwareDesign(s.module)
        hls_s = time.perf_counter() - t0
        mod = s.build()
        args = case.make_inputs(np.random.default_rng(0), False)
        np_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        expected = case.reference(np_args)
        got = mod(*args)
        ok = (expected is None or _same(got, expected)) and all(
            np.array_equal(args[k], np_args[k]) for k in case.inplace)
        v = VIVADO_2019_2[case.name]
        print(f"{case.name:8s} {mod.cycles:7d} {v:7d} {mod.cycles / v:6.2f} {hls_s:7.3f}  {ok}")
        del design


def _same(a, b):
    if isinstance(b, tuple):
        return all(_same(x, y) for x, y in zip(a, b))
    return bool(np.array_equal(a, b))


if __name__ == "__main__":
    main()
