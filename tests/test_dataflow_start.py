"""A dataflow region that is the first thing its function does starts its stages with the
function (hls.control_build ``_starts_from_idle``): in the idle state's start cycle, with
the scalar arguments taken from the function's inputs, not from the parameter registers
written in that same cycle. Checked against numpy on every simulator, over calls whose
scalar changes (a stale register would give the previous call's value)."""
import numpy as np
import pytest

import allo_rtl.dataflow as df
from allo_rtl.hls.control import StagesStart
from allo_rtl.ir.types import Stream, int32

# Verilator's build (~40 s) only with -m long: Icarus already checks the Verilog
SIMS = [None, pytest.param("icarus", marks=pytest.mark.icarus),
        pytest.param("verilator", marks=[pytest.mark.verilator, pytest.mark.long])]
N = 6


@df.region()
def scaled(n: int32, A: int32[N], B: int32[N]):
    s: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def p(a: int32[N]):
        for t in range(N):
            s.put(a[t] * n)

    @df.kernel(mapping=[1], args=[B])
    def c(b: int32[N]):
        for t in range(N):
            b[t] = s.get() - n


def _expect(n, A):
    return ((A.astype(np.int64) * n).astype(np.int32).astype(np.int64) - n).astype(np.int32)


@pytest.mark.parametrize("sim", SIMS)
def test_stages_started_with_the_function_see_this_calls_scalar(sim):
    mod = df.customize(scaled).build(target=sim)
    rng = np.random.default_rng(21)
    for n in (7, -3, 2**31 - 1, -2**31, 0):
        A = rng.integers(-1000, 1000, N).astype(np.int32)
        B = np.zeros(N, np.int32)
        mod(n, A, B, wrap=True)
        np.testing.assert_array_equal(B, _expect(n, A), err_msg=f"n = {n}")


def test_the_region_has_no_arguments_state():
    """The top's idle state starts the stages and goes straight to the join."""
    mod = df.customize(scaled).build()
    ctl = mod.design.designs["scaled"].control
    idle = ctl.states[ctl.idle]
    assert any(isinstance(a, StagesStart) for a in idle.actions)
    assert [st.kind for st in ctl.states] == ["idle", "join", "done"]
