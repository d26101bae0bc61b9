"""power(x, y) of float32 as C's ``powf``: one fixed sequence of integer, float64 and float32
operations, run alike by the interpreter and the hardware (see ``float_math``).

|x|**y = 2**(y log2|x|) computed in float64 and rounded once to float32 (as ``float_trig``:
half an ulp plus the float64 error, here below 2**-44 relative):

log2|x|
    |x| widened to float64 (a float32 subnormal is a float64 normal), |x| = 2**e m with m in
    [sqrt(1/2), sqrt(2)) from the bits, f = m - 1 (exact), s = f / (2 + f),
    log2(1 + f) = s P(s**2) (P fitted, degree 6, 2**-52); e + s P exact to 2**-53 relative.
2**t, t = y log2|x| clamped to [-200, 200] (beyond, the float32 result is 0 or inf anyway)
    n = round(t) by the 1.5 * 2**52 trick, r = t - n exact, 2**r = E(r) (degree 10,
    2**-51), times 2**n (an exact power of two: a float64 never underflows here).

|t|'s absolute error is below 200 * 2**-52, so the result's relative error is below 2**-44.

Special cases, C99 F.9.4.4 (what ``powf`` and numpy give): pow(x, +-0) = 1 and pow(+1, y) = 1
even for NaN; otherwise a NaN operand gives NaN; pow(-1, +-inf) = 1; a finite x < 0 with a
finite non-integer y gives NaN; a negative x (-0 and -inf too) with an odd integer y gives
the negated |x|**y, with any other y |x|**y. pow(+-0, y) and pow(+-inf, y), pow(x, +-inf)
come out of the general path (log2 0 = -inf, log2 inf = inf, and the clamp).
"""
from __future__ import annotations

from .float_trig import I64, U1, U8, horner64
from .types import Int, UInt, float32, float64

SQRT_HALF64_BITS = 0x3FE6A09E667F3BCD           # float64 sqrt(1/2)
MAGIC52 = float.fromhex("0x1.8p+52")            # t + 1.5 * 2**52 rounds t to an integer
POW_T_LIMIT = 200.0
LOG2_P = tuple(float.fromhex(c) for c in (
    "0x1.71547652b82ffp+1", "0x1.ec709dc39ca19p-1", "0x1.2776c516a4d66p-1",
    "0x1.a617567b881e5p-2", "0x1.484fab27d3ee4p-2", "0x1.0bb7d67503306p-2",
    "0x1.f1830525dd956p-3"))
EXP2_P = tuple(float.fromhex(c) for c in (
    "0x1.0000000000000p+0", "0x1.62e42fefa3a19p-1", "0x1.ebfbdff82c598p-3",
    "0x1.c6b08d703ce49p-5", "0x1.3b2ab6fba1ddap-7", "0x1.5d87fe9d7a584p-10",
    "0x1.430913096fd9fp-13", "0x1.ffcb54062e698p-17", "0x1.62bfd47773353p-20",
    "0x1.b675bca4eeebbp-24", "0x1.e6063f7217bc6p-28"))
I32 = Int(32)


def log2_abs(k, ax):
    """log2 of a float32 ``ax >= 0`` in float64 (0 -> -inf, inf -> inf)."""
    ix = k.iop("-", k.fbits(k.ftof(ax, float64)), k.ic(SQRT_HALF64_BITS, I64), I64)
    e = k.iop(">>", ix, k.ic(52, U8), I64)
    mant = k.iop("&", ix, k.ic((1 << 52) - 1, I64), I64)
    m = k.from_fbits(k.iop("+", mant, k.ic(SQRT_HALF64_BITS, I64), I64), float64)
    f = k.sub(m, k.fconst(1.0, float64))
    s = k.div(f, k.add(k.fconst(2.0, float64), f))
    y = k.add(k.i2f(e, float64), k.mul(s, horner64(k, k.mul(s, s), LOG2_P)))
    inf32 = k.from_bits(k.iconst(0x7F800000))
    y = k.select(k.eq(ax, k.const(0.0)), k.fconst(-float("inf"), float64), y)
    return k.select(k.eq(ax, inf32), k.fconst(float("inf"), float64), y)


def exp2_to_float32(k, t):
    """2**t (float64 t, NaN allowed) rounded to float32."""
    t = k.fmin(k.fmax(t, k.fconst(-POW_T_LIMIT, float64)), k.fconst(POW_T_LIMIT, float64))
    shifted = k.add(t, k.fconst(MAGIC52, float64))
    r = k.sub(t, k.sub(shifted, k.fconst(MAGIC52, float64)))          # exact
    n = k.iop("-", k.fbits(shifted), k.fbits(k.fconst(MAGIC52, float64)), I64)
    scale = k.from_fbits(k.iop("<<", k.iop("+", n, k.ic(1023, I64), I64), k.ic(52, U8), I64),
                         float64)
    return k.ftof(k.mul(horner64(k, r, EXP2_P), scale), float32)


def integer_kind(k, y):
    """(y is an integer or +-inf, y is an odd integer) for float32 y, from its bits."""
    iy = k.fbits(y)
    ey = k.iop("-", k.iop("&", k.iop(">>", iy, k.ic(23, U8), I32), k.ic(0xFF, I32), I32),
               k.ic(127, I32), I32)                                   # unbiased exponent
    in_range = k.land(k.icmp(">=", ey, k.ic(0, I32)), k.icmp("<", ey, k.ic(24, I32)))
    # the fraction bits below the units bit, shifted out of a 32-bit word: all zero?
    frac = k.iop("<<", iy, k.iop("+", ey, k.ic(9, I32), U8), UInt(32))
    whole = k.land(in_range, k.icmp("==", frac, k.ic(0, UInt(32))))
    units = k.icast(k.iop(">>", iy, k.iop("-", k.ic(23, I32), ey, U8), I32), U1)
    odd = k.land(whole, k.icmp("==", units, k.ic(1, U1)))
    return k.lor(whole, k.icmp(">=", ey, k.ic(24, I32))), odd


def power(k, x, y):
    ax, ay = k.abs(x), k.abs(y)
    v = exp2_to_float32(k, k.mul(k.ftof(y, float64), log2_abs(k, ax)))
    is_int, odd = integer_kind(k, y)
    sign = k.icmp("==", k.icast(k.iop(">>", k.fbits(x), k.ic(31, U8), I32), U1), k.ic(1, U1))
    v = k.select(k.land(sign, odd), k.neg(v), v)
    inf32, nan32, one = (k.from_bits(k.iconst(0x7F800000)), k.from_bits(k.iconst(0x7FC00000)),
                         k.const(1.0))
    finite_negative = k.land(k.lt(x, k.const(0.0)), k.lt(k.neg(inf32), x))
    v = k.select(k.land(finite_negative, k.land(k.lt(ay, inf32), k.lnot(is_int))), nan32, v)
    v = k.select(k.land(k.eq(x, x), k.eq(y, y)), v, nan32)
    v = k.select(k.land(k.eq(ax, one), k.eq(ay, inf32)), one, v)
    return k.select(k.lor(k.eq(x, one), k.eq(y, k.const(0.0))), one, v)


def square(k, x):
    """x ** 2 with a constant exponent (``frontend.expressions.power``): x * x, correctly
    rounded (one float32 multiply; C's pow gives the same)."""
    return k.mul(x, x)


def cube(k, x):
    """x ** 3 with a constant exponent: (x * x) * x in float64 (the square exact, the cube
    rounded to 53 bits) rounded to float32 -- correctly rounded except within 2**-29 ulp of a
    tie (the general ``power`` is within 2**-16 ulp). Signs, zeros, inf and NaN as pow's."""
    wide = k.ftof(x, float64)
    return k.ftof(k.mul(k.mul(wide, wide), wide), float32)
