"""unfold: PE kernels per unrolled iteration (Allo's test shapes), results equal numpy and the
interpreter of the plain kernel on random and edge inputs, refusals with file:line."""
import inspect

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl import index, int32
from allo_rtl.errors import AlloScheduleError

from kernels import assert_same, i32, wrap32

M, N = 2, 3


def pe(A: int32[M, N], B: int32[M, N], i: index, j: index):
    B[i, j] = A[i, j] * 5 + 1


def pe_array(A: int32[M, N]) -> int32[M, N]:
    B: int32[M, N]
    for i, j in allo.grid(M, N, name="PE"):
        pe(A, B, i, j)
    return B


def plain_add(A: int32[M, N]) -> int32[M, N]:
    B: int32[M, N]
    for i, j in allo.grid(M, N, name="PE"):
        B[i, j] = A[i, j] - 7
    return B


def _run(kernel, schedule, reference):
    s = allo.customize(kernel)
    made = schedule(s)
    hw, plain = s.build(), allo.customize(kernel).build(target="python")
    for edge in (False, True):
        A = i32(np.random.default_rng(5), (M, N), edge)
        assert_same(hw(A.copy()), reference(A))
        assert_same(plain(A.copy()), reference(A))
    return s, hw, made


@pytest.mark.parametrize("axes,names", [([0], ["pe_0", "pe_1"]),
                                        ([1], ["pe_0", "pe_1", "pe_2"]),
                                        ([0, 1], [f"pe_{i}_{j}" for i in range(M)
                                                  for j in range(N)])])
def test_unfold_makes_one_kernel_per_pe(axes, names):
    s, hw, made = _run(pe_array, lambda s: s.unfold("PE", axes=axes),
                       lambda A: wrap32(A.astype(np.int64) * 5 + 1))
    assert made == names
    functions = [f["function"] for f in hw.report().to_dict()["functions"]]
    assert functions == names + ["pe_array"]             # "pe" itself is gone
    assert str(s).count("call @pe_") == len(names)         # one call site per PE


def test_unfold_without_calls_unrolls_the_spatial_loops():
    s, hw, made = _run(plain_add, lambda s: s.unfold("PE", [0, 1]),
                       lambda A: wrap32(A.astype(np.int64) - 7))
    assert made == [] and "for " not in str(s)


def _assert_at(err, line):
    assert f"{__file__}:{line}:" in str(err.value), str(err.value)


def test_unfold_refuses_bad_axes_and_names():
    s = allo.customize(pe_array)
    with pytest.raises(AlloScheduleError) as err:
        s.unfold("PE", axes=[2])
    _assert_at(err, inspect.currentframe().f_lineno - 1)
    assert "0..1" in str(err.value)
    with pytest.raises(AlloScheduleError) as err:
        s.unfold("NOPE", axes=[0])
    _assert_at(err, inspect.currentframe().f_lineno - 1)
    with pytest.raises(AlloScheduleError) as err:
        s.unfold("i", axes=[0])
    _assert_at(err, inspect.currentframe().f_lineno - 1)
    assert "not a band" in str(err.value)
    assert s.primitives == []
