"""Spatial designs are spatial: one-word local arrays (complete partitions' banks) are
registers (hls/scalarize.py), and implicit initialization loops of partitioned arrays unroll so
each write names its bank (hls/unroll_inner.py). Results against numpy written here."""
import time

import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import int32

N = 8


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


def column_sums(A: int32[N, N]) -> int32[N]:
    acc: int32[N] = 0
    for i in range(N):
        for j in range(N):
            acc[j] += A[i, j]
    out: int32[N] = 0
    for j in range(N):
        out[j] = acc[j]
    return out


def _loop(mod, name):
    top = next(f for f in mod.report().to_dict()["functions"] if f["function"] == mod.top.name)
    return next(r for r in top["loops"] if r["name"] == name)


def test_fully_unrolled_partitioned_gemm_takes_a_few_cycles():
    rng = np.random.default_rng(1)
    A, B = (rng.integers(-100, 100, (N, N)).astype(np.int32) for _ in range(2))
    s = allo.customize(gemm)
    for loop in ("i", "j", "k"):
        s.unroll(loop)
    for array in (s.A, s.B, s.C):
        s.partition(array)
    t0 = time.perf_counter()
    mod = s.build()
    built = time.perf_counter() - t0
    assert np.array_equal(mod(A, B), (A.astype(np.int64) @ B).astype(np.int32))
    # every word has its own port: read all, 512 multiplies, sums, write all (was 2284)
    assert mod.cycles <= 40
    assert built < 60          # generous: a loaded CI machine; about 2 s alone


def test_a_partitioned_local_accumulator_is_registers_and_pipelines_at_ii_1():
    rng = np.random.default_rng(2)
    A = rng.integers(-1000, 1000, (N, N)).astype(np.int32)
    s = allo.customize(column_sums)
    s.partition(s.acc)
    s.partition(s.A, dim=2)          # the 8 columns of a row read in one cycle
    s.unroll("j")
    s.pipeline("i")
    mod = s.build()
    assert np.array_equal(mod(A), A.astype(np.int64).sum(axis=0).astype(np.int32))
    assert len(mod.report().to_dict()["scalarized"]) == N
    assert "one-word arrays kept as registers: 8" in str(mod.report())
    assert _loop(mod, "i")["ii"] == 1


def positive_column_sums(A: int32[N, N]) -> int32[N]:
    acc: int32[N] = 0
    for i in range(N):
        for j in range(N):
            if A[i, j] > 0:
                acc[j] += A[i, j]        # under a branch: not promoted, a register anyway
    out: int32[N] = 0
    for j in range(N):
        out[j] = acc[j]
    return out


def test_registers_not_memories_let_a_conditional_accumulation_reach_ii_1():
    rng = np.random.default_rng(3)
    A = rng.integers(-1000, 1000, (N, N)).astype(np.int32)
    s = allo.customize(positive_column_sums)
    s.partition(s.acc)
    s.partition(s.A, dim=2)
    s.unroll("j")
    s.pipeline("i")
    mod = s.build()
    assert np.array_equal(mod(A), np.where(A > 0, A, 0).astype(np.int64).sum(axis=0)
                          .astype(np.int32))
    notes = mod.report().to_dict()
    assert not any(p["applied"] for p in notes["promotions"] if p["array"] == "acc")
    assert len(notes["scalarized"]) == N and _loop(mod, "i")["ii"] == 1
