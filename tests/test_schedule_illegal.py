"""Illegal schedules are refused with an AlloScheduleError that names the place: the kernel
line of the conflicting access (marked ``# <-- error``) or the line of the schedule call."""
import inspect

import pytest

import allo_rtl as allo
from allo_rtl import int32
from allo_rtl.errors import AlloScheduleError

N = 8


def _marked_line(fn) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, text in enumerate(lines) if "# <-- error" in text)


def _here() -> int:
    return inspect.currentframe().f_back.f_lineno


def _assert_at(err, line):
    assert f"{__file__}:{line}:" in str(err.value), str(err.value)


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


def skew(A: int32[N, N]):
    for i, j in allo.grid(N - 1, N - 1):
        A[i + 1, j] = A[i, j + 1] + 1       # <-- error


def running(A: int32[N]):
    for i in range(1, N):
        A[i] = A[i - 1] * 2 + A[i]          # <-- error


def total(A: int32[N, N]) -> int32:
    s: int32 = 0
    for i, j in allo.grid(N, N):
        s = s * 3 + A[i, j]                 # <-- error
    return s


def imperfect(A: int32[N, N]) -> int32[N]:
    B: int32[N] = 0
    for i in range(N):
        v: int32 = 0                        # <-- error
        for j in range(N):
            v += A[i, j]
        B[i] = v
    return B


def runtime(A: int32[N], n: int32):
    for i in range(n):                      # <-- error
        A[i] = 0


def test_unknown_loop_names_the_call_line():
    s = allo.customize(gemm)
    with pytest.raises(AlloScheduleError, match="no loop named 'q'") as err:
        line = _here() + 1
        s.pipeline("q")
    _assert_at(err, line)
    assert "loops of gemm: " in str(err.value)


def test_unknown_kernel_in_prefixed_name():
    s = allo.customize(gemm)
    with pytest.raises(AlloScheduleError, match="no kernel named 'nope'") as err:
        line = _here() + 1
        s.unroll("nope:i")
    _assert_at(err, line)


@pytest.mark.parametrize("factor", [0, -2, 2.5, 9])
def test_split_factor_must_fit(factor):
    s = allo.customize(gemm)
    with pytest.raises(AlloScheduleError, match="factor") as err:
        s.split("i", factor)
    lines, first = inspect.getsourcelines(gemm)
    _assert_at(err, first + next(k for k, t in enumerate(lines) if "allo.grid" in t))


def test_pipeline_ii_below_one():
    s = allo.customize(gemm)
    with pytest.raises(AlloScheduleError, match="initiation_interval") as err:
        line = _here() + 1
        s.pipeline("k", initiation_interval=0)
    _assert_at(err, line)


def test_reorder_that_reverses_a_dependence():
    s = allo.customize(skew)
    with pytest.raises(AlloScheduleError, match=r"reverse the dependence .* A .*distance") as err:
        s.reorder("j", "i")
    _assert_at(err, _marked_line(skew))


def test_reorder_changing_a_scalar_update_order():
    s = allo.customize(total)
    with pytest.raises(AlloScheduleError, match="order in which s is updated") as err:
        s.reorder("j", "i")
    _assert_at(err, _marked_line(total))


def test_reorder_of_loops_not_in_one_perfect_nest():
    s = allo.customize(imperfect)
    with pytest.raises(AlloScheduleError, match="not one perfect nest"):
        s.reorder("j", "i")


def test_fuse_of_an_imperfect_nest():
    s = allo.customize(imperfect)
    with pytest.raises(AlloScheduleError, match="not one perfect nest"):
        s.fuse("i", "j")


def test_fuse_out_of_order():
    s = allo.customize(gemm)
    with pytest.raises(AlloScheduleError, match="consecutive and given outer to inner"):
        s.fuse("j", "i")


def test_parallel_on_a_carried_dependence_through_memory():
    s = allo.customize(running)
    with pytest.raises(AlloScheduleError, match="depend on each other through A") as err:
        s.parallel("i")
    _assert_at(err, _marked_line(running))


def test_parallel_on_a_reduction_loop():
    s = allo.customize(gemm)
    with pytest.raises(AlloScheduleError, match="depend on each other through C"):
        s.parallel("k")


def test_full_unroll_needs_constant_bounds():
    s = allo.customize(runtime)
    with pytest.raises(AlloScheduleError, match="constant bounds") as err:
        s.unroll("i")
    _assert_at(err, _marked_line(runtime))


def test_reorder_naming_a_loop_twice():
    s = allo.customize(gemm)
    with pytest.raises(AlloScheduleError, match="named twice"):
        s.reorder("i", "i")


def test_refused_primitive_leaves_the_schedule_unchanged():
    s = allo.customize(skew)
    before = str(s)
    with pytest.raises(AlloScheduleError):
        s.reorder("j", "i")
    assert str(s) == before and s.primitives == []
