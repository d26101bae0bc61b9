"""Allo's type names: every intN/uintN (N in 1..64, and 128/256/512) exists and computes with
that width, on the interpreter and on hardware."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir import types as T
from allo_rtl.ir.types import int12, uint2, uint5


@pytest.mark.parametrize("n", [*range(1, 65), 128, 256, 512])
def test_every_width_is_named(n):
    assert getattr(T, f"int{n}") == T.Int(n) and getattr(T, f"uint{n}") == T.UInt(n)
    assert getattr(allo, f"int{n}") == T.Int(n)
    assert f"uint{n}" in T.__all__


def wrap(v, bits, signed):
    v &= (1 << bits) - 1
    return v - (1 << bits) if signed and v >> (bits - 1) else v


def odd_widths(A: uint5[6], B: uint2[6]) -> int12[6]:
    C: int12[6] = 0
    for i in range(6):
        x: uint2 = A[i]               # narrowing wraps to 2 bits
        C[i] = (A[i] * B[i] + x) * 100
    return C


@pytest.mark.parametrize("target", ["python", None])
def test_odd_widths_wrap_like_python_ints(target):
    a = np.array([31, 30, 7, 0, 17, 22], dtype=np.uint8)
    b = np.array([3, 2, 1, 0, 3, 3], dtype=np.uint8)
    expected = [wrap((int(x) * int(y) + (int(x) & 3)) * 100, 12, True) for x, y in zip(a, b)]
    got = allo.customize(odd_widths).build(target=target)(a, b)
    assert [int(v) for v in got] == expected
