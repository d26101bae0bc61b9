"""Allo's gemm from its documentation (backends/vitis.rst) with the schedule of its
composition tutorial (dive_03: reorder, buffer_at, pipeline). Unchanged except the import."""
import allo_rtl as allo
from allo_rtl.ir.types import int32
import numpy as np

M, N, K = 32, 32, 32


def gemm(A: int32[32, 32], B: int32[32, 32]) -> int32[32, 32]:
    C: int32[32, 32] = 0
    for i, j, k in allo.grid(32, 32, 32):
        C[i, j] += A[i, k] * B[k, j]
    return C


s = allo.customize(gemm)
s.reorder("k", "j")
s.buffer_at(s.C, axis="i")
s.pipeline("j")
mod = s.build()

np_A = np.random.randint(0, 100, (M, K)).astype(np.int32)
np_B = np.random.randint(0, 100, (K, N)).astype(np.int32)
np_C = mod(np_A, np_B)
np.testing.assert_allclose(np_C, np.matmul(np_A, np_B), rtol=1e-5, atol=1e-5)
print(f"gemm 32x32x32: {mod.cycles} cycles")
