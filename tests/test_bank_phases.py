"""Run-time bank selection in pipelined loops (hls/phases.py ``dependence_phases``).

A partitioned array indexed by a loop index of a pipelined (flattened) nest is written
through a chain of bank conditions (``k == 0``, ``not (k == 0) and k == 1``, ...) and read
through a chain of selects, each bank's load predicated on its arm's condition. Each bank's
store and load then count only in the iterations of its bank: a store to bank p and the next
iteration's read of bank p are no recurrence, and bank p's port is free in the other
iterations. True
recurrences through the banks must stay. Results against numpy written here.
"""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32

N = 8


def scale_columns(C: int32[N, N], b: int32):
    for i, j in allo.grid(N, N):
        C[i, j] *= b


def next_row(C: int32[N, N], A: int32[N, N]):
    for i, j in allo.grid(N - 1, N):
        C[i + 1, j] = C[i, j] * 3 + A[i, j]        # row i + 1 from row i: distance N


def prefix(A: int32[N]):
    for j in range(1, N):
        A[j] = A[j - 1] + A[j]                    # distance 1 through the banks


def _loop(mod, name):
    top = next(f for f in mod.report().to_dict()["functions"] if f["function"] == mod.top.name)
    return next(r for r in top["loops"] if r["name"] == name)


def _build(kernel, loop, array, dim):
    s = allo.customize(kernel)
    s.pipeline(loop)
    s.partition(getattr(s, array), allo.Partition.Complete, dim=dim)
    return s.build()


def _ints(rng, shape):
    return rng.integers(-50, 50, shape).astype(np.int32)


def test_a_store_to_a_run_time_bank_is_no_recurrence():
    rng = np.random.default_rng(3)
    C, b = _ints(rng, (N, N)), -7
    expected = C * b
    mod = _build(scale_columns, "j", "C", 2)
    mod(C, b)
    assert np.array_equal(C, expected)
    row = _loop(mod, "j")
    # 1: bank p's one port serves its load and store only in the iterations with j == p
    # (both predicated on it), so iteration n + 1 uses another bank's port; 2 when every
    # bank was read in every iteration, 3 when the store to bank p was taken to feed the
    # next iteration's read of bank p
    assert row["ii"] == 1 and "recurrence" not in row["note"], row


def test_a_dependence_between_iterations_of_one_bank_is_kept():
    rng = np.random.default_rng(4)
    C, A = _ints(rng, (N, N)), _ints(rng, (N, N))
    expected = C.astype(np.int64)
    for i in range(N - 1):
        expected[i + 1] = expected[i] * 3 + A[i]
    mod = _build(next_row, "j", "C", 2)
    mod(C, A)
    assert np.array_equal(C, expected.astype(np.int32))


@pytest.mark.parametrize("sim", ["amaranth", "icarus"])
def test_a_recurrence_through_neighbouring_banks_is_kept(sim):
    rng = np.random.default_rng(5)
    A = _ints(rng, (N,))
    expected = np.cumsum(A.astype(np.int64)).astype(np.int32)
    s = allo.customize(prefix)
    s.pipeline("j")
    s.partition(s.A, allo.Partition.Complete, dim=1)
    mod = s.build() if sim == "amaranth" else s.build(target=sim)
    mod(A)
    assert np.array_equal(A, expected)


def test_each_bank_access_counts_in_its_own_bank_iterations():
    from allo_rtl.hls.phases import dependence_phases
    mod = _build(scale_columns, "j", "C", 2)
    (pipe,) = [p for p in mod.design.designs["scale_columns"].pipelines.values()]
    sch = pipe.schedule
    phases = dependence_phases(sch.block.ops, sch.index_ops, sch.nest)
    accesses = [op for op in sch.block.ops if op.info.is_memory and op.buf.name.startswith("C_p")]
    assert len(accesses) == 2 * N           # a load and a store per bank
    for op in accesses:                     # bank C_pK: iterations with j == K
        bank = int(op.buf.name[len("C_p"):])
        assert (phases[op].trips, phases[op].residue) == (N, bank), op
