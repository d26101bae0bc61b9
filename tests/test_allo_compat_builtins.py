"""Allo builtins a kernel calls (tanh, sin, cos, tan, log2, log10, power, relu) and
``x.bitcast()``: on the interpreter against numpy; hardware runs relu of integers and the
float32 tanh, sin, cos, tan and power (tests/test_float_trig_pow.py), and refuses log2 at the
line."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir import float_math
from allo_rtl.ir.types import float16, float32, int32, uint32

rng = np.random.default_rng(3)


def trig(A: float32[8]) -> float32[8]:
    B: float32[8] = 0.0
    for i in range(8):
        B[i] = allo.tanh(A[i]) + allo.sin(A[i]) * allo.cos(A[i]) + allo.power(A[i], 2.0)
    return B


def test_float_builtins_match_numpy():
    a = rng.standard_normal(8).astype(np.float32)
    got = allo.customize(trig).build(target="python")(a)
    ev = float_math.evaluate                # float32 tanh/sin/cos/power: the defined algorithms
    defined = ev("tanh", a) + ev("sin", a) * ev("cos", a) + ev("power", a, np.float32(2.0))
    assert got.dtype == np.float32 and np.array_equal(got, defined)
    expected = np.tanh(a) + np.sin(a) * np.cos(a) + np.power(a, np.float32(2.0))
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def logarithm2(A: float32[8]) -> float32[8]:
    B: float32[8] = 0.0
    for i in range(8):
        B[i] = allo.log2(A[i])
    return B


def test_log2_refused_in_hardware():
    with pytest.raises(allo.AlloError, match="not supported in hardware yet"):
        allo.customize(logarithm2).build()


def logs(A: float16[4]) -> float16[4]:
    return allo.log2(A) + allo.log10(A)


def test_array_builtins_keep_the_format():
    a = np.array([1, 2, 10, 1000], dtype=np.float16)
    got = allo.customize(logs).build(target="python")(a)
    assert got.dtype == np.float16 and np.array_equal(got, np.log2(a) + np.log10(a))


def relus(A: int32[6], x: int32) -> int32[6]:
    B: int32[6] = allo.relu(A)
    B[0] = allo.relu(x)
    return B


@pytest.mark.parametrize("target", ["python", None])
def test_relu_of_integers_on_hardware_too(target):
    a = np.array([-5, 3, 0, -1, 7, -2**31], dtype=np.int32)
    expected = np.maximum(a, 0)
    expected[0] = 9
    assert np.array_equal(allo.customize(relus).build(target=target)(a, 9), expected)


def to_float(A: uint32[6]) -> float32[6]:
    B: float32[6] = 0.0
    for i in range(6):
        B[i] = A[i].bitcast()
    return B


def to_bits(A: float32[6]) -> uint32[6]:
    B: uint32[6] = 0
    for i in range(6):
        B[i] = A[i].bitcast()
    return B


def half_bits(A: int32[4]) -> float16[4]:
    B: float16[4] = 0.0
    for i in range(4):
        B[i] = A[i][0:16].bitcast()
    return B


def test_bitcast_reinterprets_bits():
    a = rng.integers(0, 2**32, 6, dtype=np.uint64).astype(np.uint32)
    a[0] = 0x7FC00000                                    # a NaN pattern survives
    got = allo.customize(to_float).build(target="python")(a)
    assert np.array_equal(got.view(np.uint32), a)
    f = rng.standard_normal(6).astype(np.float32)
    assert np.array_equal(allo.customize(to_bits).build(target="python")(f), f.view(np.uint32))
    i = rng.integers(-2**31, 2**31, 4).astype(np.int32)
    got = allo.customize(half_bits).build(target="python")(i)
    assert np.array_equal(got.view(np.uint16), (i & 0xFFFF).astype(np.uint16))


def test_bitcast_of_odd_width_refused():
    def k(x: int32) -> int32:
        return x[0:8].bitcast()

    with pytest.raises(allo.AlloError, match="bitcast\\(\\) of uint8"):
        allo.customize(k)
