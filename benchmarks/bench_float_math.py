"""Error of the float32 exp, log, tanh, sin, cos and power (``allo_rtl/ir/float_math.py``,
``float_trig.py``, ``float_pow.py``: the interpreter's and the hardware's one algorithm)
against the correctly rounded result, in ulps, over random inputs and an edge corpus; mpmath
(40 digits; it reduces sin/cos arguments of any size exactly) gives the exact value.

    python benchmarks/bench_float_math.py [--samples 1000000]

An ulp is the spacing of float32 values at the exact result's magnitude (2**-149 for
subnormals); results that should be inf/0/NaN must be exactly that. Prints, per function,
the maximum ulp error, the share of results that are correctly rounded and the worst input.
"""
from __future__ import annotations

import argparse
import sys

import mpmath
import numpy as np

from allo_rtl.ir import float_math

mpmath.mp.dps = 40
MAX32 = float(np.finfo(np.float32).max)
EXACT = {"exp": mpmath.exp, "log": mpmath.log, "tanh": mpmath.tanh, "sin": mpmath.sin,
         "cos": mpmath.cos, "tan": mpmath.tan, "power": mpmath.power}
#: where each function's result changes: random values are drawn mostly from here
RANGES = {"exp": (-104.0, 89.0), "log": (0.0, 4.0), "tanh": (-10.0, 10.0),
          "sin": (-100.0, 100.0), "cos": (-100.0, 100.0), "tan": (-100.0, 100.0)}
#: float64 functions (``float_math64``), measured as "<name>64"
WIDE = ("exp", "log", "tanh", "sin", "cos", "tan")
RANGES64 = {"exp": (-746.0, 710.0), "log": (0.0, 4.0), "tanh": (-20.0, 20.0), "sin": (-100.0, 100.0),
            "cos": (-100.0, 100.0), "tan": (-100.0, 100.0)}
#: float64 trig edges: multiples of pi/2 (rounded), the float64 nearest to one
#: (6381956970095103 * 2**797, |x mod pi/2| ~ 2**-61), the range ends
TRIG64_EDGES = [np.pi / 4, np.pi / 2, np.pi, 3 * np.pi / 2, 2 * np.pi, 1e4 * np.pi, 1e22,
                6381956970095103 * 2.0 ** 797, 2.0 ** 1023, 1.7976931348623157e308,
                float.fromhex("0x1.921fb54442d18p-1"), 1e-300, 2.0 ** 53, 2.0 ** 63 * np.pi]
FUNCTIONS = tuple(EXACT) + tuple(f + "64" for f in WIDE)
MAX64 = float(np.finfo(np.float64).max)
#: per format: (smallest normal exponent, mantissa bits, largest exponent, largest value)
FORMATS = {32: (-126, 23, 127, MAX32), 64: (-1022, 52, 1023, MAX64)}


def split(fn: str):
    """("exp", 64) for "exp64", ("exp", 32) for "exp"."""
    return (fn[:-2], 64) if fn.endswith("64") else (fn, 32)


def ulp_of(v: mpmath.mpf, width: int = 32) -> float:
    """float32 (float64) ulp at the magnitude of exact ``v``."""
    emin, mant, emax, _ = FORMATS[width]
    a = abs(v)
    if a < 2.0 ** emin:
        return 2.0 ** (emin - mant)
    e = int(mpmath.floor(mpmath.log(a, 2)))
    if mpmath.mpf(2) ** (e + 1) <= a:      # log rounding at powers of two
        e += 1
    if mpmath.mpf(2) ** e > a:
        e -= 1
    return 2.0 ** (min(e, emax) - mant)


def pow_special(x: float, y: float):
    """C99's powf where the result is not |x|**y rounded (F.9.4.4): the value, or None. numpy's
    float64 power gives C's pow; written out here so the check does not rest on it."""
    nan = float("nan")
    if y == 0 or x == 1:
        return 1.0
    if np.isnan(x) or np.isnan(y):
        return nan
    odd = np.isfinite(y) and y == np.trunc(y) and abs(y) < 2 ** 24 and int(y) % 2 == 1
    if x == -1 and np.isinf(y):
        return 1.0
    if np.isinf(y):
        return (0.0 if abs(x) < 1 else np.inf) if y > 0 else (np.inf if abs(x) < 1 else 0.0)
    if x == 0 or np.isinf(x):
        big = (x == 0) == (y < 0)                   # 0**-y and inf**y are infinite
        mag = np.inf if big else 0.0
        return -mag if (np.signbit(x) and odd) else mag
    if x < 0 and y != np.trunc(y):
        return nan
    return None


def ulp_error(fn: str, x: np.float32, got: np.float32, y=None) -> float:
    """|got - exact| in ulps; 0 when both are the same special value; inf when a special
    value is wrong."""
    xf = float(x)
    fn, width = split(fn)
    if fn == "power":
        return _pow_ulp_error(xf, float(y), got)
    if fn in ("sin", "cos", "tan") and not np.isfinite(xf):
        return 0.0 if np.isnan(got) else float("inf")
    if np.isnan(xf) or (fn == "log" and xf < 0):
        return 0.0 if np.isnan(got) else float("inf")
    if fn == "log" and xf == 0:
        return 0.0 if got == -np.inf else float("inf")
    if np.isinf(xf):
        want = {"exp": (np.inf if xf > 0 else 0.0), "log": np.inf, "tanh": np.sign(xf)}[fn]
        return 0.0 if got == want else float("inf")
    return _ulps(EXACT[fn](mpmath.mpf(xf)), got, width)


def _pow_ulp_error(x: float, y: float, got) -> float:
    want = pow_special(x, y)
    if want is not None:
        same = (np.isnan(got) if np.isnan(want) else
                got == want and np.signbit(got) == np.signbit(want))
        return 0.0 if same else float("inf")
    exact = mpmath.power(mpmath.mpf(abs(x)), mpmath.mpf(y))
    if x < 0 and int(y) % 2 == 1:
        exact = -exact
    return _ulps(exact, got)


def _ulps(exact, got, width: int = 32) -> float:
    _, mant, _, biggest = FORMATS[width]
    if exact == 0:
        return 0.0 if got == 0 else float("inf")
    if abs(exact) > biggest * (1 + 2.0 ** (-mant - 2)):   # the correctly rounded result is inf
        return 0.0 if np.isinf(got) and (got > 0) == (exact > 0) else float("inf")
    if not np.isfinite(got):
        return float("inf")
    return float(abs(mpmath.mpf(float(got)) - exact) / ulp_of(exact, width))


POW_EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 2.5, -2.5, np.inf, -np.inf,
             np.nan, 1e-45, -1e-45, 3.4028235e38, 1.0000001, 0.99999994, 1e-20, 126.5, -149.0,
             128.0, -150.0, 1e10]
TRIG_EDGES = [np.pi / 4, np.pi / 2, np.pi, 3 * np.pi / 2, 2 * np.pi, 1e4 * np.pi, 1e22, 16777216.0,
              float.fromhex("0x1.921fb4p-1"), 1e-30, 3.4028235e38, 7.0e37, 2.0 ** 100]


def edge_inputs(fn: str):
    """The edge corpus: an array (a pair of arrays for power: every pair of POW_EDGES)."""
    if fn.endswith("64"):
        return edge_inputs64(split(fn)[0] in ("sin", "cos", "tan"))
    if fn == "power":
        v = np.array(POW_EDGES, dtype=np.float32)
        return np.repeat(v, len(v)), np.tile(v, len(v))
    bits = [0, 0x80000000, 1, 0x80000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF,
            0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x3F800000, 0xBF800000,
            0x3F3504F3, 0x3F3504F2, 0x3FB504F3, 0x39800000, 0xB9800000, 0x39800001]
    vals = [88.72283, 88.72284, 88.7228394, -87.33654, -103.27893, -103.97208, -103.972084,
            -104.0, 0.5625, -0.5625, 0.56249994, 9.0, 9.01, 9.1, 1e-3, -1e-3, 0.3465736,
            np.log(2) / 2, 1.0000001, 0.99999994, 2.0, 0.5, 1e-40, 1e-45]
    out = np.array(bits, dtype=np.uint32).view(np.float32)
    near = np.array(vals + (TRIG_EDGES if fn in ("sin", "cos", "tan") else []), dtype=np.float32)
    steps = np.arange(-3, 4, dtype=np.int32)
    near = (near.view(np.int32)[:, None] + steps[None, :]).reshape(-1).view(np.float32)
    return np.concatenate([out, near])


def edge_inputs64(trig: bool = False) -> np.ndarray:
    bits = [0, 1 << 63, 1, (1 << 63) | 1, (1 << 52) - 1, 1 << 52, 0x7FEFFFFFFFFFFFFF,
            0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0x3FF0000000000000,
            0xBFF0000000000000, 0x3FE6A09E667F3BCD, 0x3FF6A09E667F3BCD]
    vals = [709.782712893384, -745.1332191019411, -708.3964185322641, -744.44007192138,
            0.34657359027997264, 1.0, 2.0, 0.5, 1e-310, 1e-3, -1e-3, 9.0, 700.0, -700.0,
            0.75, -0.75, 0.875, 2.0 ** -27, 19.06, 22.0]        # tanh64's piece ends
    near = np.array(vals + (TRIG64_EDGES if trig else []), dtype=np.float64).view(np.int64)
    steps = np.arange(-3, 4, dtype=np.int64)
    near = (near[:, None] + steps[None, :]).reshape(-1).view(np.float64)
    return np.concatenate([np.array(bits, dtype=np.uint64).view(np.float64), near])


def random_inputs(fn: str, n: int, rng):
    if fn.endswith("64"):
        lo, hi = RANGES64[split(fn)[0]]
        k = n // 2
        return np.concatenate([rng.uniform(lo, hi, k),
                               rng.integers(0, 2 ** 64, n - k, dtype=np.uint64).view(np.float64)])
    if fn == "power":      # x in (0, 8) with y in (-40, 40), negative x with integer y, patterns
        k = n // 3
        x = np.concatenate([rng.uniform(0, 8, k), -rng.uniform(0, 8, k)]).astype(np.float32)
        y = np.concatenate([rng.uniform(-40, 40, k), rng.integers(-40, 40, k)]).astype(np.float32)
        px, py = (rng.integers(0, 2 ** 32, n - 2 * k, dtype=np.uint64).astype(np.uint32)
                  .view(np.float32) for _ in range(2))
        return np.concatenate([x, px]), np.concatenate([y, py])
    lo, hi = RANGES[fn]
    k = n // 2
    uniform = rng.uniform(lo, hi, k).astype(np.float32)
    patterns = rng.integers(0, 2 ** 32, n - k, dtype=np.uint64).astype(np.uint32).view(np.float32)
    return np.concatenate([uniform, patterns])


def corpus(fn: str, samples: int, rng):
    """The inputs (a tuple of one array, two for power): the edge corpus, then randoms."""
    edges, rand = edge_inputs(fn), random_inputs(fn, samples, rng)
    if fn != "power":
        edges, rand = (edges,), (rand,)
    return tuple(np.concatenate([e, r]) for e, r in zip(edges, rand))


def errors(fn: str, args) -> np.ndarray:
    base, width = split(fn)
    got = float_math.evaluate64(base, *args) if width == 64 else float_math.evaluate(fn, *args)
    return np.array([ulp_error(fn, a[0], g, *a[1:]) for *a, g in zip(*args, got)])


def measure(fn: str, samples: int, seed: int = 1) -> dict:
    args = corpus(fn, samples, np.random.default_rng(seed))
    errs = errors(fn, args)
    worst = int(np.argmax(errs))
    where = ", ".join(f"{float(a[worst])!r} "
                      f"({hex(int(a[worst:worst + 1].view(f'uint{a.dtype.itemsize * 8}')[0]))})"
                      for a in args)
    return dict(fn=fn, inputs=len(args[0]), max_ulp=float(errs[worst]),
                correctly_rounded=float(np.mean(errs <= 0.5)), worst_input=where)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--fn", choices=FUNCTIONS, action="append")
    args = ap.parse_args(argv)
    print("| function | inputs | max error (ulp) | correctly rounded | worst input |")
    print("|---|---|---|---|---|")
    for fn in args.fn or FUNCTIONS:
        r = measure(fn, args.samples)
        print(f"| {fn} | {r['inputs']} | {r['max_ulp']:.4f} | {100 * r['correctly_rounded']:.2f} % "
              f"| {r['worst_input']} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
