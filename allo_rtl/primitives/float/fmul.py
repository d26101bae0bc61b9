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

from amaranth.hdl import Cat, Module, Mux, Value, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .format import FloatFormat, check_format, unpack
from .pipeline import Pipeline, check_stages
from .dsp_shift import join_left, join_right_sticky, shift_factor, shift_products
from .rounding import (count_leading_zeros, denormalize, pack_field, round_field, to_signed,
                       wire)

#: cut points: after the leading-zero count of a subnormal operand, after its shift (the
#: multiplier's inputs), after the partial products (the DSP outputs), after their sum,
#: after the one-bit normalization, after the subnormal shift, at the output (rounding and
#: packing share the last stage). The first stage is the unpacking and the count only. The
#: partial-product cut gets a register only at all 7 stages (ECP5's count, where the
#: significand product is the critical path; docs/float_units.md), so 0 to 6 stages place
#: their registers as before that cut point existed.
FMUL_MAX_STAGES = 7
PARTIAL_PRODUCTS_CUT = 2
#: with ``dsp_shifts``: after the leading-zero count (and the input shift's factor), after
#: the input shift's products (DSP outputs), after its LUT levels and the partial products,
#: after their sum, after the one-bit normalization and the subnormal shift's products,
#: after that shift's LUT levels, at the output
FMUL_DSP_MAX_STAGES = 7
#: operand piece width of one registered partial product: the 18 x 18 multiplier of an
#: ECP5 DSP block (Yosys splits a wider piece further, as it would the whole product)
DSP_PIECE = 18


def partial_products(a, b, piece: int):
    """[(shift, a_i * b_j)]: the product a * b as pieces of at most ``piece`` bits each."""
    def pieces(v):
        return [(lo, v[lo:lo + piece]) for lo in range(0, len(v), piece)]
    return [(la + lb, pa * pb) for la, pa in pieces(a) for lb, pb in pieces(b)]


def sum_shifted(m, terms):
    """The sum of ``v << shift`` over terms, lowest shifts first: the bits below the next
    term's shift pass through (as written, Yosys' own sum of the pieces took 20 more
    ECP5 LUT4s)."""
    terms = sorted(terms, key=lambda t: t[0])
    while len(terms) > 1:
        (s0, v0), (s1, v1) = terms[0], terms[1]
        v0 = Value.cast(v0)
        low = v0[:s1 - s0]
        total = wire(m, v0[s1 - s0:] + v1, f"pp_sum{len(terms)}")
        terms = sorted([(s0, Cat(low, total))] + terms[2:], key=lambda t: t[0])
    return Value.cast(terms[0][1]) << terms[0][0]


class FMul(wiring.Component):
    """``a * b`` on raw IEEE-754 bits of one format.

    Parameters
    ----------
    fmt : FloatFormat
        Format of both operands and the result.
    stages : int
        Pipeline registers, 0 (combinational) to 7; this is also the latency in cycles.
    dsp_shifts : bool
        Do the four low levels of the subnormal input and output shifts as multiplications
        by a power of two (:mod:`.dsp_shift`: four 18 x 18 multipliers more, ~250 LUT4 fewer
        on ECP5), with a pipeline cut after each multiplier.

    Members
    -------
    a, b : In(unsigned(fmt.width))
    en : In(1, init=1)
        Advance the pipeline.
    result : Out(unsigned(fmt.width))
    """

    def __init__(self, fmt: FloatFormat, stages: int = 0, dsp_shifts: bool = False):
        try:
            self.fmt = check_format(fmt, "FMul")
            self.dsp_shifts = bool(dsp_shifts)
            self.max_stages = FMUL_DSP_MAX_STAGES if dsp_shifts else FMUL_MAX_STAGES
            self.stages = check_stages(stages, self.max_stages, "FMul")
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
        dsp = ", dsp_shifts=True" if self.dsp_shifts else ""
        return f"FMul({self.fmt!r}, stages={self.stages}{dsp})"

    def elaborate(self, platform):
        if self.dsp_shifts:
            return self._elaborate_dsp()
        m = Module()
        fmt = self.fmt
        p = Pipeline(m, self.en, self.stages, FMUL_MAX_STAGES,
                     last_filled=PARTIAL_PRODUCTS_CUT)
        x, y = unpack(m, fmt, self.a, "a"), unpack(m, fmt, self.b, "b")
        sign = x.sign ^ y.sign
        nan = x.is_nan | y.is_nan | (x.is_inf & y.is_zero) | (x.is_zero & y.is_inf)
        inf = x.is_inf | y.is_inf
        zero = x.is_zero | y.is_zero
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
        s = p.cut(thin=thin, zeros=zeros, sig_b=other, exp=exp, sign=sign, nan=nan, inf=inf,
                  zero=zero)

        s = p.cut(sig_a=(s.thin << s.zeros)[:fmt.man_bits + 1], sig_b=s.sig_b, exp=s.exp,
                  sign=s.sign, nan=s.nan, inf=s.inf, zero=s.zero)

        # With that cut registered, the partial products of DSP-sized pieces are registered
        # apart from their sum: on ECP5 the DSP blocks and the LUT adders summing their
        # outputs did not fit one 10 ns cycle together (83 MHz at 6 stages, 102 at 7;
        # docs/float_units.md). Otherwise one product, which Yosys splits for the family's
        # DSP (iCE40's SB_MAC16 takes 16 x 16, not 18 x 18: 6 DSPs instead of 4).
        if p.is_registered(PARTIAL_PRODUCTS_CUT):
            parts = partial_products(s.sig_a, s.sig_b, DSP_PIECE)
        else:
            parts = [(0, s.sig_a * s.sig_b)]
        s = p.cut(**{f"pp{k}": v for k, (_, v) in enumerate(parts)}, exp=s.exp, sign=s.sign,
                  nan=s.nan, inf=s.inf, zero=s.zero)
        product = sum_shifted(m, [(shift, getattr(s, f"pp{k}"))
                                  for k, (shift, _) in enumerate(parts)])
        width = 2 * (fmt.man_bits + 1)
        s = p.cut(product=product[:width], exp=s.exp, sign=s.sign, nan=s.nan, inf=s.inf,
                  zero=s.zero)

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
        s = p.cut(sig=sig, exp=exp, sign=s.sign, nan=s.nan, inf=s.inf, zero=s.zero)

        # the exponent field before rounding: 0 on the subnormal grid; an exponent beyond the
        # field's range is an overflow whatever the rounding does
        sig, tiny = denormalize(m, fmt, s.sig, s.exp)
        field = Mux(tiny, 0, s.exp[:fmt.exp_bits])
        huge = s.exp >= fmt.exp_all_ones
        s = p.cut(sig=sig, field=field, huge=huge, zero=s.zero, sign=s.sign, nan=s.nan,
                  inf=s.inf)

        return self._round_and_output(m, p, s)

    def _round_and_output(self, m, p, s):
        """The last stage of both forms: rounding, packing, the special cases."""
        fmt = self.fmt
        bits = round_field(m, fmt, s.field, s.sig)
        finite = pack_field(fmt, s.sign, bits, s.zero, s.huge)
        result = Mux(s.nan, fmt.canonical_nan, Mux(s.inf, fmt.infinity(s.sign), finite))
        s = p.cut(result=result)
        m.d.comb += self.result.eq(s.result)
        return m

    def _elaborate_dsp(self):
        """The same operation with the two shifts' low levels in DSP blocks. One right shift
        does both the one-bit normalization and the subnormal shift: the product's top bits
        move right by 1 (a top bit of 1) or 0, or on the subnormal grid by 2 - exp, where the
        product's top bit has weight 2**exp; that amount comes from the exponent alone,
        stages before the product is there."""
        m = Module()
        fmt = self.fmt
        p = Pipeline(m, self.en, self.stages, self.max_stages)
        x, y = unpack(m, fmt, self.a, "a"), unpack(m, fmt, self.b, "b")
        flags = dict(sign=x.sign ^ y.sign, inf=x.is_inf | y.is_inf, zero=x.is_zero | y.is_zero,
                     nan=x.is_nan | y.is_nan | (x.is_inf & y.is_zero) | (x.is_zero & y.is_inf))
        a_subnormal = ~x.sig[-1]
        thin = wire(m, Mux(a_subnormal, x.sig, y.sig), "thin")
        zeros = wire(m, count_leading_zeros(m, thin), "zeros")
        # the exponent sum beside the count, not after it (the count's subtraction after the
        # count was this stage's critical path: 99 MHz)
        exp_sum = wire(m, to_signed(x.exp + y.exp) - (fmt.bias - 1), "exp_sum")
        s = p.cut(thin=thin, factor=shift_factor(zeros), high=zeros[4:], zeros=zeros,
                  sig_b=Mux(a_subnormal, y.sig, x.sig), exp_sum=exp_sum, **flags)
        flags = lambda s: dict(sign=s.sign, inf=s.inf, zero=s.zero, nan=s.nan)  # noqa: E731

        # the product's top bit has biased exponent exp; the subnormal grid's shift amount
        # (2 - exp: one more than the normalized value's 1 - exp) and its factor beside the
        # input shift's products
        exp = wire(m, s.exp_sum - s.zeros, "exp")
        amount = wire(m, 2 - exp, "amount")
        kept = fmt.man_bits + 5            # the product's bits the shift takes
        levels = (kept - 1).bit_length() - 4   # amount bits 4.. that shift by less than kept
        products = shift_products(s.thin, s.factor)
        s = p.cut(**{f"in{k}": v for k, v in enumerate(products)}, high=s.high, sig_b=s.sig_b,
                  # sign and zero tests, not compares: no carry chain for either
                  exp=exp, below_one=exp[-1] | (exp == 0), at_one=exp == 1,
                  tiny_factor=shift_factor(amount, right=True),
                  tiny_high=amount[4:4 + levels], tiny_big=amount[4 + levels:] != 0,
                  **flags(s))
        late = lambda s: dict(exp=s.exp, below_one=s.below_one, at_one=s.at_one,  # noqa: E731
                              tiny_factor=s.tiny_factor, tiny_high=s.tiny_high,
                              tiny_big=s.tiny_big, **flags(s))

        sig_a = join_left(m, [getattr(s, f"in{k}") for k in range(len(products))],
                          fmt.man_bits + 1, s.high)
        parts = partial_products(sig_a, s.sig_b, DSP_PIECE)
        s = p.cut(**{f"pp{k}": v for k, (_, v) in enumerate(parts)}, **late(s))
        product = sum_shifted(m, [(shift, getattr(s, f"pp{k}"))
                                  for k, (shift, _) in enumerate(parts)])
        width = 2 * (fmt.man_bits + 1)
        s = p.cut(product=product[:width], **late(s))

        # a product of two significands in [1, 2) is in [1, 4): at most one leading zero
        product = wire(m, s.product, "product")
        top = product[-1]
        exp = wire(m, Mux(top, s.exp, s.exp - 1), "exp_normal")
        tiny = wire(m, s.below_one | (s.at_one & ~top), "tiny")
        factor = Mux(tiny, s.tiny_factor, shift_factor(top, right=True))
        # the product's top bits go through the shift; the OR of the bits below joins its
        # sticky bit afterwards (as an input to the DSP blocks it cost a 10 ns cycle)
        products = shift_products(product[width - kept:], factor)
        s = p.cut(**{f"out{k}": v for k, v in enumerate(products)},
                  below=product[:width - kept] != 0, field=Mux(tiny, 0, exp[:fmt.exp_bits]),
                  huge=~tiny & ~exp[-1] & ((exp[fmt.exp_bits:] != 0)
                                           | (exp[:fmt.exp_bits] == fmt.exp_all_ones)),
                  high=Mux(tiny, s.tiny_high, 0),
                  big=tiny & s.tiny_big, **flags(s))

        # the top bit of the kept + 1 shifted bits is 0 whatever the amount: a shift by 0
        # happens only for a product below 2 (a top bit of 0)
        shifted = join_right_sticky(m, [getattr(s, f"out{k}") for k in range(len(products))],
                                    kept, s.high, s.big)
        sig = Cat(shifted[0] | s.below, shifted[1:kept - 1])      # man_bits + 4 bits
        s = p.cut(sig=sig, field=s.field, huge=s.huge, **flags(s))

        return self._round_and_output(m, p, s)
