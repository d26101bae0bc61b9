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
    """The error points at the user's schedule call in the calling test (the line to change);
    when the marked line is a kernel line that makes the primitive illegal, that line is a
    note. Both render as file:line."""
    line = _marked_line(marked, marker)
    e = err.value
    test = inspect.currentframe().f_back.f_code
    body, first = inspect.getsourcelines(test)
    assert e.loc.file == __file__ and first < e.loc.line < first + len(body), str(e)
    if marked.__code__ is test:            # the marked line is the call itself
        assert e.loc.line == line and not e.notes, str(e)
    else:
        assert [(n.file, n.line) for n, _ in e.notes] == [(__file__, line)], str(e)
    assert f"{__file__}:{line}:" in str(e) and f"{__file__}:{e.loc.line}:" in str(e)


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


# --- ported from the loops branch: arguments ----------------------------------------------------
def runtime_bound(A: int32[8], n: int32):
    for i in range(n):  # <-- error
        A[i] = i


def test_axis_of_wrong_type():
    s = allo.customize(mm)
    with pytest.raises(AlloScheduleError, match="expected a loop name or handle") as err:
        s.parallel(3)  # <-- error
    _at(err, test_axis_of_wrong_type)


@pytest.mark.parametrize("factor, match", [(True, "must be a positive integer"),
                                           (5, "larger than the loop's 4 iterations")])
def test_split_bad_factor(factor, match):
    s = allo.customize(mm)
    with pytest.raises(AlloScheduleError, match=match) as err:
        s.split("j", factor)
    _at(err, mm, "# <-- loop")


def test_unroll_negative_factor():
    s = allo.customize(mm)
    with pytest.raises(AlloScheduleError, match="factor must be an integer >= 0") as err:
        s.unroll("k", -2)
    _at(err, mm, "# <-- loop")


@pytest.mark.parametrize("ii", [-1, 1.5])
def test_pipeline_bad_initiation_interval(ii):
    s = allo.customize(mm)
    with pytest.raises(AlloScheduleError, match="initiation_interval must be") as err:
        s.pipeline("k", initiation_interval=ii)  # <-- error
    _at(err, test_pipeline_bad_initiation_interval)


def test_full_unroll_of_runtime_bounds():
    s = allo.customize(runtime_bound)
    with pytest.raises(AlloScheduleError, match="unroll.* fully needs constant bounds") as err:
        s.unroll("i")
    _at(err, runtime_bound)
    s.unroll("i", 2)                    # a factor is fine: guarded copies


# --- ported from the loops branch: reorder and fuse ------------------------------------------
def two_nests(A: int32[4, 4]):
    for i in range(4):  # <-- error
        A[i, 0] = 0
        for j in range(4):  # <-- inner
            A[i, j] += 1
        for j2 in range(4):
            A[i, j2] *= 2


def skew(A: int32[8, 8]):
    for i in range(1, 8):
        for j in range(7):
            A[i, j] = A[i - 1, j + 1] + 1  # <-- error


def triangle(A: int32[8, 8]):
    for i in range(8):
        for j in range(i + 1):  # <-- error
            A[i, j] = 1


def test_reorder_loops_of_different_nests():
    s = allo.customize(two_nests)
    with pytest.raises(AlloScheduleError, match="not one perfect nest") as err:
        s.reorder("j2", "j")
    _at(err, two_nests, "# <-- inner")


@pytest.mark.parametrize("prim", ["reorder", "fuse"])
def test_imperfect_nest(prim):
    s = allo.customize(two_nests)
    with pytest.raises(AlloScheduleError, match="not one perfect nest: the body of 'i'") as err:
        getattr(s, prim)("i", "j")
    _at(err, two_nests)


def test_reorder_reversing_a_dependence_names_both_accesses():
    s = allo.customize(skew)
    with pytest.raises(AlloScheduleError, match="reverse the dependence") as err:
        s.reorder("j", "i")
    _at(err, skew)
    line = _marked_line(skew)
    assert f"A[i - 1, j + 1] (line {line}) on A[i, j] (line {line})" in str(err.value)
    assert "distance (1, -1)" in str(err.value)


def test_reorder_of_triangular_bounds():
    s = allo.customize(triangle)
    with pytest.raises(AlloScheduleError, match="bounds of 'j' depend on another loop") as err:
        s.reorder("j", "i")
    _at(err, triangle)


def test_fuse_non_constant_bounds():
    s = allo.customize(triangle)
    with pytest.raises(AlloScheduleError, match="loop 'j' has bounds computed at run") as err:
        s.fuse("i", "j")
    _at(err, triangle)


def test_fuse_listed_inner_first():
    s = allo.customize(mm)
    with pytest.raises(AlloScheduleError, match="consecutive and given outer to inner") as err:
        s.fuse("j", "i")
    _at(err, mm, "# <-- loop")


# --- ported from the loops branch: parallel ---------------------------------------------------
def prefix(A: int32[8]):
    for i in range(1, 8):
        A[i] = A[i] + A[i - 1]  # <-- error


def int_sum(A: int32[4, 4]) -> int32:
    v: int32 = 0
    for i, j in allo.grid(4, 4):
        v += A[i, j]  # <-- error
    return v


def test_parallel_on_carried_memory_dependence():
    s = allo.customize(prefix)
    with pytest.raises(AlloScheduleError, match=r"through A: .*distance 1") as err:
        s.parallel("i")
    _at(err, prefix)


def test_parallel_on_accumulators():
    s = allo.customize(int_sum)
    with pytest.raises(AlloScheduleError, match="'j' depend on each other through v") as err:
        s.parallel("j")
    _at(err, int_sum)
    s = allo.customize(mm)
    with pytest.raises(AlloScheduleError, match=r"through C: C\[i, j\]") as err:
        s.parallel("k")
    _at(err, mm, "C[i, j] +=")


# --- a refused primitive changes nothing --------------------------------------------------------
def test_refused_primitives_leave_the_schedule_untouched():
    s = allo.customize(skew)
    before = str(s)
    with pytest.raises(AlloScheduleError) as err:
        s.reorder("j", "i")
    _at(err, skew)
    assert str(s) == before and s.primitives == []
    s.split("j", 3)
    before = str(s)
    with pytest.raises(AlloScheduleError, match="reverse the dependence") as err:
        s.reorder("j.inner", "i")
    _at(err, skew)
    with pytest.raises(AlloScheduleError, match="larger than") as err:
        s.split("i", 99)
    _at(err, skew, "for i in")
    assert str(s) == before
    assert [p[0] for p in s.primitives] == ["split"]
