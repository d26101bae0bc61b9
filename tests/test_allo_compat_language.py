"""Allo kernel-language items: bit and slice assignment, reverse(), rows of 2-D arrays as 1-D
views. Each runs on the interpreter and the default hardware build against numpy/Python ints."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import float32, int8, int32, uint1, uint2, uint8, uint16

TARGETS = ["python", None]
rng = np.random.default_rng(12)


def set_bit_scalar(A: uint1[10], B: int32[10]):
    for i in range(10):
        b: int32 = B[i]
        b[31] = A[i]                  # the sign bit
        B[i] = b


def set_bit_element(A: uint1[10], B: int32[10]):
    for i in range(10):
        B[i][3] = A[i]


def set_slice(A: uint8[10], B: int32[10]):
    for i in range(10):
        B[i][4:12] = A[i] + 300      # wrapped to the field's 8 bits


def set_dynamic_slice(A: uint2[8], B: uint16[8]):
    for i in range(8):
        x: uint16 = B[i]
        x[i:i + 2] = A[i]
        B[i] = x


def field(b, lo, width, v):
    mask = ((1 << width) - 1) << lo
    u = (int(b) & 0xFFFFFFFF & ~mask) | ((int(v) << lo) & mask)
    return u - (1 << 32) if u >> 31 else u


@pytest.mark.parametrize("target", TARGETS)
def test_bit_and_slice_assignment(target):
    a1 = rng.integers(0, 2, 10)
    a8 = rng.integers(0, 256, 10).astype(np.uint8)
    b0 = rng.integers(-2**31, 2**31, 10).astype(np.int32)
    cases = [(set_bit_scalar, a1, lambda b, v: field(b, 31, 1, v)),
             (set_bit_element, a1, lambda b, v: field(b, 3, 1, v)),
             (set_slice, a8, lambda b, v: field(b, 4, 8, (int(v) + 300) % 256))]
    for kernel, a, ref in cases:
        b = b0.copy()
        allo.customize(kernel).build(target=target)(a, b)
        assert [int(x) for x in b] == [ref(x, v) for x, v in zip(b0, a)], kernel.__name__
    a2 = rng.integers(0, 4, 8).astype(np.uint8)
    b16 = rng.integers(0, 2**16, 8).astype(np.uint16)
    b = b16.copy()
    allo.customize(set_dynamic_slice).build(target=target)(a2, b)
    expected = [(int(x) & ~(3 << i) | (int(v) << i)) & 0xFFFF for i, (x, v) in enumerate(zip(b16, a2))]
    assert [int(x) for x in b] == expected


def reverse8(A: uint8[10]) -> uint8[10]:
    B: uint8[10] = 0
    for i in range(10):
        B[i] = (A[i][0:8]).reverse()
    return B


def reverse_signed(A: int8[4]) -> int8[4]:
    B: int8[4] = 0
    for i in range(4):
        B[i] = A[i].reverse()
    return B


@pytest.mark.parametrize("target", TARGETS)
def test_reverse(target):
    a = rng.integers(0, 256, 10).astype(np.uint8)
    got = allo.customize(reverse8).build(target=target)(a)
    assert [int(g) for g in got] == [int(f"{int(x):08b}"[::-1], 2) for x in a]
    s8 = np.array([1, -128, 6, -2], dtype=np.int8)
    got = allo.customize(reverse_signed).build(target=target)(s8)
    expected = np.array([int(f"{int(x) & 0xFF:08b}"[::-1], 2) for x in s8]).astype(np.uint8)
    assert np.array_equal(got.view(np.uint8), expected)


def double_row(r: int32[4]):
    for j in range(4):
        r[j] = r[j] * 2


def row_sum(r: int32[4]) -> int32:
    s: int32 = 0
    for j in range(4):
        s += r[j]
    return s


def rows(A: int32[3, 4], C: int32[3, 4]) -> int32[3]:
    S: int32[3] = 0
    for i in range(3):
        double_row(A[i])              # written back into A's row i
        S[i] = row_sum(A[i]) + A[i][0]
        C[i] = A[2 - i]               # row copy
    return S


@pytest.mark.parametrize("target", TARGETS)
def test_rows_as_views(target):
    a = rng.integers(-1000, 1000, (3, 4)).astype(np.int32)
    c = np.zeros((3, 4), dtype=np.int32)
    a0 = a.copy()
    got = allo.customize(rows).build(target=target)(a, c)
    assert np.array_equal(a, a0 * 2)
    assert np.array_equal(got, (a0 * 2).sum(axis=1) + a0[:, 0] * 2)
    # row i of C copies row 2-i of A after A's rows 0..i were doubled
    expected_c = np.stack([a0[2 - i] * (2 if 2 - i <= i else 1) for i in range(3)])
    assert np.array_equal(c, expected_c)


def test_refusals_point_at_the_line():
    def float_bits(A: float32[2]):
        A[0][1] = 1

    def wide_reverse(x: allo.Int(100)) -> allo.Int(100):
        return x.reverse()

    def bad_row(A: int32[3, 4], B: int32[3]):
        A[0] = B

    for kernel, msg in [(float_bits, "needs an integer"), (wide_reverse, "limited to 64"),
                        (bad_row, "cannot assign a int32\\[3\\] array to a row")]:
        with pytest.raises(allo.AlloError, match=msg) as e:
            allo.customize(kernel)
        assert "test_allo_compat_language.py" in str(e.value)


def bump(X: int32[3]) -> int32[3]:
    for i in range(3):
        X[i] += 1
    return X


@pytest.mark.parametrize("target", ["python", None])
def test_returned_parameter_is_the_callers_array(target):
    # run as Python, bump(x) returns x itself (updated); the built kernel does the same
    s = allo.customize(bump)
    if target is None:
        s.partition(s.X)                       # through the banked boundary too
    x = np.arange(3, dtype=np.int32)
    r = s.build(target=target)(x)
    assert r is x and list(x) == [1, 2, 3]
    y = np.arange(3, dtype=np.int32)
    assert bump(y) is y


A_GLOBAL = 7


def relist() -> int32:
    tmp: int32[2, 2] = [[1, 2], [3, 4]]
    tmp = [[A_GLOBAL, 2], [3, 4]]          # a list literal assigned to a declared array
    one: int32[1] = [1]
    one = [A_GLOBAL + 1]
    return tmp[0, 0] * 100 + one[0] + tmp[1, 1]


@pytest.mark.parametrize("target", ["python", None])
def test_list_literal_assigned_to_an_existing_array(target):
    assert allo.customize(relist).build(target=target)() == 7 * 100 + 8 + 4
