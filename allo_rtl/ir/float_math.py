"""exp, log and tanh of float32, each defined as one fixed sequence of float32 and int32
operations: the same sequence runs in the interpreter and in hardware, so both agree bit for bit.
(sin, cos, tan: ``float_trig``; power: ``float_pow``; float64 exp and log: ``float_math64``;
all registered in ``ALGORITHMS`` / ``ALGORITHMS64`` below and evaluated by ``NumpyOps``.)

Why a sequence of basic operations: every float op in it (``+ - * /``, min/max, compares) is
correctly rounded with the canonical NaN, exactly as the hardware units compute it, and the
integer ops (bit casts, shifts, adds) are exact. The interpreter evaluates an algorithm with
:class:`NumpyOps` (numpy float32, NaN made canonical after every op); the hardware build
evaluates the very same Python function with an emitter of CDFG ops
(``hls/float_math_ops.py``), so the result is the same by construction, not by testing alone.
The results differ from numpy's libm (``np.exp`` on float32) in the last bit for some inputs;
both are within one ulp of the exact value. Measured against correctly rounded results
(mpmath, ``benchmarks/bench_float_math.py``): see ``MEASURED_MAX_ULP``.

The algorithms (textbook range reductions; coefficients fitted by
``scripts/fit_float_math.py``, near-minimax, rounded to float32):

exp(x)
    clamp x to [-110, 100] (beyond, the result is 0 or inf anyway); n = round(x / ln 2) by
    adding and subtracting 1.5 * 2**23; r = x - n ln2 in two steps (Cody-Waite: ``LN2_HI`` has
    16 bits, so ``n * LN2_HI`` and ``x - n * LN2_HI`` are exact), with the rounding error of r
    carried (Fast2Sum) into ``err``; exp(r) = 1 + (r + (r**2 P(r) + err)); scaled by
    2**(n//2) then 2**(n - n//2), two exact powers of two, so only the last multiply rounds
    (correct subnormal results and overflow to inf).
log(x)
    subnormals scaled by 2**23 first; x = 2**k m with m in [sqrt(1/2), sqrt(2)) taken from
    the bits; f = m - 1 (exact); s = f / (2 + f), log(1 + f) = 2 atanh(s) = f - f**2/2 +
    s (f**2/2 + R(s**2)); k ln 2 added in two parts. 0 -> -inf, +inf -> +inf, x < 0 or NaN
    -> NaN.
tanh(x)
    |x| < 2**-12: x; |x| < 0.75: x + x z P(z), z = x**2; |x| < 1: tanh(0.875) (as hi + lo)
    + t Q(t), t = |x| - 0.875; else 1 - 2 / (exp(2|x|) + 1); the sign of x (large |x| gives
    exactly +-1, NaN gives NaN). Three pieces because 1 - 2 / (exp(2x) + 1) alone loses
    more than an ulp below 1 (its q = 2 / (e + 1) is large there and carries exp's error).
"""
from __future__ import annotations

import numpy as np

from .types import Int, cast


def _f(hex_value: str) -> float:
    v = float.fromhex(hex_value)
    assert float(np.float32(v)) == v, f"{hex_value} is not a float32"
    return v


# --- constants (float32 values, written exactly) -------------------------------------
LOG2E = _f("0x1.715476p+0")          # 1 / ln 2 rounded
ROUND_MAGIC = _f("0x1.8p+23")        # x + 1.5 * 2**23 - 1.5 * 2**23 rounds x to an integer
LN2_HI = _f("0x1.62e4p-1")           # ln 2 to 16 bits: n * LN2_HI exact for |n| < 256
LN2_LO = _f("0x1.7f7d1cp-20")        # ln 2 - LN2_HI rounded
EXP_LO, EXP_HI = -110.0, 100.0       # exp is 0 below -103.98 and inf above 88.73
EXP_P = tuple(_f(c) for c in ("0x1.0p-1", "0x1.555556p-3", "0x1.5554eap-5", "0x1.11114cp-7",
                              "0x1.6d4302p-10", "0x1.a072b8p-13"))
SQRT_HALF_BITS = 0x3F3504F3          # float32 sqrt(1/2): log's mantissa range starts here
SMALLEST_NORMAL = _f("0x1p-126")
TWO_POW_23 = _f("0x1p+23")
LOG_R = tuple(_f(c) for c in ("0x1.555556p-1", "0x1.9999ecp-2", "0x1.245c32p-2",
                              "0x1.ddd226p-3"))
TANH_TINY = _f("0x1p-12")            # below: tanh(x) = x within a third of an ulp
TANH_POLY_END = 0.75                 # below: the odd polynomial
TANH_P = tuple(_f(c) for c in ("-0x1.555556p-2", "0x1.111102p-3", "-0x1.ba152ap-5",
                               "0x1.65c1f8p-6", "-0x1.1c951ep-7", "0x1.950374p-9",
                               "-0x1.6d3584p-11"))
TANH_MID_END = 1.0                   # below: a polynomial around 0.875; above: through exp
TANH_MID_CENTER = 0.875
TANH_MID_T0 = (_f("0x1.68665p-1"), _f("0x1.718402p-26"))    # tanh(0.875) as hi + lo
TANH_MID = tuple(_f(c) for c in ("0x1.02500ap-1", "-0x1.6ba7ccp-2", "0x1.4f152ap-4",
                                 "0x1.f2084p-5", "-0x1.e21862p-5", "0x1.a9cc0ap-7",
                                 "0x1.69d77cp-7"))
INF_BITS, NAN_BITS = 0x7F800000, 0x7FC00000
NAN64_BITS = 0x7FF8000000000000

#: max error in ulps against the correctly rounded result, measured by
#: ``benchmarks/bench_float_math.py --samples 1000000`` (10**6 random inputs + edge cases,
#: mpmath); tests/test_float_math.py checks < 1 on a smaller sample
MEASURED_MAX_ULP = {"exp": 0.839, "log": 0.803, "tanh": 0.927,
                    # float_trig / float_pow (10**6 inputs each; printed to 4 places)
                    "sin": 0.5000, "cos": 0.5000, "tan": 0.5000, "power": 0.5000}


def horner(k, x, coeffs):
    """c0 + x (c1 + x (c2 + ...)) in float32 steps."""
    acc = k.const(coeffs[-1])
    for c in reversed(coeffs[:-1]):
        acc = k.add(k.mul(acc, x), k.const(c))
    return acc


def pow2(k, n):
    """2**n as a float32 for -126 <= n <= 127 (its bits: biased exponent n + 127)."""
    return k.from_bits(k.shl(k.iadd(n, k.iconst(127)), 23))


def exp(k, x):
    x = k.fmin(k.fmax(x, k.const(EXP_LO)), k.const(EXP_HI))     # NaN stays NaN
    shifted = k.add(k.mul(x, k.const(LOG2E)), k.const(ROUND_MAGIC))
    nf = k.sub(shifted, k.const(ROUND_MAGIC))                    # round(x / ln 2), exact
    n = k.isub(k.bits(shifted), k.iconst(0x4B400000))            # the same integer, int32
    hi = k.sub(x, k.mul(nf, k.const(LN2_HI)))                    # exact (Sterbenz)
    lo = k.mul(nf, k.const(LN2_LO))
    r = k.sub(hi, lo)
    err = k.sub(k.sub(hi, r), lo)                                # r + err = hi - lo
    q = k.add(k.mul(k.mul(r, r), horner(k, r, EXP_P)), err)
    y = k.add(k.const(1.0), k.add(r, q))
    half = k.shr(n, 1)
    return k.mul(k.mul(y, pow2(k, half)), pow2(k, k.isub(n, half)))


def log(k, x):
    sub = k.lt(x, k.const(SMALLEST_NORMAL))                      # also 0 and negatives
    xs = k.select(sub, k.mul(x, k.const(TWO_POW_23)), x)
    ix = k.isub(k.bits(xs), k.iconst(SQRT_HALF_BITS))
    e = k.shr(ix, 23)                                            # floor(log2(x / sqrt(1/2)))
    m = k.from_bits(k.iadd(k.iand(ix, k.iconst(0x7FFFFF)), k.iconst(SQRT_HALF_BITS)))
    e = k.select(sub, k.isub(e, k.iconst(23)), e)
    f = k.sub(m, k.const(1.0))                                   # exact: m in [0.707, 1.414)
    s = k.div(f, k.add(k.const(2.0), f))
    z = k.mul(s, s)
    hfsq = k.mul(k.mul(f, f), k.const(0.5))
    r = k.mul(z, horner(k, z, LOG_R))
    dk = k.itof(e)
    inner = k.sub(k.sub(hfsq, k.add(k.mul(s, k.add(hfsq, r)), k.mul(dk, k.const(LN2_LO)))), f)
    y = k.sub(k.mul(dk, k.const(LN2_HI)), inner)
    y = k.select(k.eq(x, k.const(0.0)), k.from_bits(k.iconst(INF_BITS | 1 << 31)), y)
    y = k.select(k.eq(x, k.from_bits(k.iconst(INF_BITS))), x, y)
    return k.select(k.le(k.const(0.0), x), y, k.from_bits(k.iconst(NAN_BITS)))


def tanh(k, x):
    ax = k.abs(x)
    z = k.mul(ax, ax)
    near = k.add(ax, k.mul(k.mul(ax, z), horner(k, z, TANH_P)))
    t = k.sub(ax, k.const(TANH_MID_CENTER))                       # exact where used
    mid = k.add(k.const(TANH_MID_T0[0]),
                k.add(k.const(TANH_MID_T0[1]), k.mul(t, horner(k, t, TANH_MID))))
    e = exp(k, k.add(ax, ax))
    far = k.sub(k.const(1.0), k.div(k.const(2.0), k.add(e, k.const(1.0))))
    mag = k.select(k.lt(ax, k.const(TANH_POLY_END)), near,
                   k.select(k.lt(ax, k.const(TANH_MID_END)), mid, far))
    signed = k.select(k.lt(x, k.const(0.0)), k.neg(mag), mag)
    return k.select(k.lt(ax, k.const(TANH_TINY)), x, signed)


from . import float_math64, float_pow, float_trig, float_trig64  # noqa: E402  (they do not import this)

#: every float32 function defined here and in float_trig / float_pow, by its Allo name
ALGORITHMS = {"exp": exp, "log": log, "tanh": tanh, "sin": float_trig.sin,
              "cos": float_trig.cos, "tan": float_trig.tan, "power": float_pow.power,
              "square": float_pow.square, "cube": float_pow.cube}     # power(x, 2 or 3)
#: the float64 functions (float_math64), by their Allo name
ALGORITHMS64 = {**float_math64.ALGORITHMS, "sin": float_trig64.sin, "cos": float_trig64.cos,
                "tan": float_trig64.tan}


class TypedInts:
    """Integers of an Allo type (``Int(64)``, ``UInt(98)``, ...) as the interpreter holds them:
    Python ints in an object array, so widths beyond 64 bits stay exact."""

    def __init__(self, values, typ):
        self.v, self.type = np.asarray(values, dtype=object), typ


class NumpyOps:
    """The operations of the algorithms on numpy float32 / float64 / int32 arrays (or
    scalars), as the hardware units compute them: IEEE rounding to nearest even in the
    operands' format, every NaN result the canonical NaN, integers wrapping at 32 bits, ``shr``
    arithmetic. The typed integer ops (``ic``, ``iop``, ...) act on :class:`TypedInts` with
    ``ir.semantics`` (the operator table's meaning of each integer op), for any width."""

    def _canon(self, r):
        r = np.asarray(r)
        nan = np.asarray(np.uint32(NAN_BITS) if r.dtype == np.float32 else np.uint64(NAN64_BITS))
        return np.where(np.isnan(r), nan.view(r.dtype), r).astype(r.dtype)

    def const(self, v):
        return np.float32(v)

    def fconst(self, v, fmt):
        return fmt.numpy_dtype.type(v)

    def iconst(self, n):
        return np.uint32(n & 0xFFFFFFFF).view(np.int32)

    def add(self, a, b):
        return self._canon(np.add(a, b, dtype=np.result_type(a)))

    def sub(self, a, b):
        return self._canon(np.subtract(a, b, dtype=np.result_type(a)))

    def mul(self, a, b):
        return self._canon(np.multiply(a, b, dtype=np.result_type(a)))

    def div(self, a, b):
        return self._canon(np.divide(a, b, dtype=np.result_type(a)))

    def fmin(self, a, b):
        return self._canon(np.minimum(a, b, dtype=np.result_type(a)))

    def fmax(self, a, b):
        return self._canon(np.maximum(a, b, dtype=np.result_type(a)))

    def _sign_bit(self, a):
        a = np.asarray(a)
        ui = np.uint32 if a.dtype == np.float32 else np.uint64
        return a.view(ui), ui(1) << ui(8 * a.dtype.itemsize - 1)

    def abs(self, a):            # the sign bit only, as the hardware (NaN payload kept)
        u, sign = self._sign_bit(a)
        return (u & ~sign).view(np.asarray(a).dtype)

    def neg(self, a):
        u, sign = self._sign_bit(a)
        return (u ^ sign).view(np.asarray(a).dtype)

    def lt(self, a, b):          # ordered: false with a NaN operand
        return np.less(a, b)

    def le(self, a, b):
        return np.less_equal(a, b)

    def eq(self, a, b):
        return np.equal(a, b)

    def select(self, c, a, b):
        if isinstance(c, TypedInts):
            c = c.v.astype(bool)
        if isinstance(a, TypedInts):
            return TypedInts(np.where(c, a.v, b.v), a.type)
        return np.where(c, a, b)

    def bits(self, a):
        return np.asarray(a, dtype=np.float32).view(np.int32)

    def from_bits(self, i):
        return np.asarray(i, dtype=np.int32).view(np.float32)

    def iadd(self, a, b):
        return np.add(a, b, dtype=np.int32)

    def isub(self, a, b):
        return np.subtract(a, b, dtype=np.int32)

    def iand(self, a, b):
        return np.bitwise_and(a, b, dtype=np.int32)

    def shl(self, a, n: int):
        return np.left_shift(np.asarray(a, dtype=np.int32), np.int32(n), dtype=np.int32)

    def shr(self, a, n: int):
        return np.right_shift(np.asarray(a, dtype=np.int32), np.int32(n), dtype=np.int32)

    def itof(self, i):
        return np.asarray(i, dtype=np.int32).astype(np.float32)

    # --- typed integers and format changes (sin, cos, power) -------------------------
    def ic(self, n, typ):
        return TypedInts(typ.wrap(n), typ)

    def iop(self, op: str, a: TypedInts, b: TypedInts, typ):
        from .semantics import binop
        f = np.frompyfunc(lambda x, y: binop(op, x, a.type, y, b.type, typ), 2, 1)
        return TypedInts(f(a.v, b.v), typ)

    def icmp(self, op: str, a: TypedInts, b: TypedInts):
        from .semantics import compare
        f = np.frompyfunc(lambda x, y: compare(op, x, a.type, y, b.type), 2, 1)
        return np.asarray(f(a.v, b.v)).astype(bool)

    def land(self, a, b):
        return np.logical_and(a, b)

    def lor(self, a, b):
        return np.logical_or(a, b)

    def lnot(self, a):
        return np.logical_not(a)

    def icast(self, a: TypedInts, typ):
        return TypedInts(np.frompyfunc(lambda x: cast(x, a.type, typ), 1, 1)(a.v), typ)

    def fbits(self, a):
        """A float's bit pattern as a signed integer of its width."""
        a = np.asarray(a)
        typ = Int(8 * a.dtype.itemsize)
        return TypedInts(a.view(f"int{typ.bits}").astype(object), typ)

    def from_fbits(self, i: TypedInts, fmt):
        raw = np.array([int(v) & ((1 << fmt.bits) - 1) for v in np.ravel(i.v)],
                       dtype=f"uint{fmt.bits}").reshape(np.shape(i.v))
        return raw.view(fmt.numpy_dtype)

    def ftof(self, a, fmt):      # to another float format: rounded to nearest even
        return self._canon(np.asarray(a).astype(fmt.numpy_dtype))

    def i2f(self, i: TypedInts, fmt):
        f = np.frompyfunc(lambda x: cast(x, i.type, fmt), 1, 1)
        return np.asarray(f(i.v), dtype=fmt.numpy_dtype)


def evaluate(fn: str, *xs):
    """``fn`` (a key of ``ALGORITHMS``) of float32 ``xs`` (scalars or arrays, broadcast
    together) as the hardware computes it."""
    args = np.broadcast_arrays(*(np.asarray(x, dtype=np.float32) for x in xs))
    with np.errstate(all="ignore"):
        out = ALGORITHMS[fn](NumpyOps(), *(np.array(a) for a in args))
    return out if np.ndim(args[0]) else np.float32(out[()])


def evaluate64(fn: str, x):
    """``fn`` (a key of ``ALGORITHMS64``) of float64 ``x`` as the hardware computes it."""
    a = np.array(np.asarray(x, dtype=np.float64))
    with np.errstate(all="ignore"):
        out = ALGORITHMS64[fn](NumpyOps(), a)
    return out if np.ndim(x) else np.float64(out[()])
