"""Allo's type names: every intN/uintN (N in 1..64, and 128/256/512) exists and computes with
that width, on the interpreter and on hardware."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir import types as T
from allo_rtl.ir.types import Int, int12, uint2, uint5


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


def wide(a: Int(1000)[2], b: Int(345)[2], c: Int(1000)[2]):
    for i in range(2):
        c[i] = a[i] * b[i] + (a[i] >> 3)


def test_integers_wider_than_512_bits_run_on_the_interpreter():
    s = allo.customize(wide)
    a = np.array([3 ** 600, -(7 ** 300)], dtype=object)
    b = np.array([5 ** 140, -2], dtype=object)
    c = np.array([0, 0], dtype=object)
    s.build(target="python")(a, b, c)
    wrap = lambda v: (v + 2 ** 999) % 2 ** 1000 - 2 ** 999           # noqa: E731
    assert list(c) == [wrap(x * y + (x >> 3)) for x, y in zip(a, b)]
    assert wrap(3 ** 600 * 5 ** 140) != 3 ** 600 * 5 ** 140         # the case wraps

    def huge(x: Int(65536)[1], y: Int(345)[1], z: Int(65536)[1]):
        z[0] = x[0] + y[0]
    allo.customize(huge)                                            # Allo's width accepted


def test_hardware_refuses_more_than_512_bits_at_the_line():
    with pytest.raises(allo.AlloError, match=r"Int\(1000\) is wider than the 512 bits") as e:
        allo.customize(wide).build()
    assert f"test_allo_compat_types.py:{wide.__code__.co_firstlineno}" in str(e.value)


def test_float_field_widths():
    from allo_rtl.ir.types import bfloat16, float16, float32, float64
    assert [(t.bits, t.exponent, t.fracs) for t in (float16, bfloat16, float32, float64)] == \
        [(16, 5, 10), (16, 8, 7), (32, 8, 23), (64, 11, 52)]
