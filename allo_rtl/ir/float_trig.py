"""sin, cos and tan of float32, each one fixed sequence of integer, float64 and float32 operations,
run alike by the interpreter (``float_math.NumpyOps``) and the hardware (``hls/float_math_ops``),
so both agree bit for bit (see ``float_math``'s docstring for why that holds).

Why float64 inside: the result is the float64 value rounded once to float32, so its error is
half an ulp plus the float64 error (below 2**-40 relative, i.e. 2**-16 float32 ulp); only
results within that of a rounding tie can be off, by under 0.5001 ulp. The float64 adder and
multiplier are the units float64 kernels use (shared like any other).

Argument reduction (exact for every float32, so there is no range limit): |x| = m 2**(e-23)
with the 24-bit integer m; y = |x| 2/pi mod 4 is taken with integers, Payne-Hanek style:
``TWO_OVER_PI`` holds 224 bits of 2/pi, a shift selects the 98-bit window that matters for
this e (the bits above it multiply m to a multiple of 4, the bits below it change y by less
than 2**-72), m times the window gives y to 62 fraction bits (``Q``: 2 integer bits, 62
fraction bits). n = round(y) mod 4 is the quadrant, f = y - round(y) in [-1/2, 1/2) as a
signed 64-bit integer, r = f pi/2 in float64 (|r| <= pi/4, relative error a few 2**-53: even
the float32 closest to a multiple of pi/2, 16367173 * 2**72, leaves |f| = 2**-29.86, of which Q
keeps 32 bits).
|x| < pi/4 skips the reduction (r = |x|, also exact for subnormals).

On r: sin r = r + r z S(z), cos r = 1 + z C(z), z = r**2 (S, C fitted by
``scripts/fit_float_math.py``, degree 4 each, 2**-42 and 2**-40 relative). By quadrant,
sin x = +-sin r or +-cos r, tan x = sin r / cos r or -cos r / sin r (one float64 division:
still 2**-39 relative, also near the poles, where r keeps its relative precision); the sign
of x is applied last (sin(-0) = -0). inf and NaN give the canonical NaN.
"""
from __future__ import annotations

from .types import Int, UInt, float32, float64

#: floor(2/pi * 2**224): Payne-Hanek's table (checked against mpmath in the tests)
TWO_OVER_PI = 0xA2F9836E4E441529FC2757D1F534DDC0DB6295993C439041FE5163AB
TABLE_BITS, GUARD_BITS, WINDOW_BITS = 224, 34, 98     # window = 64 result bits + guard bits
PIO2_2M64 = float.fromhex("0x1.921fb54442d18p-64")    # pi/2 * 2**-64 rounded
PIO4_BELOW = float.fromhex("0x1.921fb4p-1")           # the float32 below pi/4
SIN_S = tuple(float.fromhex(c) for c in (
    "-0x1.555555555516bp-3", "0x1.1111110fd3b3cp-7", "-0x1.a019fd9ae7168p-13",
    "0x1.71d9a9b87993fp-19", "-0x1.aa283bea75579p-26"))
COS_C = tuple(float.fromhex(c) for c in (
    "-0x1.fffffffffe694p-2", "0x1.555555514f0e0p-5", "-0x1.6c16bae56f7d8p-10",
    "0x1.a0129877a1cfcp-16", "-0x1.2474cb416294ep-22"))
U1, U2, U8, U24, U64, I64 = UInt(1), UInt(2), UInt(8), UInt(24), UInt(64), Int(64)


def horner64(k, x, coeffs):
    acc = k.fconst(coeffs[-1], float64)
    for c in reversed(coeffs[:-1]):
        acc = k.add(k.mul(acc, x), k.fconst(c, float64))
    return acc


def reduce_pio2(k, ax):
    """(n mod 4 as a UInt(2), r in float64) with |x| = n pi/2 + r, |r| <= pi/4, for a
    finite float32 ``ax = |x| >= 2**-1`` (smaller ones: garbage, the caller selects)."""
    ix = k.fbits(ax)                                                  # Int(32)
    e = k.iop("-", k.iop(">>", ix, k.ic(23, U8), Int(32)), k.ic(127, Int(32)), Int(32))
    m = k.iop("|", k.icast(ix, UInt(23)), k.ic(1 << 23, U24), U24)
    # y 2**62 = m T 2**(e - 23 - 224 + 62): the window starts GUARD_BITS below that shift
    shift = k.iop("-", k.ic(TABLE_BITS - 39 - GUARD_BITS, Int(32)), e, U8)
    window = k.icast(k.iop(">>", k.ic(TWO_OVER_PI, UInt(TABLE_BITS)), shift, UInt(TABLE_BITS)),
                     UInt(WINDOW_BITS))
    prod = k.iop("*", m, window, UInt(24 + WINDOW_BITS))
    q = k.icast(k.iop(">>", prod, k.ic(GUARD_BITS, U8), UInt(24 + WINDOW_BITS)), U64)
    n = k.icast(k.iop(">>", k.iop("+", q, k.ic(1 << 61, U64), U64), k.ic(62, U8), U64), U2)
    f = k.iop("<<", q, k.ic(2, U8), I64)                             # y - round(y), * 2**64
    return n, k.mul(k.i2f(f, float64), k.fconst(PIO2_2M64, float64))


def _sin_cos_r(k, x):
    """(sign bit of x, quadrant n, sin r, cos r) in float64, x = +-(n pi/2 + r)."""
    ax = k.abs(x)
    n_big, r_big = reduce_pio2(k, ax)
    small = k.lt(ax, k.const(PIO4_BELOW))
    r = k.select(small, k.ftof(ax, float64), r_big)
    n = k.select(small, k.ic(0, U2), n_big)
    z = k.mul(r, r)
    s = k.add(r, k.mul(k.mul(r, z), horner64(k, z, SIN_S)))
    c = k.add(k.fconst(1.0, float64), k.mul(z, horner64(k, z, COS_C)))
    sign = k.icast(k.iop(">>", k.fbits(x), k.ic(31, U8), Int(32)), U1)
    return ax, sign, n, s, c


def _finish(k, ax, odd, negative, even_value, odd_value):
    v = k.ftof(k.select(odd, odd_value, even_value), float32)
    v = k.select(negative, k.neg(v), v)
    finite = k.lt(ax, k.from_bits(k.iconst(0x7F800000)))
    return k.select(finite, v, k.from_bits(k.iconst(0x7FC00000)))


def sin(k, x):
    ax, sign, n, s, c = _sin_cos_r(k, x)
    odd = k.icast(n, U1)                                  # quadrants 1, 3: +-cos r
    flip = k.iop("^", k.icast(k.iop(">>", n, k.ic(1, U8), U2), U1), sign, U1)
    return _finish(k, ax, odd, flip, s, c)


def cos(k, x):
    ax, _, n, s, c = _sin_cos_r(k, x)
    odd = k.icast(n, U1)                                  # quadrants 1, 3: -+sin r
    flip = k.icast(k.iop(">>", k.iop("+", n, k.ic(1, U2), U2), k.ic(1, U8), U2), U1)
    return _finish(k, ax, odd, flip, c, s)


def tan(k, x):
    ax, sign, n, s, c = _sin_cos_r(k, x)
    odd = k.icast(n, U1)                                  # quadrants 1, 3: -cos r / sin r
    q = k.div(k.select(odd, c, s), k.select(odd, s, c))
    return _finish(k, ax, odd, k.iop("^", odd, sign, U1), q, q)
