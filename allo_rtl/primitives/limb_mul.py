"""A pipelined integer multiplier built from DSP-sized limb products.

A 32-bit product on one cycle is a DSP cascade plus partial-product adders (10.9 ns measured
on the ECP5, 20 ns on the iCE40): longer than a 100 MHz clock. ``LimbMul`` cuts it where the
DSPs end: the operands are split into ``limb_bits``-bit pieces, each limb product (one
MULT18X18D / SB_MAC16) goes into a register, and the registered products are summed in the
next cycle (``stages=1``) or summed and registered again (``stages=2``).

The result is the low ``width`` bits of ``a * b`` (an integer product wrapped to its type:
those bits do not depend on the operands' signedness once both are extended to ``width``
bits, so the limbs are unsigned). Only limb products that reach the low ``width`` bits are
built: a 32-bit product of 16-bit limbs takes three, not four.
"""
from __future__ import annotations

from amaranth.hdl import Module, Shape, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


class LimbMul(wiring.Component):
    """``a * b`` modulo ``2**width``, ``stages`` cycles after its operands.

    Parameters
    ----------
    a_shape, b_shape : Shape
        Operand shapes (signed operands are sign-extended to ``width`` bits).
    width : int
        Result bits (positive).
    limb_bits : int
        Width of the unsigned pieces each DSP multiplies (16 fits both SB_MAC16 and
        MULT18X18D).
    stages : int
        1: limb products registered, summed combinationally in the result's cycle (the result
        is valid in that cycle only); 2: the sum registered too.

    Members
    -------
    a : In(a_shape)
    b : In(b_shape)
    en : In(1, init=1)
        Advance the pipeline (held by a stall).
    result : Out(unsigned(width))
    """

    def __init__(self, a_shape, b_shape, width: int, limb_bits: int = 16, stages: int = 1):
        problem = None
        if not isinstance(width, int) or width < 1:
            problem = f"LimbMul width must be a positive integer, not {width!r}"
        elif not isinstance(limb_bits, int) or limb_bits < 2:
            problem = f"LimbMul limb_bits must be an integer >= 2, not {limb_bits!r}"
        elif stages not in (1, 2):
            problem = f"LimbMul stages must be 1 or 2, not {stages!r}"
        if problem:
            self._MustUse__silence = True         # a refused unit is not an unused one
            raise ValueError(problem)
        self.width, self.limb_bits, self.stages = width, limb_bits, stages
        self.a_shape, self.b_shape = Shape.cast(a_shape), Shape.cast(b_shape)
        super().__init__({"a": In(self.a_shape), "b": In(self.b_shape), "en": In(1, init=1),
                          "result": Out(unsigned(width))})

    @property
    def terms(self) -> list:
        """(i, j) of the limb products kept: those whose weight is below ``width`` bits."""
        n = -(-self.width // self.limb_bits)
        return [(i, j) for i in range(n) for j in range(n) if i + j < n]

    def elaborate(self, platform):
        m = Module()
        w, L = self.width, self.limb_bits
        # extension to the result width with each operand's own signedness, then bits only
        a = Signal(w)
        b = Signal(w)
        m.d.comb += [a.eq(self.a), b.eq(self.b)]
        limb = lambda v, k: v[k * L:min(w, (k + 1) * L)]        # noqa: E731
        total = 0
        for i, j in self.terms:
            shift = (i + j) * L
            keep = min(2 * L, w - shift)        # product bits that land below ``width``
            pp = Signal(keep, name=f"pp{i}{j}")
            with m.If(self.en):
                m.d.sync += pp.eq((limb(a, i) * limb(b, j))[:keep])
            total = total + (pp << shift)
        if self.stages == 1:
            m.d.comb += self.result.eq(total[:w])
        else:
            with m.If(self.en):
                m.d.sync += self.result.eq(total[:w])
        return m
