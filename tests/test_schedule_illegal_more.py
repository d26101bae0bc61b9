"""Illegal or malformed loop schedules beyond tests/test_schedule_illegal.py: each raises
AlloScheduleError at the place to fix, the kernel line that makes the primitive illegal
(marked ``# <-- error`` in the kernel) or the line of the schedule call (marked in the test).
A refused primitive leaves the IR unchanged and unrecorded."""
import inspect

import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloScheduleError
from allo_rtl.ir.types import int32


def _marked_line(fn, marker="# <-- error") -> int:
    lines, first = inspect.getsourcelines(fn)
    for k, text in enumerate(lines):
        if marker in text:
            return first + k
    raise AssertionError(f"{fn.__name__} has no {marker!r}")


def _at(err, marked, marker="# <-- error"):
    """The error points at the marked line of ``marked`` and renders as file:line."""
    line = _marked_line(marked, marker)
    assert (err.value.loc.file, err.value.loc.line) == (__file__, line), str(err.value)
    assert f"{__file__}:{line}:" in str(err.value)


# --- run-time bounds and split guards -------------------------------------------------------
def shrinking_bound(A: int32[8], n: int32):
    m: int32 = n
    for i in range(m):  # <-- error
        A[i] = m
        m = m - 1


@pytest.mark.parametrize("prim", ["split", "unroll"])
def test_runtime_bound_the_body_changes(prim):
    s = allo.customize(shrinking_bound)
    before = str(s)
    with pytest.raises(AlloScheduleError, match="depend on values its body changes") as err:
        getattr(s, prim)("i", 2)
    _at(err, shrinking_bound)
    assert str(s) == before and s.primitives == []


def last_row(A: int32[8, 8]) -> int32:
    t: int32 = 0
    for i in range(8):
        for j in range(8):
            t = A[i, j] + 1  # <-- error
    return t


def test_reorder_across_a_guard_with_a_scalar_read_after():
    # split by 3 guards i = 8: in the order (j, i.inner, i.outer) the last iteration that
    # runs is i = 5, not 7
    s = allo.customize(last_row)
    s.reorder("j", "i")                      # rectangular: the last iteration stays (7, 7)
    s = allo.customize(last_row)
    s.split("i", 3)
    with pytest.raises(AlloScheduleError, match="which iteration leaves its value in t") as err:
        s.reorder("j", "i.outer")
    _at(err, last_row)


def loaded_bound(A: int32[8, 8], L: int32[1]):
    for i in range(7):  # <-- error
        for j in range(L[0]):
            A[i, j] = i


def test_guard_protecting_loads_in_a_bound_stays():
    s = allo.customize(loaded_bound)
    s.split("i", 3)
    with pytest.raises(AlloScheduleError, match="guards the bounds of loop 'j', which read "
                                                "memory") as err:
        s.reorder("j", "i.inner")
    _at(err, loaded_bound)


# --- names ----------------------------------------------------------------------------------
def mm(A: int32[4, 4], B: int32[4, 4]) -> int32[4, 4]:
    C: int32[4, 4] = 0
    for i, j, k in allo.grid(4, 4, 4):  # <-- loop
        C[i, j] += A[i, k] * B[k, j]
    return C


def row(X: int32[4]) -> int32[4]:
    Y: int32[4] = 0
    for i in range(4):
        Y[i] = X[i] + 1
    return Y


def caller(X: int32[4]) -> int32[4]:
    return row(X)


def test_unknown_band_is_a_schedule_and_an_attribute_error():
    loops = allo.customize(mm).get_loops()
    with pytest.raises(AlloScheduleError, match="mm has no loop band 'S_x_0'") as err:
        _ = loops.S_x_0  # <-- error
    _at(err, test_unknown_band_is_a_schedule_and_an_attribute_error)
    assert isinstance(err.value, AttributeError) and err.value.hint == "bands: S_i_j_k_0"


def test_unknown_loop_in_a_band():
    band = allo.customize(mm).get_loops().S_i_j_k_0
    with pytest.raises(AlloScheduleError, match="has no loop 'z'") as err:
        _ = band["z"]  # <-- error
    _at(err, test_unknown_loop_in_a_band)
    assert isinstance(err.value, AttributeError) and "i, j, k" in err.value.hint


def test_callee_loop_needs_its_kernel_prefix():
    s = allo.customize(caller)
    with pytest.raises(AlloScheduleError, match="caller has no loop named 'i'") as err:
        s.unroll("i")  # <-- error
    _at(err, test_callee_loop_needs_its_kernel_prefix)
    assert "'row:i'" in err.value.hint


def test_unknown_kernel_for_get_loops():
    s = allo.customize(mm)
    with pytest.raises(allo.AlloError, match="no kernel named 'nope'") as err:
        s.get_loops("nope")  # <-- error
    _at(err, test_unknown_kernel_for_get_loops)
