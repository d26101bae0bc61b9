"""float32 exp, log, tanh (issue 14): one algorithm (``allo_rtl/ir/float_math.py``) defines
the result bit for bit; checked here that

* its numpy evaluation (what the interpreter runs) equals the same algorithm evaluated op by op
  with Berkeley SoftFloat and Python integers (independent of numpy and of the hardware);
* the hardware (default build, Amaranth simulation) gives the interpreter's bits on edge and
  random inputs;
* the error against the correctly rounded result (mpmath) is below one ulp
  (``ALLO_FLOAT_SAMPLES`` inputs per function; the long run is
  ``benchmarks/bench_float_math.py --samples 1000000``).
"""
import os
import sys

import numpy as np
import pytest
import softfloatpy as sf

import allo_rtl as allo
from allo_rtl.errors import AlloError
from allo_rtl.ir import float_math
from allo_rtl.ir.types import bfloat16, float16, float32, float64

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
from bench_float_math import edge_inputs, random_inputs, ulp_error  # noqa: E402

SAMPLES = int(os.environ.get("ALLO_FLOAT_SAMPLES", "4000"))
FUNCTIONS = ["exp", "log", "tanh"]


def bits(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).view(np.uint32)


class SoftFloatOps:
    """The algorithms' operations on raw bits, scalar: SoftFloat (RISC-V: canonical NaN) for
    float arithmetic and compares, Python integers for the int32 ops."""

    @staticmethod
    def _f(b):
        return sf.Float32.from_bytes((b & 0xFFFFFFFF).to_bytes(4, "big"))

    @staticmethod
    def _b(x):
        return int.from_bytes(x.to_bytes(), "big")

    @staticmethod
    def _s32(n):
        n &= 0xFFFFFFFF
        return n - (1 << 32) if n >> 31 else n

    def _nan(self, b):
        return (b >> 23) & 0xFF == 0xFF and b & 0x7FFFFF

    def const(self, v):
        return int(np.float32(v).view(np.uint32))

    def iconst(self, n):
        return self._s32(n)

    def _arith(self, fn, a, b):
        return self._b(fn(self._f(a), self._f(b)))

    def add(self, a, b):
        return self._arith(sf.f32_add, a, b)

    def sub(self, a, b):
        return self._arith(sf.f32_sub, a, b)

    def mul(self, a, b):
        return self._arith(sf.f32_mul, a, b)

    def div(self, a, b):
        return self._arith(sf.f32_div, a, b)

    def _minmax(self, a, b, smaller):          # numpy minimum/maximum: NaN wins, ties: b
        if self._nan(a) or self._nan(b):
            return float_math.NAN_BITS
        a_wins = self.lt(a, b) if smaller else self.lt(b, a)
        return a if a_wins else b

    def fmin(self, a, b):
        return self._minmax(a, b, True)

    def fmax(self, a, b):
        return self._minmax(a, b, False)

    def abs(self, a):
        return a & 0x7FFFFFFF

    def neg(self, a):
        return a ^ 0x80000000

    def lt(self, a, b):
        return sf.f32_lt_quiet(self._f(a), self._f(b))

    def le(self, a, b):
        return sf.f32_le_quiet(self._f(a), self._f(b))

    def eq(self, a, b):
        return sf.f32_eq(self._f(a), self._f(b))

    def select(self, c, a, b):
        return a if c else b

    def bits(self, a):
        return self._s32(a)

    def from_bits(self, i):
        return i & 0xFFFFFFFF

    def iadd(self, a, b):
        return self._s32(a + b)

    def isub(self, a, b):
        return self._s32(a - b)

    def iand(self, a, b):
        return self._s32(a & b)

    def shl(self, a, n):
        return self._s32(a << n)

    def shr(self, a, n):
        return a >> n

    def itof(self, i):
        return self._b(sf.i32_to_f32(sf.Int32.from_int(i)))


def corpus(fn: str, randoms: int, seed: int = 7) -> np.ndarray:
    return np.concatenate([edge_inputs(fn), random_inputs(fn, randoms, np.random.default_rng(seed))])


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_numpy_evaluation_matches_softfloat(fn):
    xs = corpus(fn, 1500)
    got = bits(float_math.evaluate(fn, xs))
    ops = SoftFloatOps()
    want = [float_math.ALGORITHMS[fn](ops, int(b)) for b in bits(xs)]
    bad = [(hex(int(b)), hex(int(g)), hex(w)) for b, g, w in zip(bits(xs), got, want) if g != w]
    assert not bad, f"{len(bad)} differ (input, numpy, softfloat): {bad[:5]}"


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_error_below_one_ulp(fn):
    xs = corpus(fn, SAMPLES, seed=11)
    got = float_math.evaluate(fn, xs)
    errs = [ulp_error(fn, x, g) for x, g in zip(xs, got)]
    worst = int(np.argmax(errs))
    assert errs[worst] < 1.0, f"{fn}({xs[worst]!r}) = {got[worst]!r}: {errs[worst]} ulp"
    # and the special values are IEEE's
    assert np.array_equal(bits(float_math.evaluate(fn, np.float32([np.nan]))), [0x7FC00000])


def test_special_values():
    ev = float_math.evaluate
    inf = np.float32(np.inf)
    assert ev("exp", -inf) == 0 and ev("exp", inf) == inf and ev("exp", np.float32(0)) == 1
    assert ev("exp", np.float32(89)) == inf and ev("exp", np.float32(-104)) == 0
    assert ev("log", np.float32(0)) == -inf and ev("log", -np.float32(0)) == -inf
    assert ev("log", inf) == inf and np.isnan(ev("log", np.float32(-1)))
    assert ev("log", np.float32(1)) == 0 and bits(ev("log", np.float32(1))) == 0
    assert ev("tanh", inf) == 1 and ev("tanh", -inf) == -1
    assert bits(ev("tanh", -np.float32(0))) == 0x80000000
    tiny = np.uint32(1).view(np.float32)                       # tanh(x) = x for subnormals
    assert bits(ev("tanh", -tiny)) == 0x80000001


# --- hardware --------------------------------------------------------------------------
def k_math(A: float32[48]) -> (float32[48], float32[48], float32[48]):
    E: float32[48] = 0.0
    L: float32[48] = 0.0
    T: float32[48] = 0.0
    for i in range(48):
        E[i] = allo.exp(A[i])
        L[i] = allo.log(A[i])
        T[i] = allo.tanh(A[i])
    return E, L, T


def hw_inputs(seed: int) -> np.ndarray:
    special = np.array([0, 0x80000000, 1, 0x80000001, 0x00800000, 0x7F7FFFFF, 0x7F800000,
                        0xFF800000, 0x7FC00000, 0x3F800000, 0xBF800000, 0x3F3504F3],
                       dtype=np.uint32).view(np.float32)
    vals = np.float32([88.72283, -103.97208, 0.75, 0.875, 1.0, -0.5, 9.5, 2.0, 0.3465736,
                       1e-40, 20.0, -3.0])
    rng = np.random.default_rng(seed)
    rand = np.concatenate([rng.uniform(-12, 12, 12).astype(np.float32),
                           rng.integers(0, 2 ** 32, 12, dtype=np.uint64).astype(np.uint32)
                           .view(np.float32)])
    return np.concatenate([special, vals, rand])


@pytest.mark.parametrize("seed", [0])
def test_hardware_bit_exact(seed):
    a = hw_inputs(seed)
    s = allo.customize(k_math)
    hw = s.build()(a.copy())
    py = s.build(target="python")(a.copy())
    for h, p, fn in zip(hw, py, FUNCTIONS):
        want = bits(float_math.evaluate(fn, a))
        assert np.array_equal(bits(p), want), f"interpreter {fn}"
        assert np.array_equal(bits(h), want), f"hardware {fn}: {np.flatnonzero(bits(h) != want)}"


def k_sigmoid(A: float32[8]) -> float32[8]:
    B: float32[8] = 0.0
    for i in range(8):
        B[i] = 1.0 / (1.0 + allo.exp(-A[i]))
    return B


def test_sigmoid_kernel_in_hardware():
    a = np.float32([-20, -3, -0.5, 0, 0.25, 1, 4, 90])
    got = allo.customize(k_sigmoid).build()(a.copy())
    with np.errstate(all="ignore"):
        want = np.float32(1) / (np.float32(1) + float_math.evaluate("exp", -a))
    assert np.array_equal(bits(got), bits(want))


def k_log2_64(A: float64[4]) -> float64[4]:
    B: float64[4] = 0.0
    for i in range(4):
        B[i] = allo.log2(A[i])           # float64 sin/cos/tan/tanh run in hardware now
    return B


@pytest.mark.parametrize("kernel", [k_log2_64])
def test_other_transcendentals_refused_at_the_line(kernel):
    with pytest.raises(AlloError) as err:
        allo.customize(kernel).build()
    assert "test_float_math.py" in str(err.value)


def k_exp_log(A: float32[16]) -> (float32[16], float32[16]):
    B: float32[16] = 0.0
    C: float32[16] = 0.0
    for i in range(16):
        B[i] = allo.exp(A[i])
        C[i] = allo.log(A[i])
    return B, C


def test_pipelined_exp_log_bit_exact():
    """Pipelined at II 1 every op of the expansion has its own unit: same bits."""
    a = np.concatenate([np.float32([0.0, -1.0, 1e-40, np.inf]), hw_inputs(5)[-12:]])
    s = allo.customize(k_exp_log)
    s.pipeline("i")
    mod = s.build()
    e, l = mod(a.copy())
    assert np.array_equal(bits(e), bits(float_math.evaluate("exp", a)))
    assert np.array_equal(bits(l), bits(float_math.evaluate("log", a)))
    assert "II=1 as requested" in str(mod.report())


def k_math4(A: float32[4]) -> float32[4]:
    B: float32[4] = 0.0
    for i in range(4):
        B[i] = allo.exp(A[i]) + allo.log(A[i]) * allo.tanh(A[i])
    return B


@pytest.mark.verilator
def test_transcendentals_on_verilator():
    a = np.float32([0.5, 3.0, 1e-40, 80.0])
    s = allo.customize(k_math4)
    ref = s.build()
    want = ref(a.copy())
    mod = s.build(target="verilator")
    got = mod(a.copy())
    ev = float_math.evaluate
    with np.errstate(all="ignore"):
        exact = ev("exp", a) + ev("log", a) * ev("tanh", a)
    assert np.array_equal(bits(want), bits(exact))
    assert np.array_equal(bits(got), bits(want)) and mod.cycles == ref.cycles


# --- float16 / bfloat16: the float32 algorithm on the widened value, rounded once ----------
def test_float16_results_within_half_an_ulp_and_a_bit():
    """Every third float16 (exhaustive: 0.50004 ulp at most): the float32 result's error is
    2**-13 of a float16 ulp, so only results within that of a tie may round the wrong way."""
    import mpmath
    mpmath.mp.dps = 30
    xs = np.arange(0, 1 << 16, 3, dtype=np.uint32).astype(np.uint16).view(np.float16)
    xs = xs[np.isfinite(xs)]
    exact = {"exp": mpmath.exp, "log": mpmath.log, "tanh": mpmath.tanh}
    for fn in FUNCTIONS:
        with np.errstate(all="ignore"):
            got = float_math.evaluate(fn, xs.astype(np.float32)).astype(np.float16)
        for x, g in zip(xs, got):
            if fn == "log" and x <= 0:
                continue
            e = exact[fn](mpmath.mpf(float(x)))
            if abs(e) >= 65520:                         # rounds to inf
                assert np.isinf(g), (fn, x)
                continue
            a = abs(e)
            ulp = 2.0 ** -24 if a < 2 ** -14 else 2.0 ** (int(mpmath.floor(mpmath.log(a, 2))) - 10)
            assert abs(mpmath.mpf(float(g)) - e) / ulp < 0.5001, (fn, x, g)


def mk_math16(T):
    def k(A: T[12]) -> (T[12], T[12], T[12]):
        E: T[12] = 0.0
        L: T[12] = 0.0
        H: T[12] = 0.0
        for i in range(12):
            E[i] = allo.exp(A[i])
            L[i] = allo.log(A[i])
            H[i] = allo.tanh(A[i])
        return E, L, H
    return k


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_half_formats_in_hardware_bit_exact(name):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    t, dt = {"float16": (float16, np.float16), "bfloat16": (bfloat16, ml_dtypes.bfloat16)}[name]
    a = np.array([0.0, -0.0, 1.0, -2.5, 0.01, 7.0, 11.0, -11.5, 1e-5, np.inf, -np.inf, np.nan],
                 dtype=np.float32).astype(dt)
    s = allo.customize(mk_math16(t))
    hw = s.build()(a.copy())
    py = s.build(target="python")(a.copy())
    for h, p, fn in zip(hw, py, FUNCTIONS):
        with np.errstate(all="ignore"):
            want = float_math.evaluate(fn, a.astype(np.float32)).astype(dt)
        w = want.view(np.uint16).copy()
        w[np.isnan(want.astype(np.float32))] = t.canonical_nan.view(np.uint16)
        assert np.array_equal(np.asarray(p).view(np.uint16), w), f"interpreter {fn}"
        assert np.array_equal(np.asarray(h).view(np.uint16), w), f"hardware {fn}"


def test_coefficients_come_from_the_fit_script():
    """scripts/fit_float_math.py reproduces every polynomial of float_math (so they can be
    refitted, e.g. for another range, and nobody's table was pasted in)."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
    import fit_float_math as fit
    for name, (fn, lo, hi, degree) in fit.FITS.items():
        coeffs, _ = fit.fit(fn, lo, hi, degree)
        assert tuple(float(c) for c in coeffs) == getattr(float_math, name), name
    hi = float(np.float32(float(fit.TANH_MID_T0)))
    assert float_math.TANH_MID_T0[0] == hi and fit.TANH_MID_CENTER == float_math.TANH_MID_CENTER
