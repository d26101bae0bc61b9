"""A user's cocotb test of a bare kernel with a two-port argument (RAM_2P): ApMemory plays
both of C's ports; the pipelined loop reads and writes C in the same cycles. Run by
test_cocotb_user_drivers.py."""
import json
import os

import cocotb
from cocotb.clock import Clock

from allo_rtl.sim.cocotb.drivers import ApMemory
from cocotb_user_run import start_and_wait

N = 8


@cocotb.test()
async def accumulate_with_a_two_port_memory(dut):
    data = json.loads(os.environ["USER_TEST_DATA"])
    Clock(dut.clk, 10, unit="ns").start()
    a = ApMemory(dut, "A", data["A"])
    c = ApMemory(dut, "C", data["C"])
    assert c.two_port and not a.two_port
    for mem in (a, c):
        cocotb.start_soon(mem.run())
    cycles = await start_and_wait(dut)
    assert c.words == data["expected"], (c.words, data["expected"])
    assert (a.reads, c.reads, c.writes) == (N, N, N)
    assert cycles < 2 * N, cycles           # one iteration per cycle, not two
