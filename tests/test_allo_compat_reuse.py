"""reuse_at on a loop whose index is offset by outer loop indices (Allo's conv2D line buffer
and window after split + reorder: the window slides along x.inner from x.outer * 4):
hardware == interpreter == numpy, and the accesses must agree on that base; a reshaped
result comes back in its new shape."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloScheduleError
from allo_rtl.ir.types import int32


def conv3x3(A: int32[6, 12]) -> int32[4, 10]:
    B: int32[4, 10] = 0
    for y, x in allo.grid(4, 10):
        v: int32 = 0
        for r, c in allo.reduction(3, 3):
            v += A[y + r, x + c]
        B[y, x] = v
    return B


def reference(a):
    a = a.astype(np.int64)
    out = sum(a[r:r + 4, c:c + 10] for r in range(3) for c in range(3))
    return ((out + 2**31) % 2**32 - 2**31).astype(np.int32)


def test_window_after_split_and_reorder():
    rng = np.random.default_rng(5)
    a = rng.integers(-2**31, 2**31, (6, 12)).astype(np.int32)
    a[0, 0], a[-1, -1] = -2**31, 2**31 - 1
    s = allo.customize(conv3x3)
    s.split("x", 5)
    s.reorder("x.outer", "y", "x.inner")
    lb = s.reuse_at(s.A, "y")
    wb = s.reuse_at(lb, "x.inner")
    assert lb.shape == (3, 12) and wb.shape == (3, 3)
    want = reference(a)
    for target in ("python", None):
        assert np.array_equal(s.build(target=target)(a), want), target


def different_bases(A: int32[12]) -> int32[10]:
    B: int32[10] = 0
    for xo in range(2):
        for xi in range(5):
            B[xo * 5 + xi] = A[xo * 5 + xi] + A[xo * 4 + xi + 1]
    return B


def test_accesses_with_different_outer_terms_are_refused():
    s = allo.customize(different_bases)
    with pytest.raises(AlloScheduleError, match="add different outer-loop terms"):
        s.reuse_at(s.A, "xi")
    assert s.primitives == []


def sum3(A: int32[6, 12]) -> int32[4, 10]:
    B: int32[4, 10] = 0
    for y, x in allo.grid(4, 10):
        B[y, x] = A[y, x] + A[y + 1, x + 1] + A[y + 2, x + 2]
    return B


def test_a_reshaped_result_is_returned_in_its_new_shape():
    # Allo's s.reshape(s.B, ...) of a returned array changes the kernel's result type
    a = np.random.default_rng(6).integers(-1000, 1000, (6, 12)).astype(np.int32)
    want = (a[:4, :10] + a[1:5, 1:11] + a[2:6, 2:12]).reshape(4, 2, 5)
    s = allo.customize(sum3)
    s.reshape(s.B, (4, 2, 5))
    for target in ("python", None):
        out = s.build(target=target)(a)
        assert out.shape == (4, 2, 5) and np.array_equal(out, want), target


def conv_stride2(A: int32[11, 9]) -> int32[5, 4]:
    B: int32[5, 4] = 0
    for y, x in allo.grid(5, 4):
        v: int32 = 0
        for r, c in allo.reduction(3, 3):
            v += A[y * 2 + r, x * 2 + c]
        B[y, x] = v
    return B


def test_a_strided_window():
    # Allo's conv2D with stride 2: the line buffer keeps one row per step, loads two
    a = np.random.default_rng(9).integers(-10**8, 10**8, (11, 9)).astype(np.int32)
    want = sum(a[r:r + 10:2, c:c + 8:2].astype(np.int64) for r in range(3) for c in range(3))
    s = allo.customize(conv_stride2)
    lb = s.reuse_at(s.A, "y")
    wb = s.reuse_at(lb, "x")
    assert lb.shape == (3, 9) and wb.shape == (3, 3)
    for target in ("python", None):
        hw = s.build(target=target)
        assert np.array_equal(hw(a), want.astype(np.int32)), target
    assert hw.reads["A"] == 99            # every element of A read once


def mixed_strides(A: int32[20]) -> int32[6]:
    B: int32[6] = 0
    for x in range(6):
        B[x] = A[x * 2] + A[x * 3]
    return B


def test_accesses_with_different_strides_are_refused():
    s = allo.customize(mixed_strides)
    with pytest.raises(AlloScheduleError, match="step by 2 and 3"):
        s.reuse_at(s.A, "x")
