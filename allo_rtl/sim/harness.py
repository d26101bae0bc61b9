"""Test harness hardware shared by every simulator: the kernel plus the memories it talks to.

``KernelHarness`` wraps a kernel component with one ``amaranth.lib.memory.Memory`` per array
port, wired as a BRAM (synchronous read, latency 1, non-transparent). Each memory also has a
*host* port (write: ``host_X_addr/_we/_wdata``; read: ``host_X_raddr`` -> ``host_X_rdata`` one
cycle later) through which a testbench loads inputs and reads results while the kernel idles.
A hardware counter ``cycles`` measures the kernel's latency the same way on every simulator:
1 at the edge that samples ``start``, +1 at each further edge until ``done`` is high. A
counter ``host_X_reads`` per array counts the cycles the kernel reads it during that run.

Stall source (tests only, ``stall_seed`` given; the kernel was built with a ``stall`` input):
a 16-bit LFSR, reloaded with the seed at the edge that samples ``start`` and stepped every
cycle of the run, drives the kernel's ``stall`` in about one cycle of four (never in a cycle
``done`` is high, so done stays a one-cycle pulse). Since it only depends on the run's cycle
number, every simulator sees the same stall pattern. ``stall_cycles`` counts the cycles it
stalled the kernel; a correct kernel's ``cycles`` is then its unstalled latency plus that.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..primitives.spram import SinglePortRAM
from ..rtl.interface import ArrayPort, KernelInterface, ScalarPort, hw_shape
from ..rtl.streams import watchdog_limit

CYCLE_COUNTER_BITS = 40
READ_COUNTER_BITS = 32
LFSR_BITS = 16
LFSR_TAPS = (15, 13, 12, 10)        # x^16 + x^14 + x^13 + x^11 + 1: maximal length


def harness_signature(iface: KernelInterface, stall: bool = False,
                      wait_bits: int = 0) -> wiring.Signature:
    members = {"start": In(1), "done": Out(1), "idle": Out(1),
               "cycles": Out(CYCLE_COUNTER_BITS)}
    if wait_bits:
        members["watchdog"] = Out(1)
        members["watchdog_wait"] = Out(wait_bits)
    if stall:
        members["stall_cycles"] = Out(CYCLE_COUNTER_BITS)
    for p in [*iface.params, *iface.results]:
        if isinstance(p, ScalarPort):
            members[p.name] = (In if p.role == "param" else Out)(hw_shape(p.dtype))
        else:
            members[f"host_{p.name}_addr"] = In(p.addr_width)
            members[f"host_{p.name}_we"] = In(1)
            members[f"host_{p.name}_wdata"] = In(hw_shape(p.dtype))
            members[f"host_{p.name}_raddr"] = In(p.addr_width)
            members[f"host_{p.name}_rdata"] = Out(hw_shape(p.dtype))
            members[f"host_{p.name}_reads"] = Out(READ_COUNTER_BITS)
    return wiring.Signature(members)


class KernelHarness(wiring.Component):
    """The kernel (``kernel_factory()``) with its array memories and a cycle counter."""

    def __init__(self, kernel_factory, iface: KernelInterface, init: dict | None = None,
                 stall_seed: int | None = None):
        if stall_seed is not None and not (isinstance(stall_seed, int) and
                                           0 < stall_seed < 1 << LFSR_BITS):
            self._MustUse__silence = True     # never elaborated: no "unused" warning
            raise ValueError(f"stall seed must be an integer in 1..{(1 << LFSR_BITS) - 1}, "
                             f"not {stall_seed!r}")
        self.kernel_factory, self.iface = kernel_factory, iface
        self.init = init or {}          # array name -> flat raw words (Amaranth sim only)
        self.stall_seed = stall_seed
        self.memories = {}
        self.kernel = kernel_factory()
        self.wait_table = getattr(self.kernel, "wait_table", [])
        designs = getattr(self.kernel, "designs", None)
        self.watchdog_limit = watchdog_limit(designs) if self.wait_table else None
        super().__init__(harness_signature(iface, stall_seed is not None,
                                           len(self.wait_table)))

    def elaborate(self, platform):
        m = Module()
        dut = self.kernel
        m.submodules.dut = dut
        for p in self.iface.arrays:
            self.memories[p.name] = self._memory(m, dut, p)
        for p in [*self.iface.params, *self.iface.results]:
            if isinstance(p, ScalarPort):
                src, dst = (self, dut) if p.role == "param" else (dut, self)
                m.d.comb += getattr(dst, p.name).eq(getattr(src, p.name))
        m.d.comb += [dut.start.eq(self.start), self.done.eq(dut.done), self.idle.eq(dut.idle)]
        # the counter uses only its own state: on Icarus, the kernel's combinational outputs
        # (idle) stay X until its FSM first changes state
        running = Signal()
        with m.If(self.start & ~running):
            m.d.sync += [self.cycles.eq(1), running.eq(1)]
            m.d.sync += [getattr(self, f"host_{p.name}_reads").eq(0) for p in self.iface.arrays]
        with m.Elif(running & ~dut.done):
            m.d.sync += self.cycles.eq(self.cycles + 1)
        with m.Elif(dut.done):
            m.d.sync += running.eq(0)
        for p in self.iface.arrays:
            count = getattr(self, f"host_{p.name}_reads")
            # conditions, not sums: a port's enable may be undefined in a Verilog simulator
            # until its FSM first drives it (an undefined condition counts nothing)
            reads = p.kernel_reads_per_port(lambda s: getattr(dut, p.signal(s)))
            if len(reads) == 2:
                with m.If(running & reads[0] & reads[1]):
                    m.d.sync += count.eq(count + 2)
                with m.Elif(running & (reads[0] | reads[1])):
                    m.d.sync += count.eq(count + 1)
            else:
                with m.If(running & reads[0]):
                    m.d.sync += count.eq(count + 1)
        if self.stall_seed is not None:
            self._stall_source(m, dut, running)
        if self.wait_table:
            self._watchdog(m, dut, running)
        return m

    def _watchdog(self, m, dut, running):
        """``watchdog`` rises (and stays) after ``watchdog_limit`` cycles in a row in which
        some stage waits on a stream and none makes progress (``rtl.streams``); cycles the
        test-only stall holds the kernel do not count. ``watchdog_wait`` keeps the waits of
        that moment, which the simulators name (``sim.watchdog``)."""
        idle = Signal(range(self.watchdog_limit + 1), name="watchdog_idle")
        stalled = dut.stall if self.stall_seed is not None else 0
        stuck = running & ~dut.done & (dut.stream_wait != 0) & ~dut.stream_progress
        with m.If(self.start & ~running):
            m.d.sync += [idle.eq(0), self.watchdog.eq(0)]
        with m.Elif(stuck & ~stalled & ~self.watchdog):
            m.d.sync += idle.eq(idle + 1)
            with m.If(idle == self.watchdog_limit - 1):
                m.d.sync += [self.watchdog.eq(1), self.watchdog_wait.eq(dut.stream_wait)]
        with m.Elif(~stuck):
            m.d.sync += idle.eq(0)

    def _stall_source(self, m, dut, running):
        lfsr = Signal(LFSR_BITS, init=self.stall_seed, name="stall_lfsr")
        feedback = lfsr[LFSR_TAPS[0]]
        for t in LFSR_TAPS[1:]:
            feedback = feedback ^ lfsr[t]
        with m.If(self.start & ~running):
            m.d.sync += [lfsr.eq(self.stall_seed), self.stall_cycles.eq(0)]
        with m.Else():
            m.d.sync += lfsr.eq(Cat(feedback, lfsr[:-1]))
        m.d.comb += dut.stall.eq(running & ~dut.done & lfsr[0] & lfsr[7])
        with m.If(dut.stall):
            m.d.sync += self.stall_cycles.eq(self.stall_cycles + 1)

    def _memory(self, m, dut, p: ArrayPort) -> Memory:
        """One read and one write port (block-RAM inferable), shared: the host's port while
        the kernel is idle (the kernel never accesses memory then), the kernel's otherwise.
        An SPRAM argument (``p.spram``) gets a single-port memory instead."""
        if p.spram:
            return self._single_port_memory(m, dut, p)
        mem = Memory(shape=hw_shape(p.dtype), depth=p.depth, init=self.init.get(p.name, []),
                     attrs={"ram_style": p.ram_style} if p.ram_style else None)
        m.submodules[f"mem_{p.name}"] = mem
        rd, wr = mem.read_port(transparent_for=()), mem.write_port()
        sig = lambda s: getattr(dut, p.signal(s))   # noqa: E731
        host = lambda s: getattr(self, f"host_{p.name}_{s}")   # noqa: E731
        m.d.comb += [sig("q0").eq(rd.data), host("rdata").eq(rd.data)]
        if p.dual_port:           # two read/write port sets (RAM_T2P): a second pair
            rd1, wr1 = mem.read_port(transparent_for=()), mem.write_port()
            m.d.comb += sig("q1").eq(rd1.data)
            kernel = [rd.addr.eq(sig("address0")), rd.en.eq(sig("ce0") & ~sig("we0")),
                      wr.addr.eq(sig("address0")), wr.en.eq(sig("ce0") & sig("we0")),
                      wr.data.eq(sig("d0")),
                      rd1.addr.eq(sig("address1")), rd1.en.eq(sig("ce1") & ~sig("we1")),
                      wr1.addr.eq(sig("address1")), wr1.en.eq(sig("ce1") & sig("we1")),
                      wr1.data.eq(sig("d1"))]
        elif p.two_port:          # a read port and a write port (RAM_2P)
            kernel = [rd.addr.eq(sig("address0")), rd.en.eq(sig("ce0")),
                      wr.addr.eq(sig("address1")), wr.en.eq(sig("ce1") & sig("we1")),
                      wr.data.eq(sig("d1"))]
        else:
            kernel = [rd.addr.eq(sig("address0")), rd.en.eq(sig("ce0") & ~sig("we0")),
                      wr.addr.eq(sig("address0")), wr.en.eq(sig("ce0") & sig("we0")),
                      wr.data.eq(sig("d0"))]
        with m.If(dut.idle):
            m.d.comb += [rd.addr.eq(host("raddr")), rd.en.eq(1),
                         wr.addr.eq(host("addr")), wr.en.eq(host("we")),
                         wr.data.eq(host("wdata"))]
        with m.Else():
            m.d.comb += kernel
        return mem

    def _single_port_memory(self, m, dut, p: ArrayPort):
        """The one port: the kernel's (one shared ap_memory port) while it runs; the host's
        while it is idle, its write address in a cycle it writes and its read address
        otherwise (the host link never reads and writes in one cycle, and it takes the data
        the cycle after setting the read address). SB_SPRAM256KA cells when the kernel is
        built with them and the memory is not preloaded (a BIST's inputs are initial
        contents, which an SPRAM cannot have: Yosys makes that one block RAM)."""
        init = self.init.get(p.name, [])
        cells = getattr(self.kernel, "spram_cells", False) and not init
        ram = SinglePortRAM(hw_shape(p.dtype), p.depth, cells=cells, init=init)
        m.submodules[f"mem_{p.name}"] = ram
        sig = lambda s: getattr(dut, p.signal(s))   # noqa: E731
        host = lambda s: getattr(self, f"host_{p.name}_{s}")   # noqa: E731
        m.d.comb += [sig("q0").eq(ram.rdata), host("rdata").eq(ram.rdata)]
        with m.If(dut.idle):
            m.d.comb += [ram.addr.eq(Mux(host("we"), host("addr"), host("raddr"))),
                         ram.en.eq(~host("we")), ram.we.eq(host("we")),
                         ram.wdata.eq(host("wdata"))]
        with m.Else():
            m.d.comb += [ram.addr.eq(sig("address0")), ram.en.eq(sig("ce0") & ~sig("we0")),
                         ram.we.eq(sig("ce0") & sig("we0")), ram.wdata.eq(sig("d0"))]
        return ram
