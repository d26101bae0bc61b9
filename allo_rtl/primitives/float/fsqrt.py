"""Floating-point square root, correctly rounded (nearest even).

Cycle behaviour: ``result`` is ``sqrt(a)`` for the input sampled ``stages`` cycles earlier; a
new operation may enter every cycle; ``stages = 0`` is combinational; ``en`` low holds every
pipeline register.

The significand (a subnormal normalized first, shifted one more bit when the exponent is odd)
goes through a restoring integer square root, one root bit per step: ``man_bits + 3`` steps
give the result bits and two guard bits, the final remainder a sticky bit. A square root is
never subnormal and never overflows. The steps come in groups with a cut point after each:
four groups up to 7 stages, then one group more per stage, down to one step a stage at
``man_bits + 6`` stages (float32: 29); more stages than that only delay the result.

IEEE rules kept: ``sqrt(-0) = -0``, ``sqrt(+inf) = +inf``, a negative operand (not -0) and
any NaN give the canonical NaN.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .format import FloatFormat, check_format, unpack
from .pipeline import Pipeline, check_stages, step_groups
from .rounding import count_leading_zeros, pack, round_nearest_even, to_signed, wire

#: cut points: after normalization, after each group of root steps, after rounding, at the
#: output
_FIXED_CUTS = 3
#: the most stages any format accepts (float32 has 29 cut points; more only delay the output)
FSQRT_MAX_STAGES = 64


class FSqrt(wiring.Component):
    """``sqrt(a)`` on raw IEEE-754 bits.

    Parameters
    ----------
    fmt : FloatFormat
    stages : int
        Pipeline registers, 0 (combinational) to 64; this is also the latency in cycles.

    Members
    -------
    a : In(unsigned(fmt.width))
    en : In(1, init=1)
    result : Out(unsigned(fmt.width))
    """

    max_stages = FSQRT_MAX_STAGES

    def __init__(self, fmt: FloatFormat, stages: int = 0):
        try:
            self.fmt = check_format(fmt, "FSqrt")
            self.stages = check_stages(stages, FSQRT_MAX_STAGES, "FSqrt")
        except ValueError:
            self._MustUse__silence = True
            raise
        w = fmt.width
        super().__init__({"a": In(unsigned(w)), "en": In(1, init=1), "result": Out(unsigned(w))})

    @property
    def latency(self) -> int:
        return self.stages

    def __repr__(self):
        return f"FSqrt({self.fmt!r}, stages={self.stages})"

    def elaborate(self, platform):
        m = Module()
        fmt = self.fmt
        mb = fmt.man_bits
        n = mb + 3                                  # root steps
        bounds, registered, extra = step_groups(self.stages, n, _FIXED_CUTS)
        p = Pipeline(m, self.en, registered, len(bounds) - 1 + _FIXED_CUTS)
        x = unpack(m, fmt, self.a, "a")
        nan = x.is_nan | (x.sign & ~x.is_zero)
        special = wire(m, nan | x.is_zero | x.is_inf, "special")
        special_value = Mux(nan, fmt.canonical_nan, self.a)      # ±0 and +inf are their root
        zeros = wire(m, count_leading_zeros(m, x.sig), "zeros")
        sig = (x.sig << zeros)[:mb + 1]
        # value = sig * 2**(e - man_bits), e = exp - zeros - bias; an odd e moves one factor 2
        # into the significand, so the root's exponent is floor(e / 2)
        e = wire(m, to_signed(x.exp) - zeros - fmt.bias, "e")
        odd = e[0]
        s = p.cut(s=Mux(odd, Cat(Const(0, 1), sig), Cat(sig, Const(0, 1))),
                  half=(e - odd) >> 1, special=special, special_value=special_value)

        # s in [2**mb, 2**(mb + 2)) stands for s * 2**-mb in [1, 4); its root, scaled to
        # mb + 3 bits with the top one of weight 1, is isqrt(s << (mb + 4))
        radicand = Cat(Const(0, 2 * n - (mb + 2)), s.s)        # 2n bits
        rem, root = Const(0, 1), Const(0, 1)
        carried = dict(half=s.half, special=s.special, special_value=s.special_value)
        radicand_bits = radicand
        for lo, hi in zip(bounds, bounds[1:]):
            for i in range(n - 1 - lo, n - 1 - hi, -1):
                r = Cat(radicand_bits[2 * i:2 * i + 2], rem)
                trial = Cat(Const(1, 2), root)
                take = wire(m, r >= trial, f"root{i}")
                rem = wire(m, Mux(take, r - trial, r)[:n + 2], f"rem{i}")
                root = wire(m, Cat(take, root)[:n], f"partial{i}")
            s = p.cut(rem=rem, root=root, radicand=radicand_bits, **carried)
            rem, root, radicand_bits = s.rem, s.root, s.radicand
            carried = dict(half=s.half, special=s.special, special_value=s.special_value)

        sig = Cat(s.rem != 0, s.root[:n])                 # the sticky bit below the root
        rounded = round_nearest_even(m, fmt, sig)
        s = p.cut(rounded=rounded, half=s.half, special=s.special,
                  special_value=s.special_value)

        finite = pack(m, fmt, Const(0, 1), s.half + fmt.bias, s.rounded, Const(0, 1))
        s = p.cut(result=Mux(s.special, s.special_value, finite))
        m.d.comb += self.result.eq(p.delay(s.result, extra, "result"))
        return m
