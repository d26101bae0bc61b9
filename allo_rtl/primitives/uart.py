"""A small 8N1 UART (amaranth-stdio is not on PyPI): ``UartTx`` and ``UartRx``.

``divisor`` is clock cycles per bit (clock_hz // baud). Streams are ``amaranth.lib.stream``
interfaces carrying one byte: the transmitter takes a byte when ``valid & ready``; the
receiver offers each received byte for one or more cycles until taken (a byte arriving before
the previous one is taken overwrites it and sets ``overrun``). Line idles high; LSB first.
"""
from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out


def _check_divisor(component, divisor):
    if not isinstance(divisor, int) or isinstance(divisor, bool) or divisor < 2:
        component._MustUse__silence = True     # never elaborated: no "unused" warning
        raise ValueError(f"UART divisor must be an integer >= 2 (clock cycles per bit), "
                         f"not {divisor!r}")
    return divisor


class UartTx(wiring.Component):
    """Serializer: ``data`` stream in, ``tx`` line out. One byte takes 10 * divisor cycles."""

    def __init__(self, divisor: int):
        self.divisor = _check_divisor(self, divisor)
        super().__init__({"data": In(stream.Signature(8)), "tx": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        shift = Signal(10)                 # start bit, 8 data bits, stop bit (LSB first)
        bits_left = Signal(range(11))
        timer = Signal(range(self.divisor))
        m.d.comb += self.data.ready.eq(bits_left == 0)
        with m.If(bits_left == 0):
            with m.If(self.data.valid):
                m.d.sync += [shift.eq((self.data.payload << 1) | (1 << 9)), bits_left.eq(10),
                             timer.eq(0)]
        with m.Else():
            m.d.sync += self.tx.eq(shift[0])
            with m.If(timer == self.divisor - 1):
                m.d.sync += [timer.eq(0), shift.eq(shift >> 1), bits_left.eq(bits_left - 1)]
            with m.Else():
                m.d.sync += timer.eq(timer + 1)
        return m


class UartRx(wiring.Component):
    """Deserializer: ``rx`` line in, ``data`` stream out; samples each bit at its middle."""

    def __init__(self, divisor: int):
        self.divisor = _check_divisor(self, divisor)
        super().__init__({"rx": In(1, init=1), "data": Out(stream.Signature(8)),
                          "overrun": Out(1), "framing_error": Out(1)})

    def elaborate(self, platform):
        m = Module()
        rx = Signal(init=1)
        m.d.sync += rx.eq(self.rx)         # one register against metastability
        timer = Signal(range(self.divisor + self.divisor // 2 + 1))
        bits = Signal(range(9))
        shift = Signal(8)
        busy = Signal()
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += self.data.valid.eq(0)
        with m.If(~busy):
            with m.If(~rx):                # start bit: wait 1.5 bits to the middle of bit 0
                m.d.sync += [busy.eq(1), timer.eq(self.divisor + self.divisor // 2 - 1),
                             bits.eq(0)]
        with m.Elif(timer != 0):
            m.d.sync += timer.eq(timer - 1)
        with m.Elif(bits < 8):
            m.d.sync += [shift.eq((rx << 7) | (shift >> 1)), bits.eq(bits + 1),
                         timer.eq(self.divisor - 1)]
        with m.Else():                     # middle of the stop bit
            m.d.sync += [busy.eq(0), self.data.payload.eq(shift), self.data.valid.eq(1),
                         self.framing_error.eq(~rx),
                         self.overrun.eq(self.data.valid & ~self.data.ready)]
        return m
