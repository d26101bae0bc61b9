"""Built-in self test: the kernel runs once after reset on inputs baked into its memories, then
every array is compared with the interpreter's results (baked into ROMs) and every scalar
result with its expected value. ``passed``/``failed`` drive LEDs on boards without a host link.
"""
from __future__ import annotations

from amaranth.hdl import Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import Out

from ..rtl.interface import KernelInterface, ScalarPort, hw_shape
from ..sim.harness import KernelHarness


class BistCore(wiring.Component):
    """``init``: array name -> flat raw input words; ``scalars``: param name -> raw value;
    ``expected``: array name -> flat raw words after the run; ``expected_scalars``: result
    name -> raw value."""

    def __init__(self, kernel_factory, iface: KernelInterface, init: dict, scalars: dict,
                 expected: dict, expected_scalars: dict):
        self.kernel_factory, self.iface = kernel_factory, iface
        self.init, self.scalars = init, scalars
        self.expected, self.expected_scalars = expected, expected_scalars
        super().__init__({"running": Out(1), "finished": Out(1), "passed": Out(1),
                          "failed": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.harness = h = KernelHarness(self.kernel_factory, self.iface, self.init)
        for p in self.iface.params:
            if isinstance(p, ScalarPort):
                m.d.comb += getattr(h, p.name).eq(Const(int(self.scalars[p.name]),
                                                        hw_shape(p.dtype)))
        mismatch = Signal()
        arrays = self.iface.arrays
        addr = Signal(range(max([a.depth for a in arrays] + [1]) + 1))
        which = Signal(range(len(arrays) + 1))
        roms = []
        for a in arrays:
            rom = Memory(shape=hw_shape(a.dtype), depth=a.depth, init=self.expected[a.name])
            m.submodules[f"expected_{a.name}"] = rom
            roms.append(rom.read_port(transparent_for=()))
        m.d.comb += [self.passed.eq(self.finished & ~mismatch),
                     self.failed.eq(self.finished & mismatch)]
        with m.FSM():
            with m.State("START"):
                m.d.comb += h.start.eq(1)
                m.next = "RUN"
            with m.State("RUN"):
                m.d.comb += self.running.eq(1)
                with m.If(h.done):
                    for r in self.iface.results:
                        if isinstance(r, ScalarPort):
                            want = Const(int(self.expected_scalars[r.name]), hw_shape(r.dtype))
                            with m.If(getattr(h, r.name) != want):
                                m.d.sync += mismatch.eq(1)
                    m.d.sync += [which.eq(0), addr.eq(0)]
                    m.next = "READ" if arrays else "DONE"
            with m.State("READ"):
                with m.Switch(which):
                    for k, a in enumerate(arrays):
                        with m.Case(k):
                            m.d.comb += [getattr(h, f"host_{a.name}_raddr").eq(addr),
                                         roms[k].addr.eq(addr)]
                m.next = "COMPARE"
            with m.State("COMPARE"):
                with m.Switch(which):
                    for k, a in enumerate(arrays):
                        with m.Case(k):
                            with m.If(getattr(h, f"host_{a.name}_rdata") != roms[k].data):
                                m.d.sync += mismatch.eq(1)
                            last_word = addr == a.depth - 1
                            with m.If(last_word):
                                m.d.sync += [addr.eq(0), which.eq(which + 1)]
                                m.next = "DONE" if k == len(arrays) - 1 else "READ"
                            with m.Else():
                                m.d.sync += addr.eq(addr + 1)
                                m.next = "READ"
            with m.State("DONE"):
                m.d.comb += self.finished.eq(1)
        return m


def bist_core(design, inputs=None, seed: int = 0, component=None) -> BistCore:
    """A BistCore for ``design`` (a HardwareDesign): ``inputs`` are numpy arguments as for a
    call (default: random values of each parameter's type, from ``seed``); the expected values
    come from the reference interpreter. ``component``: the kernel's factory (default
    ``design.component``; a board build's makes SPRAM cells)."""
    import numpy as np

    from ..ir.nodes import Buffer
    from ..rtl.interface import ArrayPort
    from ..sim import boundary
    from ..sim.reference import Interpreter

    top = design.module.top_func
    iface = design.interface()
    if inputs is None:
        rng = np.random.default_rng(seed)
        raw = []
        for p in top.params:
            t = p.dtype if isinstance(p, Buffer) else p.type
            draw = lambda t=t: int(rng.integers(t.min_raw, t.max_raw, endpoint=True))  # noqa: E731
            if isinstance(p, Buffer):
                arr = np.empty(p.shape, dtype=object)
                for idx in np.ndindex(*p.shape):
                    arr[idx] = draw()
                raw.append(arr)
            else:
                raw.append(draw())
    else:
        raw = boundary.convert_args(top, list(inputs), design.top_banks)
    init = {p.name: [int(v) for v in r.reshape(-1)] for p, r in zip(iface.params, raw)
            if isinstance(p, ArrayPort)}
    scalars = {p.name: int(r) for p, r in zip(iface.params, raw) if isinstance(p, ScalarPort)}
    work = [r.copy() if hasattr(r, "copy") else r for r in raw]
    results = Interpreter().call(top, work)
    expected = {p.name: [int(v) for v in w.reshape(-1)]
                for p, w in zip(iface.params, work) if isinstance(p, ArrayPort)}
    expected_scalars = {}
    for r, v in zip(iface.results, results):
        if isinstance(r, ArrayPort):
            expected[r.name] = [int(x) for x in v.reshape(-1)]
        else:
            expected_scalars[r.name] = int(v)
    return BistCore(component or design.component, iface, init, scalars, expected,
                    expected_scalars)
