"""Accesses that certainly leave their array are refused at build time, at their line (the
hardware has no bounds check: B[8] of an int32[8] would wrap onto B[0]); accesses that only
may leave it (guarded, triangular, data-dependent) are left to the interpreter's check."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32


def _line(text):
    with open(__file__) as f:
        return next(n for n, line in enumerate(f, 1) if text in line)


def write_past_end(A: int32[8], B: int32[8]):
    for i in range(8):
        B[i + 1] = A[i]                      # B[8] in the last iteration


def read_before_start(A: int32[4, 4], B: int32[4, 4]):
    for i, j in allo.grid(4, 4):
        B[i, j] = A[i, j - 1]                # A[i, -1] when j == 0


def guarded(A: int32[8], B: int32[8]):
    for i in range(8):
        if i + 1 < 8:
            B[i + 1] = A[i]


def triangular(A: int32[8], B: int32[8]):
    for i in range(8):
        for j in range(i, 8):
            B[j] = A[j] + i


@pytest.mark.parametrize("target", [None, "python"])
def test_certain_out_of_bounds_write_is_refused_at_its_line(target):
    with pytest.raises(allo.AlloError, match=r"writes B out of bounds: index 8") as info:
        allo.customize(write_past_end).build(target=target)
    assert info.value.loc.line == _line("B[i + 1] = A[i]                      # B[8]")


def test_certain_out_of_bounds_read_is_refused():
    with pytest.raises(allo.AlloError, match=r"reads A out of bounds: index -1 along dimension 2"):
        allo.customize(read_before_start).build()


def test_guarded_and_triangular_accesses_are_accepted_and_correct():
    A = np.arange(8, dtype=np.int32)
    B = np.zeros(8, dtype=np.int32)
    allo.customize(guarded).build()(A, B)
    assert np.array_equal(B, np.concatenate([[0], A[:7]]))
    B = np.zeros(8, dtype=np.int32)
    allo.customize(triangular).build()(A, B)
    assert np.array_equal(B, A + np.arange(8))      # the last i to write B[j] is i == j
