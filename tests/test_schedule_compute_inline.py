"""compute_at and inline: hardware == numpy == interpreter of the plain kernel (random and int32
edge inputs), their effect on the hardware, and refusals with file:line."""
import inspect

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl import int32
from allo_rtl.errors import AlloScheduleError

from kernels import check_schedule, i32, wrap32

N = 8


def _check(kernel, schedule, make_inputs, reference, inplace=()):
    return check_schedule(kernel, schedule, make_inputs, reference, inplace, seed=11)[:2]


# --- compute_at -------------------------------------------------------------------------
def stages(A: int32[N, N]) -> int32[N, N]:
    B: int32[N, N] = 0
    for i, j in allo.grid(N, N):
        B[i, j] = A[i, j] * 3
    C: int32[N, N] = 0
    for ii, jj in allo.grid(N, N):
        C[ii, jj] = B[ii, jj] + A[ii, jj]
    return C


def stages_ref(args):
    a = args[0].astype(np.int64)
    return wrap32(wrap32(a * 3).astype(np.int64) + a)


def smooth(A: int32[N]) -> int32[N]:
    B: int32[N] = 0
    for i in range(N):
        B[i] = A[i] - 1
    C: int32[N] = 0
    for ii in range(N):
        C[ii] = B[ii] + B[ii - 1 if ii > 0 else 0]     # reads only what is already produced
    return C


def smooth_ref(args):
    b = wrap32(args[0].astype(np.int64) - 1).astype(np.int64)
    prev = np.concatenate([b[:1], b[:-1]])
    return wrap32(b + prev)


@pytest.mark.parametrize("axes", [("i", "ii"), ("j", "jj")])
def test_compute_at_stages(axes):
    s, hw = _check(stages, lambda s: s.compute_at(*axes), lambda rng, e: [i32(rng, (N, N), e)],
                   stages_ref)
    assert "for i in" not in str(s)                       # the producer nest is gone


def test_compute_at_reads_earlier_iterations():
    _check(smooth, lambda s: s.compute_at("i", "ii"), lambda rng, e: [i32(rng, N, e)],
           smooth_ref)


def test_compute_at_with_pipeline_cuts_cycles():
    cycles = {}
    for fused in (False, True):
        s = allo.customize(stages)
        if fused:
            s.compute_at("j", "jj")
        s.pipeline("jj")
        if not fused:
            s.pipeline("j")
        hw = s.build()
        hw(i32(np.random.default_rng(0), (N, N)))
        cycles[fused] = hw.cycles
    # one pipeline of N*N iterations instead of two
    assert cycles[True] + N * N // 2 < cycles[False], cycles


# --- inline -------------------------------------------------------------------------------
def bump(X: int32[N], k: int32) -> int32[N]:
    Y: int32[N] = 0
    for i in range(N):
        k = k + 1                        # a parameter reassigned inside the callee
        Y[i] = X[i] + k
    return Y


def dot(X: int32[N], Y: int32[N]) -> int32:
    v: int32 = 0
    for i in range(N):
        v += X[i] * Y[i]
    return v


def two_calls(A: int32[N], B: int32[N], k: int32) -> int32:
    C = bump(A, k)
    D = bump(B, k + 2)
    return dot(C, D)


def two_calls_ref(args):
    a, b, k = args
    ks = np.arange(1, N + 1, dtype=np.int64)
    c = wrap32(a.astype(np.int64) + wrap32(k + ks)).astype(np.int64)
    d = wrap32(b.astype(np.int64) + wrap32(k + 2 + ks)).astype(np.int64)
    return int(wrap32(np.sum(wrap32(c * d).astype(np.int64))))


def _two_inputs(rng, edge):
    return [i32(rng, N, edge), i32(rng, N, edge)[::-1].copy(), 7 if not edge else 2**31 - 3]


@pytest.mark.parametrize("which", [("bump",), ("dot",), ("bump", "dot")])
def test_inline(which):
    def schedule(s):
        for fn in which:
            s.inline(fn)
    s, hw = _check(two_calls, schedule, _two_inputs, two_calls_ref)
    names = [f["function"] for f in hw.report().to_dict()["functions"]]
    assert not set(which) & set(names) and "two_calls" in names


def test_inline_removes_call_overhead():
    cycles = {}
    for inlined in (False, True):
        s = allo.customize(two_calls)
        if inlined:
            s.inline("bump")
            s.inline("dot")
        hw = s.build()
        hw(*_two_inputs(np.random.default_rng(1), False))
        cycles[inlined] = hw.cycles
    assert cycles[True] < cycles[False], cycles


# --- refused ------------------------------------------------------------------------------
def _assert_at(err, line):
    assert f"{__file__}:{line}:" in str(err.value), str(err.value)


def _line_of(fn, text) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, t in enumerate(lines) if text in t)


def reversed_use(A: int32[N]) -> int32[N]:
    B: int32[N] = 0
    for i in range(N):
        B[i] = A[i] * 2
    C: int32[N] = 0
    for ii in range(N):
        C[ii] = B[N - 1 - ii]            # needs B's last element first
    return C


def test_compute_at_refuses_a_reversed_dependence():
    s = allo.customize(reversed_use)
    with pytest.raises(AlloScheduleError) as err:
        s.compute_at("i", "ii")
    _assert_at(err, _line_of(reversed_use, "for i in"))
    assert "element B[" in str(err.value) and "change results" in str(err.value)
    assert "for i in" in str(s)                           # nothing moved


def test_compute_at_refuses_different_bounds():
    s = allo.customize(smooth)
    s.split("ii", 3)
    with pytest.raises(AlloScheduleError) as err:
        s.compute_at("i", "ii.outer")
    _assert_at(err, _line_of(smooth, "for i in"))


def test_compute_at_refuses_consumer_before_producer():
    s = allo.customize(stages)
    with pytest.raises(AlloScheduleError) as err:
        s.compute_at("ii", "i")
    _assert_at(err, _line_of(stages, "for ii, jj"))


def test_compute_at_refuses_levels_that_differ():
    s = allo.customize(stages)
    with pytest.raises(AlloScheduleError) as err:
        s.compute_at("i", "jj")
    _assert_at(err, _line_of(stages, "for i, j"))
    assert "depth" in str(err.value)


def test_inline_refuses_unknown_and_top():
    s = allo.customize(two_calls)
    with pytest.raises(AlloScheduleError) as err:
        s.inline("nope")
    _assert_at(err, inspect.currentframe().f_lineno - 1)
    with pytest.raises(AlloScheduleError) as err:
        s.inline()
    _assert_at(err, inspect.currentframe().f_lineno - 1)
    assert "top kernel" in str(err.value)


def row_max(A: int32[N, N], r: int32) -> int32:
    m: int32 = A[r, 0]
    for j in range(1, N):
        if A[r, j] > m:
            m = A[r, j]
    return m


def max_of_rows(A: int32[N, N]) -> int32[N]:
    out: int32[N] = 0
    for i in range(N):
        out[i] = row_max(A, i)
    return out


def test_inline_inside_a_loop():
    s, hw = _check(max_of_rows, lambda s: s.inline("row_max"),
                   lambda rng, e: [i32(rng, (N, N), e)], lambda a: a[0].max(axis=1))
    assert "call" not in str(s)
