"""Cycle-accurate simulation of a kernel on Amaranth's simulator.

The design under test is the ``KernelHarness`` (``sim.harness``): the kernel plus one BRAM-like
memory per array port, so the external memories behave exactly like on-chip ones and the same
harness runs on Icarus and Verilator. Inputs are preloaded as memory contents, scalars are set
before ``start`` (held for one cycle), results are read from the memories after ``done``. The
cycle count is the harness's hardware counter (identical on every simulator).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np
from amaranth.sim import Simulator

from .. import progress
from ..errors import AlloError
from ..ir import nodes as ir
from ..rtl.interface import ArrayPort, KernelInterface, ScalarPort
from .boundary import from_word, to_word
from .harness import KernelHarness
from ..rtl.streams import occupancy_rows
from .watchdog import deadlock_error


class SimTimeoutError(AlloError):
    """The design did not raise done within the cycle limit."""


# A simulation running longer than PROGRESS_AFTER_S seconds prints a line to stderr every
# PROGRESS_EVERY_S seconds: at ~10k cycles/s the default limit is minutes of silence otherwise.
PROGRESS_AFTER_S = 5.0
PROGRESS_EVERY_S = 10.0
PROGRESS_PREFIX = "[allo-rtl]"


class Progress:
    """Progress lines for one simulation run; ``update(cycles)`` is cheap to call often."""

    def __init__(self, name: str, max_cycles: int, simulator: str = "amaranth",
                 after: float | None = None, every: float | None = None, out=None,
                 show: bool | None = None):
        self.name, self.max_cycles, self.simulator = name, max_cycles, simulator
        self.after = PROGRESS_AFTER_S if after is None else after
        self.every = PROGRESS_EVERY_S if every is None else every
        self.out = out
        # quiet unless the output is a terminal (allo_rtl/progress.py); ``show`` decides for
        # a caller that knows better (the cocotb run writes into a log its parent echoes)
        self.show = progress.enabled(out or sys.stderr) if show is None else show
        self.t0 = self.last = time.perf_counter()
        self.printed = False

    def update(self, cycles: int):
        if not self.show:
            return
        now = time.perf_counter()
        elapsed = now - self.t0
        if elapsed < self.after or (self.printed and now - self.last < self.every):
            return
        self.last, self.printed = now, True
        print(progress_line(self.name, self.simulator, cycles, elapsed, self.max_cycles),
              file=self.out or sys.stderr, flush=True)


def progress_line(name, simulator, cycles, elapsed, max_cycles) -> str:
    rate = cycles / elapsed if elapsed > 0 else 0.0
    return (f"{PROGRESS_PREFIX} {name} on {simulator}: {cycles:,} cycles in {elapsed:.1f} s "
            f"({rate:,.0f} cycles/s), limit {max_cycles:,} (s.build(max_cycles=N))")


@dataclass
class SimResult:
    raw_results: list       # per kernel result: raw int, or object array of raw ints
    raw_args: list          # the arguments after the run (arrays as the memories hold them)
    cycles: int
    reads: dict | None = None   # array port -> cycles the kernel read it
    stall_cycles: int | None = None   # cycles the test-only stall source held the kernel
    streams: dict | None = None       # dataflow regions: occupancy and stage latencies


def _flat(raw, dtype=None) -> list:
    """The hardware words of an array's raw values (floats as IEEE bits; without ``dtype``
    the values are integers)."""
    flat = np.asarray(raw, dtype=object).reshape(-1)
    return [int(v) if dtype is None else to_word(dtype, v) for v in flat]


def simulate(factory, iface: KernelInterface, raw_args: list, *, max_cycles: int,
             vcd: str | None = None, stall_seed: int | None = None) -> SimResult:
    """Run the kernel made by ``factory()`` once on raw arguments (``stall_seed``: drive its
    test-only stall input from the harness's LFSR, ``sim.harness``)."""
    init = {p.name: _flat(raw, p.dtype) for p, raw in zip(iface.params, raw_args)
            if isinstance(p, ArrayPort)}
    tb_top = KernelHarness(factory, iface, init, stall_seed)
    outcome = {}

    async def testbench(ctx):
        for p, raw in zip(iface.params, raw_args):
            if isinstance(p, ScalarPort):
                ctx.set(getattr(tb_top, p.name), to_word(p.dtype, raw))
        ctx.set(tb_top.start, 1)
        await ctx.tick()
        ctx.set(tb_top.start, 0)
        ticks = 1
        progress = Progress(iface.name, max_cycles)
        watched = bool(tb_top.wait_table)
        while not ctx.get(tb_top.done):
            if watched and ctx.get(tb_top.watchdog):
                outcome["watchdog"] = (ticks, ctx.get(tb_top.watchdog_wait))
                return
            if ticks >= max_cycles:
                state = getattr(tb_top.kernel, "fsm_state", None)
                outcome["timeout"] = (ticks, None if state is None else ctx.get(state))
                return
            await ctx.tick()
            ticks += 1
            if not ticks & 1023:
                progress.update(ticks)
        outcome["cycles"] = ctx.get(tb_top.cycles)
        probes = tb_top.kernel.stream_probes()
        if probes:          # FIFO occupancy and stage latencies (rtl.streams)
            outcome["streams"] = occupancy_rows(probes, [ctx.get(p["signal"]) for p in probes])
        if stall_seed is not None:
            outcome["stall_cycles"] = ctx.get(tb_top.stall_cycles)
        outcome["reads"] = {p.name: ctx.get(getattr(tb_top, f"host_{p.name}_reads"))
                            for p in iface.arrays}
        outcome["scalars"] = {r.name: ctx.get(getattr(tb_top, r.name))
                              for r in iface.results if isinstance(r, ScalarPort)}
        outcome["arrays"] = {name: [ctx.get(mem.data[i]) for i in range(mem.depth)]
                             for name, mem in tb_top.memories.items()}

    sim = Simulator(tb_top)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    if vcd:
        with sim.write_vcd(str(vcd)):
            sim.run()
    else:
        sim.run()
    if "watchdog" in outcome:
        cycles, bits = outcome["watchdog"]
        raise deadlock_error(tb_top.wait_table, bits, cycles, "amaranth", iface.name,
                             tb_top.watchdog_limit)
    if "timeout" in outcome:
        cycles, state = outcome["timeout"]
        raise timeout_error(iface.name, cycles, state, tb_top.kernel.design.control)
    return SimResult(_results(iface, outcome), _args_after(iface, raw_args, outcome),
                     outcome["cycles"], outcome["reads"], outcome.get("stall_cycles"),
                     outcome.get("streams"))


def _describe(stmt) -> str:
    if isinstance(stmt, ir.While):
        return "the while loop"
    if isinstance(stmt, ir.For):
        return f"the loop over {stmt.var.name}"
    if isinstance(stmt, ir.Call):
        return f"the call of {stmt.callee.name}"
    return "the statement"


def timeout_error(name: str, cycles: int, state, control=None) -> SimTimeoutError:
    """The error for a run that did not finish; ``control`` (the top's Control IR) names the
    state the FSM is stuck in and the innermost loop, while or call around it, whose line the
    error points at."""
    where = f"; the FSM sits in state {state}" if state is not None else ""
    loc = None
    if state is not None and control is not None and 0 <= state < len(control.states):
        st = control.states[state]
        where += f" ({st.where()})"
        if st.stmt is not None:
            loc = st.stmt.loc
            where += f", in {_describe(st.stmt)} at line {loc.line}"
    return SimTimeoutError(f"{name} did not raise done within {cycles} cycles{where}", loc,
                           hint="raise the limit with s.build(max_cycles=N), or check for a "
                                "loop that never ends")


def _as_array(port: ArrayPort, words: list) -> np.ndarray:
    out = np.empty(port.depth, dtype=object)
    for i, w in enumerate(words):
        out[i] = from_word(port.dtype, w)
    return out.reshape(port.shape)


def _results(iface, outcome) -> list:
    res = []
    for r in iface.results:
        if isinstance(r, ArrayPort):
            res.append(_as_array(r, outcome["arrays"][r.name]))
        else:
            res.append(from_word(r.dtype, outcome["scalars"][r.name]))
    return res


def _args_after(iface, raw_args, outcome) -> list:
    return [_as_array(p, outcome["arrays"][p.name]) if isinstance(p, ArrayPort) else raw
            for p, raw in zip(iface.params, raw_args)]
