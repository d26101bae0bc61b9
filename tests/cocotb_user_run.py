"""What a user's cocotb test of a bare kernel does around its memories: reset, one start
pulse, wait for done. Shared by the cocotb_user_*.py test modules."""
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from allo_rtl.sim.cocotb.drivers import level


async def start_and_wait(dut, limit: int = 1000) -> int:
    """Reset, pulse start, and return the cycles until done (fails after ``limit``)."""
    dut.rst.value = 1
    dut.start.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    dut.start.value = 1
    await RisingEdge(dut.clk)
    dut.start.value = 0
    for cycles in range(limit):
        await ReadOnly()
        if level(dut.done):
            return cycles
        await RisingEdge(dut.clk)
    raise AssertionError(f"no done within {limit} cycles")
