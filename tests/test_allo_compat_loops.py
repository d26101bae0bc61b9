"""Loops whose bounds or step are read at run time (Allo's scf.for): ``allo.grid`` with
computed extents and ``range`` with a step read from an array, on the interpreter and the
default hardware build, against the kernel run as plain Python."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32


def grid_extents(X: int32[1], a: int32, b: int32) -> int32[1]:
    T1: int32 = a + b
    T2: int32 = a - b if a > b else b - a
    for i, j in allo.grid(T1, T2):
        X[0] += i * 3 + j
        T2 = T2 + 1              # Python read the extents once: no effect on the loops
    return X


def steps_from_memory(A: int32[10], B: int32[10]):
    for i in range(10):
        for j in range(A[i], 10, A[i]):
            for k in range(A[i] - 1, A[i] + 2):
                B[k] += i - j


def either_direction(A: int32[10], B: int32[10], s: int32):
    for j in range(A[0], A[1], s):
        B[j] += j * 2 + 1
        j = 100                  # assigning the index does not change the iteration


@pytest.mark.parametrize("target", ["python", None])
def test_grid_extents_computed_at_run_time(target):
    m = allo.customize(grid_extents).build(target=target)
    for a, b in [(3, 1), (2, 5), (0, 0), (4, 4)]:
        expected = grid_extents(np.zeros(1, np.int32), a, b)
        assert m(np.zeros(1, np.int32), a, b)[0] == expected[0]


@pytest.mark.parametrize("target", ["python", None])
def test_range_step_read_from_an_array(target):
    rng = np.random.default_rng(4)
    m = allo.customize(steps_from_memory).build(target=target)
    for _ in range(3):
        a = rng.integers(1, 4, 10).astype(np.int32)
        expected, got = np.zeros(10, np.int32), np.zeros(10, np.int32)
        steps_from_memory(a, expected)
        m(a, got)
        assert np.array_equal(got, expected)


@pytest.mark.parametrize("target", ["python", None])
@pytest.mark.parametrize("lo, hi, step", [(9, -1, -2), (0, 10, 3), (9, 2, -1), (3, 3, 1),
                                          (8, 2, 1), (1, 9, 7)])
def test_run_time_step_in_either_direction(target, lo, hi, step):
    a = np.zeros(10, np.int32)
    a[0], a[1] = lo, hi
    expected, got = np.zeros(10, np.int32), np.zeros(10, np.int32)
    either_direction(a, expected, step)
    allo.customize(either_direction).build(target=target)(a, got, step)
    assert np.array_equal(got, expected)


def test_zero_step_runs_no_iteration():
    a = np.zeros(10, np.int32)
    a[0], a[1] = 2, 8
    got = np.zeros(10, np.int32)
    allo.customize(either_direction).build(target="python")(a, got, 0)
    assert not got.any()


def test_loop_options_need_a_constant_step():
    def k(A: int32[10], s: int32):
        for j in range(0, 10, s, name="L"):
            A[j] = 1
    with pytest.raises(allo.AlloError, match="need a constant step"):
        allo.customize(k)
