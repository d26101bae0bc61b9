"""A call whose arguments need no computing starts its callee without an arguments state
(hls.control_build ``_early_start``): from the caller's idle state when it is the first thing
the caller does (scalars from the caller's inputs), or in the last cycle of the call just
before it (scalars from the parameter registers) unless both call one function. Checked
against Python on every simulator, with calls whose scalars change between runs (a stale
value would give the previous run's result), under random stalls, and the cycle model."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl import int32
from allo_rtl.hls.control import CallStart

SIMS = [None, pytest.param("icarus", marks=pytest.mark.icarus),
        pytest.param("verilator", marks=[pytest.mark.verilator, pytest.mark.long])]
N = 6


def scale(k: int32, A: int32[N]):
    for i in range(N):
        A[i] = A[i] * k


def shift(k: int32, A: int32[N]):
    for i in range(N):
        A[i] = A[i] + k


def two_calls(n: int32, A: int32[N]):
    scale(n, A)           # first thing: started from idle with n from the input port
    shift(n, A)           # after a call to another function: started in scale's last cycle
    shift(3, A)           # after a call to the same function: an arguments state


def computed_argument(n: int32, A: int32[N]):
    m: int32 = n * 2 + 1
    scale(m, A)           # its argument needs computing: an arguments state
    shift(n, A)


def _two_calls_ref(n, A):
    a = [int(x) for x in A]
    a = [x * n for x in a]
    a = [x + n for x in a]
    a = [x + 3 for x in a]
    return np.array([((x + 2**31) % 2**32) - 2**31 for x in a], dtype=np.int32)


def _computed_ref(n, A):
    m = n * 2 + 1
    a = [int(x) * m + n for x in A]
    return np.array([((x + 2**31) % 2**32) - 2**31 for x in a], dtype=np.int32)


CASES = [(two_calls, _two_calls_ref), (computed_argument, _computed_ref)]


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("kernel, ref", CASES, ids=["two_calls", "computed_argument"])
def test_early_started_calls_see_this_runs_scalars(sim, kernel, ref):
    mod = allo.customize(kernel).build(target=sim)
    interp = allo.customize(kernel).build(target="python")
    rng = np.random.default_rng(4)
    for n in (5, -7, 2**31 - 1, -2**31, 0):
        A = rng.integers(-1000, 1000, N).astype(np.int32)
        want, by_interp = ref(n, A), A.copy()
        mod(n, A)
        interp(n, by_interp)
        np.testing.assert_array_equal(A, want, err_msg=f"n = {n}")
        np.testing.assert_array_equal(by_interp, want, err_msg=f"interpreter, n = {n}")


@pytest.mark.parametrize("kernel, ref", CASES, ids=["two_calls", "computed_argument"])
def test_early_started_calls_under_random_stalls_and_in_the_cycle_model(kernel, ref):
    stalled = allo.customize(kernel).build(stall_source=0x1D3)
    plain = allo.customize(kernel).build()
    model = allo.customize(kernel).build(target="cycles")
    A = np.arange(-3, N - 3, dtype=np.int32)
    for mod in (stalled, plain, model):
        a = A.copy()
        mod(9, a)
        np.testing.assert_array_equal(a, ref(9, A))
    assert plain.cycles == model.cycles
    assert stalled.cycles > plain.cycles


def test_which_calls_start_early():
    ctl = allo.customize(two_calls).build(target="cycles").design.designs["two_calls"].control
    idle = ctl.states[ctl.idle]
    assert [a.call.call.callee.name for a in idle.actions if isinstance(a, CallStart)] == \
        ["scale"]
    waits = [st for st in ctl.states if st.kind == "wait"]
    assert [st.callee for st in waits] == ["scale", "shift", "shift"]
    started = [[a.call.call.callee.name for a in st.actions if isinstance(a, CallStart)]
               for st in waits]
    assert started == [["shift"], [], []]
    # the second call of shift has its arguments state, which starts it
    steps = [st for st in ctl.states if st.kind == "step"]
    assert len(steps) == 1 and any(isinstance(a, CallStart) for a in steps[0].actions)

