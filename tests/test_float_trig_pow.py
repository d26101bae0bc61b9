"""float32 sin, cos, tan and power (issue 14; ``ir/float_trig.py``, ``ir/float_pow.py``): one
algorithm defines each result bit for bit; checked here that

* the numpy evaluation (the interpreter's) equals the same algorithm evaluated op by op with
  Berkeley SoftFloat (float32 and float64) and Python integers written out here, independent
  of numpy, of ``ir.semantics`` and of the hardware;
* the error against the correctly rounded result (mpmath) stays below 0.501 ulp on a sample
  (the long run: ``benchmarks/bench_float_math.py --samples 1000000``), power's special cases
  are C99's (and numpy's float64 ``power`` agrees with the table the check uses);
* hardware gives the interpreter's bits: default build on edge and random inputs, Icarus and
  Verilator on a few (a call is ~100 ops, slow to simulate on Amaranth).
"""
import os
import sys

import mpmath
import numpy as np
import pytest
import softfloatpy as sf

import allo_rtl as allo
from allo_rtl.errors import AlloError
from allo_rtl.ir import float_math, float_math64, float_pow, float_trig, float_trig64
from allo_rtl.ir.types import float16, float32, float64, int32

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
import bench_float_math as bench  # noqa: E402

SAMPLES = int(os.environ.get("ALLO_FLOAT_SAMPLES", "3000"))
FUNCTIONS = ["sin", "cos", "tan", "power"]


def bits(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).view(np.uint32)


class SoftOps:
    """The algorithms' operations on scalars: a float is (format bits, raw bits), computed by
    SoftFloat; an integer is (width, signed, value), wrapped here."""

    F = {32: (sf.Float32, sf.f32_add, sf.f32_sub, sf.f32_mul, sf.f32_div, sf.f32_lt_quiet,
              sf.f32_le_quiet, sf.f32_eq),
         64: (sf.Float64, sf.f64_add, sf.f64_sub, sf.f64_mul, sf.f64_div, sf.f64_lt_quiet,
              sf.f64_le_quiet, sf.f64_eq)}
    NAN = {32: 0x7FC00000, 64: 0x7FF8000000000000}

    def _sf(self, a):
        w, b = a
        return self.F[w][0].from_bytes(b.to_bytes(w // 8, "big"))

    def _raw(self, w, x):
        return (w, int.from_bytes(x.to_bytes(), "big"))

    @staticmethod
    def _wrap(w, signed, v):
        v &= (1 << w) - 1
        return (w, signed, v - (1 << w) if signed and v >> (w - 1) else v)

    @staticmethod
    def _type(t):
        return t.bits, t.signed

    def _arith(self, i, a, b):
        return self._raw(a[0], self.F[a[0]][i](self._sf(a), self._sf(b)))

    def _isnan(self, a):
        w, b = a
        e = 8 if w == 32 else 11
        return (b >> (w - 1 - e)) & ((1 << e) - 1) == (1 << e) - 1 and b & ((1 << (w - 1 - e)) - 1)

    # float32 ops the algorithms use through the int32 interface
    def const(self, v):
        return (32, int(np.float32(v).view(np.uint32)))

    def fconst(self, v, fmt):
        return (fmt.bits, int(np.array(v, dtype=fmt.numpy_dtype).view(f"uint{fmt.bits}")))

    def iconst(self, n):
        return self._wrap(32, True, n)

    def add(self, a, b):
        return self._arith(1, a, b)

    def sub(self, a, b):
        return self._arith(2, a, b)

    def mul(self, a, b):
        return self._arith(3, a, b)

    def div(self, a, b):
        return self._arith(4, a, b)

    def _minmax(self, a, b, smaller):          # numpy minimum/maximum: NaN wins, ties: b
        if self._isnan(a) or self._isnan(b):
            return (a[0], self.NAN[a[0]])
        return a if (self.lt(a, b) if smaller else self.lt(b, a)) else b

    def fmin(self, a, b):
        return self._minmax(a, b, True)

    def fmax(self, a, b):
        return self._minmax(a, b, False)

    def abs(self, a):
        return (a[0], a[1] & ~(1 << (a[0] - 1)))

    def neg(self, a):
        return (a[0], a[1] ^ (1 << (a[0] - 1)))

    def lt(self, a, b):
        return bool(self.F[a[0]][5](self._sf(a), self._sf(b)))

    def le(self, a, b):
        return bool(self.F[a[0]][6](self._sf(a), self._sf(b)))

    def eq(self, a, b):
        return bool(self.F[a[0]][7](self._sf(a), self._sf(b)))

    def select(self, c, a, b):
        if isinstance(c, tuple):
            c = c[2] != 0
        return a if c else b

    def from_bits(self, i):
        return (32, i[2] & 0xFFFFFFFF)

    def land(self, a, b):
        return a and b

    def lor(self, a, b):
        return a or b

    def lnot(self, a):
        return not a

    def ic(self, n, t):
        return self._wrap(*self._type(t), n)

    def iop(self, op, a, b, t):
        x, y = a[2], b[2]
        if op == "<<":
            v = x << y
        elif op == ">>":
            v = x >> y                       # arithmetic for a negative (signed) x
        else:
            v = {"+": x + y, "-": x - y, "*": x * y, "&": x & y, "|": x | y, "^": x ^ y}[op]
        return self._wrap(*self._type(t), v)

    def icmp(self, op, a, b):
        x, y = a[2], b[2]
        return {"==": x == y, "<": x < y, ">=": x >= y}[op]

    def icast(self, a, t):
        return self._wrap(*self._type(t), a[2])

    def fbits(self, a):
        return self._wrap(a[0], True, a[1])

    def from_fbits(self, i, fmt):
        return (fmt.bits, i[2] & ((1 << fmt.bits) - 1))

    def ftof(self, a, fmt):
        conv = sf.f32_to_f64 if a[0] == 32 else sf.f64_to_f32
        return self._raw(fmt.bits, conv(self._sf(a)))

    def i2f(self, i, fmt):
        assert i[0] <= 64 and fmt == float64
        if i[1]:
            return self._raw(64, sf.i64_to_f64(sf.Int64.from_int(i[2])))
        return self._raw(64, sf.ui64_to_f64(sf.UInt64.from_int(i[2])))


def corpus(fn, randoms, seed=7):
    return bench.corpus(fn, randoms, np.random.default_rng(seed))


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_numpy_evaluation_matches_softfloat(fn):
    args = [a[::3] for a in corpus(fn, 600)]
    got = bits(float_math.evaluate(fn, *args))
    ops = SoftOps()
    want = [float_math.ALGORITHMS[fn](ops, *[(32, int(b)) for b in row])[1]
            for row in zip(*(bits(a) for a in args))]
    bad = [(row, hex(int(g)), hex(w)) for *row, g, w in zip(*args, got, want) if g != w]
    assert not bad, f"{len(bad)} of {len(got)} differ (inputs, numpy, softfloat): {bad[:4]}"


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_error_within_half_an_ulp_and_a_bit(fn):
    args = corpus(fn, SAMPLES, seed=11)
    errs = bench.errors(fn, args)
    worst = int(np.argmax(errs))
    assert errs[worst] < 0.501, (fn, [a[worst] for a in args], errs[worst])


def test_reduction_table_is_two_over_pi():
    mpmath.mp.dps = 100
    assert float_trig.TWO_OVER_PI == int(mpmath.floor(2 / mpmath.pi * mpmath.mpf(2) ** 224))
    assert float_trig.PIO2_2M64 == float(mpmath.pi / 2 * mpmath.mpf(2) ** -64)


def hard_reduction_cases(exponents, per_exponent=4):
    """float32 m 2**e (m a 24-bit integer) nearest to multiples of pi/2: for each e, the m whose
    m 2**e 2/pi is nearest an integer (found in float64, which is accurate to 2**-29 here;
    these cases leave about 30 bits of fraction, the hardest for the reduction)."""
    mpmath.mp.dps = 80
    m = np.arange(1 << 23, 1 << 24, dtype=np.float64)
    out = []
    for e in exponents:
        c = float(mpmath.frac(mpmath.mpf(2) ** e * 2 / mpmath.pi))
        p = m * c
        dist = np.abs(p - np.rint(p))
        for i in np.argpartition(dist, per_exponent)[:per_exponent]:
            out.append(np.float32(m[i] * 2.0 ** e))
    return np.array(out, dtype=np.float32)


def test_large_arguments_reduce_exactly():
    """The hard cases of reduction over the whole exponent range, and the largest float32:
    the reduced argument keeps its bits (error below 0.501 ulp)."""
    # 16367173 * 2**72: the float32 nearest to a multiple of pi/2 (x 2/pi is 2**-29.86 from
    # an integer; found by the search of hard_reduction_cases over every exponent, 19 s)
    xs = np.concatenate([hard_reduction_cases([-1, 7, 23, 64, 104]),
                         np.float32([16367173 * 2.0 ** 72, float.fromhex("0x1.fffffep127"),
                                     2.0 ** 127])])
    for fn in ("sin", "cos", "tan"):
        errs = bench.errors(fn, (xs,))
        assert errs.max() < 0.501, (fn, xs[int(np.argmax(errs))], errs.max())


def test_power_special_cases_are_c99():
    v = np.array(bench.POW_EDGES, dtype=np.float32)
    x, y = np.repeat(v, len(v)), np.tile(v, len(v))
    got = float_math.evaluate("power", x, y)
    with np.errstate(all="ignore"):
        libm = np.power(x.astype(np.float64), y.astype(np.float64))   # C's pow
    for a, b, g, c in zip(x, y, got, libm):
        want = bench.pow_special(float(a), float(b))
        if want is None:
            continue
        same = want == c and np.signbit(want) == np.signbit(c)
        assert (np.isnan(want) and np.isnan(c)) or same, (a, b)
        assert (np.isnan(g) and bits(g) == 0x7FC00000) if np.isnan(want) else \
            (g == want and np.signbit(g) == np.signbit(want)), (a, b, g, want)


def test_sin_cos_special_values():
    ev = float_math.evaluate
    for fn in ("sin", "cos"):
        for x in (np.inf, -np.inf, np.nan):
            assert bits(ev(fn, np.float32(x))) == 0x7FC00000, (fn, x)
    assert bits(ev("sin", -np.float32(0))) == 0x80000000 and ev("cos", -np.float32(0)) == 1
    tiny = np.uint32(0x80000001).view(np.float32)
    assert bits(ev("sin", tiny)) == 0x80000001 and ev("cos", tiny) == 1


def test_coefficients_come_from_the_fit_script():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
    import fit_float_math as fit
    where = {"SIN_S": float_trig, "COS_C": float_trig, "LOG2_P": float_pow, "EXP2_P": float_pow,
             "EXP64_P": float_math64, "LOG64_R": float_math64, "SIN64_S": float_trig64,
             "COS64_C": float_trig64, "TANH64_P": float_math64, "TANH64_MID": float_math64}
    for name, (fn, lo, hi, degree) in fit.FITS64.items():
        coeffs, err = fit.fit64(fn, lo, hi, degree)
        assert coeffs == getattr(where[name], name), name
        assert err < 2 ** -39, (name, err)


# --- hardware --------------------------------------------------------------------------
def k_trig(A: float32[8], Y: float32[8]) -> (float32[8], float32[8], float32[8], float32[8],
                                               float32[8]):
    S: float32[8] = 0.0
    C: float32[8] = 0.0
    T: float32[8] = 0.0
    P: float32[8] = 0.0
    Q: float32[8] = 0.0
    for i in range(8):
        S[i] = allo.sin(A[i])
        C[i] = allo.cos(A[i])
        T[i] = allo.tan(A[i])
        P[i] = A[i] ** Y[i]
        Q[i] = allo.power(A[i], 3.0)
    return S, C, T, P, Q


def trig_inputs(seed: int):
    rng = np.random.default_rng(seed)
    a = np.concatenate([np.float32([0.5, -3.0, 3.4028235e38, -1e-40, np.inf, -0.0]),
                        rng.uniform(-50, 50, 2).astype(np.float32)])
    y = np.concatenate([np.float32([3.0, -2.0, -0.01, 0.5, -2.0, -3.0]),
                        rng.uniform(-6, 6, 2).astype(np.float32)])
    return a, y


def trig_expected(a, y):
    ev = float_math.evaluate
    return [ev("sin", a), ev("cos", a), ev("tan", a), ev("power", a, y),
            ev("cube", a)]                # power(x, 3.0): a constant 3 is a cube


def test_hardware_bit_exact():
    a, y = trig_inputs(0)
    s = allo.customize(k_trig)
    hw = s.build()(a.copy(), y.copy())
    py = s.build(target="python")(a.copy(), y.copy())
    for h, p, w, fn in zip(hw, py, trig_expected(a, y), ["sin", "cos", "tan", "**", "power"]):
        assert np.array_equal(bits(p), bits(w)), f"interpreter {fn}"
        assert np.array_equal(bits(h), bits(w)), f"hardware {fn}: {bits(h)} {bits(w)}"


def k_trig4(A: float32[3], Y: float32[3], X: float64[3]) -> (float32[3], float64[3]):
    B: float32[3] = 0.0
    D: float64[3] = 0.0
    for i in range(3):
        B[i] = allo.sin(A[i]) + allo.cos(A[i]) * allo.power(A[i], Y[i]) - allo.tan(A[i])
        D[i] = allo.exp(X[i]) + allo.log(X[i])
    return B, D


@pytest.mark.parametrize("target", [pytest.param("icarus", marks=pytest.mark.icarus),
                                    # ~100 s of CPU (the Verilator build): pytest -m long
                                    pytest.param("verilator", marks=[pytest.mark.verilator,
                                                                     pytest.mark.long])])
def test_on_rtl_simulators(target):
    """float32 sin/cos/tan/power and float64 exp/log (tests/test_float_math64.py) in one
    design: one Verilator build."""
    a, y = np.float32([1e30, -2.5, 7.0]), np.float32([0.5, 3.0, -1.5])
    x = np.float64([0.1, 1.7, 300.0])
    s = allo.customize(k_trig4)
    ref = s.build()
    want = ref(a.copy(), y.copy(), x.copy())
    ev, ev64 = float_math.evaluate, float_math.evaluate64
    exact = ev("sin", a) + ev("cos", a) * ev("power", a, y) - ev("tan", a)
    assert np.array_equal(bits(want[0]), bits(exact))
    assert np.array_equal(want[1], ev64("exp", x) + ev64("log", x))
    mod = s.build(target=target)
    got = mod(a.copy(), y.copy(), x.copy())
    assert np.array_equal(bits(got[0]), bits(want[0])) and mod.cycles == ref.cycles
    assert np.array_equal(np.asarray(got[1]).view(np.uint64), np.asarray(want[1]).view(np.uint64))


def k_sin16(A: float16[4]) -> float16[4]:
    B: float16[4] = 0.0
    for i in range(4):
        B[i] = allo.sin(A[i])
    return B


def test_float16_sin_is_the_float32_one_rounded():
    a = np.float16([0.5, -3.0, 1000.0, np.inf])
    s = allo.customize(k_sin16)
    want = float_math.evaluate("sin", a.astype(np.float32)).astype(np.float16)
    assert np.array_equal(np.asarray(s.build(target="python")(a.copy())).view(np.uint16)[:3],
                          want.view(np.uint16)[:3])


def k_log2(A: float32[4]) -> float32[4]:
    B: float32[4] = 0.0
    for i in range(4):
        B[i] = allo.log2(A[i])
    return B


def test_log2_refused_at_the_line():
    with pytest.raises(AlloError) as err:
        allo.customize(k_log2).build()
    assert "test_float_trig_pow.py" in str(err.value)



def k_sin_pow(A: float32[6], Y: float32[6]) -> (float32[6], float32[6]):
    S: float32[6] = 0.0
    P: float32[6] = 0.0
    for i in range(6):
        S[i] = allo.sin(A[i])
        P[i] = allo.power(A[i], Y[i])
    return S, P


def test_pipelined_bit_exact():
    """Pipelined at II 1 every op of the expansion has its own unit (the wide integer ops
    too): same bits."""
    a, y = (v[:6] for v in trig_inputs(3))
    s = allo.customize(k_sin_pow)
    s.pipeline("i")
    mod = s.build()
    got_s, got_p = mod(a.copy(), y.copy())
    assert np.array_equal(bits(got_s), bits(float_math.evaluate("sin", a)))
    assert np.array_equal(bits(got_p), bits(float_math.evaluate("power", a, y)))
    assert "II=1 as requested" in str(mod.report())


def k_int_pow(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i] ** 2
    return B


def test_integer_power_refused_as_allo_does():
    with pytest.raises(AlloError) as err:
        allo.customize(k_int_pow)
    assert "needs a float operand" in str(err.value) and "test_float_trig_pow.py" in str(err.value)
