"""float16, bfloat16 and float64 on the interpreter, bit-exact with numpy / ml_dtypes; the
hardware build refuses them at the kernel line."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import bfloat16, float16, float32, float64, int32

rng = np.random.default_rng(6)


def axpy16(A: float16[16], B: float16[16], s: float16) -> float16[16]:
    C: float16[16] = 0.0
    for i in range(16):
        C[i] = A[i] * s + B[i] * 0.1            # 0.1 is a float16 here, as numpy makes it
    return C


def axpy64(A: float64[16], B: float64[16], s: float64) -> float64[16]:
    C: float64[16] = 0.0
    for i in range(16):
        C[i] = A[i] * s + B[i] * 0.1
    return C


def mixed(A: float16[8], B: float32[8]) -> float32[8]:
    C: float32[8] = 0.0
    for i in range(8):
        C[i] = A[i] + B[i]                      # float16 widened to float32
    return C


def same_bits(got, expected):
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert np.array_equal(got.view(np.uint8), expected.view(np.uint8)), (got, expected)


@pytest.mark.parametrize("kernel,dt", [(axpy16, np.float16), (axpy64, np.float64)])
def test_ieee_formats_match_numpy_bit_for_bit(kernel, dt):
    a = (rng.standard_normal(16) * 100).astype(dt)
    b = (rng.standard_normal(16) * 100).astype(dt)
    s = dt(1.7)
    got = allo.customize(kernel).build(target="python")(a, b, s)
    expected = (a * s + b * 0.1).astype(dt)                   # numpy, in the same format
    same_bits(got, expected)


def test_mixed_formats_widen():
    a = (rng.standard_normal(8) * 10).astype(np.float16)
    b = rng.standard_normal(8).astype(np.float32)
    same_bits(allo.customize(mixed).build(target="python")(a, b), a.astype(np.float32) + b)


def test_float64_literal_is_exact():
    def k() -> float64:
        x: float64 = 0.1
        return x

    assert allo.customize(k).build(target="python")() == np.float64(0.1)


def test_bfloat16_matches_ml_dtypes():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    bf = ml_dtypes.bfloat16

    def k(A: bfloat16[8], B: bfloat16[8]) -> bfloat16[8]:
        C: bfloat16[8] = 0.0
        for i in range(8):
            C[i] = A[i] * B[i] - A[i]
        return C

    a = (rng.standard_normal(8) * 50).astype(bf)
    b = rng.standard_normal(8).astype(bf)
    got = allo.customize(k).build(target="python")(a, b)
    same_bits(got, (a * b - a).astype(bf))


@pytest.mark.parametrize("kernel,dt", [(axpy16, np.float16), (axpy64, np.float64)])
def test_other_formats_in_hardware_match_numpy(kernel, dt):
    a = (rng.standard_normal(16) * 100).astype(dt)
    b = (rng.standard_normal(16) * 100).astype(dt)
    s = dt(1.7)
    got = allo.customize(kernel).build()(a, b, s)             # the default build: hardware
    same_bits(got, (a * s + b * 0.1).astype(dt))


def test_unknown_float_format_refused():
    with pytest.raises(ValueError, match="no float format"):
        allo.Float(16, 3)
