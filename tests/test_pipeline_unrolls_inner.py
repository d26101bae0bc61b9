"""Pipelining a loop unrolls the loops inside it (hls/unroll_inner.py), as Vivado/Vitis HLS do
and as Allo's schedules assume; too large or run-time inner loops are left alone and the report
says why. Results against numpy written here."""
import numpy as np

import allo_rtl as allo
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.types import int32

N = 8


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


def long_inner(A: int32[2, 600]) -> int32[2]:
    y: int32[2] = 0
    for i in range(2):
        for t in range(600):
            y[i] += A[i, t]
    return y


def runtime_inner(A: int32[N, N], n: int32) -> int32[N]:
    y: int32[N] = 0
    for i in range(N):
        for t in range(n):
            y[i] += A[i, t]
    return y


def _loop(mod, name):
    top = next(f for f in mod.report().to_dict()["functions"] if f["function"] == mod.top.name)
    return next(r for r in top["loops"] if r["name"] == name)


def test_pipeline_j_unrolls_k_and_reaches_the_port_bound():
    rng = np.random.default_rng(1)
    A, B = (rng.integers(-100, 100, (N, N)).astype(np.int32) for _ in range(2))
    s = allo.customize(gemm)
    s.pipeline("j")
    s.partition(s.A, dim=2)
    s.partition(s.B, dim=1)
    mod = s.build()
    assert np.array_equal(mod(A, B), (A.astype(np.int64) @ B).astype(np.int32))
    row = _loop(mod, "j")
    assert row["pipelined"] and "k x8 (for pipeline)" in row["note"]
    # C[i, j] is read and written once per (i, j) through its one port: II 2 is the bound,
    # reached with the read and the write in different modulo slots (positions 0 and 3)
    assert row["ii"] == 2 and "C has 1 shared read/write port" in row["note"]
    assert any(isinstance(x, ir.For) and x.name == "k"       # the user's IR keeps its loop
               for x in ir.walk_stmts(s.module.top_func.body))


def test_too_large_inner_loop_is_not_unrolled_and_the_report_says_so():
    rng = np.random.default_rng(2)
    A = rng.integers(-100, 100, (2, 600)).astype(np.int32)
    s = allo.customize(long_inner)
    s.pipeline("i")
    mod = s.build()
    assert np.array_equal(mod(A), A.astype(np.int64).sum(axis=1).astype(np.int32))
    row = _loop(mod, "i")
    assert not row["pipelined"] and "would make 600 statements" in row["note"]


def wide_inner(A: int32[N, 100]) -> int32[N]:
    y: int32[N] = 0
    for i in range(N):
        for t in range(100):
            y[i] += A[i, t]
    return y


def test_inner_loop_that_would_overload_a_port_is_not_unrolled():
    rng = np.random.default_rng(4)
    A = rng.integers(-100, 100, (N, 100)).astype(np.int32)
    s = allo.customize(wide_inner)
    s.pipeline("i")
    mod = s.build()
    assert np.array_equal(mod(A), A.astype(np.int64).sum(axis=1).astype(np.int32))
    assert "would access 100 elements of A through one port" in _loop(mod, "i")["note"]


def test_run_time_inner_bounds_are_named():
    rng = np.random.default_rng(3)
    A = rng.integers(-100, 100, (N, N)).astype(np.int32)
    s = allo.customize(runtime_inner)
    s.pipeline("i")
    mod = s.build()
    assert np.array_equal(mod(A, 5), A[:, :5].astype(np.int64).sum(axis=1).astype(np.int32))
    assert "run-time bounds" in _loop(mod, "i")["note"]
