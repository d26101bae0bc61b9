"""Floating-point addition and subtraction, round to nearest even, no flush to zero.

Cycle behaviour: ``result`` is ``a + b`` (``a - b`` when ``sub`` is high) for the inputs
sampled ``stages`` cycles earlier; a new operation may enter every cycle. With ``stages = 0``
the unit is combinational. While ``en`` is low every pipeline register holds.

IEEE rules kept: an exact zero sum is +0 unless both addends are -0 (so ``x - x = +0``);
``inf - inf`` and any NaN operand give the canonical NaN (:mod:`.format`); subnormal operands
and results are exact inputs and correctly rounded outputs.
"""
from __future__ import annotations

from types import SimpleNamespace

from amaranth.hdl import Cat, Const, Module, Mux, Value, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .format import FloatFormat, check_format, unpack
from .pipeline import Pipeline, check_stages
from .dsp_shift import join_left, join_right_sticky, shift_factor, shift_products
from .rounding import (count_leading_zeros, normalize_to_grid, pack, round_nearest_even,
                       shift_right_sticky, to_signed, wire)

#: cut points: after the operand swap, after alignment, after the add, after the
#: leading-zero count, after the normalizing shift, after rounding, at the output
FADD_MAX_STAGES = 7
#: with ``dsp_shifts``: after the operand swap (and the alignment factor), after the alignment
#: products (DSP outputs), after the alignment's LUT levels and the add, after the
#: leading-zero count, after the normalizing amount (and its factor), after the normalizing
#: products, after the normalizing shift's LUT levels and the rounding, at the output
FADD_DSP_MAX_STAGES = 8


class FAdd(wiring.Component):
    """``a + b`` or ``a - b`` on raw IEEE-754 bits of one format.

    Parameters
    ----------
    fmt : FloatFormat
        Format of both operands and the result.
    stages : int
        Pipeline registers, 0 (combinational) to 7 (8 with ``dsp_shifts``); this is also the
        latency in cycles.
    dsp_shifts : bool
        Do the four low levels of the alignment and normalizing shifts as multiplications by a
        power of two (:mod:`.dsp_shift`: four 18 x 18 multipliers instead of ~200 LUT4 on
        ECP5), with a pipeline cut after each multiplier.

    Members
    -------
    a, b : In(unsigned(fmt.width))
    sub : In(1)
        Subtract ``b`` instead of adding it (sampled with ``a`` and ``b``).
    en : In(1, init=1)
        Advance the pipeline.
    result : Out(unsigned(fmt.width))
    """

    def __init__(self, fmt: FloatFormat, stages: int = 0, dsp_shifts: bool = False):
        try:
            self.fmt = check_format(fmt, "FAdd")
            self.dsp_shifts = bool(dsp_shifts)
            self.max_stages = FADD_DSP_MAX_STAGES if dsp_shifts else FADD_MAX_STAGES
            self.stages = check_stages(stages, self.max_stages, "FAdd")
        except ValueError:
            self._MustUse__silence = True
            raise
        w = fmt.width
        super().__init__({"a": In(unsigned(w)), "b": In(unsigned(w)), "sub": In(1),
                          "en": In(1, init=1), "result": Out(unsigned(w))})

    @property
    def latency(self) -> int:
        return self.stages

    def __repr__(self):
        dsp = ", dsp_shifts=True" if self.dsp_shifts else ""
        return f"FAdd({self.fmt!r}, stages={self.stages}{dsp})"

    def elaborate(self, platform):
        m = Module()
        fmt = self.fmt
        p = Pipeline(m, self.en, self.stages, self.max_stages)
        x, y = unpack(m, fmt, self.a, "a"), unpack(m, fmt, self.b, "b")
        sign_y = y.sign ^ self.sub
        nan = x.is_nan | y.is_nan | (x.is_inf & y.is_inf & (x.sign != sign_y))
        inf = x.is_inf | y.is_inf
        # the larger magnitude goes first: its sign is the result's and only the smaller
        # operand needs an alignment shifter
        swap = wire(m, y.magnitude > x.magnitude, "swap")
        big_sig, small_sig = Mux(swap, y.sig, x.sig), Mux(swap, x.sig, y.sig)
        big_exp = Mux(swap, y.exp, x.exp)
        # both differences in parallel with the magnitude compare, one picked by swap
        differences = (y.exp - x.exp)[:fmt.exp_bits], (x.exp - y.exp)[:fmt.exp_bits]
        distance = Mux(swap, *differences)
        sign = Mux(swap, sign_y, x.sign)
        subtract = x.sign != sign_y
        common = dict(sign=sign, subtract=subtract, nan=nan, inf=inf, zero_sign=x.sign & sign_y)
        if self.dsp_shifts:
            # the factor of each difference beside the compare, so the swap adds no LUT level
            factor = Mux(swap, *(shift_factor(d, right=True) for d in differences))
            s = p.cut(big_sig=big_sig, small_sig=small_sig, big_exp=big_exp, factor=factor,
                      high=distance[4:], **common)
            s = self._align_dsp(m, p, s)
        else:
            s = p.cut(big_sig=big_sig, small_sig=small_sig, big_exp=big_exp,
                      distance=distance, **common)
            # three extra bits below the significand (guard, round, sticky) keep enough of
            # the shifted-out part for correct rounding; the sticky bit absorbs the rest
            aligned = shift_right_sticky(m, Cat(Const(0, 3), s.small_sig), s.distance)
            s = p.cut(big=Cat(Const(0, 3), s.big_sig), small=aligned, exp=s.big_exp,
                      sign=s.sign, subtract=s.subtract, nan=s.nan, inf=s.inf,
                      zero_sign=s.zero_sign)

        # one adder for both: big - small = big + ~small + 1 (big >= small, so no sign)
        width = fmt.man_bits + 5
        addend = Cat(s.small, Const(0, 1)) ^ s.subtract.replicate(width)
        total = wire(m, (Cat(s.big, Const(0, 1)) + addend + s.subtract)[:width], "total")
        s = p.cut(total=total, exp=s.exp, sign=s.sign, nan=s.nan, inf=s.inf,
                  zero_sign=s.zero_sign)

        # the top bit of total (carry) has weight exp + 1; cancellation leaves leading zeros.
        # A left shift of more than one happens only when the exponents differed by at most
        # one, so no sticky information was lost in the alignment.
        # The left shift stops at the subnormal grid, so no right shift is ever needed.
        zeros = count_leading_zeros(m, s.total)
        sign = Mux(s.total == 0, s.zero_sign, s.sign)
        s = p.cut(total=s.total, zeros=zeros, exp=s.exp + 1, sign=sign, nan=s.nan, inf=s.inf)

        if self.dsp_shifts:
            s = self._normalize_dsp(m, p, s)
        else:
            sig, exp, tiny = normalize_to_grid(m, s.total, s.exp, s.zeros)
            s = p.cut(sig=sig, exp=exp, tiny=tiny, sign=s.sign, nan=s.nan, inf=s.inf)

        rounded = round_nearest_even(m, fmt, s.sig)
        s = p.cut(rounded=rounded, exp=s.exp, tiny=s.tiny, sign=s.sign, nan=s.nan, inf=s.inf)

        finite = pack(m, fmt, s.sign, s.exp, s.rounded, s.tiny)
        result = Mux(s.nan, fmt.canonical_nan, Mux(s.inf, fmt.infinity(s.sign), finite))
        s = p.cut(result=result)
        m.d.comb += self.result.eq(s.result)
        return m

    def _align_dsp(self, m, p, s):
        """The alignment shift with its four low levels in DSP blocks, then (the DSP outputs
        registered apart) its LUT levels; the add follows in that stage."""
        small = Cat(Const(0, 3), s.small_sig)
        products = shift_products(small, s.factor)
        keep = dict(big_sig=s.big_sig, big_exp=s.big_exp, high=s.high, sign=s.sign,
                    subtract=s.subtract, nan=s.nan, inf=s.inf, zero_sign=s.zero_sign)
        s = p.cut(**{f"align{k}": v for k, v in enumerate(products)}, **keep)
        n = len(small)
        levels = (n - 1).bit_length() - 4      # amount bits 4.. that shift by less than n
        high = Value.cast(s.high)
        aligned = join_right_sticky(m, [getattr(s, f"align{k}") for k in range(len(products))],
                                    n, high[:levels], high[levels:] != 0)
        return SimpleNamespace(big=Cat(Const(0, 3), s.big_sig), small=aligned, exp=s.big_exp,
                               sign=s.sign, subtract=s.subtract, nan=s.nan, inf=s.inf,
                               zero_sign=s.zero_sign)

    def _normalize_dsp(self, m, p, s):
        """normalize_to_grid's shift with its four low levels in DSP blocks: the amount and
        its factor in one stage, the products in the next, the LUT levels in the third."""
        exp = wire(m, to_signed(s.exp), "norm_exp")
        tiny = wire(m, s.zeros >= exp, "tiny")          # exp - zeros would be below 1
        shift = wire(m, Mux(tiny, (exp - 1)[:len(s.zeros)], s.zeros), "norm_shift")
        n = len(s.total)
        s = p.cut(total=s.total, factor=shift_factor(shift), high=shift[4:], exp=exp - shift,
                  tiny=tiny, sign=s.sign, nan=s.nan, inf=s.inf)
        products = shift_products(s.total, s.factor)
        s = p.cut(**{f"norm{k}": v for k, v in enumerate(products)}, high=s.high, exp=s.exp,
                  tiny=s.tiny, sign=s.sign, nan=s.nan, inf=s.inf)
        sig = join_left(m, [getattr(s, f"norm{k}") for k in range(len(products))],
                        n, s.high)
        return SimpleNamespace(sig=sig, exp=s.exp, tiny=s.tiny, sign=s.sign, nan=s.nan,
                               inf=s.inf)
