"""Stall test of the control (hls.control -> rtl.lower): a kernel whose FSM and pipelines are
held at pseudo-random cycles by the harness's test-only stall source gives the same results as
without stalls and as numpy, and takes exactly the unstalled cycles plus the stalled ones.

Kernels cover a pipelined loop (gemm), calls to sub-kernels (one of data-dependent latency), a
non-pipelined loop with divisions, and a while loop with a branch inside; every case of the
differential set runs too. Icarus and Verilator see the same LFSR stall pattern (it is hardware
in the harness), so their cycle and stall counts equal Amaranth's.
"""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32
from kernels import CASES, N, assert_same, copy_args, pipeline_innermost


def gemm(A: int32[8, 8], B: int32[8, 8]) -> int32[8, 8]:
    C: int32[8, 8] = 0
    for i, j, k in allo.grid(8, 8, 8):
        C[i, j] += A[i, k] * B[k, j]
    return C


def gemm_schedule():
    s = allo.customize(gemm)
    s.reorder("k", "j")
    s.pipeline("j")
    s.partition(s.B, dim=2)
    return s


def gemm_inputs(rng):
    return [rng.integers(-100, 100, (8, 8)).astype(np.int32) for _ in range(2)]


def gemm_ref(args):
    A, B = (a.astype(np.int64) for a in args)
    return (A @ B).astype(np.int32)


def quot_rem(X: int32[N], D: int32[N]) -> (int32[N], int32[N]):
    Q: int32[N] = 0
    R: int32[N] = 0
    for i in range(N):
        Q[i] = X[i] // D[i]
        R[i] = X[i] % D[i]
    return Q, R


def quot_rem_inputs(rng):
    d = rng.integers(1, 50, N) * rng.choice([-1, 1], N)
    return [rng.integers(-1000, 1000, N).astype(np.int32), d.astype(np.int32)]


def quot_rem_ref(args):
    X, D = (a.astype(np.int64) for a in args)      # // floors, % keeps the dividend's sign
    return np.floor_divide(X, D).astype(np.int32), np.fmod(X, D).astype(np.int32)


def collatz(X: int32[N]) -> int32[N]:
    S: int32[N] = 0
    for i in range(N):
        x: int32 = X[i]
        steps: int32 = 0
        while x > 1:
            if x % 2 == 0:
                x = x // 2
            else:
                x = 3 * x + 1
            steps = steps + 1
        S[i] = steps
    return S


def collatz_inputs(rng):
    return [rng.integers(1, 40, N).astype(np.int32)]


def collatz_ref(args):
    out = []
    for x in args[0].tolist():
        steps = 0
        while x > 1:
            x = x // 2 if x % 2 == 0 else 3 * x + 1
            steps += 1
        out.append(steps)
    return np.array(out, dtype=np.int32)


def count_down(X: int32[N]) -> int32[N]:
    """Sub-kernel whose latency depends on its data."""
    Y: int32[N] = 0
    for i in range(N):
        v: int32 = X[i]
        n: int32 = 0
        while v > 0:
            v = v - 3
            n = n + 1
        Y[i] = n
    return Y


def calls_variable(X: int32[N], Y: int32[N]) -> int32[N]:
    T = count_down(X)
    U = count_down(Y)
    Z: int32[N] = 0
    for i in range(N):
        Z[i] = T[i] * 10 + U[i]
    return Z


def calls_variable_inputs(rng):
    return [rng.integers(-5, 40, N).astype(np.int32) for _ in range(2)]


def calls_variable_ref(args):
    X, Y = (a.astype(np.int64) for a in args)
    steps = lambda v: np.where(v > 0, (v + 2) // 3, 0)   # noqa: E731 - ceil(v / 3) for v > 0
    return (steps(X) * 10 + steps(Y)).astype(np.int32)


KERNELS = {
    "gemm_pipelined": (gemm_schedule, gemm_inputs, gemm_ref),
    "quot_rem": (lambda: allo.customize(quot_rem), quot_rem_inputs, quot_rem_ref),
    "collatz_while_if": (lambda: allo.customize(collatz), collatz_inputs, collatz_ref),
    "calls_variable": (lambda: allo.customize(calls_variable), calls_variable_inputs,
                       calls_variable_ref),
}


def _results(out):
    return out if isinstance(out, tuple) else (out,)


def run_both(make_schedule, args, target=None, seed=True):
    """(results, cycles) without stalls, (results, cycles, stalled cycles) with them."""
    s = make_schedule()
    plain = s.build(target=target)
    got = plain(*copy_args(args))
    held = s.build(target=target, stall_source=seed)
    got_held = held(*copy_args(args))
    return (got, plain.cycles), (got_held, held.cycles, held.stall_cycles)


@pytest.mark.parametrize("name", KERNELS)
@pytest.mark.parametrize("seed", [True, 0x1234])
def test_stalls_change_cycles_not_results(name, seed):
    make, inputs, ref = KERNELS[name]
    args = inputs(np.random.default_rng(5))
    expected = ref(copy_args(args))
    (got, cycles), (got_held, cycles_held, stalls) = run_both(make, args, seed=seed)
    for a, b, e in zip(_results(got), _results(got_held), _results(expected)):
        assert_same(a, e)
        assert_same(b, e)
    assert stalls > 0
    assert cycles_held == cycles + stalls


@pytest.mark.parametrize("pipelined", [False, True], ids=["plain", "pipelined"])
@pytest.mark.parametrize("case", [c for c in CASES if not c.slow], ids=lambda c: c.name)
def test_differential_cases_under_stalls(case, pipelined):
    def make():
        s = allo.customize(case.kernel)
        return pipeline_innermost(s) if pipelined else s
    args = case.make_inputs(np.random.default_rng(3), False)
    np_args = copy_args(args)
    expected = case.reference(np_args)
    s = make()
    plain = s.build()
    plain(*copy_args(args))
    held = s.build(stall_source=True)
    hw_args = copy_args(args)
    got = held(*hw_args)
    if expected is not None:
        assert_same(got, expected)
    for k in case.inplace:
        assert_same(hw_args[k], np_args[k])
    assert held.stall_cycles > 0
    assert held.cycles == plain.cycles + held.stall_cycles
    assert held.reads == plain.reads        # no read issued twice while stalled


SIMS = [pytest.param("icarus", marks=pytest.mark.icarus),
        pytest.param("verilator", marks=pytest.mark.verilator)]


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("name", KERNELS)
def test_external_simulators_stall_like_amaranth(sim, name):
    make, inputs, ref = KERNELS[name]
    args = inputs(np.random.default_rng(9))
    expected = ref(copy_args(args))
    (got, cycles), (got_held, cycles_held, stalls) = run_both(make, args, target=sim)
    for a, b, e in zip(_results(got), _results(got_held), _results(expected)):
        assert_same(a, e)
        assert_same(b, e)
    held = make().build(stall_source=True)          # the same LFSR pattern on Amaranth
    held(*copy_args(args))
    assert (cycles_held, stalls) == (held.cycles, held.stall_cycles)
    assert cycles_held == cycles + stalls


def test_board_builds_refuse_the_stall_source():
    from allo_rtl.errors import AlloError
    with pytest.raises(AlloError, match="simulation test hook"):
        gemm_schedule().build(target="board", board="icebreaker", project="unused",
                              stall_source=True)


def test_stall_seed_must_fit_the_lfsr():
    from allo_rtl.sim.harness import KernelHarness
    with pytest.raises(ValueError, match="not 0"):
        KernelHarness(lambda: None, None, stall_seed=0)
