"""``x ** 2`` and ``x ** 3`` (also ``allo.power(x, 3.0)``) with a constant exponent are
products (``float_pow.square``/``cube``), not the general log/exp sequence: square is numpy's
float32 ``x * x`` bit for bit, cube within 0.5001 ulp of mpmath's exact cube with C's special
values; hardware gives the interpreter's bits; other exponents and float64 stay ``power``."""
import os
import sys

import numpy as np

import allo_rtl as allo
from allo_rtl.ir import float_math
from allo_rtl.ir.types import float32, float64

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
import bench_float_math as bench  # noqa: E402


def bits(x):
    return np.asarray(x, dtype=np.float32).view(np.uint32)


def sample(n, seed):
    rng = np.random.default_rng(seed)
    patterns = rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    edges = np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3.4028235e38,
                        -3.4028235e38, 1.0, -1.0, 6.9e12, -7e12, 1.2e-15])
    return np.concatenate([edges, patterns, rng.uniform(-50, 50, n).astype(np.float32)])


def test_square_is_the_float32_product():
    x = sample(20000, 1)
    with np.errstate(all="ignore"):
        want = x * x
    got = float_math.evaluate("square", x)
    same = (bits(got) == bits(want)) | (np.isnan(got) & np.isnan(want))
    assert same.all(), x[~same][:4]


def test_cube_error_and_special_values():
    x = sample(3000, 2)
    got = float_math.evaluate("cube", x)
    errs = [bench.ulp_error("power", a, g, np.float32(3)) for a, g in zip(x, got)]
    worst = int(np.argmax(errs))
    assert errs[worst] < 0.5001, (x[worst], got[worst], errs[worst])
    assert bits(float_math.evaluate("cube", np.float32(-0.0))) == 0x80000000
    assert float_math.evaluate("cube", np.float32(-np.inf)) == -np.inf


def k_powers(A: float32[6]) -> (float32[6], float32[6], float32[6]):
    S: float32[6] = 0.0
    C: float32[6] = 0.0
    G: float32[6] = 0.0
    for i in range(6):
        S[i] = A[i] ** 2
        C[i] = allo.power(A[i], 3.0)
        G[i] = A[i] ** 3 - A[i] * A[i] * A[i]     # a cube and two float32 products
    return S, C, G


def k_others(A: float32[2], D: float64[2]) -> (float32[2], float64[2]):
    P: float32[2] = 0.0
    E: float64[2] = 0.0
    for i in range(2):
        P[i] = A[i] ** 2.5
        E[i] = D[i] ** 2
    return P, E


def test_constant_exponents_lower_to_products_in_the_ir():
    text = str(allo.customize(k_powers))
    assert "square(" in text and text.count("cube(") == 2 and "power(" not in text
    other = str(allo.customize(k_others))
    assert other.count("power(") == 2 and "square(" not in other


def test_hardware_gives_the_interpreter_bits():
    a = np.float32([1.5, -2.0, 3e12, -1e-20, np.inf, 7.25])
    s = allo.customize(k_powers)
    hw = s.build()(a.copy())
    py = s.build(target="python")(a.copy())
    cube = float_math.evaluate("cube", a)
    with np.errstate(all="ignore"):
        want = [a * a, cube, cube - a * a * a]

    def same(x, y):              # bit for bit; a NaN is the canonical one in hardware
        return ((bits(x) == bits(y)) | (np.isnan(x) & np.isnan(y))).all()
    for h, p, w in zip(hw, py, want):
        assert same(p, w) and same(h, w), (h, p, w)
        assert not np.isnan(h).any() or (bits(h)[np.isnan(h)] == 0x7FC00000).all()
