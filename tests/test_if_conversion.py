"""If-conversion of pipelined loop bodies (hls/cdfg.py): a branch of assignments and stores
inside a loop marked ``pipeline`` becomes predicated ops of the body's one block, so the loop
pipelines instead of running its iterations one by one.

Checked against numpy references written here (not the interpreter): branch-dependent stores
(merged into one store when both branches write the array), a conditional accumulation,
nested branches, a store in one branch only, a load only a branch needs (its port is used only
when the branch runs: the harness's read counter says how often). The achieved II comes from
the report; the stall source holds the predicated pipeline at random cycles.
"""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32

N = 16


def _loop(mod, name):
    top = next(f for f in mod.report().to_dict()["functions"] if f["function"] == mod.top.name)
    return next(r for r in top["loops"] if r["name"] == name)


def _pipelined(kernel, loop="i", **build):
    s = allo.customize(kernel)
    s.pipeline(loop)
    return s.build(**build)


def absdiff(A: int32[N], B: int32[N]) -> int32[N]:
    C: int32[N] = 0
    for i in range(N):
        if A[i] > B[i]:
            C[i] = A[i] - B[i]
        else:
            C[i] = B[i] - A[i]
    return C


def clipped_sum(A: int32[N]) -> int32:
    total: int32 = 0
    for i in range(N):
        if A[i] > 0:
            total = total + A[i]
            if A[i] > 100:
                total = total - 100      # nested branch: clip large values
    return total


def negatives_only(A: int32[N], B: int32[N]):
    for i in range(N):
        if A[i] < 0:
            B[i] = A[i] * 3              # one branch, no else: the other B[i] keep their values


def lookup_when_flagged(F: int32[N], A: int32[N]) -> int32[N]:
    C: int32[N] = 0
    for i in range(N):
        if F[i] != 0:
            C[i] = A[i] + 1              # A is read only where F is set
        else:
            C[i] = 0
    return C


def both_branches_read(F: int32[N], A: int32[N]) -> int32[N]:
    C: int32[N] = 0
    for i in range(N):
        if F[i] > 0:
            C[i] = A[i] * 3              # both branches read A[i]: one read before them
        else:
            C[i] = A[i] - 7
    return C


def nested_shared_read(F: int32[N], A: int32[N]) -> int32[N]:
    C: int32[N] = 0
    for i in range(N):
        if F[i] != 0:
            if F[i] > 0:                 # under the outer predicate: read when F[i] != 0
                C[i] = A[i] + 1
            else:
                C[i] = A[i] * A[i]
    return C


def _ints(rng, lo=-200, hi=200):
    return rng.integers(lo, hi, N).astype(np.int32)


def test_both_branches_store_one_array_pipelines_at_ii_1():
    rng = np.random.default_rng(1)
    A, B = _ints(rng), _ints(rng)
    A[:3] = B[:3]                               # ties take the else branch
    mod = _pipelined(absdiff)
    assert np.array_equal(mod(A, B), np.abs(A.astype(np.int64) - B).astype(np.int32))
    row = _loop(mod, "i")
    assert row["pipelined"] and row["ii"] == 1      # the two stores merged: one port slot


def test_conditional_accumulation_with_a_nested_branch():
    rng = np.random.default_rng(2)
    for _ in range(3):
        A = _ints(rng, -300, 300)
        pos = A[A > 0].astype(np.int64)
        expected = int(pos.sum() - 100 * (pos > 100).sum())
        mod = _pipelined(clipped_sum)
        assert int(mod(A)) == expected
    assert _loop(mod, "i")["ii"] == 1


def test_store_in_one_branch_leaves_the_other_elements():
    rng = np.random.default_rng(3)
    A, B = _ints(rng), _ints(rng)
    expected = B.copy()
    expected[A < 0] = A[A < 0] * 3
    mod = _pipelined(negatives_only)
    mod(A, B)
    assert np.array_equal(B, expected)
    assert _loop(mod, "i")["pipelined"]


def test_a_load_under_a_predicate_reads_only_when_the_branch_runs():
    rng = np.random.default_rng(4)
    F = (rng.random(N) < 0.3).astype(np.int32)
    F[0], F[1] = 1, 0
    A = _ints(rng)
    mod = _pipelined(lookup_when_flagged)
    got = mod(F, A)
    assert np.array_equal(got, np.where(F != 0, A + 1, 0).astype(np.int32))
    assert mod.reads["A"] == int(F.sum())          # predicated: no speculative reads
    assert mod.reads["F"] == N


def test_a_word_both_branches_read_is_read_once():
    rng = np.random.default_rng(7)
    F, A = _ints(rng), _ints(rng)
    F[0], F[1] = 0, 1
    mod = _pipelined(both_branches_read)
    want = np.where(F > 0, A.astype(np.int64) * 3, A.astype(np.int64) - 7).astype(np.int32)
    assert np.array_equal(mod(F, A), want)
    assert mod.reads["A"] == N                      # once per iteration, not twice
    assert _loop(mod, "i")["ii"] == 1               # A's one port: one slot


def test_a_shared_read_in_a_nested_branch_keeps_the_outer_predicate():
    rng = np.random.default_rng(8)
    F, A = _ints(rng, -2, 3), _ints(rng)
    F[:3] = [0, 1, -1]
    mod = _pipelined(nested_shared_read)
    a = A.astype(np.int64)
    want = np.where(F == 0, 0, np.where(F > 0, a + 1, a * a)).astype(np.int32)
    assert np.array_equal(mod(F, A), want)
    assert mod.reads["A"] == int((F != 0).sum())    # only where the outer branch runs
    assert _loop(mod, "i")["ii"] == 1


def test_plain_build_is_unchanged_and_agrees():
    # without pipeline the branch stays a branch of the FSM; same results
    rng = np.random.default_rng(5)
    A, B = _ints(rng), _ints(rng)
    plain = allo.customize(absdiff).build()
    piped = _pipelined(absdiff)
    assert np.array_equal(plain(A, B), piped(A, B))
    assert piped.cycles < plain.cycles


@pytest.mark.parametrize("kernel", [absdiff, clipped_sum, lookup_when_flagged,
                                    both_branches_read, nested_shared_read])
def test_predicated_pipelines_hold_under_stalls(kernel):
    rng = np.random.default_rng(6)
    args = [(rng.random(N) < 0.5).astype(np.int32) if kernel is lookup_when_flagged and k == 0
            else _ints(rng) for k in range(kernel.__code__.co_argcount)]
    plain = _pipelined(kernel)
    held = _pipelined(kernel, stall_source=True)
    a, b = plain(*[x.copy() for x in args]), held(*[x.copy() for x in args])
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert held.stall_cycles > 0
    assert held.cycles == plain.cycles + held.stall_cycles


@pytest.mark.parametrize("sim", [pytest.param("icarus", marks=pytest.mark.icarus),
                                 pytest.param("verilator", marks=pytest.mark.verilator)])
def test_predicated_pipeline_on_hdl_simulators(sim):
    rng = np.random.default_rng(7)
    F = (rng.random(N) < 0.5).astype(np.int32)
    A = _ints(rng)
    ours = _pipelined(lookup_when_flagged)
    theirs = _pipelined(lookup_when_flagged, target=sim)
    expected = np.where(F != 0, A + 1, 0).astype(np.int32)
    assert np.array_equal(theirs(F, A), expected) and np.array_equal(ours(F, A), expected)
    assert theirs.cycles == ours.cycles and theirs.reads["A"] == ours.reads["A"] == F.sum()
