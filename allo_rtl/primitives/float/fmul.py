"""Floating-point multiplication, round to nearest even, no flush to zero.

Cycle behaviour: ``result`` is ``a * b`` for the inputs sampled ``stages`` cycles earlier; a
new operation may enter every cycle; ``stages = 0`` is combinational; ``en`` low holds every
pipeline register.

IEEE rules kept: the sign is the XOR of the operand signs, also for zeros and infinities;
``0 * inf`` and any NaN operand give the canonical NaN (:mod:`.format`); subnormal operands
are multiplied exactly (the one operand that can be subnormal is normalized by a
leading-zero count before the multiplier) and subnormal results are correctly rounded.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .format import FloatFormat, check_format, unpack
from .pipeline import Pipeline, check_stages
from .rounding import (count_leading_zeros, denormalize, pack, round_nearest_even,
                       to_signed, wire)

#: cut points: after the leading-zero count of a subnormal operand, after its shift (the
#: multiplier's inputs), after the significand product, after the one-bit normalization,
#: after the subnormal shift, at the output (rounding and packing share the last stage). The
#: first stage is the unpacking and the count only (on ECP5 the significand product is the
#: critical path; docs/float_units.md). The timing model's 6 stages are all of them.
FMUL_MAX_STAGES = 6


class FMul(wiring.Component):
    """``a * b`` on raw IEEE-754 bits of one format.

    Parameters
    ----------
    fmt : FloatFormat
        Format of both operands and the result.
    stages : int
        Pipeline registers, 0 (combinational) to 6; this is also the latency in cycles.

    Members
    -------
    a, b : In(unsigned(fmt.width))
    en : In(1, init=1)
        Advance the pipeline.
    result : Out(unsigned(fmt.width))
    """

    def __init__(self, fmt: FloatFormat, stages: int = 0):
        try:
            self.fmt = check_format(fmt, "FMul")
            self.stages = check_stages(stages, FMUL_MAX_STAGES, "FMul")
        except ValueError:
            self._MustUse__silence = True
            raise
        w = fmt.width
        super().__init__({"a": In(unsigned(w)), "b": In(unsigned(w)), "en": In(1, init=1),
                          "result": Out(unsigned(w))})

    max_stages = FMUL_MAX_STAGES

    @property
    def latency(self) -> int:
        return self.stages

    def __repr__(self):
        return f"FMul({self.fmt!r}, stages={self.stages})"

    def elaborate(self, platform):
        m = Module()
        fmt = self.fmt
        p = Pipeline(m, self.en, self.stages, FMUL_MAX_STAGES)
        x, y = unpack(m, fmt, self.a, "a"), unpack(m, fmt, self.b, "b")
        sign = x.sign ^ y.sign
        nan = x.is_nan | y.is_nan | (x.is_inf & y.is_zero) | (x.is_zero & y.is_inf)
        inf = x.is_inf | y.is_inf
        # At most one operand needs normalizing: were both subnormal, the product would be far
        # below the smallest subnormal, and the subnormal shift turns it into a zero anyway.
        # So only the operand with a zero hidden bit goes through a leading-zero count.
        a_subnormal = ~x.sig[-1]
        thin = wire(m, Mux(a_subnormal, x.sig, y.sig), "thin")
        other = Mux(a_subnormal, y.sig, x.sig)
        zeros = wire(m, count_leading_zeros(m, thin), "zeros")
        # the product's top bit (position 2 * man_bits + 1) has biased exponent
        # exp_a + exp_b - bias + 1
        exp = to_signed(x.exp + y.exp) - (fmt.bias - 1) - zeros
        s = p.cut(thin=thin, zeros=zeros, sig_b=other, exp=exp, sign=sign, nan=nan, inf=inf)

        s = p.cut(sig_a=(s.thin << s.zeros)[:fmt.man_bits + 1], sig_b=s.sig_b, exp=s.exp,
                  sign=s.sign, nan=s.nan, inf=s.inf)

        s = p.cut(product=s.sig_a * s.sig_b, exp=s.exp, sign=s.sign, nan=s.nan, inf=s.inf)

        # a product of two significands in [1, 2) is in [1, 4): at most one leading zero
        product = wire(m, s.product, "product")
        top = product[-1]
        sig = Mux(top, product, product << 1)[:len(product)]
        exp = Mux(top, s.exp, s.exp - 1)
        # only the result bits, a guard, a round bit and a sticky bit matter from here on:
        # the subnormal shift and the rounding work on man_bits + 4 bits, not 2 * man_bits + 2
        sig = wire(m, sig, "normalized")
        kept = fmt.man_bits + 3
        sig = Cat(sig[:len(sig) - kept] != 0, sig[len(sig) - kept:])
        s = p.cut(sig=sig, exp=exp, sign=s.sign, nan=s.nan, inf=s.inf)

        sig, tiny = denormalize(m, fmt, s.sig, s.exp)
        s = p.cut(sig=sig, exp=s.exp, tiny=tiny, sign=s.sign, nan=s.nan, inf=s.inf)

        rounded = round_nearest_even(m, fmt, s.sig)
        finite = pack(m, fmt, s.sign, s.exp, rounded, s.tiny)
        result = Mux(s.nan, fmt.canonical_nan, Mux(s.inf, fmt.infinity(s.sign), finite))
        s = p.cut(result=result)
        m.d.comb += self.result.eq(s.result)
        return m
