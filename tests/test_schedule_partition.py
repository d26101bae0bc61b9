"""partition: banks in hardware, results equal to numpy and to the interpreter of the
unscheduled kernel (random and int32 edge inputs), bank layout by hand, compile-time bank
selection, the hardware effect (cycles, report), and refused partitions with file:line."""
import inspect

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl import int32
from allo_rtl.errors import AlloScheduleError
from allo_rtl.hls.banking import bank_layout, bank_module
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.types import ArrayType

import kernels
from kernels import EDGE, check_schedule, i32

N = 8
P = allo.Partition


def _check(kernel, schedule, make_inputs, reference, inplace=()):
    return check_schedule(kernel, schedule, make_inputs, reference, inplace, seed=7)[:2]


# --- layout, by hand --------------------------------------------------------------------
def _buffer(shape):
    return ir.Buffer("X", ArrayType(int32, shape))


def test_cyclic_layout_uneven_factor():
    b = bank_layout(_buffer((10,)))
    assert len(b.banks) == 1                       # nothing partitioned: one bank
    x = _buffer((10,))
    x.partition[0] = ("cyclic", 4)
    b = bank_layout(x)
    assert [bk.shape for bk in b.banks] == [(3,)] * 4
    # element 9: bank 9 % 4 = 1 at 9 // 4 = 2; element 4: bank 0 at 1
    assert (b.bank_of[9], b.offset_of[9]) == (1, 2)
    assert (b.bank_of[4], b.offset_of[4]) == (0, 1)


def test_block_layout_and_split_merge():
    x = _buffer((10,))
    x.partition[0] = ("block", 4)                  # blocks of ceil(10/4) = 3
    b = bank_layout(x)
    assert len(b.banks) == 4 and b.banks[0].shape == (3,)
    assert (b.bank_of[9], b.offset_of[9]) == (3, 0)
    assert (b.bank_of[5], b.offset_of[5]) == (1, 2)
    raw = np.arange(10, dtype=object)
    parts = b.split(raw)
    assert list(parts[1]) == [3, 4, 5] and list(parts[3]) == [9, 0, 0]   # padded
    assert list(b.merge(parts)) == list(range(10))


def test_two_dims_complete_and_cyclic():
    x = _buffer((3, 4))
    x.partition[0] = ("complete", 3)
    x.partition[1] = ("cyclic", 2)
    b = bank_layout(x)
    assert len(b.banks) == 6 and b.banks[0].shape == (1, 2)
    # X[2, 3]: row bank 2, column bank 1 at 1 -> bank 2*2+1 = 5, offset 1
    assert (b.bank_of[2 * 4 + 3], b.offset_of[2 * 4 + 3]) == (5, 1)
    assert [bk.name for bk in b.banks][:2] == ["X_p0_0", "X_p0_1"]


# --- results ------------------------------------------------------------------------------
GEMM = next(c for c in kernels.CASES if c.name == "gemm")
BLUR = next(c for c in kernels.CASES if c.name == "blur")


@pytest.mark.parametrize("kind,dim,factor", [(P.Cyclic, 2, 4), (P.Block, 1, 3), (P.Complete, 2, 0),
                                             (P.Cyclic, 0, 2), (P.Cyclic, 1, 3)])
def test_gemm_partitioned_each_kind(kind, dim, factor):
    def schedule(s):
        s.partition(s.A, kind, dim=dim, factor=factor)
        s.partition(s.C, kind, dim=dim, factor=factor)
    _check(GEMM.kernel, schedule, GEMM.make_inputs, GEMM.reference, GEMM.inplace)


def test_gemm_unrolled_partitioned_pipelined():
    def schedule(s):
        _gemm_schedule(s, True)
    _check(GEMM.kernel, schedule, GEMM.make_inputs, GEMM.reference, GEMM.inplace)


def test_blur_partitioned_rows():
    def schedule(s):
        s.partition(s.img, P.Block, dim=1, factor=3)
        s.unroll("dy", 0)
    _check(BLUR.kernel, schedule, BLUR.make_inputs, BLUR.reference, BLUR.inplace)


def histogram(X: int32[N], H: int32[N]):
    for i in range(N):
        H[X[i]] += 1          # the bank of H is known only at run time


def test_dynamic_bank_load_and_store():
    def make(rng, edge):
        x = (np.resize(EDGE, N) & 7 if edge else rng.integers(0, N, N)).astype(np.int32)
        return [x, i32(rng, N, edge)]

    def ref(args):
        x, h = args
        for v in x:
            h[v] = kernels.wrap32(np.int64(h[v]) + 1)
    s, hw = _check(histogram, lambda s: s.partition(s.H, P.Cyclic, dim=1, factor=3),
                   make, ref, inplace=(1,))
    f = bank_module(s.module)[0].top_func
    assert any(isinstance(x, ir.If) for x in ir.walk_stmts(f.body))      # run-time bank


def row_sum(A: int32[N, N]) -> int32[N]:
    out: int32[N] = 0
    for i in range(N):
        v: int32 = 0
        for j in range(N):
            v += A[i, j]
        out[i] = v
    return out


def caller(A: int32[N, N]) -> int32[N]:
    return row_sum(A)


def test_partition_propagates_across_calls():
    def schedule(s):
        s.partition("row_sum:A", P.Cyclic, dim=2, factor=2)
        s.unroll("row_sum:j", 2)

    def ref(args):
        return kernels.wrap32(args[0].astype(np.int64).sum(axis=1))
    s, hw = _check(caller, schedule, lambda rng, edge: [i32(rng, (N, N), edge)], ref)
    top = hw.design.module.top_func
    assert [p.name for p in top.params] == ["A_p0", "A_p1"]   # the caller's A got the banks


# --- compile-time banks and the hardware effect ------------------------------------------
def _gemm_schedule(s, partition):
    s.reorder("k", "j1")                    # the registry gemm's second nest: i1, j1, k
    s.unroll("j1", 4)
    if partition:
        s.partition(s.B, P.Cyclic, dim=2, factor=4)
        s.partition(s.C, P.Cyclic, dim=2, factor=4)
    s.pipeline("j1")


def test_unrolled_accesses_pick_their_bank_at_compile_time():
    s = allo.customize(GEMM.kernel)
    _gemm_schedule(s, True)
    f = bank_module(s.lowered_module())[0].top_func     # unroll applied, as a build does
    loop = next(lp for lp in ir.loops(f.body) if lp.name == "j1")
    for st in ir.walk_stmts(loop.body):
        assert not isinstance(st, ir.If)
        exprs = [x for e in ir.stmt_exprs(st) for x in ir.walk_exprs(e)]
        assert not any(isinstance(x, ir.Select) for x in exprs)
    banks = {st.buf.name for st in ir.walk_stmts(loop.body) if isinstance(st, ir.Store)}
    assert banks == {"C_p0", "C_p1", "C_p2", "C_p3"}


def test_partition_cuts_cycles_and_shows_banks():
    cycles = {}
    for partition in (False, True):
        s = allo.customize(GEMM.kernel)
        _gemm_schedule(s, partition)
        hw = s.build()
        args = GEMM.make_inputs(np.random.default_rng(3), False)
        hw(*args)
        cycles[partition] = hw.cycles
        report = str(hw.report())
    # unrolled by 4 with one port per array: ~4 cycles per iteration; with 4 banks of B and C
    # the port bound is 2 accesses of each C bank per iteration
    assert cycles[True] * 1.5 < cycles[False], cycles
    assert "memory C: int32[8, 8] port (ap_memory), 1 shared r/w per bank, 4 banks of " \
           "int32[8, 2] (cyclic dim 2 factor 4: C_p0..C_p3)" in report
    assert "partition(cyclic, dim=2, factor=4)" in str(s)


# --- refused ------------------------------------------------------------------------------
def _here() -> int:
    return inspect.currentframe().f_back.f_lineno


def _assert_at(err, line):
    assert f"{__file__}:{line}:" in str(err.value), str(err.value)


def _refused(call):
    s = allo.customize(GEMM.kernel)
    with pytest.raises(AlloScheduleError) as err:
        call(s)
    return err


def test_refuses_dim_out_of_range():
    err = _refused(lambda s: s.partition(s.A, P.Cyclic, dim=3, factor=2)); line = _here()  # noqa: E702
    _assert_at(err, line)
    assert "dim must be 1..2" in str(err.value)


def test_refuses_cyclic_without_factor():
    err = _refused(lambda s: s.partition(s.A, P.Cyclic, dim=1)); line = _here()  # noqa: E702
    _assert_at(err, line)
    assert "1 <= factor <= 8" in str(err.value)


def test_refuses_factor_above_extent():
    err = _refused(lambda s: s.partition(s.B, P.Block, dim=2, factor=9)); line = _here()  # noqa: E702
    _assert_at(err, line)


def test_refuses_unknown_array():
    err = _refused(lambda s: s.partition("gemm:Z", P.Complete)); line = _here()  # noqa: E702
    _assert_at(err, line)
    assert "no array named 'Z'" in str(err.value) and "alpha" not in str(err.value)


def test_refuses_unknown_kind():
    err = _refused(lambda s: s.partition(s.A, 7, dim=1, factor=2)); line = _here()  # noqa: E702
    _assert_at(err, line)


def test_refuses_partitioning_a_dim_twice():
    def twice(s):
        s.partition(s.A, P.Cyclic, dim=1, factor=2)
        s.partition(s.A, P.Block, dim=0, factor=2)
    err = _refused(twice)
    _assert_at(err, inspect.getsourcelines(twice)[1] + 2)
    assert "already partitioned" in str(err.value)


def test_refuses_negative_factor():
    err = _refused(lambda s: s.partition(s.A, P.Block, dim=1, factor=-2)); line = _here()  # noqa: E702
    _assert_at(err, line)


def test_refused_partition_changes_nothing():
    s = allo.customize(GEMM.kernel)
    with pytest.raises(AlloScheduleError):
        s.partition(s.A, P.Block, dim=0, factor=9)
    assert s.A.partition == {} and s.primitives == []


def scale(X: int32[N]) -> int32[N]:
    Y: int32[N] = 0
    for i in range(N):
        Y[i] = X[i] * 3
    return Y


def twice_scaled(X: int32[N]) -> int32[N]:
    return scale(X)                                          # <-- error


def test_refuses_conflicting_partitions_across_a_call():
    s = allo.customize(twice_scaled)
    s.partition("scale:X", P.Cyclic, dim=1, factor=2)
    s.partition(s.X, P.Block, dim=1, factor=2)
    with pytest.raises(AlloScheduleError) as err:
        s.build()
    lines, first = inspect.getsourcelines(twice_scaled)
    _assert_at(err, first + 1)
    assert "partitioned differently" in str(err.value)


# --- reshape ------------------------------------------------------------------------------
def test_reshape_alone_changes_no_hardware():
    cycles = []
    for reshaped in (False, True):
        def schedule(s):
            if reshaped:
                s.reshape(s.A, (4, 16))
        s, hw = _check(GEMM.kernel, schedule, GEMM.make_inputs, GEMM.reference, GEMM.inplace)
        cycles.append(hw.cycles)
    assert cycles[0] == cycles[1]
    assert "A: int32[8, 8] reshape(4, 16)" in str(s)


def test_reshape_then_partition_the_new_dim():
    def schedule(s):
        s.reorder("k", "j1")
        s.unroll("j1", 4)
        s.reshape(s.B, (8, 2, 4))             # B[k, j] -> B'[k, j // 4, j % 4]
        s.partition(s.B, P.Complete, dim=3)    # = cyclic 4 over the columns
        s.partition(s.C, P.Cyclic, dim=2, factor=4)
        s.pipeline("j1")
    s, hw = _check(GEMM.kernel, schedule, GEMM.make_inputs, GEMM.reference, GEMM.inplace)
    f = hw.design.module.top_func
    loop = next(lp for lp in ir.loops(f.body) if lp.name == "j1")
    loads = {x.buf.name for st in ir.walk_stmts(loop.body) for e in ir.stmt_exprs(st)
             for x in ir.walk_exprs(e) if isinstance(x, ir.Load)}
    assert {"B_p0", "B_p1", "B_p2", "B_p3"} <= loads
    # banks known: no run-time bank selection (the only branches are register promotion's
    # first/last-iteration guards `j1 == c`, hls/promote.py)
    branches = [st for st in ir.walk_stmts(loop.body) if isinstance(st, ir.If)]
    assert all(isinstance(b.cond, ir.Compare) and b.cond.op == "=="
               and isinstance(b.cond.lhs, ir.Ref) and b.cond.lhs.var is loop.var
               for b in branches)


def test_refuses_reshape_with_other_size():
    err = _refused(lambda s: s.reshape(s.A, (3, 16))); line = _here()  # noqa: E702
    _assert_at(err, line)
    assert "64 elements" in str(err.value)


def test_refuses_reshape_after_partition():
    def late(s):
        s.partition(s.A, P.Cyclic, dim=1, factor=2)
        s.reshape(s.A, (64,))
    err = _refused(late)
    _assert_at(err, inspect.getsourcelines(late)[1] + 2)


def test_report_shows_unrolled_copies():
    s = allo.customize(BLUR.kernel)
    s.unroll("dx")
    s.unroll("dy")
    s.unroll("x", 2)
    hw = s.build()
    rows = {r["name"]: r["note"] for f in hw.report().to_dict()["functions"] for r in f["loops"]}
    assert "body unrolled x2" in rows["x"]
    assert "inner loops fully unrolled: dy x3 (each: dx x3)" in rows["x"]


def test_reshape_on_a_second_kernel():
    def schedule(s):
        s.reshape(s.img, (4, 16))              # two image rows per reshaped row
        s.partition(s.img, P.Cyclic, dim=1, factor=2)
    _check(BLUR.kernel, schedule, BLUR.make_inputs, BLUR.reference, BLUR.inplace)
