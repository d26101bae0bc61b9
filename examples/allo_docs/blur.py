"""Allo's reuse_at example (its tests' blur along x), unchanged except the import."""
import allo_rtl as allo
from allo_rtl.ir.types import int32
import numpy as np


def reuse_blur_x(A: int32[10, 10]) -> int32[10, 8]:
    B: int32[10, 8] = 0
    for y, x in allo.grid(10, 8):
        B[y, x] = A[y, x] + A[y, x + 1] + A[y, x + 2]
    return B


s = allo.customize(reuse_blur_x)
RB = s.reuse_at(s.A, "x")
mod = s.build()

np_A = np.random.randint(0, 10, size=(10, 10)).astype(np.int32)
np_C = np.zeros((10, 8), dtype="int")
for y in range(0, 10):
    for x in range(0, 8):
        np_C[y][x] = np_A[y][x] + np_A[y][x + 1] + np_A[y][x + 2]
np_B = mod(np_A)
assert np.array_equal(np_B, np_C)
print(f"blur: {mod.cycles} cycles, A read {mod.reads['A']} times")
