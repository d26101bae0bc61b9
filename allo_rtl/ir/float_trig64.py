"""sin, cos and tan of float64, each one fixed sequence of integer and float64 operations, run
alike by the interpreter (``float_math.NumpyOps``) and the hardware (``hls/float_math_ops``), so
both agree bit for bit (``float_math``'s docstring says why that holds).

float32's algorithm (``float_trig``) computes in float64 and rounds once; float64 has no wider
format here, so the reduced argument is carried as a double-double ``rh + rl`` and the
polynomials add its correction terms (error measured with ``benchmarks/bench_float_math.py``
against mpmath: ``float_math.MEASURED_MAX_ULP``).

Argument reduction, exact for every float64 (no range limit), Payne-Hanek style as float32's:
|x| = m 2**(e-52) with the 53-bit integer m; y = |x| 2/pi mod 4 to ``Q`` = 126 fraction bits.
``TWO_OVER_PI`` holds 1160 bits of 2/pi (enough for e = 1023); the 188-bit window that matters
for this e (bits above it make m times them a multiple of 4; bits below change y by under
2**-133) is cut out of it in two steps, because no integer here is wider than 512 bits: the
64-bit-aligned chunk (one of 17 constants, picked by a select tree on the exponent's high bits),
then a shift by the low 6 bits. m times the window gives y; n = round(y) mod 4 is the
quadrant, f = y - round(y) in [-1/2, 1/2) a signed 128-bit fixed-point number. The closest
float64 to a multiple of pi/2 (6381956970095103 * 2**797) leaves |f| ~ 2**-61.6, so f keeps
at least 64 significant bits. r = f pi/2 is an integer product (pi/2 to 127 bits), split into
three pieces of at most 43 bits (each exact in float64) and summed to ``rh + rl`` with TwoSum
and Fast2Sum. |x| < pi/4 skips the reduction (rh = |x|, rl = 0, also for subnormals).

On r = rh + rl, z = rh**2:
  sin r = rh + (rh z S(z) + rl (1 - z/2))
  cos r = w + (((1 - w) - z/2) + (z**2 C(z) - (zl/2 + rh rl))), w = 1 - z/2, where
          z + zl = rh**2 exactly (Dekker's product), so the largest term, z/2, is exact to
          106 bits and only w rounds (1 - w and (1 - w) - z/2 are exact: Sterbenz)
  tan r = sin r / cos r, or -cos r / sin r in the odd quadrants, with sin r and cos r as
          the double-doubles above (the parenthesized terms their low parts): a float64
          quotient, then one correction step (``tan``)
S and C (``SIN64_S``, ``COS64_C``): ``scripts/fit_float_math.py`` (Chebyshev fits, degree 6 and 5, 2**-54 relative). By
quadrant as float32's; the sign of x is applied last (sin(-0) = -0); inf and NaN give the
canonical NaN.
"""
from __future__ import annotations

from .float_math64 import INF64_BITS, NAN64_BITS, _c
from .float_trig import I64, U1, U2, U8, horner64
from .types import Int, UInt, float64

TABLE_BITS = 1160
#: floor(2/pi * 2**1160) (checked against mpmath in tests/test_float_trig64.py)
TWO_OVER_PI = int(
    "a2f9836e4e441529fc2757d1f534ddc0db6295993c439041fe5163abdebbc561b7246e3a424dd2e006492eea09d1921c"
    "fe1deb1cb129a73ee88235f52ebb4484e99c7026b45f7e413991d639835339f49c845f8bbdf9283b1ff897ffde05980f"
    "ef2f118b5a0a6d1f6d367ecf27cb09b74f463f669e5fea2d7527bac7ebe5f17b3d0739f78a5292ea6bfb5fb11f8d5d08"
    "56", 16)
Q, GUARD = 126, 60                    # fraction bits of y; window bits below them
WINDOW = Q + GUARD + 2                # 188: two integer bits of y (it is taken mod 4)
SHIFT0 = TABLE_BITS + 52 - Q - GUARD  # the window's shift is SHIFT0 - e (3 .. 1027)
CHUNKS = 17                           # 64-bit-aligned chunks the window can start in
CHUNK_BITS = WINDOW + 63
#: round(pi/2 * 2**126)
PIO2_126 = 0x6487ED5110B4611A62633145C06E0E69
PIO4_BELOW = float.fromhex("0x1.921fb54442d18p-1")      # the float64 below pi/4
SPLIT = float(2 ** 27 + 1)                              # Veltkamp's splitter for float64
SIN64_S = tuple(float.fromhex(c) for c in (
    "-0x1.5555555555555p-3", "0x1.1111111111110p-7", "-0x1.a01a01a019937p-13",
    "0x1.71de3a54607a5p-19", "-0x1.ae64541295cdfp-26", "0x1.61217ee5cca1bp-33",
    "-0x1.ab17bdcbd3414p-41"))
COS64_C = tuple(float.fromhex(c) for c in (       # (cos r - 1 + z/2) / z**2
    "0x1.5555555555555p-5", "-0x1.6c16c16c16967p-10", "0x1.a01a019f4e9b4p-16",
    "-0x1.27e4fa17bf139p-22", "0x1.1eeb68cd22f56p-29", "-0x1.907d8f29fe831p-37"))


def _chunk(k, index):
    """The CHUNKS-way choice of ``TWO_OVER_PI >> 64 i`` (CHUNK_BITS wide) by ``index``, as a
    binary select tree on the index's bits (the table is wider than any one integer)."""
    typ = UInt(CHUNK_BITS)
    mask = (1 << CHUNK_BITS) - 1
    level = [k.ic((TWO_OVER_PI >> (64 * i)) & mask, typ) for i in range(CHUNKS)]
    bit = 0
    while len(level) > 1:
        b = k.icast(k.iop(">>", index, k.ic(bit, U8), UInt(5)), U1)
        level = [k.select(b, level[j + 1], level[j]) if j + 1 < len(level) else level[j]
                 for j in range(0, len(level), 2)]
        bit += 1
    return level[0]


def _two_sum(k, a, b):
    s = k.add(a, b)
    bb = k.sub(s, a)
    return s, k.add(k.sub(a, k.sub(s, bb)), k.sub(b, bb))


def _fast_two_sum(k, a, b):          # |a| >= |b|
    s = k.add(a, b)
    return s, k.sub(b, k.sub(s, a))


def _split(k, a):
    """(hi, lo) = a with 26-bit halves (Veltkamp), so hi * hi', hi * lo', ... are exact."""
    c = k.mul(_c(k, SPLIT), a)
    hi = k.sub(c, k.sub(c, a))
    return hi, k.sub(a, hi)


def _product(k, a, b):
    """(p, e) with p + e = a b exactly (Dekker's product, no fused multiply-add)."""
    ah, al = _split(k, a)
    bh, bl = _split(k, b)
    p = k.mul(a, b)
    e = k.add(k.add(k.sub(k.mul(ah, bh), p), k.add(k.mul(ah, bl), k.mul(al, bh))),
              k.mul(al, bl))
    return p, e


def reduce_pio2(k, ax):
    """(n mod 4 as a UInt(2), rh, rl) with |x| = n pi/2 + rh + rl, |rh| <= pi/4, for a finite
    float64 ``ax = |x| >= 2**-1`` (smaller ones: garbage, the caller selects)."""
    ix = k.fbits(ax)                                                  # Int(64)
    e = k.iop("-", k.iop(">>", ix, k.ic(52, U8), I64), k.ic(1023, I64), I64)
    m = k.iop("|", k.icast(ix, UInt(52)), k.ic(1 << 52, UInt(53)), UInt(53))
    shift = k.iop("-", k.ic(SHIFT0, I64), e, UInt(11))
    chunk = _chunk(k, k.icast(k.iop(">>", shift, k.ic(6, U8), UInt(11)), UInt(5)))
    low = k.icast(shift, UInt(6))
    window = k.icast(k.iop(">>", chunk, low, UInt(CHUNK_BITS)), UInt(WINDOW))
    prod = k.iop("*", m, window, UInt(53 + WINDOW))
    q = k.icast(k.iop(">>", prod, k.ic(GUARD, U8), UInt(53 + WINDOW)), UInt(Q + 2))
    n = k.icast(k.iop(">>", k.iop("+", q, k.ic(1 << (Q - 1), UInt(Q + 2)), UInt(Q + 2)),
                      k.ic(Q, U8), UInt(Q + 2)), U2)
    f = k.iop("<<", q, k.ic(2, U8), Int(Q + 2))                     # (y - round(y)) 2**128
    r = k.iop(">>", k.iop("*", f, k.ic(PIO2_126, UInt(127)), Int(256)), k.ic(126, U8), Int(256))
    hi = k.i2f(k.icast(k.iop(">>", r, k.ic(86, U8), Int(256)), Int(43)), float64)
    mid = k.i2f(k.icast(k.iop(">>", r, k.ic(43, U8), Int(256)), UInt(43)), float64)
    lo = k.i2f(k.icast(r, UInt(43)), float64)
    s, err = _two_sum(k, k.mul(hi, _c(k, 2.0 ** -42)), k.mul(mid, _c(k, 2.0 ** -85)))
    rh, rl = _fast_two_sum(k, s, k.add(err, k.mul(lo, _c(k, 2.0 ** -128))))
    return n, rh, rl


def _sin_cos_r(k, x):
    """(|x|, sign bit of x, quadrant n, sin r, cos r) in float64, x = +-(n pi/2 + r)."""
    ax = k.abs(x)
    n_big, rh_big, rl_big = reduce_pio2(k, ax)
    small = k.lt(ax, _c(k, PIO4_BELOW))
    rh = k.select(small, ax, rh_big)
    rl = k.select(small, _c(k, 0.0), rl_big)
    n = k.select(small, k.ic(0, U2), n_big)
    z, zl = _product(k, rh, rh)
    hz = k.mul(z, _c(k, 0.5))
    s_lo = k.add(k.mul(k.mul(rh, z), horner64(k, z, SIN64_S)), k.mul(rl, k.sub(_c(k, 1.0), hz)))
    w = k.sub(_c(k, 1.0), hz)
    tail = k.sub(k.mul(k.mul(z, z), horner64(k, z, COS64_C)),
                 k.add(k.mul(zl, _c(k, 0.5)), k.mul(rh, rl)))
    c_lo = k.add(k.sub(k.sub(_c(k, 1.0), w), hz), tail)
    sign = k.icast(k.iop(">>", k.fbits(x), k.ic(63, U8), I64), U1)
    return ax, sign, n, (rh, s_lo), (w, c_lo)


def _finish(k, ax, odd, negative, even_value, odd_value):
    v = k.select(odd, odd_value, even_value)
    v = k.select(negative, k.neg(v), v)
    finite = k.lt(ax, k.from_fbits(k.ic(INF64_BITS, I64), float64))
    return k.select(finite, v, k.from_fbits(k.ic(NAN64_BITS, I64), float64))


def sin(k, x):
    ax, sign, n, (sh, sl), (ch, cl) = _sin_cos_r(k, x)
    odd = k.icast(n, U1)                                  # quadrants 1, 3: +-cos r
    flip = k.iop("^", k.icast(k.iop(">>", n, k.ic(1, U8), U2), U1), sign, U1)
    return _finish(k, ax, odd, flip, k.add(sh, sl), k.add(ch, cl))


def cos(k, x):
    ax, _, n, (sh, sl), (ch, cl) = _sin_cos_r(k, x)
    odd = k.icast(n, U1)                                  # quadrants 1, 3: -+sin r
    flip = k.icast(k.iop(">>", k.iop("+", n, k.ic(1, U2), U2), k.ic(1, U8), U2), U1)
    return _finish(k, ax, odd, flip, k.add(ch, cl), k.add(sh, sl))


def tan(k, x):
    """num / den with both as double-doubles: q = num / den rounded, then one correction
    step q + (num - q den) / den with q den exact (Dekker), so only the last add rounds."""
    ax, sign, n, (sh, sl), (ch, cl) = _sin_cos_r(k, x)
    odd = k.icast(n, U1)                                  # quadrants 1, 3: -cos r / sin r
    nh, nl = k.select(odd, ch, sh), k.select(odd, cl, sl)
    dh, dl = k.select(odd, sh, ch), k.select(odd, sl, cl)
    den = k.add(dh, dl)
    q = k.div(k.add(nh, nl), den)
    p, pe = _product(k, q, dh)
    residual = k.add(k.sub(k.sub(nh, p), pe), k.sub(nl, k.mul(q, dl)))
    t = k.add(q, k.div(residual, den))
    return _finish(k, ax, odd, k.iop("^", odd, sign, U1), t, t)
