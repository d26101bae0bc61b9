"""BIST mode in simulation: the kernel runs on built-in inputs and checks itself."""
import pytest
from amaranth.sim import Simulator

import allo_rtl as allo
from allo_rtl.boards.bist import bist_core
from allo_rtl.rtl.build import HardwareDesign
from kernels import axpy_total

def _run(core, cycles=5000):
    seen = {}

    async def tb(ctx):
        for _ in range(cycles):
            await ctx.tick()
            if ctx.get(core.finished):
                seen.update(passed=ctx.get(core.passed), failed=ctx.get(core.failed))
                return

    sim = Simulator(core)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return seen


@pytest.mark.parametrize("seed", [0, 1])
def test_bist_passes_on_correct_hardware(seed):
    core = bist_core(HardwareDesign(allo.customize(axpy_total).module), seed=seed)
    assert _run(core) == {"passed": 1, "failed": 0}


@pytest.mark.parametrize("what", ["array", "scalar", "inplace"])
def test_bist_fails_when_an_expectation_is_wrong(what):
    core = bist_core(HardwareDesign(allo.customize(axpy_total).module), seed=3)
    if what == "array":
        core.expected["Z"][2] ^= 1
    elif what == "inplace":
        core.expected["Y"][4] ^= 4
    else:
        name = next(iter(core.expected_scalars))
        core.expected_scalars[name] += 1
    assert _run(core) == {"passed": 0, "failed": 1}
