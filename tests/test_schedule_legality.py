"""Dependence analysis behind reorder and parallel: refusals name the kernel line of the
conflicting access (marked ``# <-- error``); schedules the analysis proves legal give numpy's
results. Cases the earlier analysis got wrong (an inner loop's index in a subscript) or refused
without need (accesses further apart than the loop runs, split indices, integer reductions,
sub-kernels that only read an array)."""
import inspect

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl import float32, int32
from allo_rtl.errors import AlloScheduleError
from allo_rtl.schedule.legality import carried_dependences

N = 8


def _marked_line(fn) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, text in enumerate(lines) if "# <-- error" in text)


def _assert_at(err, fn):
    assert f"{__file__}:{_marked_line(fn)}:" in str(err.value), str(err.value)


def _run(s, *args):
    args = [a.copy() for a in args]
    return s.build(target="python")(*args), args


# --- memory dependences -------------------------------------------------------------------
def diagonal(A: int32[2 * N]):
    for i in range(N):
        for j in range(N):
            A[i + j] = A[i + j] + 1         # <-- error


def test_parallel_sees_an_inner_loops_index_in_a_subscript():
    # iteration i writes A[i + 1] at j = 1, iteration i + 1 reads it at j = 0
    s = allo.customize(diagonal)
    with pytest.raises(AlloScheduleError, match="iterations of 'i' depend on each other "
                                                r"through A: A\[i \+ j\]") as err:
        s.parallel("i")
    _assert_at(err, diagonal)


def upper_half(A: int32[2 * N]):
    for i in range(N):
        A[i] = A[i + N] + 1


def overlap(A: int32[2 * N]):
    for i in range(N):
        A[i] = A[i + N - 1] + 1             # <-- error


def test_parallel_when_the_distance_exceeds_the_loop():
    s = allo.customize(upper_half)
    s.parallel("i")                          # distance 8 > the 7 a loop of 8 can span
    A = np.arange(2 * N, dtype=np.int32)
    _, (got,) = _run(s, A)
    assert np.array_equal(got, np.concatenate([A[N:] + 1, A[N:]]))
    s = allo.customize(overlap)
    with pytest.raises(AlloScheduleError, match="distance 7") as err:
        s.parallel("i")
    _assert_at(err, overlap)


def far(A: int32[4 * N]):
    for i in range(2 * N):
        A[i] = A[i + 2 * N] * 2


def near(A: int32[4 * N]):
    for i in range(2 * N):
        A[i] = A[i + 3] * 2                 # <-- error


def test_reorder_of_split_indices_bounded_by_banerjee():
    # 4 * outer + inner spans at most +-15 over a split 16-iteration loop: 16 apart never meet
    s = allo.customize(far)
    s.split("i", 4)
    s.reorder("i.inner", "i.outer")
    A = np.arange(4 * N, dtype=np.int32)
    _, (got,) = _run(s, A)
    assert np.array_equal(got, np.concatenate([A[2 * N:] * 2, A[2 * N:]]))
    # 3 apart: iteration 4 would overwrite A[4] before iteration 1 reads it
    s = allo.customize(near)
    s.split("i", 4)
    with pytest.raises(AlloScheduleError, match="reverse the dependence between the accesses "
                                                "of A") as err:
        s.reorder("i.inner", "i.outer")
    _assert_at(err, near)


# --- scalars ------------------------------------------------------------------------------
def int_sum(A: int32[N, N]) -> int32:
    v: int32 = 0
    for i, j in allo.grid(N, N):
        v += A[i, j] * (i + 1)              # <-- error
    return v


def float_sum(A: float32[N, N]) -> float32:
    v: float32 = 0.0
    for i, j in allo.grid(N, N):
        v += A[i, j]                        # <-- error
    return v


def running_sum(A: int32[N, N]) -> int32[N, N]:
    B: int32[N, N] = 0
    v: int32 = 0
    for i, j in allo.grid(N, N):
        v += A[i, j]                        # <-- error
        B[i, j] = v
    return B


def test_integer_reduction_reorders_exactly():
    s = allo.customize(int_sum)
    s.reorder("j", "i")                      # wrapping + is associative and commutative
    A = np.resize(np.array([2**31 - 1, -2**31, 7, -1], dtype=np.int32), (N, N))
    expected = (A.astype(np.int64) * (np.arange(N)[:, None] + 1)).sum()
    got, _ = _run(s, A)
    assert got == np.int64(expected).astype(np.int32)
    with pytest.raises(AlloScheduleError, match="'i' depend on each other through v") as err:
        s.parallel("i")                      # reassociating is not running at once
    _assert_at(err, int_sum)


def test_float_reduction_keeps_its_order():
    s = allo.customize(float_sum)
    with pytest.raises(AlloScheduleError, match="order in which v is updated") as err:
        s.reorder("j", "i")                  # the rounding would change
    _assert_at(err, float_sum)


def test_reduction_read_inside_the_loop_keeps_its_order():
    s = allo.customize(running_sum)
    with pytest.raises(AlloScheduleError, match="order in which v is updated") as err:
        s.reorder("j", "i")
    _assert_at(err, running_sum)


def last_value(A: int32[N]) -> int32:
    t: int32 = 0
    for i in range(N):
        t = A[i] * 2                        # <-- error
        A[i] = t
    return t


def private(A: int32[N]) -> int32[N]:
    B: int32[N] = 0
    for i in range(N):
        t: int32 = A[i] * 2
        B[i] = t + 1
    return B


def test_parallel_with_a_scalar_read_after_the_loop():
    s = allo.customize(last_value)
    with pytest.raises(AlloScheduleError, match="t .* is read after loop 'i'") as err:
        s.parallel("i")
    _assert_at(err, last_value)
    s = allo.customize(private)
    s.parallel("i")
    A = np.arange(N, dtype=np.int32)
    assert np.array_equal(_run(s, A)[0], A * 2 + 1)


# --- calls --------------------------------------------------------------------------------
def dot(X: int32[N], Y: int32[N]) -> int32:
    acc: int32 = 0
    for k in range(N):
        acc += X[k] * Y[k]
    return acc


def scaled(X: int32[N], Y: int32[N]) -> int32[N]:
    Z: int32[N] = 0
    for i in range(N):
        d: int32 = dot(X, Y)
        Z[i] = d * i
    return Z


def test_a_sub_kernel_that_only_reads_an_array():
    s = allo.customize(scaled)
    s.parallel("i")
    X, Y = np.arange(N, dtype=np.int32), np.arange(N, dtype=np.int32) - 3
    assert np.array_equal(_run(s, X, Y)[0], int(X @ Y) * np.arange(N))


# --- what the modulo scheduler can ask --------------------------------------------------------
def recurrences(A: int32[16], B: int32[16]) -> int32:
    acc: int32 = 0
    for i in range(2, 16):
        A[i] = A[i - 2] + B[i]
        acc += B[i]
    for j in range(16):
        t: int32 = B[j] * 2
        B[j] = t + 1
    return acc


def test_carried_dependences_distances():
    f = allo.customize(recurrences).top
    found = carried_dependences(f, "i")
    assert {(sym.name, dist) for sym, dist, _ in found} == {("A", 2), ("acc", 1)}
    assert carried_dependences(f, "j") == []          # t is private, B[j] per iteration
    lines, first = inspect.getsourcelines(recurrences)
    a_line = first + next(k for k, text in enumerate(lines) if "A[i - 2]" in text)
    assert [loc.line for sym, _, loc in found if sym.name == "A"] == [a_line]
