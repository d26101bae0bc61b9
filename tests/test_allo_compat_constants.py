"""Constant arrays taken from numpy in a kernel (Allo's ``A: float32[3, 4] = np_A[1]``):
the hardware ROM holds each element's bit pattern, checked bit for bit against numpy."""
import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import float32, int16

RNG = np.random.default_rng(31)
# random values plus the edges of the format: signed zeros, subnormals, extremes, infinities
F = np.concatenate([RNG.standard_normal(16) * 1e3,
                    [0.0, -0.0, 1.4e-45, -1.4e-45, 3.4028235e38, -3.4028235e38, np.inf, -np.inf]]
                   ).astype(np.float32).reshape(2, 3, 4)
I = RNG.integers(-32768, 32768, (2, 3, 4)).astype(np.int16)


def float_row() -> float32[3, 4]:
    A: float32[3, 4] = F[1]
    return A


def int_row_sum(x: int16) -> int16[3, 4]:
    A: int16[3, 4] = I[0]
    return A + x


def test_float_constant_rom_holds_ieee_bits():
    s = allo.customize(float_row)
    hw, sw = s.build()(), s.build(target="python")()
    for got in (hw, sw):
        np.testing.assert_array_equal(got.view(np.uint32), F[1].view(np.uint32))


def test_int_constant_rom_signed_values():
    s = allo.customize(int_row_sum)
    hw, sw = s.build()(7), s.build(target="python")(7)
    ref = (I[0].astype(np.int32) + 7).astype(np.int16)     # wraps as int16
    np.testing.assert_array_equal(hw, ref)
    np.testing.assert_array_equal(sw, ref)
