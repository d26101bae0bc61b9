"""allo-rtl demo: a gemm kernel becomes hardware, simulated cycle-accurately by Amaranth.

    python examples/demo.py

Prints the IR, checks the hardware result against numpy and the reference interpreter,
and prints the cycle count and the hardware report. Exit status 1 if any result differs.
"""
import sys

import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import int32

N = 8


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


def main() -> int:
    s = allo.customize(gemm)
    print(s)
    rng = np.random.default_rng(2024)
    A = rng.integers(-2**31, 2**31, (N, N), dtype=np.int64).astype(np.int32)
    B = rng.integers(-2**31, 2**31, (N, N), dtype=np.int64).astype(np.int32)
    expected = (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int32)  # int32 wraparound

    mod = s.build()                            # hardware on Amaranth's simulator
    C = mod(A, B)
    reference = s.build(target="python")(A, B)
    ok = np.array_equal(C, expected) and np.array_equal(reference, expected)
    print(f"result check: {'OK' if ok else 'MISMATCH'} (hardware == interpreter == numpy)")
    print(f"cycles: {mod.cycles}")
    print(mod.report())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
