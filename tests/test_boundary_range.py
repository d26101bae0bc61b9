"""The numpy boundary refuses values a parameter's type cannot hold (issue 16), on every
target, unless the call opts in to wrapping with ``wrap=True``. Expected wrapped values are
computed here with Python ints (two's complement by hand), not by allo_rtl."""
import math

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloArgumentError
from allo_rtl.ir.types import Fixed, int8, int32, uint8

F12 = Fixed(12, 4)


def copy8(A: int8[4]) -> int8[4]:
    B: int8[4] = 0
    for i in range(4):
        B[i] = A[i]
    return B


def copyu8(A: uint8[2]) -> uint8[2]:
    B: uint8[2] = 0
    for i in range(2):
        B[i] = A[i]
    return B


def copyfix(F: F12[2, 2]) -> F12[2, 2]:
    G: F12[2, 2] = 0
    for i, j in allo.grid(2, 2):
        G[i, j] = F[i, j]
    return G


def fixs(x: F12) -> F12:
    return x


def id32(w: int32) -> int32:
    return w


def twos(value: int, bits: int) -> int:
    """value wrapped into a signed bits-bit integer."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


TARGETS = ["python", "amaranth",
           pytest.param("icarus", marks=pytest.mark.icarus),
           pytest.param("verilator", marks=pytest.mark.verilator)]


def build(kernel, target):
    s = allo.customize(kernel)
    return s.build() if target == "amaranth" else s.build(target=target)


@pytest.mark.parametrize("target", TARGETS)
def test_out_of_range_values_are_refused_on_every_target(target):
    # the refusal comes before any simulation, so the external simulators are not even built
    cases = [
        (copy8, (np.array([1, 2, 300, 4]),), r"'A' .* at index \(2,\) is 300, outside int8's "
                                             r"range -128\.\.127"),
        (copyu8, (np.array([-1, 0]),), r"at index \(0,\) is -1, outside uint8's range 0\.\.255"),
        (id32, (2**32 + 5,), r"'w' .* is 4294967301, outside int32's range "
                             r"-2147483648\.\.2147483647"),
        (fixs, (1000.0,), r"'x' .* is 1000\.0, outside Fixed\(12, 4\)'s range "
                          r"-128\.0\.\.127\.9375"),
        (fixs, (math.nan,), r"is nan, which Fixed\(12, 4\) cannot represent"),
        (copyfix, (np.array([[0.5, 1.0], [np.inf, 2.0]]),),
         r"at index \(1, 0\) is inf, which .* cannot represent"),
        (copyfix, (np.array([[0.5, -np.inf], [1.0, 2.0]]),),
         r"at index \(0, 1\) is -inf, which .* cannot represent"),
    ]
    for kernel, args, message in cases:
        mod = build(kernel, target)
        with pytest.raises(AlloArgumentError, match=message) as info:
            mod(*args)
        assert info.value.loc.file == __file__          # the kernel's own line
        # what to do: wrap=True for an overflow; NaN/inf have no wrapped value
        assert ("nan_to_num" if "represent" in str(info.value) else "wrap=True") \
            in str(info.value)


@pytest.mark.parametrize("target", ["python", "amaranth"])
def test_exact_limits_are_accepted(target):
    np.testing.assert_array_equal(build(copy8, target)(np.array([-128, 127, 0, -1])),
                                  [-128, 127, 0, -1])
    np.testing.assert_array_equal(build(copyu8, target)(np.array([0, 255])), [0, 255])
    assert build(id32, target)(-2**31) == -2**31 and build(id32, target)(2**31 - 1) == 2**31 - 1
    lo, hi = -2048 / 16, 2047 / 16                       # Fixed(12, 4): raw -2048..2047
    got = build(copyfix, target)(np.array([[lo, hi], [127.99, -128.03]]))
    # a finer fraction truncates toward zero (the conversion, not an overflow)
    np.testing.assert_array_equal(got, [[lo, hi], [2047 / 16, -2048 / 16]])
    assert build(fixs, target)(hi) == hi and build(fixs, target)(lo) == lo


@pytest.mark.parametrize("target", ["python", "amaranth"])
def test_wrap_is_an_explicit_opt_in(target):
    assert build(copy8, target)(np.array([300, -129, 1, 2]), wrap=True).tolist() == \
        [twos(300, 8), twos(-129, 8), 1, 2]                 # 44, 127
    assert build(id32, target)(2**32 + 5, wrap=True) == twos(2**32 + 5, 32) == 5
    raw = math.trunc(1000.0 * 16)                          # Fixed(12, 4) mantissa
    assert build(fixs, target)(1000.0, wrap=True) == twos(raw, 12) / 16 == -24.0
    with pytest.raises(AlloArgumentError, match="is nan"):   # NaN has no wrapped value
        build(fixs, target)(math.nan, wrap=True)
