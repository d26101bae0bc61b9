"""A hand-written cocotb test, as a user would write one, of a bare kernel's Verilog: the
memories are played by allo_rtl.sim.cocotb.drivers.ApMemory. Run by test_cocotb_user_drivers.py."""
import json
import os

import cocotb
from cocotb.clock import Clock

from allo_rtl.sim.cocotb.drivers import ApMemory
from cocotb_user_run import start_and_wait

N = 8


@cocotb.test()
async def vadd_with_ap_memories(dut):
    data = json.loads(os.environ["USER_TEST_DATA"])
    Clock(dut.clk, 10, unit="ns").start()
    a = ApMemory(dut, "A", data["A"])
    b = ApMemory(dut, "B", data["B"])
    c = ApMemory(dut, "C", [0] * N)
    for mem in (a, b, c):
        cocotb.start_soon(mem.run())
    await start_and_wait(dut)
    assert c.words == data["expected"], (c.words, data["expected"])
    assert (a.reads, b.reads, c.writes) == (N, N, 2 * N)   # C is zero-filled first
