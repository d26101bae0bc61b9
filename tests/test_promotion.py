"""Register promotion in pipelined loops (hls/promote.py) and the phase rule that lets the
promoted load and store share one port (hls/phases.py).

Results are checked against numpy written here; the phase arithmetic against a brute-force
simulation of issue times; the checker against a schedule broken on purpose.
"""
import itertools

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.hls.check import ScheduleError, check_modulo
from allo_rtl.hls.phases import Phase, collide, gap_window
from allo_rtl.ir.types import float32, int32

N = 8


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


def row_sums(A: int32[N, N]) -> int32[N]:
    y: int32[N] = 0
    for i in range(N):
        for j in range(N):
            y[i] = y[i] + A[i, j]
    return y


def scaled_rows(A: int32[N, N], s: int32[N]) -> int32[N, N]:
    B: int32[N, N] = 0
    for i in range(N):
        for j in range(N):
            B[i, j] = A[i, j] * s[i] - s[j]   # s[i]: read only, once per i; s[j] as usual
    return B


def reset_then_sum(A: int32[N, N], y: int32[N]):
    for i in range(N):
        for j in range(N):
            if j == 0:
                y[i] = 0
            y[i] = y[i] + A[i, j]


def also_in_a_branch(A: int32[N, N], y: int32[N]):
    for i in range(N):
        for j in range(N):
            y[i] = y[i] + A[i, j]
            if A[i, j] < -90:
                y[i] = 0                      # y[i] written under a branch: stays in memory


def neighbour(A: int32[N, N], y: int32[N + 1]):
    for i in range(N):
        for j in range(N):
            y[i] = y[i] + y[i + 1] + A[i, j]   # y[i + 1] is another element: both promoted


def any_element(A: int32[N, N], y: int32[N], m: int32):
    for i in range(N):
        for j in range(N):
            y[i] = y[i] + y[m] + A[i, j]       # y[m] may be y[i]: neither promoted


def _report(mod):
    return mod.report().to_dict()


def _loop(mod, name):
    top = next(f for f in _report(mod)["functions"] if f["function"] == mod.top.name)
    return next(r for r in top["loops"] if r["name"] == name)


def _build(kernel, loop, **kw):
    s = allo.customize(kernel)
    s.pipeline(loop)
    return s.build(**kw)


def _ints(rng, shape):
    return rng.integers(-100, 100, shape).astype(np.int32)


def test_gemm_with_only_pipeline_k_reaches_ii_1_flattened():
    rng = np.random.default_rng(1)
    A, B = _ints(rng, (N, N)), _ints(rng, (N, N))
    mod = _build(gemm, "k")
    assert np.array_equal(mod(A, B), (A.astype(np.int64) @ B).astype(np.int32))
    row = _loop(mod, "k")
    assert row["ii"] == 1 and "flattened" in row["note"]
    # the bound: 512 iterations at II 1 plus the pipeline depth; 15% for the FSM around it
    assert mod.cycles <= 1.15 * (N ** 3 + row["depth"])
    (p,) = _report(mod)["promotions"]
    assert (p["array"], p["subscripts"], p["loop"], p["applied"]) == ("C", "[i, j]", "k", True)
    assert "register promotion: C[i, j] in loop k" in str(mod.report())


@pytest.mark.parametrize("kernel, loop", [(row_sums, "j"), (scaled_rows, "j")])
def test_promoted_kernels_match_numpy(kernel, loop):
    rng = np.random.default_rng(2)
    A = _ints(rng, (N, N))
    if kernel is row_sums:
        args, expected = [A], A.astype(np.int64).sum(axis=1).astype(np.int32)
    else:
        s = _ints(rng, (N,))
        args, expected = [A, s], (A.astype(np.int64) * s[:, None] - s[None, :]).astype(np.int32)
    mod = _build(kernel, loop)
    assert np.array_equal(mod(*args), expected)
    assert any(p["applied"] for p in _report(mod)["promotions"])
    # scaled_rows: at j == 0 s[i] and s[0] are both read through s's one port
    assert _loop(mod, loop)["ii"] == (2 if kernel is scaled_rows else 1)


def test_read_only_element_is_read_once_per_outer_iteration():
    rng = np.random.default_rng(3)
    A, s = _ints(rng, (N, N)), _ints(rng, (N,))
    mod = _build(scaled_rows, "j")
    mod(A, s)
    assert mod.reads["s"] == N + N * N            # s[i] once per i, s[j] every iteration


def test_an_array_read_once_per_iteration_is_left_alone():
    rng = np.random.default_rng(3)
    mod = _build(row_sums, "j")                   # A[i, j] moves; y[i] is written: promoted
    arrays = {p["array"] for p in _report(mod)["promotions"]}
    assert arrays == {"y"}


def test_first_access_in_a_branch_is_not_promoted_and_the_report_says_why():
    rng = np.random.default_rng(4)
    A, y0 = _ints(rng, (N, N)), _ints(rng, (N,))
    for kernel in (reset_then_sum, also_in_a_branch):
        y_ref = y0.astype(np.int64).copy()
        for i in range(N):
            for j in range(N):
                if kernel is reset_then_sum:
                    y_ref[i] = (0 if j == 0 else y_ref[i]) + A[i, j]
                else:
                    y_ref[i] += A[i, j]
                    if A[i, j] < -90:
                        y_ref[i] = 0
        y = y0.copy()
        mod = _build(kernel, "j")
        mod(A, y)
        assert np.array_equal(y, y_ref.astype(np.int32))
        (p,) = _report(mod)["promotions"]
        assert not p["applied"] and "inside a branch" in p["reason"]
        assert "not promoted: y[i] in loop j" in str(mod.report())


def _wrap(x):
    return ((x + 2**31) % 2**32 - 2**31).astype(np.int32)


def test_a_provably_different_element_is_promoted_too():
    rng = np.random.default_rng(5)
    A, y0 = _ints(rng, (N, N)), _ints(rng, (N + 1,))
    y_ref = y0.astype(np.int64).copy()
    for i in range(N):
        for j in range(N):
            y_ref[i] = y_ref[i] + y_ref[i + 1] + A[i, j]
    y = y0.copy()
    mod = _build(neighbour, "j")
    mod(A, y)
    assert np.array_equal(y, _wrap(y_ref))
    applied = [(p["subscripts"], p["reads"], p["writes"])
               for p in _report(mod)["promotions"] if p["applied"]]
    assert applied == [("[i]", True, True), ("[(i + 1:int32)]", True, False)]


def test_an_element_that_may_alias_blocks_promotion():
    rng = np.random.default_rng(5)
    A, y0 = _ints(rng, (N, N)), _ints(rng, (N,))
    for m in (3, 6):
        y_ref = y0.astype(np.int64).copy()
        for i in range(N):
            for j in range(N):
                y_ref[i] = y_ref[i] + y_ref[m] + A[i, j]
                y_ref = (y_ref + 2**31) % 2**32 - 2**31
        y = y0.copy()
        mod = _build(any_element, "j")
        mod(A, y, m)
        assert np.array_equal(y, y_ref.astype(np.int32))
    notes = _report(mod)["promotions"]
    assert notes and not any(p["applied"] for p in notes)
    assert all("another element" in p["reason"] for p in notes)


def test_stalls_do_not_change_a_promoted_pipeline():
    rng = np.random.default_rng(6)
    A, B = _ints(rng, (N, N)), _ints(rng, (N, N))
    plain, held = _build(gemm, "k"), _build(gemm, "k", stall_source=True)
    assert np.array_equal(plain(A, B), held(A, B))
    assert held.stall_cycles > 0 and held.cycles == plain.cycles + held.stall_cycles


@pytest.mark.parametrize("sim", [pytest.param("icarus", marks=pytest.mark.icarus),
                                 pytest.param("verilator", marks=pytest.mark.verilator)])
def test_promoted_gemm_on_hdl_simulators(sim):
    rng = np.random.default_rng(7)
    A, B = _ints(rng, (N, N)), _ints(rng, (N, N))
    ours, theirs = _build(gemm, "k"), _build(gemm, "k", target=sim)
    expected = (A.astype(np.int64) @ B).astype(np.int32)
    assert np.array_equal(theirs(A, B), expected) and np.array_equal(ours(A, B), expected)
    assert theirs.cycles == ours.cycles


# --- the phase rule, against brute force ----------------------------------------------------
def _meet(a: Phase, b: Phase, ii: int, gap: int) -> bool:
    """Simulate issue times: does a (position 0) ever start in a cycle b (position gap) does?"""
    horizon = 4 * a.trips * (gap + ii + 1)
    times_a = {n * ii for n in range(horizon) if n % a.trips == a.residue}
    times_b = {n * ii + gap for n in range(horizon) if n % b.trips == b.residue}
    late = (horizon - 2 * a.trips) * ii               # away from the horizon's edge
    return any(t in times_b for t in times_a if gap <= t < late)


@pytest.mark.parametrize("K, ii", [(2, 1), (3, 1), (4, 2), (5, 3), (8, 1)])
def test_collide_matches_brute_force(K, ii):
    for ra, rb in itertools.permutations(range(K), 2):
        a, b = Phase(K, ra, 0), Phase(K, rb, 0)
        for gap in range(1, 3 * K * ii):
            assert collide(a, b, ii, gap) == _meet(a, b, ii, gap), (K, ii, ra, rb, gap)
        for late in (False, True):
            lo, hi = gap_window(a, b, ii, late)
            assert 1 <= lo <= hi and hi >= 2
            assert not any(_meet(a, b, ii, g) for g in range(lo, hi + 1))


def test_checker_refuses_a_promoted_pair_that_meets():
    mod = _build(gemm, "k")
    (pipe,) = mod.design.designs["gemm"].pipelines.values()
    sch = pipe.schedule
    load, store = [op for op in sch.block.ops if op.info.is_memory and op.buf.name == "C"]
    # at II 1 with K = 8 the load (first iteration) and the store (last) meet when the store
    # is 1 + 8 q positions later; move it to 9
    sch.start[store] = sch.ready[store] = sch.start[load] + 9
    sch.depth = max(sch.depth, sch.start[store] + 1)
    with pytest.raises(ScheduleError) as err:
        check_modulo(sch, mod.design.timing)
    assert err.value.kind == "resource" and "meet in one cycle" in str(err.value)


def float_row_sums(A: float32[4, N]) -> float32[4]:
    y: float32[4] = 0.0
    for i in range(4):
        for j in range(N):
            y[i] = y[i] + A[i, j]
    return y


def test_a_promoted_float_accumulation_recurs_at_the_adder_latency():
    rng = np.random.default_rng(8)
    A = rng.standard_normal((4, N)).astype(np.float32)
    mod = _build(float_row_sums, "j")
    expected = np.zeros(4, dtype=np.float32)
    for j in range(N):                            # source order, float32 at every step
        expected = (expected + A[:, j]).astype(np.float32)
    assert mod(A).view(np.uint32).tolist() == expected.view(np.uint32).tolist()
    row = _loop(mod, "j")
    # the chain load -> fadd -> store would recur at 9; in a register it is the fadd's 7
    assert row["ii"] == 7 and "the fadd" in row["note"] and "y_reg" in row["note"]
