"""Simulator and tool robustness (issue 16): 1-bit ports on the external simulators, Verilator
designs large enough to split their C++, and more. References are numpy / Python ints."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import Int, UInt

SIMS = [pytest.param("icarus", marks=pytest.mark.icarus),
        pytest.param("verilator", marks=pytest.mark.verilator)]


def one_bit(A: UInt(1)[4], S: Int(1)[4], b: UInt(1),
            t: Int(1)) -> (UInt(1)[4], Int(1)[4], UInt(1), Int(1)):
    C: UInt(1)[4] = 0
    D: Int(1)[4] = 0
    par: UInt(1) = 0
    for i in range(4):
        C[i] = A[i] ^ b
        D[i] = S[i] ^ t
        par = par ^ A[i]
    neg: Int(1) = S[0] & t
    return C, D, par, neg


@pytest.mark.parametrize("sim", SIMS)
def test_one_bit_arrays_and_scalars_on_external_simulators(sim):
    # cocotb hands 1-bit ports over as a Logic, not a LogicArray
    A = np.array([0, 1, 1, 1], dtype=np.uint8)
    S = np.array([-1, 0, -1, 0], dtype=np.int8)       # Int(1) holds -1 and 0
    C, D, par, neg = allo.customize(one_bit).build(target=sim)(A, S, 1, -1)
    np.testing.assert_array_equal(C, A ^ 1)
    np.testing.assert_array_equal(D, S ^ np.int8(-1))
    assert par == int(np.bitwise_xor.reduce(A)) and neg == int(S[0] & -1) == -1
