"""Floating-point division, round to nearest even, no flush to zero.

Cycle behaviour: ``result`` is ``a / b`` for the inputs sampled ``stages`` cycles earlier; a
new operation may enter every cycle; ``stages = 0`` is combinational; ``en`` low holds every
pipeline register.

The significands (subnormals normalized first) are divided by restoring division, one
quotient bit per step: ``man_bits + 4`` steps give the result bits, two guard bits and, with
the final remainder, a sticky bit. The steps come in groups with a cut point after each, so
the pipeline registers split the division itself: four groups up to 8 stages, then one group
more per stage, down to one step a stage at ``man_bits + 8`` stages (float32: 31); more
stages than that only delay the result.

IEEE rules kept: ``x / 0`` is an infinity of the sign ``sign(x) ^ sign(0)``, ``0 / 0``,
``inf / inf`` and any NaN operand give the canonical NaN, ``x / inf`` is a signed zero.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .format import FloatFormat, check_format, unpack
from .pipeline import Pipeline, check_stages, step_groups
from .rounding import (count_leading_zeros, pack, round_nearest_even, shift_right_sticky,
                       to_signed, wire)

#: cut points: after normalization, after each group of division steps, after the
#: subnormal shift, after rounding, at the output
_FIXED_CUTS = 4
#: the most stages any format accepts (float32 has 31 cut points; more only delay the output)
FDIV_MAX_STAGES = 64


class FDiv(wiring.Component):
    """``a / b`` on raw IEEE-754 bits of one format.

    Parameters
    ----------
    fmt : FloatFormat
        Format of both operands and the result.
    stages : int
        Pipeline registers, 0 (combinational) to 64; this is also the latency in cycles.

    Members
    -------
    a, b : In(unsigned(fmt.width))
    en : In(1, init=1)
        Advance the pipeline.
    result : Out(unsigned(fmt.width))
    """

    max_stages = FDIV_MAX_STAGES

    def __init__(self, fmt: FloatFormat, stages: int = 0):
        try:
            self.fmt = check_format(fmt, "FDiv")
            self.stages = check_stages(stages, FDIV_MAX_STAGES, "FDiv")
        except ValueError:
            self._MustUse__silence = True
            raise
        w = fmt.width
        super().__init__({"a": In(unsigned(w)), "b": In(unsigned(w)), "en": In(1, init=1),
                          "result": Out(unsigned(w))})

    @property
    def latency(self) -> int:
        return self.stages

    def __repr__(self):
        return f"FDiv({self.fmt!r}, stages={self.stages})"

    def elaborate(self, platform):
        m = Module()
        fmt = self.fmt
        mb = fmt.man_bits
        steps = mb + 4
        bounds, registered, extra = step_groups(self.stages, steps, _FIXED_CUTS)
        p = Pipeline(m, self.en, registered, len(bounds) - 1 + _FIXED_CUTS)
        x, y = unpack(m, fmt, self.a, "a"), unpack(m, fmt, self.b, "b")
        sign = x.sign ^ y.sign
        nan = x.is_nan | y.is_nan | (x.is_zero & y.is_zero) | (x.is_inf & y.is_inf)
        inf = x.is_inf | y.is_zero
        zero = x.is_zero | y.is_inf
        za = wire(m, count_leading_zeros(m, x.sig), "a_zeros")
        zb = wire(m, count_leading_zeros(m, y.sig), "b_zeros")
        # value = (na / nb) * 2**(exp_a - za - exp_b + zb): the quotient's bit of weight 1
        # has biased exponent exp_a - za - exp_b + zb + bias
        exp = to_signed(x.exp) - za - to_signed(y.exp) + zb + fmt.bias
        s = p.cut(na=(x.sig << za)[:mb + 1], nb=(y.sig << zb)[:mb + 1], exp=exp, sign=sign,
                  nan=nan, inf=inf, zero=zero)

        # restoring division: na < 2 nb, so the first step gives the quotient bit of weight 1
        # and afterwards the remainder stays below nb (mb + 2 bits hold it shifted)
        rem, nb, quotient = s.na, s.nb, []
        carried = dict(exp=s.exp, sign=s.sign, nan=s.nan, inf=s.inf, zero=s.zero)
        for g, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
            for k in range(lo, hi):
                r = rem if k == 0 else Cat(0, rem)
                bit = wire(m, r >= nb, f"q{steps - 1 - k}")
                rem = wire(m, Mux(bit, r - nb, r)[:mb + 2], f"rem{k}")
                quotient.append(bit)
            if g == len(bounds) - 2:
                # beside the last steps, the subnormal shift amount from the exponent alone
                # (below): the next stage then has no exponent arithmetic before its shifter
                e = wire(m, s.exp, "q_exp")
                carried.update(below=e < 1, at_one=e == 1,
                               amount=Mux(e < 1, 1 - e, 0)[:len(e)])
            s = p.cut(rem=rem, nb=nb, q=Cat(*reversed(quotient)), **carried)
            rem, nb = s.rem, s.nb
            quotient = [s.q[i] for i in reversed(range(len(quotient)))]
            carried = {k: getattr(s, k) for k in carried}

        q = wire(m, s.q, "quotient")                   # mb + 4 bits, top bit: weight 1
        sig = wire(m, Cat(s.rem != 0, q), "quotient_sticky")     # + the sticky bit below
        top = q[-1]
        # The quotient is in [1/2, 2): without its top bit it is shifted left once (exponent
        # exp - 1). Below the normal range the result is shifted right onto the subnormal
        # grid instead, by 1 - (exponent of the top bit); for a quotient below 1 that is a
        # left shift by one and a right shift by 2 - exp, the same as a right shift of the
        # unshifted quotient by 1 - exp. So one amount serves both cases (it is 0 for
        # exp == 1 without the top bit: the quotient is then on the grid as it is).
        tiny = wire(m, s.below | (s.at_one & ~top), "tiny")
        shifted = shift_right_sticky(m, sig, s.amount, saturate=True)
        sig = Mux(tiny, shifted, Mux(top, sig, sig << 1)[:len(sig)])
        exp = Mux(top, s.exp, s.exp - 1)
        s = p.cut(sig=sig, exp=exp, tiny=tiny, sign=s.sign, nan=s.nan, inf=s.inf, zero=s.zero)

        rounded = round_nearest_even(m, fmt, s.sig)
        s = p.cut(rounded=rounded, exp=s.exp, tiny=s.tiny, sign=s.sign, nan=s.nan, inf=s.inf,
                  zero=s.zero)

        finite = pack(m, fmt, s.sign, s.exp, s.rounded, s.tiny)
        result = Mux(s.nan, fmt.canonical_nan,
                     Mux(s.inf, fmt.infinity(s.sign),
                         Mux(s.zero, s.sign << (fmt.width - 1), finite)))
        s = p.cut(result=result)
        m.d.comb += self.result.eq(p.delay(s.result, extra, "result"))
        return m
