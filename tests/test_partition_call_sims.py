"""A partition propagating through a call, caller -> callee (tests/test_schedule_partition.py
has callee -> caller), differentially on every simulator: the caller's array partitioned,
the callee's parameter gets the same banks, results as numpy."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32

SIMS = [None, pytest.param("icarus", marks=[pytest.mark.icarus, pytest.mark.slow]),
        pytest.param("verilator", marks=[pytest.mark.verilator, pytest.mark.slow])]
N = 6


def col_max(X: int32[N, N]) -> int32[N]:
    out: int32[N] = 0
    for j in range(N):
        m: int32 = X[0, j]
        for i in range(1, N):
            if X[i, j] > m:
                m = X[i, j]
        out[j] = m
    return out


def owner(A: int32[N, N]) -> int32[N]:
    X: int32[N, N] = 0
    for i, j in allo.grid(N, N):
        X[i, j] = A[i, j] - i
    return col_max(X)


@pytest.mark.parametrize("sim", SIMS)
def test_caller_partition_reaches_the_callee(sim):
    s = allo.customize(owner)
    s.partition(s.X, allo.Partition.Cyclic, dim=1, factor=2)
    A = np.random.default_rng(3).integers(-2**30, 2**30, (N, N)).astype(np.int32)
    A[0, 0], A[1, 1] = -2**31 + 5, 2**31 - 1
    X = A.astype(np.int64) - np.arange(N)[:, None]
    expect = ((X.max(axis=0) + 2**31) % 2**32 - 2**31).astype(np.int32)
    np.testing.assert_array_equal(s.build(target="python")(A), expect)
    mod = s.build(target=sim)
    np.testing.assert_array_equal(mod(A), expect)
    callee = mod.design.module.functions["col_max"]
    assert [p.name for p in callee.params] == ["X_p0", "X_p1"]      # the banks went down
