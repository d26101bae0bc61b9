"""A user's cocotb test of a bare kernel with a true-dual-port argument (RAM_T2P): ApMemory
plays both of A's read/write port sets; the pipelined loop reads A[i] and A[i + 1] in one
cycle and writes A[i] back through a port. Run by test_cocotb_user_drivers.py."""
import json
import os

import cocotb
from cocotb.clock import Clock

from allo_rtl.sim.cocotb.drivers import ApMemory
from cocotb_user_run import start_and_wait

N = 8


@cocotb.test()
async def neighbour_sums_with_a_dual_port_memory(dut):
    data = json.loads(os.environ["USER_TEST_DATA"])
    Clock(dut.clk, 10, unit="ns").start()
    a = ApMemory(dut, "A", data["A"])
    assert a.dual and not a.two_port
    cocotb.start_soon(a.run())
    cycles = await start_and_wait(dut)
    assert a.words == data["expected"], (a.words, data["expected"])
    # per iteration two reads and one write: three accesses on two ports
    assert (a.reads, a.writes) == (2 * (N - 1), N - 1)
    assert cycles < 3 * (N - 1), cycles
