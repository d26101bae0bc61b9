"""Allo's conv2D with a line buffer and a window buffer (reuse_at twice), unchanged except the
import."""
import allo_rtl as allo
from allo_rtl.ir.types import int32
import numpy as np


def conv2D(A: int32[10, 10]) -> int32[8, 8]:
    B: int32[8, 8] = 0
    for y, x in allo.grid(8, 8):
        v: int32 = 0
        for r, c in allo.reduction(3, 3):
            v += A[y + r, x + c]
        B[y, x] = v
    return B


s = allo.customize(conv2D)
LB = s.reuse_at(s.A, "y")
WB = s.reuse_at(LB, "x")
mod = s.build()

np_A = np.random.randint(0, 10, size=(10, 10)).astype(np.int32)
np_C = np.zeros((8, 8), dtype="int")
for y in range(0, 8):
    for x in range(0, 8):
        for r in range(0, 3):
            for c in range(0, 3):
                np_C[y][x] += np_A[y + r][x + c]
np_B = mod(np_A)
assert np.array_equal(np_B, np_C)
print(f"conv2D: {mod.cycles} cycles, A read {mod.reads['A']} times")
