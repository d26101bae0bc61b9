"""Iterative divider: one quotient bit per cycle, C semantics, defined division by zero.

Cycle behaviour: ``start`` is sampled with ``dividend``/``divisor`` on a clock edge; the
results are valid ``divider_latency(width)`` = width + 1 cycles later (counting the cycle in
which start was high as cycle 0), when ``done`` pulses for one cycle. ``quotient`` and
``remainder`` then hold until the next start.

Semantics (as ``allo_rtl.ir.semantics``): the quotient truncates toward zero, the remainder
has the dividend's sign; dividing by zero gives an all-ones quotient (-1 if signed) and the
dividend as remainder; signed MIN / -1 wraps to MIN with remainder 0.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


def divider_latency(width: int) -> int:
    """Cycles from the cycle start is high to the cycle results are valid."""
    return width + 1


class Divider(wiring.Component):
    """Restoring division on magnitudes, signs fixed up at the end.

    Parameters
    ----------
    width : int
        Width of dividend, divisor, quotient and remainder.
    signed : bool
        Two's-complement operands (else unsigned).
    """

    def __init__(self, width: int, signed_: bool = True):
        if not isinstance(width, int) or isinstance(width, bool) or width < 1:
            self._MustUse__silence = True     # never elaborated: no "unused" warning
            raise ValueError(f"width must be a positive integer, not {width!r}")
        self.width, self.is_signed = width, bool(signed_)
        shape = signed(width) if self.is_signed else unsigned(width)
        super().__init__({"start": In(1), "dividend": In(shape), "divisor": In(shape),
                          "busy": Out(1), "done": Out(1),
                          "quotient": Out(shape), "remainder": Out(shape)})

    def __repr__(self):
        return (f"Divider(width={getattr(self, 'width', '?')}, "
                f"signed={getattr(self, 'is_signed', '?')})")

    def elaborate(self, platform):
        m = Module()
        w = self.width
        a, b = self.dividend, self.divisor
        neg_a = a[-1] if self.is_signed else 0
        neg_b = b[-1] if self.is_signed else 0
        mag_a = Mux(neg_a, -a, a)[:w]          # |MIN| = 2**(w-1) still fits w unsigned bits
        mag_b = Mux(neg_b, -b, b)[:w]

        n = Signal(w)                          # dividend bits still to bring down
        d = Signal(w)
        rem = Signal(w + 1)
        q = Signal(w)
        count = Signal(range(w + 1))
        flip_q, flip_r, by_zero = Signal(), Signal(), Signal()
        saved = Signal.like(a)

        trial = Cat(n[-1], rem[:w])            # remainder shifted left, next bit brought in
        fits = trial >= d
        with m.If(count != 0):
            m.d.sync += [
                rem.eq(Mux(fits, trial - d, trial)),
                q.eq(Cat(fits, q[:-1])),
                n.eq(n << 1),
                count.eq(count - 1),
            ]
        m.d.sync += self.done.eq(count == 1)
        with m.If(self.start):
            m.d.sync += [n.eq(mag_a), d.eq(mag_b), rem.eq(0), q.eq(0), count.eq(w),
                         flip_q.eq(neg_a ^ neg_b), flip_r.eq(neg_a), by_zero.eq(b == 0),
                         saved.eq(a), self.done.eq(0)]
        m.d.comb += self.busy.eq(count != 0)
        quotient = Mux(flip_q, -q, q)
        remainder = Mux(flip_r, -rem[:w], rem[:w])
        m.d.comb += [
            self.quotient.eq(Mux(by_zero, -1, quotient)),
            self.remainder.eq(Mux(by_zero, saved, remainder)),
        ]
        return m
