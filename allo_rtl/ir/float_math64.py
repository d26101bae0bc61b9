"""exp and log of float64: ``float_math``'s float32 algorithms with float64 constants, each a
fixed sequence of float64 and int64 operations run alike by the interpreter and the hardware
(so both agree bit for bit, see ``float_math``).

The same steps as float32's (read ``float_math``'s docstring); what changes:

exp(x)
    clamp to [-760, 720] (0 below -745.13, inf above 709.78); n = round(x / ln 2) with
    1.5 * 2**52; ``LN2_HI`` has 42 bits so n * LN2_HI is exact for |n| < 2**11; the remainder
    polynomial P has degree 10 (``scripts/fit_float_math.py``, 2**-57); 2**n applied as two
    exact powers of two (correct subnormal results).
log(x)
    subnormals scaled by 2**52; the atanh remainder R has degree 7 (2**-54); k ln 2 in two
    parts as float32's.

No format is wider than float64 here, so the error is the algorithm's own, as for float32
(0.84 and 0.80 ulp there; these: ``MEASURED_MAX_ULP``).
"""
from __future__ import annotations

from .float_trig import I64, U8, horner64
from .types import float64

LOG2E = float.fromhex("0x1.71547652b82fep+0")
MAGIC52 = float.fromhex("0x1.8p+52")
LN2_HI = float.fromhex("0x1.62e42fefa3800p-1")      # ln 2 to 42 bits
LN2_LO = float.fromhex("0x1.ef35793c76730p-45")     # ln 2 - LN2_HI rounded
EXP_LO, EXP_HI = -760.0, 720.0
EXP64_P = tuple(float.fromhex(c) for c in (
    "0x1.0000000000000p-1", "0x1.5555555555557p-3", "0x1.5555555555556p-5",
    "0x1.11111111100d3p-7", "0x1.6c16c16c162cfp-10", "0x1.a01a01abeccc3p-13",
    "0x1.a01a01a6db488p-16", "0x1.71de02225a2f3p-19", "0x1.27e4db5bb725ap-22",
    "0x1.af4e092e1705bp-26", "0x1.1f7315649f2d7p-29"))
LOG64_R = tuple(float.fromhex(c) for c in (
    "0x1.5555555555555p-1", "0x1.9999999999a38p-2", "0x1.2492492476c8bp-2",
    "0x1.c71c720160332p-3", "0x1.745cf90196560p-3", "0x1.3b1c35fbecd93p-3",
    "0x1.0fbe84f5caccap-3", "0x1.0c044ccf380aap-3"))
TANH64_P = tuple(float.fromhex(c) for c in (        # (tanh x - x) / x**3 on z = x**2 < 0.5625
    "-0x1.5555555555555p-2", "0x1.111111111101fp-3", "-0x1.ba1ba1ba03fdep-5",
    "0x1.664f487b7c37ep-6", "-0x1.226e3434333f1p-7", "0x1.d6d397c6172ccp-9",
    "-0x1.7d9fdd51d36fap-10", "0x1.353280941795ap-11", "-0x1.f351c7b8d9d91p-13",
    "0x1.8b4d9f3447ab6p-14", "-0x1.215cdb73c8b35p-15", "0x1.51282042d0b9ap-17",
    "-0x1.b87709c583a0fp-20"))
TANH64_MID = tuple(float.fromhex(c) for c in (      # (tanh(0.875 + t) - tanh 0.875) / t
    "0x1.02500a09f8d6ep-1", "-0x1.6ba7cb7576539p-2", "0x1.4f152b2bae5f1p-4",
    "0x1.f203c316d21a7p-5", "-0x1.e2196b78b8748p-5", "0x1.b2ca62387b371p-7",
    "0x1.6954552bd8a84p-7", "-0x1.4a6026cf7453fp-7", "0x1.0c54394bda5ebp-9",
    "0x1.0797c50fd07d3p-9", "-0x1.c355daddafe28p-10", "0x1.35821b989c4cep-12",
    "0x1.80d4da401cbc6p-12"))
TANH64_MID_T0 = (float.fromhex("0x1.686650b8c2015p-1"), float.fromhex("0x1.9fa72eaddbf64p-57"))
TANH64_TINY = 2.0 ** -27             # below: tanh(x) = x within a third of an ulp
SQRT_HALF64_BITS = 0x3FE6A09E667F3BCD
SMALLEST_NORMAL64 = float.fromhex("0x1p-1022")
INF64_BITS, NAN64_BITS = 0x7FF0000000000000, 0x7FF8000000000000

#: max error in ulps against the correctly rounded result, measured by
#: ``benchmarks/bench_float_math.py --samples 1000000 --fn exp64 --fn log64``
MEASURED_MAX_ULP = {"exp": 0.844, "log": 0.793, "tanh": 0.8995,
                    # float_trig64 (2026-12-03, 10**6 inputs each)
                    "sin": 0.7270, "cos": 0.7474, "tan": 1.0257}


def _c(k, v):
    return k.fconst(v, float64)


def _pow2(k, n):
    """2**n as a float64 for -1022 <= n <= 1023."""
    return k.from_fbits(k.iop("<<", k.iop("+", n, k.ic(1023, I64), I64), k.ic(52, U8), I64),
                        float64)


def exp(k, x):
    x = k.fmin(k.fmax(x, _c(k, EXP_LO)), _c(k, EXP_HI))
    shifted = k.add(k.mul(x, _c(k, LOG2E)), _c(k, MAGIC52))
    nf = k.sub(shifted, _c(k, MAGIC52))
    n = k.iop("-", k.fbits(shifted), k.fbits(_c(k, MAGIC52)), I64)
    hi = k.sub(x, k.mul(nf, _c(k, LN2_HI)))
    lo = k.mul(nf, _c(k, LN2_LO))
    r = k.sub(hi, lo)
    err = k.sub(k.sub(hi, r), lo)
    q = k.add(k.mul(k.mul(r, r), horner64(k, r, EXP64_P)), err)
    y = k.add(_c(k, 1.0), k.add(r, q))
    half = k.iop(">>", n, k.ic(1, U8), I64)
    return k.mul(k.mul(y, _pow2(k, half)), _pow2(k, k.iop("-", n, half, I64)))


def log(k, x):
    sub = k.lt(x, _c(k, SMALLEST_NORMAL64))
    xs = k.select(sub, k.mul(x, _c(k, 2.0 ** 52)), x)
    ix = k.iop("-", k.fbits(xs), k.ic(SQRT_HALF64_BITS, I64), I64)
    e = k.iop(">>", ix, k.ic(52, U8), I64)
    mant = k.iop("&", ix, k.ic((1 << 52) - 1, I64), I64)
    m = k.from_fbits(k.iop("+", mant, k.ic(SQRT_HALF64_BITS, I64), I64), float64)
    e = k.select(sub, k.iop("-", e, k.ic(52, I64), I64), e)
    f = k.sub(m, _c(k, 1.0))
    s = k.div(f, k.add(_c(k, 2.0), f))
    z = k.mul(s, s)
    hfsq = k.mul(k.mul(f, f), _c(k, 0.5))
    r = k.mul(z, horner64(k, z, LOG64_R))
    dk = k.i2f(e, float64)
    inner = k.sub(k.sub(hfsq, k.add(k.mul(s, k.add(hfsq, r)), k.mul(dk, _c(k, LN2_LO)))), f)
    y = k.sub(k.mul(dk, _c(k, LN2_HI)), inner)
    inf = k.from_fbits(k.ic(INF64_BITS, I64), float64)
    y = k.select(k.eq(x, _c(k, 0.0)), k.neg(inf), y)
    y = k.select(k.eq(x, inf), x, y)
    return k.select(k.le(_c(k, 0.0), x), y, k.from_fbits(k.ic(NAN64_BITS, I64), float64))


def tanh(k, x):
    """float32's three pieces (``float_math.tanh``) with float64 polynomials of degree 12."""
    ax = k.abs(x)
    z = k.mul(ax, ax)
    near = k.add(ax, k.mul(k.mul(ax, z), horner64(k, z, TANH64_P)))
    t = k.sub(ax, _c(k, 0.875))                                  # exact where used
    mid = k.add(_c(k, TANH64_MID_T0[0]),
                k.add(_c(k, TANH64_MID_T0[1]), k.mul(t, horner64(k, t, TANH64_MID))))
    e = exp(k, k.add(ax, ax))
    far = k.sub(_c(k, 1.0), k.div(_c(k, 2.0), k.add(e, _c(k, 1.0))))
    mag = k.select(k.lt(ax, _c(k, 0.75)), near, k.select(k.lt(ax, _c(k, 1.0)), mid, far))
    signed = k.select(k.lt(x, _c(k, 0.0)), k.neg(mag), mag)
    return k.select(k.lt(ax, _c(k, TANH64_TINY)), x, signed)


#: the float64 functions, by their Allo name
ALGORITHMS = {"exp": exp, "log": log, "tanh": tanh}
