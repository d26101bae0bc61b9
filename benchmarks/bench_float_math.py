"""Error of the float32 exp, log and tanh (``allo_rtl/ir/float_math.py``: the interpreter's and
the hardware's one algorithm) against the correctly rounded result, in ulps, over random
inputs and an edge corpus; mpmath (40 digits) gives the exact value.

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
EXACT = {"exp": mpmath.exp, "log": mpmath.log, "tanh": mpmath.tanh}
#: where each function's result changes: random values are drawn mostly from here
RANGES = {"exp": (-104.0, 89.0), "log": (0.0, 4.0), "tanh": (-10.0, 10.0)}


def ulp_of(v: mpmath.mpf) -> float:
    """float32 ulp at the magnitude of exact ``v``."""
    a = abs(v)
    if a < 2.0 ** -126:
        return 2.0 ** -149
    e = int(mpmath.floor(mpmath.log(a, 2)))
    if mpmath.mpf(2) ** (e + 1) <= a:      # log rounding at powers of two
        e += 1
    if mpmath.mpf(2) ** e > a:
        e -= 1
    return 2.0 ** (min(e, 127) - 23)


def ulp_error(fn: str, x: np.float32, got: np.float32) -> float:
    """|got - exact| in ulps; 0 when both are the same special value; inf when a special
    value is wrong."""
    xf = float(x)
    if np.isnan(xf) or (fn == "log" and xf < 0):
        return 0.0 if np.isnan(got) else float("inf")
    if fn == "log" and xf == 0:
        return 0.0 if got == -np.inf else float("inf")
    if np.isinf(xf):
        want = {"exp": (np.inf if xf > 0 else 0.0), "log": np.inf, "tanh": np.sign(xf)}[fn]
        return 0.0 if got == want else float("inf")
    exact = EXACT[fn](mpmath.mpf(xf))
    if abs(exact) > MAX32 * (1 + 2.0 ** -25):          # the correctly rounded result is inf
        return 0.0 if np.isinf(got) and (got > 0) == (exact > 0) else float("inf")
    if not np.isfinite(got):
        return float("inf")
    return float(abs(mpmath.mpf(float(got)) - exact) / ulp_of(exact))


def edge_inputs(fn: str) -> np.ndarray:
    bits = [0, 0x80000000, 1, 0x80000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF,
            0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x3F800000, 0xBF800000,
            0x3F3504F3, 0x3F3504F2, 0x3FB504F3, 0x39800000, 0xB9800000, 0x39800001]
    vals = [88.72283, 88.72284, 88.7228394, -87.33654, -103.27893, -103.97208, -103.972084,
            -104.0, 0.5625, -0.5625, 0.56249994, 9.0, 9.01, 9.1, 1e-3, -1e-3, 0.3465736,
            np.log(2) / 2, 1.0000001, 0.99999994, 2.0, 0.5, 1e-40, 1e-45]
    out = np.array(bits, dtype=np.uint32).view(np.float32)
    near = np.array(vals, dtype=np.float32)
    steps = np.arange(-3, 4, dtype=np.int32)
    near = (near.view(np.int32)[:, None] + steps[None, :]).reshape(-1).view(np.float32)
    return np.concatenate([out, near])


def random_inputs(fn: str, n: int, rng) -> np.ndarray:
    lo, hi = RANGES[fn]
    k = n // 2
    uniform = rng.uniform(lo, hi, k).astype(np.float32)
    patterns = rng.integers(0, 2 ** 32, n - k, dtype=np.uint64).astype(np.uint32).view(np.float32)
    return np.concatenate([uniform, patterns])


def measure(fn: str, samples: int, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    xs = np.concatenate([edge_inputs(fn), random_inputs(fn, samples, rng)])
    got = float_math.evaluate(fn, xs)
    errs = np.array([ulp_error(fn, x, g) for x, g in zip(xs, got)])
    worst = int(np.argmax(errs))
    return dict(fn=fn, inputs=len(xs), max_ulp=float(errs[worst]),
                correctly_rounded=float(np.mean(errs <= 0.5)),
                worst_input=float(xs[worst]), worst_bits=hex(int(xs[worst:worst + 1].view(np.uint32)[0])))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--fn", choices=sorted(EXACT), action="append")
    args = ap.parse_args(argv)
    print("| function | inputs | max error (ulp) | correctly rounded | worst input |")
    print("|---|---|---|---|---|")
    for fn in args.fn or ["exp", "log", "tanh"]:
        r = measure(fn, args.samples)
        print(f"| {fn} | {r['inputs']} | {r['max_ulp']:.3f} | {100 * r['correctly_rounded']:.2f} % "
              f"| {r['worst_input']!r} ({r['worst_bits']}) |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
