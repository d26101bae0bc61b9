"""buffer_at and reuse_at: hardware == numpy == interpreter of the plain kernel on random and
int32 edge inputs; reuse buffers read every input element once (counted in simulation);
buffer_at lifts the port limit of a read-modify-write; refusals name file:line."""
import inspect

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl import int32
from allo_rtl.errors import AlloScheduleError

import kernels
from kernels import check_schedule, i32, wrap32

N = 8


def _check(kernel, schedule, make_inputs, reference, inplace=()):
    return check_schedule(kernel, schedule, make_inputs, reference, inplace, seed=21)


def _pipelined(hw, name):
    top = next(f for f in hw.report().to_dict()["functions"] if f["function"] == hw.top.name)
    return next(r for r in top["loops"] if r["name"] == name)


# --- buffer_at ----------------------------------------------------------------------------
def mm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


def _mm_inputs(rng, edge):
    return [i32(rng, (N, N), edge), i32(rng, (N, N), edge).T.copy()]


def _mm_ref(args):
    a, b = (x.astype(np.int64) for x in args)
    return wrap32(a @ b)


def test_buffer_at_lifts_the_port_limit():
    rows = {}
    for buffered in (False, True):
        def schedule(s):
            s.reorder("k", "j")
            if buffered:
                s.buffer_at(s.C, axis="i")
            s.pipeline("j")
        s, hw, _ = _check(mm, schedule, _mm_inputs, _mm_ref)
        rows[buffered] = (_pipelined(hw, "j"), hw.cycles)
    assert rows[False][0]["ii"] == 2 and "1 shared read/write port" in rows[False][0]["note"]
    assert rows[True][0]["ii"] == 1
    assert rows[True][1] < rows[False][1]
    assert "local C_buf: int32[8]" in str(s)


GEMM = next(c for c in kernels.CASES if c.name == "gemm")


def test_buffer_at_keeps_values_the_body_does_not_write():
    # the registry gemm scales C first, then accumulates into it: the slice must be copied in
    def schedule(s):
        s.buffer_at(s.C, axis="i1")
        s.pipeline("k")
    _check(GEMM.kernel, schedule, GEMM.make_inputs, GEMM.reference, GEMM.inplace)


def rows_plus(A: int32[N, N]) -> int32[N, N]:
    B: int32[N, N] = 0
    for i, j in allo.grid(N, N):
        B[i, j] = A[i, j] + 1
    return B


def test_buffer_at_of_a_result_row():
    _check(rows_plus, lambda s: s.buffer_at(s.B, axis="i"),
           lambda rng, e: [i32(rng, (N, N), e)], lambda a: wrap32(a[0].astype(np.int64) + 1))


# --- reuse_at -----------------------------------------------------------------------------
def blur_x(A: int32[10, 10]) -> int32[10, 8]:
    B: int32[10, 8] = 0
    for y, x in allo.grid(10, 8):
        B[y, x] = A[y, x] + A[y, x + 1] + A[y, x + 2]
    return B


def blur_y(A: int32[10, 10]) -> int32[8, 10]:
    B: int32[8, 10] = 0
    for y, x in allo.grid(8, 10):
        B[y, x] = A[y, x] + A[y + 1, x] + A[y + 2, x]
    return B


def blur_diag(A: int32[10, 10]) -> int32[8, 8]:
    B: int32[8, 8] = 0
    for y, x in allo.grid(8, 8):
        B[y, x] = A[y, x] + A[y + 1, x + 1] + A[y + 2, x + 2]
    return B


def conv2D(A: int32[8, 8]) -> int32[6, 6]:
    B: int32[6, 6] = 0
    for y, x in allo.grid(6, 6):
        v: int32 = 0
        for r, c in allo.reduction(3, 3):
            v += A[y + r, x + c]
        B[y, x] = v
    return B


def _shifted_sum(A, offsets, shape):
    a = A.astype(np.int64)
    return wrap32(sum(a[dy:dy + shape[0], dx:dx + shape[1]] for dy, dx in offsets))


def _image(shape):
    return lambda rng, e: [i32(rng, shape, e) // 4]     # three int32 quarters do not wrap


CASES = [
    (blur_x, [("A", "x")], (3,), lambda a: _shifted_sum(a[0], [(0, 0), (0, 1), (0, 2)], (10, 8))),
    (blur_y, [("A", "y")], (3, 10), lambda a: _shifted_sum(a[0], [(0, 0), (1, 0), (2, 0)],
                                                            (8, 10))),
    (blur_diag, [("A", "y"), (None, "x")], (3, 3),
     lambda a: _shifted_sum(a[0], [(0, 0), (1, 1), (2, 2)], (8, 8))),
    (conv2D, [("A", "y"), (None, "x")], (3, 3),
     lambda a: _shifted_sum(a[0], [(r, c) for r in range(3) for c in range(3)], (6, 6))),
]


@pytest.mark.parametrize("kernel,steps,shape,ref", CASES, ids=[c[0].__name__ for c in CASES])
def test_reuse_reads_each_element_once(kernel, steps, shape, ref):
    def schedule(s):
        buf = None
        for target, axis in steps:
            buf = s.reuse_at(getattr(s, target) if target else buf, axis)
        return buf
    size = 100 if kernel is not conv2D else 64
    s, hw, buf = _check(kernel, schedule, _image((10, 10) if size == 100 else (8, 8)), ref)
    assert buf.shape == shape
    assert hw.reads["A"] == size
    plain = allo.customize(kernel).build()
    plain(_image((10, 10) if size == 100 else (8, 8))(np.random.default_rng(0), False)[0])
    assert plain.reads["A"] > size


def test_reuse_window_pipelines_at_ii_1():
    def schedule(s):
        lb = s.reuse_at(s.A, "y")
        wb = s.reuse_at(lb, "x")
        s.partition(lb, allo.Partition.Complete, dim=1)
        s.partition(wb, allo.Partition.Complete, dim=0)
        s.unroll("c")
        s.unroll("r")
        s.pipeline("x")
    s, hw, _ = _check(conv2D, schedule, _image((8, 8)), CASES[3][3])
    assert _pipelined(hw, "x")["ii"] == 1 and hw.reads["A"] == 64


# --- refused ------------------------------------------------------------------------------
def _assert_at(err, line):
    assert f"{__file__}:{line}:" in str(err.value), str(err.value)


def _line_of(fn, text) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, t in enumerate(lines) if text in t)


def two_rows(A: int32[N, N]) -> int32[N, N]:
    B: int32[N, N] = 0
    for i in range(N - 1):
        for j in range(N):
            B[i, j] = A[i, j]
            B[i + 1, j] = A[i, j] + 1
    return B


def test_buffer_at_refuses_accesses_to_different_slices():
    s = allo.customize(two_rows)
    with pytest.raises(AlloScheduleError) as err:
        s.buffer_at(s.B, axis="i")
    _assert_at(err, _line_of(two_rows, "B[i + 1, j]"))
    assert "different slices" in str(err.value)


def test_buffer_at_refuses_an_array_not_used_in_the_loop():
    s = allo.customize(two_rows)
    with pytest.raises(AlloScheduleError) as err:
        s.buffer_at(s.A, axis="B_l0")        # the loop initialising B
    _assert_at(err, _line_of(two_rows, "B: int32"))


def in_place(A: int32[10, 10]):
    for y, x in allo.grid(10, 8):
        A[y, x] = A[y, x + 1] + A[y, x + 2]


def test_reuse_at_refuses_a_written_target():
    s = allo.customize(in_place)
    with pytest.raises(AlloScheduleError) as err:
        s.reuse_at(s.A, "x")
    _assert_at(err, _line_of(in_place, "A[y, x] ="))
    assert "written" in str(err.value)


def two_lines(A: int32[10, 10]) -> int32[8, 8]:
    B: int32[8, 8] = 0
    for y, x in allo.grid(8, 8):
        B[y, x] = A[0, x] + A[1, x]
    return B


def test_reuse_at_refuses_a_loop_no_dimension_follows():
    s = allo.customize(two_lines)
    with pytest.raises(AlloScheduleError) as err:
        s.reuse_at(s.A, "y")
    _assert_at(err, _line_of(two_lines, "A[0, x]"))
    assert "no dimension" in str(err.value)


def skewed(A: int32[10, 10]) -> int32[8, 8]:
    B: int32[8, 8] = 0
    for y, x in allo.grid(8, 8):
        B[y, x] = A[x, x + 1]
    return B


def test_reuse_at_refuses_two_dimensions_following_the_loop():
    s = allo.customize(skewed)
    with pytest.raises(AlloScheduleError) as err:
        s.reuse_at(s.A, "x")
    _assert_at(err, _line_of(skewed, "A[x, x + 1]"))
    assert "more than one" in str(err.value)


def blur_x_strided(A: int32[10, 10]) -> int32[10, 8]:
    B: int32[10, 8] = 0
    for y in range(10):
        for x in range(0, 8, 2):
            B[y, x] = A[y, x] + A[y, x + 1] + A[y, x + 2]
    return B


def test_reuse_at_refuses_a_strided_loop():
    # (an unroll no longer makes the loop strided before the build: it is applied at build)
    s = allo.customize(blur_x_strided)
    with pytest.raises(AlloScheduleError) as err:
        s.reuse_at(s.A, "x")
    _assert_at(err, _line_of(blur_x_strided, "for x in range(0, 8, 2)"))
    assert "step 1" in str(err.value)


STRIDE = 1


def avgpool_stride_1(A: int32[2, 6, 6]) -> int32[2, 5, 5]:
    B: int32[2, 5, 5] = 0
    for c, h, w in allo.grid(2, 5, 5):
        v: int32 = 0
        for rh, rw in allo.reduction(2, 2):
            v += A[c, h * STRIDE + rh, w * STRIDE + rw]
        B[c, h, w] = v
    return B


def test_reuse_at_sees_through_a_unit_stride():
    # Allo's avgpool writes h * stride + rh with stride = 1
    s = allo.customize(avgpool_stride_1)
    lb = s.reuse_at(s.A, "h")
    s.reuse_at(lb, "w")
    a = np.random.default_rng(3).integers(-50, 50, (2, 6, 6)).astype(np.int32)
    ref = np.zeros((2, 5, 5), np.int64)
    for c in range(2):
        for h in range(5):
            for w in range(5):
                ref[c, h, w] = a[c, h:h + 2, w:w + 2].sum()
    mod = s.build()
    assert np.array_equal(mod(a), ref)
    assert mod.reads["A"] == a.size            # each input element read once
