"""Backend benchmark: kernel -> Verilog time and Amaranth-sim speed for gemm N x N.

    python benchmarks/bench_backend.py            # N = 8 and 32
    python benchmarks/bench_backend.py 8 16       # chosen sizes

Prints, per size: synthesis (HLS) seconds, Verilog seconds, simulated cycles, simulation
seconds and cycles/second, and whether the result matched numpy.
"""
from __future__ import annotations

import sys
import time

import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import int32


def make_gemm(n: int):
    def gemm(A: int32[n, n], B: int32[n, n]) -> int32[n, n]:
        C: int32[n, n] = 0
        for i, j, k in allo.grid(n, n, n):
            C[i, j] += A[i, k] * B[k, j]
        return C
    return gemm


def bench(n: int) -> dict:
    rng = np.random.default_rng(0)
    A = rng.integers(-1000, 1000, (n, n), dtype=np.int32)
    B = rng.integers(-1000, 1000, (n, n), dtype=np.int32)
    t0 = time.perf_counter()
    s = allo.customize(make_gemm(n))
    mod = s.build()
    t1 = time.perf_counter()
    verilog = mod.verilog
    t2 = time.perf_counter()
    C = mod(A, B)
    t3 = time.perf_counter()
    ok = np.array_equal(C, (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int32))
    return {"n": n, "frontend+hls_s": t1 - t0, "verilog_s": t2 - t1,
            "verilog_lines": verilog.count("\n"), "cycles": mod.cycles, "sim_s": t3 - t2,
            "cycles_per_s": mod.cycles / (t3 - t2), "correct": ok}


def main(argv):
    sizes = [int(a) for a in argv] or [8, 32]
    for n in sizes:
        r = bench(n)
        print(f"gemm {n}x{n}: frontend+HLS {r['frontend+hls_s']:.3f} s, Verilog "
              f"{r['verilog_s']:.2f} s ({r['verilog_lines']} lines), {r['cycles']} cycles "
              f"simulated in {r['sim_s']:.1f} s = {r['cycles_per_s']:.0f} cycles/s, "
              f"correct={r['correct']}")


if __name__ == "__main__":
    main(sys.argv[1:])
