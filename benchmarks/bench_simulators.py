"""Simulated cycles per second of each simulator, and build time per design.

    python benchmarks/bench_simulators.py [N ...]      # gemm N x N, default 8 32

For every simulator (Amaranth's, Icarus and Verilator through cocotb): first-call time (incl.
building the simulator model; the cocotb builds are cached, so clear ~/.cache/allo-rtl for a
cold number), second-call time, cycles and cycles/second of the second call.
"""
import sys
import time

import numpy as np

import allo_rtl as allo
from bench_backend import make_gemm


def bench(n):
    rng = np.random.default_rng(0)
    A = rng.integers(-1000, 1000, (n, n), dtype=np.int32)
    B = rng.integers(-1000, 1000, (n, n), dtype=np.int32)
    expected = (A.astype(np.int64) @ B).astype(np.int32)
    s = allo.customize(make_gemm(n))
    for target in (None, "icarus", "verilator"):
        t0 = time.perf_counter()
        mod = s.build(target=target)
        ok = np.array_equal(mod(A, B), expected)
        t1 = time.perf_counter()
        ok &= np.array_equal(mod(A, B), expected)
        t2 = time.perf_counter()
        name = target or "amaranth"
        print(f"gemm {n}x{n} {name:9s}: first call {t1 - t0:6.2f} s, second {t2 - t1:6.2f} s, "
              f"{mod.cycles} cycles, {mod.cycles / (t2 - t1):10.0f} cycles/s, correct={ok}")


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [8, 32]:
        bench(n)
