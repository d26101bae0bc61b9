"""UART primitive: bytes through UartTx -> line -> UartRx, and a bit-level model of the line."""
import random

import pytest
from amaranth.hdl import Module
from amaranth.sim import Simulator

from allo_rtl.primitives.uart import UartRx, UartTx


@pytest.mark.parametrize("divisor", [2, 5, 16])
def test_loopback_random_bytes(divisor):
    rng = random.Random(divisor)
    payload = [0x00, 0xFF, 0x55, 0xAA] + [rng.randrange(256) for _ in range(20)]
    m = Module()
    m.submodules.tx = tx = UartTx(divisor)
    m.submodules.rx = rx = UartRx(divisor)
    m.d.comb += rx.rx.eq(tx.tx)
    got = []

    async def send(ctx):
        for b in payload:
            ctx.set(tx.data.payload, b)
            ctx.set(tx.data.valid, 1)
            await ctx.tick().until(tx.data.ready)
        ctx.set(tx.data.valid, 0)

    async def receive(ctx):
        ctx.set(rx.data.ready, 1)
        while len(got) < len(payload):
            await ctx.tick()
            if ctx.get(rx.data.valid) and ctx.get(rx.data.ready):
                got.append(ctx.get(rx.data.payload))
            assert not ctx.get(rx.framing_error)

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(send)
    sim.add_testbench(receive)
    sim.run_until(1e-6 * divisor * 12 * (len(payload) + 2))
    assert got == payload


def test_tx_line_waveform_is_8n1_lsb_first():
    divisor = 3
    dut = UartTx(divisor)
    line = []

    async def tb(ctx):
        ctx.set(dut.data.payload, 0b1011_0010)
        ctx.set(dut.data.valid, 1)
        await ctx.tick()
        ctx.set(dut.data.valid, 0)
        for _ in range(10 * divisor + 2):
            await ctx.tick()
            line.append(ctx.get(dut.tx))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    bits = line[0:10 * divisor:divisor]       # one sample per bit period
    assert bits == [0, 0, 1, 0, 0, 1, 1, 0, 1, 1]   # start, 0x b2 LSB first, stop
    assert line[-1] == 1                       # idle high afterwards


def test_bad_divisor_is_refused():
    with pytest.raises(ValueError, match="not 1"):
        UartTx(1)
