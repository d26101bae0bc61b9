"""Conversions: integer -> float, float -> integer, float -> float of another format.

Cycle behaviour (every unit here): ``result`` follows the input sampled ``stages`` cycles
earlier; a new conversion may enter every cycle; ``stages = 0`` is combinational; ``en`` low
holds every pipeline register.

* :class:`IntToFloat` rounds to nearest even (int32 -> float32 above 2**24, int64 -> float16
  overflowing to infinity); integers have no negative zero, so 0 gives +0.
* :class:`FloatToInt` truncates toward zero, as C. Out of range and NaN: a signed result is
  the most negative integer (``0x80000000`` for int32: x86's "integer indefinite", what
  numpy's ``astype`` gives there); an unsigned result saturates as SoftFloat's RISC-V rules
  do (NaN and too large -> all ones, negative values of magnitude >= 1 -> 0).
* :class:`FloatToFloat` is exact when widening and rounds to nearest even when narrowing
  (overflow to infinity, underflow to subnormals or zero); any NaN becomes the destination's
  canonical NaN.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .format import FloatFormat, check_format, unpack
from .pipeline import Pipeline, check_stages
from .rounding import (denormalize, normalize, pad_guard, round_pack_shifted, to_signed,
                       wire)


def _check_frac_bits(frac_bits, unit: str) -> int:
    if not isinstance(frac_bits, int) or isinstance(frac_bits, bool) or not 0 <= frac_bits <= 64:
        raise ValueError(f"{unit} frac_bits must be an integer from 0 to 64, not {frac_bits!r}")
    return frac_bits


def _check_width(width, unit: str) -> int:
    if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= 64:
        raise ValueError(f"{unit} integer width must be an integer from 1 to 64, not {width!r}")
    return width


class _Conversion(wiring.Component):
    max_stages = 1

    def __init__(self, stages, in_width: int, out_width: int):
        self.stages = check_stages(stages, self.max_stages, type(self).__name__)
        super().__init__({"a": In(unsigned(in_width)), "en": In(1, init=1),
                          "result": Out(unsigned(out_width))})

    @property
    def latency(self) -> int:
        return self.stages


class IntToFloat(_Conversion):
    """An integer's raw bits ``a`` (``width`` bits, two's complement if signed) to a float;
    with ``frac_bits`` the raw bits are a fixed-point value ``a * 2**-frac_bits``.

    Parameters
    ----------
    fmt : FloatFormat
    width : int
        1 to 64.
    signed : bool
    frac_bits : int
        0 to 64 fraction bits of a Fixed/UFixed source (0: an integer).
    stages : int
        0 to 3 pipeline registers (the latency).
    """
    max_stages = 3

    def __init__(self, fmt: FloatFormat, width: int, signed: bool = True, stages: int = 0,
                 frac_bits: int = 0):
        try:
            self.fmt = check_format(fmt, "IntToFloat")
            self.frac_bits = _check_frac_bits(frac_bits, "IntToFloat")
            self.width = _check_width(width, "IntToFloat")
            self.is_signed = bool(signed)
            super().__init__(stages, width, fmt.width)
        except ValueError:
            self._MustUse__silence = True
            raise

    def __repr__(self):
        return (f"IntToFloat({self.fmt!r}, width={self.width}, signed={self.is_signed}, "
                f"stages={self.stages}, frac_bits={self.frac_bits})")

    def elaborate(self, platform):
        m = Module()
        fmt, w = self.fmt, self.width
        p = Pipeline(m, self.en, self.stages, self.max_stages)
        negative = self.a[-1] if self.is_signed else Const(0, 1)
        # |MIN| = 2**(w-1) still fits in w unsigned bits
        magnitude = wire(m, Mux(negative, -self.a, self.a)[:w], "magnitude")
        # the top bit of the w-bit magnitude has weight 2**(w - 1 - frac_bits)
        sig, exp = normalize(m, magnitude, fmt.bias + w - 1 - self.frac_bits)
        s = p.cut(sig=pad_guard(sig, fmt), exp=exp, sign=negative)
        if self.frac_bits >= fmt.bias:    # 2**-frac_bits can be below the normal range
            sig, tiny = denormalize(m, fmt, s.sig, s.exp)
        else:                             # never tiny: no subnormal shift
            sig, tiny = s.sig, Const(0, 1)
        s = p.cut(sig=sig, exp=s.exp, tiny=tiny, sign=s.sign)
        result = round_pack_shifted(m, fmt, s.sign, s.exp, s.sig, s.tiny)
        s = p.cut(result=result)
        m.d.comb += self.result.eq(s.result)
        return m


class FloatToInt(_Conversion):
    """A float to an integer's raw bits, truncating toward zero (see the module for the
    out-of-range and NaN results); with ``frac_bits``, to a fixed-point value: the raw bits of
    ``trunc(x * 2**frac_bits)``.

    Parameters
    ----------
    fmt : FloatFormat
    width : int
        1 to 64.
    signed : bool
    frac_bits : int
        0 to 64 fraction bits of a Fixed/UFixed result (0: an integer).
    stages : int
        0 to 2 pipeline registers (the latency).
    """
    max_stages = 2

    def __init__(self, fmt: FloatFormat, width: int, signed: bool = True, stages: int = 0,
                 frac_bits: int = 0):
        try:
            self.fmt = check_format(fmt, "FloatToInt")
            self.frac_bits = _check_frac_bits(frac_bits, "FloatToInt")
            self.width = _check_width(width, "FloatToInt")
            self.is_signed = bool(signed)
            super().__init__(stages, fmt.width, width)
        except ValueError:
            self._MustUse__silence = True
            raise

    def __repr__(self):
        return (f"FloatToInt({self.fmt!r}, width={self.width}, signed={self.is_signed}, "
                f"stages={self.stages}, frac_bits={self.frac_bits})")

    def elaborate(self, platform):
        m = Module()
        fmt, w = self.fmt, self.width
        p = Pipeline(m, self.en, self.stages, self.max_stages)
        x = unpack(m, fmt, self.a, "a")
        # raw = x * 2**frac_bits = sig * 2**(k - man_bits) with k = exp - bias + frac_bits:
        # |raw| < 1 for k < 0, |raw| >= 2**width for k >= width; in between sig << k keeps
        # every integer bit
        k = wire(m, to_signed(x.exp) - (fmt.bias - self.frac_bits), "k")
        # a narrow format's infinity can have an exponent inside the integer range
        too_big = (k >= w) | x.is_inf
        shift = Mux(k < 0, 0, k)[:max(1, (w - 1).bit_length())]
        integer = (x.sig << shift) >> fmt.man_bits
        magnitude = wire(m, Mux((k < 0) | too_big, 0, integer)[:w + 1], "magnitude")
        s = p.cut(magnitude=magnitude, too_big=too_big, nan=x.is_nan, sign=x.sign)

        ones = (1 << w) - 1
        if self.is_signed:
            limit = 1 << (w - 1)
            out_of_range = s.too_big | Mux(s.sign, s.magnitude > limit, s.magnitude >= limit)
            value = Mux(s.sign, -s.magnitude, s.magnitude)[:w]
            result = Mux(s.nan | out_of_range, limit, value)
        else:
            result = Mux(s.nan, ones, Mux(s.sign, 0, Mux(s.too_big, ones, s.magnitude[:w])))
        s = p.cut(result=result)
        m.d.comb += self.result.eq(s.result)
        return m


class FloatToFloat(_Conversion):
    """A float of format ``src`` to format ``dst``.

    Parameters
    ----------
    src, dst : FloatFormat
    stages : int
        0 to 3 pipeline registers (the latency).
    """
    max_stages = 3

    def __init__(self, src: FloatFormat, dst: FloatFormat, stages: int = 0):
        try:
            self.src = check_format(src, "FloatToFloat")
            self.dst = check_format(dst, "FloatToFloat")
            super().__init__(stages, src.width, dst.width)
        except ValueError:
            self._MustUse__silence = True
            raise

    def __repr__(self):
        return f"FloatToFloat({self.src!r}, {self.dst!r}, stages={self.stages})"

    def elaborate(self, platform):
        m = Module()
        src, dst = self.src, self.dst
        p = Pipeline(m, self.en, self.stages, self.max_stages)
        x = unpack(m, src, self.a, "a")
        # rebias; subnormal sources normalize (leading-zero count) before rounding
        sig, exp = normalize(m, x.sig, to_signed(x.exp) + (dst.bias - src.bias))
        s = p.cut(sig=pad_guard(sig, dst), exp=exp, sign=x.sign, nan=x.is_nan, inf=x.is_inf)

        sig, tiny = denormalize(m, dst, s.sig, s.exp)
        s = p.cut(sig=sig, exp=s.exp, tiny=tiny, sign=s.sign, nan=s.nan, inf=s.inf)

        finite = round_pack_shifted(m, dst, s.sign, s.exp, s.sig, s.tiny)
        result = Mux(s.nan, dst.canonical_nan, Mux(s.inf, dst.infinity(s.sign), finite))
        s = p.cut(result=result)
        m.d.comb += self.result.eq(s.result)
        return m
