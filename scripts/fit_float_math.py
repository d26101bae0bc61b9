"""Fit the polynomial coefficients of ``allo_rtl/ir/float_math.py`` (exp, log, tanh) and of
``float_trig.py`` / ``float_pow.py`` (sin, cos, power: float64 polynomials, ``FITS64``).

Each polynomial approximates a smooth remainder function on its reduced range: weighted least
squares on Chebyshev nodes against mpmath (60 digits), iterated with Lawson's reweighting so
the relative error approaches equioscillation (near-minimax), then rounded to float32. Prints
the float32 coefficients as hex floats and each fit's maximum relative error in float64.

The float64 polynomials are mpmath's Chebyshev fits (``chebyfit``, 50 digits) rounded to
float64: least squares in float64 could not reach their 2**-40 .. 2**-52.

    python scripts/fit_float_math.py
"""
import warnings

import mpmath
import numpy as np

mpmath.mp.dps = 60


def fit(fn, lo, hi, degree, nodes=2000, lawson=30):
    k = np.arange(nodes)
    x = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / nodes)
    y = np.array([float(fn(mpmath.mpf(float(v)))) for v in x])
    basis = np.vander(x, degree + 1, increasing=True)
    weights = np.ones(nodes) / nodes
    for _ in range(lawson):
        w = np.sqrt(weights) / np.abs(y)
        coef = np.linalg.lstsq(basis * w[:, None], y * w, rcond=None)[0]
        err = np.abs(basis @ coef - y) / np.abs(y)
        weights = weights * err
        weights /= weights.sum()
    c32 = coef.astype(np.float32)
    err32 = np.max(np.abs(basis @ c32.astype(np.float64) - y) / np.abs(y))
    return c32, err32


def expm1_minus_r(r):        # (exp(r) - 1 - r) / r**2
    return (mpmath.expm1(r) - r) / r ** 2 if r != 0 else mpmath.mpf(0.5)


def atanh_remainder(z):      # R(z) / z with R = 2 atanh(s) / s - 2, s = sqrt(z)
    s = mpmath.sqrt(z)
    return (2 * mpmath.atanh(s) / s - 2) / z if z != 0 else mpmath.mpf(2) / 3


def tanh_remainder(z):       # (tanh(x) - x) / x**3, z = x**2
    x = mpmath.sqrt(z)
    return (mpmath.tanh(x) - x) / x ** 3 if z != 0 else -mpmath.mpf(1) / 3


TANH_MID_CENTER = 0.875
TANH_MID_T0 = mpmath.tanh(mpmath.mpf(TANH_MID_CENTER))


def tanh_mid(t):             # (tanh(c + t) - tanh(c)) / t around c = TANH_MID_CENTER
    return ((mpmath.tanh(TANH_MID_CENTER + t) - TANH_MID_T0) / t if t != 0
            else 1 - TANH_MID_T0 ** 2)


FITS = {
    "EXP_P": (expm1_minus_r, -0.3467, 0.3467, 5),
    "LOG_R": (atanh_remainder, 1e-12, 0.02944, 3),
    "TANH_P": (tanh_remainder, 1e-12, 0.75 ** 2, 6),
    "TANH_MID": (tanh_mid, -0.125, 0.125, 6),
}

def fit64(fn, lo, hi, degree):
    """Float64 coefficients (lowest degree first) of a Chebyshev fit of ``fn`` on [lo, hi]
    and the fit's maximum relative error (with the rounded coefficients, on 400 points)."""
    with warnings.catch_warnings():     # newer mpmath prefers asc=True, 1.3 lacks it
        warnings.simplefilter("ignore", DeprecationWarning)
        poly = mpmath.chebyfit(fn, [mpmath.mpf(lo), mpmath.mpf(hi)], degree + 1)
    c64 = tuple(float(c) for c in reversed(poly))

    def value(x):
        acc = mpmath.mpf(0)
        for c in reversed(c64):
            acc = acc * x + c
        return acc
    points = [mpmath.mpf(lo) + (mpmath.mpf(hi) - lo) * i / 399 for i in range(400)]
    err = max(abs(value(x) / fn(x) - 1) for x in points)
    return c64, float(err)


def sin_remainder(z):        # (sin(r) / r - 1) / z, z = r**2
    r = mpmath.sqrt(z)
    return (mpmath.sin(r) / r - 1) / z if z != 0 else -mpmath.mpf(1) / 6


def cos_remainder(z):        # (cos(r) - 1) / z, z = r**2
    return (mpmath.cos(mpmath.sqrt(z)) - 1) / z if z != 0 else -mpmath.mpf(1) / 2


def cos2_remainder(z):       # (cos(r) - 1 + z/2) / z**2, z = r**2 (float_trig64)
    return (mpmath.cos(mpmath.sqrt(z)) - 1 + z / 2) / z ** 2 if z != 0 else mpmath.mpf(1) / 24


def log2_atanh(z):           # log2(1 + f) / s with s = f / (2 + f), z = s**2
    s = mpmath.sqrt(z)
    return 2 * mpmath.atanh(s) / (s * mpmath.log(2)) if z != 0 else 2 / mpmath.log(2)


TRIG_Z_END = float((mpmath.pi / 4) ** 2 * mpmath.mpf("1.0001"))   # |r| <= pi/4, with margin
FITS64 = {
    "SIN_S": (sin_remainder, 0.0, TRIG_Z_END, 4),
    "COS_C": (cos_remainder, 0.0, TRIG_Z_END, 4),
    "LOG2_P": (log2_atanh, 0.0, 0.02945, 6),      # s**2 <= ((sqrt2 - 1) / (sqrt2 + 1))**2
    "EXP2_P": (lambda r: 2 ** r, -0.5, 0.5, 10),
    "EXP64_P": (expm1_minus_r, -0.3467, 0.3467, 10),     # float_math64
    "LOG64_R": (atanh_remainder, 0.0, 0.02944, 7),
    "TANH64_P": (tanh_remainder, 0.0, 0.75 ** 2, 12),
    "TANH64_MID": (tanh_mid, -0.125, 0.125, 12),
    "SIN64_S": (sin_remainder, 0.0, TRIG_Z_END, 6),       # float_trig64
    "COS64_C": (cos2_remainder, 0.0, TRIG_Z_END, 5),
}

if __name__ == "__main__":
    hi = np.float32(float(TANH_MID_T0))
    lo = np.float32(float(TANH_MID_T0 - mpmath.mpf(float(hi))))
    print(f"TANH_MID_T0 = ({float(hi).hex()!r}, {float(lo).hex()!r})")
    for name, (fn, lo, hi, degree) in FITS.items():
        c, err = fit(fn, lo, hi, degree)
        print(f"{name} = ({', '.join(repr(float(v).hex()) for v in c)})  # max rel err {err:.2e}")
    for name, (fn, lo, hi, degree) in FITS64.items():
        c, err = fit64(fn, lo, hi, degree)
        print(f"{name} = {tuple(v.hex() for v in c)}  # max rel err {err:.2e}")
