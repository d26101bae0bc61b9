"""Board-side host link: a UART, the protocol of ``boards.protocol``, and the kernel harness.

``HostLink`` is board-independent (pins ``rx``/``tx`` and two status outputs); the board top
connects it to the platform's UART and LEDs. Every received byte is handled in the cycle it
arrives, so requests without replies can be streamed at full line rate.
"""
from __future__ import annotations

from amaranth.hdl import Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..primitives.uart import UartRx, UartTx
from ..rtl.interface import KernelInterface, hw_shape
from ..sim.harness import CYCLE_COUNTER_BITS, KernelHarness
from .protocol import (CMD_GO, CMD_QUERY, CMD_READ, CMD_SET, CMD_WRITE, CYCLE_BYTES,
                       REPLY_DONE, LinkItems, check_link_limits, nbytes)


class HostLink(wiring.Component):
    """UART host link around a kernel. ``busy`` is high while the kernel runs; ``done_seen``
    goes high at the first done (for an LED)."""

    def __init__(self, kernel_factory, iface: KernelInterface, divisor: int):
        check_link_limits(iface)
        self.kernel_factory, self.iface, self.divisor = kernel_factory, iface, divisor
        self.items = LinkItems.of(iface)
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1), "busy": Out(1),
                          "done_seen": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.harness = h = KernelHarness(self.kernel_factory, self.iface)
        m.submodules.uart_rx = urx = UartRx(self.divisor)
        m.submodules.uart_tx = utx = UartTx(self.divisor)
        m.d.comb += [urx.rx.eq(self.rx), self.tx.eq(utx.tx), urx.data.ready.eq(1)]
        items = self.items
        widths = [a.dtype.hw_bits for a in items.arrays] + \
                 [s.dtype.hw_bits for s in items.scalars_in + items.scalars_out]
        word_bits = max(widths + [8 * (1 + CYCLE_BYTES)])
        word = Signal(word_bits)
        count = Signal(range(word_bits // 8 + 2))
        cmd, ident, addr = Signal(8), Signal(8), Signal(16)
        byte, got = urx.data.payload, urx.data.valid

        held = {a.name: Signal(a.dtype.hw_bits, name=f"held_{a.name}") for a in items.arrays}
        regs = {}                       # scalar inputs live in registers the host sets
        for s in items.scalars_in:
            regs[s.name] = Signal(hw_shape(s.dtype), name=f"in_{s.name}")
            m.d.comb += getattr(h, s.name).eq(regs[s.name])

        def by_ident(group, action):
            with m.Switch(ident):
                for k, item in enumerate(group):
                    with m.Case(k):
                        action(item)

        with m.FSM():
            with m.State("IDLE"):
                with m.If(got):
                    m.d.sync += cmd.eq(byte)
                    with m.If(byte == CMD_GO):
                        m.d.comb += h.start.eq(1)
                        m.next = "RUN"
                    with m.Elif((byte == CMD_WRITE) | (byte == CMD_READ) | (byte == CMD_SET)
                                | (byte == CMD_QUERY)):
                        m.next = "ID"
            with m.State("ID"):
                with m.If(got):
                    m.d.sync += [ident.eq(byte), count.eq(0), word.eq(0)]
                    with m.Switch(cmd):
                        with m.Case(CMD_WRITE, CMD_READ):
                            m.next = "ADDR_LO"
                        with m.Case(CMD_SET):
                            m.next = "DATA"
                        with m.Case(CMD_QUERY):
                            m.next = "QUERY"
            with m.State("ADDR_LO"):
                with m.If(got):
                    m.d.sync += addr[:8].eq(byte)
                    m.next = "ADDR_HI"
            with m.State("ADDR_HI"):
                with m.If(got):
                    m.d.sync += addr[8:].eq(byte)
                    m.next = "DATA"
                    with m.If(cmd == CMD_READ):
                        m.next = "READ"
            with m.State("DATA"):
                needed = Signal.like(count)
                with m.If(cmd == CMD_WRITE):
                    by_ident(items.arrays, lambda a: m.d.comb.__iadd__(
                        needed.eq(nbytes(a.dtype.hw_bits))))
                with m.Else():
                    by_ident(items.scalars_in, lambda s: m.d.comb.__iadd__(
                        needed.eq(nbytes(s.dtype.hw_bits))))
                with m.If(got):
                    m.d.sync += [word.word_select(count, 8).eq(byte), count.eq(count + 1)]
                    with m.If(count + 1 == needed):
                        m.next = "COMMIT"
            with m.State("COMMIT"):
                with m.If(cmd == CMD_WRITE):
                    by_ident(items.arrays, lambda a: m.d.comb.__iadd__([
                        getattr(h, f"host_{a.name}_addr").eq(addr),
                        getattr(h, f"host_{a.name}_wdata").eq(word),
                        getattr(h, f"host_{a.name}_we").eq(1)]))
                with m.Else():
                    by_ident(items.scalars_in, lambda s: m.d.sync.__iadd__(
                        regs[s.name].eq(word)))
                m.next = "IDLE"
            with m.State("READ"):
                by_ident(items.arrays, lambda a: m.d.comb.__iadd__(
                    getattr(h, f"host_{a.name}_raddr").eq(addr)))
                m.next = "READ_DATA"
            with m.State("READ_DATA"):
                # every array's read data into a register of its own, with no multiplexer
                # after the block RAM's slow output (the critical path of a 100 MHz build)
                m.d.sync += [held[a.name].eq(getattr(h, f"host_{a.name}_rdata"))
                             for a in items.arrays]
                m.next = "READ_PICK"
            with m.State("READ_PICK"):
                by_ident(items.arrays, lambda a: m.d.sync.__iadd__([
                    word.eq(held[a.name]), count.eq(nbytes(a.dtype.hw_bits))]))
                m.next = "SEND"
            with m.State("QUERY"):
                by_ident(items.scalars_out, lambda s: m.d.sync.__iadd__([
                    word.eq(getattr(h, s.name)), count.eq(nbytes(s.dtype.hw_bits))]))
                m.next = "SEND"
            with m.State("RUN"):
                m.d.comb += self.busy.eq(1)
                with m.If(h.done):
                    m.d.sync += [word.eq(Const(REPLY_DONE, 8) | (h.cycles << 8)),
                                 count.eq(1 + CYCLE_BYTES), self.done_seen.eq(1)]
                    m.next = "SEND"
            with m.State("SEND"):
                m.d.comb += [utx.data.payload.eq(word[:8]), utx.data.valid.eq(count != 0)]
                with m.If(count == 0):
                    m.next = "IDLE"
                with m.Elif(utx.data.ready):
                    m.d.sync += [word.eq(word >> 8), count.eq(count - 1)]
        assert CYCLE_COUNTER_BITS <= 8 * CYCLE_BYTES
        return m
