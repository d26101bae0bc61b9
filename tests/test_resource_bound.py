"""The resource lower bound of a call (sim/resource_bound.py) against bounds worked out here
from the kernels' loops and the schedule's ResMII and depth: triangular trips, trips given by
an argument, a pipeline inside a callee, a block outside the pipelines (its busiest port), a
sequential loop (each iteration's chain of dependent operations), a dataflow region (its
slowest stage), and the bound never above the cycles the RTL takes."""
import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import int32
from allo_rtl.sim.resource_bound import resource_bound

N = 6


def triangle(A: int32[N, N]) -> int32:
    s: int32 = 0
    for i in range(N):
        for j in range(i + 1):
            s += A[i, j] * A[j, i]
    return s


def first_n(A: int32[16], n: int32) -> int32:
    s: int32 = 0
    for i in range(n):
        s += A[i]
    return s


def inner(A: int32[8]) -> int32:
    s: int32 = 0
    for k in range(8):
        s += A[k]
    return s


def outer(A: int32[8]) -> int32:
    t: int32 = 0
    for r in range(3):
        t += inner(A)
    return t


def sums_then_update(A: int32[N, N], B: int32[N]):
    for i in range(N):
        s: int32 = 0
        for j in range(N):
            s += A[i, j]
        B[i] = B[i] * 2 + s         # unpipelined: a load and a store through B's one port


T = 4


def uneven_stages(A: int32[T, N]) -> int32[T, N]:
    B: int32[T, N]
    X: int32[N]
    Y: int32[N]
    for t in range(T):
        for i in range(N):
            X[i] = A[t, i] * 3
        for j in range(2 * N):                  # the slowest stage: twice the trips
            Y[j % N] = X[N - 1 - j % N] + t
        for k in range(N):
            B[t, k] = Y[k] * 2 + k
    return B


def _pipe_row(mod, function, loop):
    f = next(f for f in mod.design.report_dict()["functions"] if f["function"] == function)
    row = next(r for r in f["loops"] if r["name"] == loop)
    assert row["pipelined"]
    return row["res_mii"], row["depth"]


def test_triangular_trips_are_counted_per_entry():
    s = allo.customize(triangle)
    s.pipeline("j")
    mod = s.build()
    A = np.random.default_rng(1).integers(-9, 9, (N, N)).astype(np.int32)
    assert mod(A) == sum(int(A[i, j]) * int(A[j, i]) for i in range(N) for j in range(i + 1))
    res_mii, depth = _pipe_row(mod, "triangle", "j")
    assert res_mii == 2             # A is read twice per iteration through one port
    want = sum((i + 1 - 1) * res_mii + depth for i in range(N))
    assert resource_bound(mod.design, A) == want
    assert want <= mod.cycles


def test_trips_from_an_argument_follow_the_argument():
    s = allo.customize(first_n)
    s.pipeline("i")
    mod = s.build()
    A = np.arange(16, dtype=np.int32)
    res_mii, depth = _pipe_row(mod, "first_n", "i")
    for n in (0, 1, 5, 16):
        assert mod(A, n) == sum(range(n))
        want = 0 if n == 0 else (n - 1) * res_mii + depth
        assert resource_bound(mod.design, A, n) == want
        assert want <= mod.cycles


def test_a_callee_pipeline_counts_once_per_call():
    s_inner = allo.customize(inner)
    s_inner.pipeline("k")
    s = allo.customize(outer)
    s.compose(s_inner)
    mod = s.build()
    A = np.arange(8, dtype=np.int32)
    assert mod(A) == 3 * sum(range(8))
    res_mii, depth = _pipe_row(mod, "inner", "k")
    assert resource_bound(mod.design, A) == 3 * (7 * res_mii + depth)
    assert resource_bound(mod.design, A) <= mod.cycles


def test_a_block_outside_the_pipelines_counts_its_busiest_port():
    s = allo.customize(sums_then_update)
    s.pipeline("j")
    mod = s.build()
    rng = np.random.default_rng(2)
    A, B = rng.integers(-9, 9, (N, N)).astype(np.int32), rng.integers(-9, 9, N).astype(np.int32)
    want_B = B * 2 + A.sum(axis=1)
    bound = resource_bound(mod.design, A, B.copy())
    mod(A, B)
    assert np.array_equal(B, want_B)
    res_mii, depth = _pipe_row(mod, "sums_then_update", "j")
    # per i: the pipeline, then B[i]'s load and store: 2 cycles on one port
    assert bound == N * ((N - 1) * res_mii + depth + 2)
    assert bound <= mod.cycles


def scale_then_shift(A: int32[8], B: int32[8]):
    T: int32[8]
    for i in range(8):
        T[i] = A[i] * 3         # a read of A, a write of T: one access per port
    for j in range(8):
        B[j] = T[j] + 1


def test_a_sequential_loop_counts_each_iteration_s_chain():
    mod = allo.customize(scale_then_shift).build()      # nothing pipelined
    A = np.random.default_rng(3).integers(-99, 99, 8).astype(np.int32)
    B = np.zeros(8, np.int32)
    bound = resource_bound(mod.design, A, B.copy())
    mod(A, B)
    np.testing.assert_array_equal(B, A * 3 + 1)
    # every iteration reads, then writes what it read: the data comes a cycle after the
    # address, so two cycles though no port serves more than one access
    assert bound == 2 * 8 + 2 * 8
    assert bound <= mod.cycles


def test_a_dataflow_region_counts_its_slowest_stage():
    s = allo.customize(uneven_stages)
    for name in ("i", "j", "k"):
        s.pipeline(name)
    s.dataflow("t")
    mod = s.build()
    A = np.random.default_rng(4).integers(-99, 99, (T, N)).astype(np.int32)
    X = A * 3
    want_B = (X[:, ::-1] + np.arange(T)[:, None]) * 2 + np.arange(N)
    bound = resource_bound(mod.design, A)
    np.testing.assert_array_equal(mod(A), want_B)
    res_mii, depth = _pipe_row(mod, "uneven_stages_t_j", "j")
    # the j stage, every tile: its pipeline, then a cycle per token it moves -- X_full got
    # and Y_full put each tile, X_free put and Y_free got in all but two (ping-pong depth 2)
    assert bound == T * ((2 * N - 1) * res_mii + depth) + 2 * T + 2 * (T - 2)
    assert bound <= mod.cycles
