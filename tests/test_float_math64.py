"""float64 exp, log and tanh (issue 14; ``ir/float_math64.py``): the numpy evaluation equals the
algorithm run op by op on SoftFloat; the error against mpmath is below one ulp on a sample
(the long run: ``benchmarks/bench_float_math.py --samples 1000000 --fn exp64 --fn log64``);
hardware gives the interpreter's bits (Amaranth here; Icarus and Verilator in
tests/test_float_trig_pow.py::test_on_rtl_simulators, one design with the float32 functions)."""
import os
import sys

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloError
from allo_rtl.ir import float_math, float_math64
from allo_rtl.ir.types import float64

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
import bench_float_math as bench  # noqa: E402
from test_float_trig_pow import SoftOps  # noqa: E402

SAMPLES = int(os.environ.get("ALLO_FLOAT_SAMPLES", "3000"))


def bits64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).view(np.uint64)


@pytest.mark.parametrize("fn", ["exp", "log", "tanh"])
def test_numpy_evaluation_matches_softfloat(fn):
    (xs,) = bench.corpus(fn + "64", 400, np.random.default_rng(5))
    got = bits64(float_math.evaluate64(fn, xs))
    ops = SoftOps()
    want = [float_math64.ALGORITHMS[fn](ops, (64, int(b)))[1] for b in bits64(xs)]
    bad = [(hex(int(b)), hex(int(g)), hex(w)) for b, g, w in zip(bits64(xs), got, want) if g != w]
    assert not bad, f"{len(bad)} differ (input, numpy, softfloat): {bad[:4]}"


@pytest.mark.parametrize("fn", ["exp", "log", "tanh"])
def test_error_below_one_ulp(fn):
    args = bench.corpus(fn + "64", SAMPLES, np.random.default_rng(13))
    errs = bench.errors(fn + "64", args)
    worst = int(np.argmax(errs))
    assert errs[worst] < 1.0, (fn, args[0][worst], errs[worst])


def test_special_values():
    ev = float_math.evaluate64
    inf = np.inf
    assert ev("exp", -inf) == 0 and ev("exp", inf) == inf and ev("exp", 0.0) == 1
    assert ev("exp", 709.79) == inf and ev("exp", -745.2) == 0
    assert ev("exp", -745.0) == 5e-324                     # the smallest subnormal
    assert ev("log", 0.0) == -inf and ev("log", -0.0) == -inf and ev("log", inf) == inf
    assert bits64(ev("log", -1.0)) == 0x7FF8000000000000 and bits64(ev("log", 1.0)) == 0
    assert ev("log", 5e-324) == -744.4400719213812
    assert ev("tanh", np.inf) == 1 and ev("tanh", -np.inf) == -1 and ev("tanh", 25.0) == 1
    assert bits64(ev("tanh", -0.0)) == 1 << 63 and ev("tanh", 5e-324) == 5e-324
    assert bits64(ev("tanh", np.nan)) == 0x7FF8000000000000


def k_math64(A: float64[10]) -> (float64[10], float64[10], float64[10]):
    E: float64[10] = 0.0
    L: float64[10] = 0.0
    T: float64[10] = 0.0
    for i in range(10):
        E[i] = allo.exp(A[i])
        L[i] = allo.log(A[i])
        T[i] = allo.tanh(A[i])
    return E, L, T


def hw_inputs64():
    return np.array([0.0, -0.0, 5e-324, 709.78, -745.0, np.inf, np.nan, 1.0, 0.3, 0.9])


def test_hardware_bit_exact():
    a = hw_inputs64()
    s = allo.customize(k_math64)
    hw = s.build()(a.copy())
    py = s.build(target="python")(a.copy())
    for h, p, fn in zip(hw, py, ["exp", "log", "tanh"]):
        want = bits64(float_math.evaluate64(fn, a))
        assert np.array_equal(bits64(p), want), f"interpreter {fn}"
        assert np.array_equal(bits64(h), want), f"hardware {fn}: {bits64(h)} {want}"


def k_power64(A: float64[4]) -> float64[4]:
    B: float64[4] = 0.0
    for i in range(4):
        B[i] = allo.power(A[i], 0.5)
    return B


def test_other_float64_functions_refused_at_the_line():
    with pytest.raises(AlloError) as err:
        allo.customize(k_power64).build()
    assert "test_float_math64.py" in str(err.value) and "float64" in str(err.value)


def test_tanh_mid_point_is_tanh_of_its_centre():
    import mpmath
    mpmath.mp.dps = 60
    t0 = mpmath.tanh(mpmath.mpf(0.875))
    hi, lo = float_math64.TANH64_MID_T0
    assert hi == float(t0) and lo == float(t0 - mpmath.mpf(hi))
