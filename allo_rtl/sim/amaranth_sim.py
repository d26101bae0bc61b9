"""Cycle-accurate simulation of a kernel component on Amaranth's simulator.

The testbench wraps the DUT with one ``amaranth.lib.memory.Memory`` per array port, wired as
a BRAM would be (synchronous read, latency 1, non-transparent), so the external memories
behave exactly like the on-chip ones. Scalars are set before ``start``; ``start`` is held for
one cycle.

Cycle count: 1 for the edge that samples ``start``, plus one per further edge until ``done``
is seen high; i.e. the number of clock edges from the one sampling start up to (and including)
the one after which done is high.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Module
from amaranth.lib.memory import Memory
from amaranth.sim import Simulator

from ..errors import AlloError
from ..rtl.interface import ArrayPort, KernelInterface, ScalarPort, hw_shape


class SimTimeoutError(AlloError):
    """The design did not raise done within the cycle limit."""


@dataclass
class SimResult:
    raw_results: list       # per kernel result: raw int, or object array of raw ints
    raw_args: list          # the arguments after the run (arrays as the memories hold them)
    cycles: int


def _flat(raw) -> list:
    return [int(v) for v in np.asarray(raw, dtype=object).reshape(-1)]


def _attach_memory(m, dut, port: ArrayPort, init: list) -> Memory:
    mem = Memory(shape=hw_shape(port.dtype), depth=port.depth, init=init)
    m.submodules[f"tb_mem_{port.name}"] = mem
    rd = mem.read_port(transparent_for=())
    wr = mem.write_port()
    sig = lambda s: getattr(dut, port.signal(s))   # noqa: E731
    m.d.comb += [rd.addr.eq(sig("address0")), rd.en.eq(sig("ce0") & ~sig("we0")),
                 wr.addr.eq(sig("address0")), wr.en.eq(sig("ce0") & sig("we0")),
                 wr.data.eq(sig("d0")), sig("q0").eq(rd.data)]
    return mem


def simulate(factory, iface: KernelInterface, raw_args: list, *, max_cycles: int,
             vcd: str | None = None) -> SimResult:
    """Run the component made by ``factory()`` once on raw arguments."""
    dut = factory()
    m = Module()
    m.submodules.dut = dut
    mems = {}
    for p, raw in zip(iface.params, raw_args):
        if isinstance(p, ArrayPort):
            mems[p.name] = _attach_memory(m, dut, p, _flat(raw))
    for r in iface.results:
        if isinstance(r, ArrayPort):
            mems[r.name] = _attach_memory(m, dut, r, [0] * r.depth)

    outcome = {}

    async def testbench(ctx):
        for p, raw in zip(iface.params, raw_args):
            if isinstance(p, ScalarPort):
                ctx.set(getattr(dut, p.name), int(raw))
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        cycles = 1
        while not ctx.get(dut.done):
            if cycles >= max_cycles:
                state = getattr(dut, "fsm_state", None)
                outcome["timeout"] = (cycles, None if state is None else ctx.get(state))
                return
            await ctx.tick()
            cycles += 1
        outcome["cycles"] = cycles
        outcome["scalars"] = {r.name: ctx.get(getattr(dut, r.name))
                              for r in iface.results if isinstance(r, ScalarPort)}
        outcome["arrays"] = {name: [ctx.get(mem.data[i]) for i in range(mem.depth)]
                             for name, mem in mems.items()}

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    if vcd:
        with sim.write_vcd(str(vcd)):
            sim.run()
    else:
        sim.run()

    if "timeout" in outcome:
        cycles, state = outcome["timeout"]
        where = f"; the FSM sits in state {state}" if state is not None else ""
        raise SimTimeoutError(f"{iface.name} did not raise done within {cycles} cycles{where}",
                              hint="raise the limit with s.build(max_cycles=N), or check for "
                                   "a loop that never ends")
    return SimResult(_results(iface, outcome), _args_after(iface, raw_args, outcome),
                     outcome["cycles"])


def _as_array(port: ArrayPort, words: list) -> np.ndarray:
    out = np.empty(port.depth, dtype=object)
    for i, w in enumerate(words):
        out[i] = port.dtype.wrap(w)
    return out.reshape(port.shape)


def _results(iface, outcome) -> list:
    res = []
    for r in iface.results:
        if isinstance(r, ArrayPort):
            res.append(_as_array(r, outcome["arrays"][r.name]))
        else:
            res.append(r.dtype.wrap(outcome["scalars"][r.name]))
    return res


def _args_after(iface, raw_args, outcome) -> list:
    return [_as_array(p, outcome["arrays"][p.name]) if isinstance(p, ArrayPort) else raw
            for p, raw in zip(iface.params, raw_args)]
