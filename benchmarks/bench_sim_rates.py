"""Why some of Allo's own tests exceed the 90 s limit of scripts/allo_tests (SlowTest): the
cycles their default build needs, against the cycles per second each simulator runs for two
kinds of kernel, shaped like the slow tests (not copied from them):

* a binary convolution (int, XOR popcount over a 3x3x6 window, Allo's bconv2D tests);
* a float32 matrix product with a broadcast add (one fadd and one fmul unit busy, Allo's
  linalg broadcast/matmul tests).

    python benchmarks/bench_sim_rates.py [--out benchmarks/results/sim_rates.md]

For every simulator: first call (builds the model; cocotb builds are cached under
ALLO_RTL_CACHE, cold here when pointed at an empty directory), second call, cycles, cycles/s
of the second call, and the result checked against numpy. The rate, not the run, is the
point: a test needing C cycles takes about C / rate seconds on that simulator. A cocotb call
(Icarus, Verilator) also pays a fixed start-up of several seconds, which dominates short runs.
"""
import argparse
import platform
import time

import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import float32, int32, uint1

BS, IC, OC, IH, IW = 1, 6, 16, 8, 8
OH, OW = IH - 2, IW - 2
L = IC * 9


def bconv(A: uint1[BS, IC, IH, IW], F: uint1[OC, IC, 3, 3]) -> int32[BS, OC, OH, OW]:
    B: int32[BS, OC, OH, OW] = 0
    for n, c, h, w in allo.grid(BS, OC, OH, OW):
        v: int32 = 0
        for rc, rh, rw in allo.reduction(IC, 3, 3):
            v += A[n, rc, h + rh, w + rw] ^ F[c, rc, rh, rw]
        B[n, c, h, w] = L - (v << 1)
    return B


def bconv_ref(a, f):
    out = np.zeros((BS, OC, OH, OW), np.int64)
    for h in range(OH):
        for w in range(OW):
            win = a[:, None, :, h:h + 3, w:w + 3] ^ f[None]
            out[:, :, h, w] = L - 2 * win.sum(axis=(2, 3, 4))
    return out.astype(np.int32)


M, K = 5, 5


def fmatmul(A: float32[M, K], B: float32[K, M]) -> float32[M, M]:
    return allo.matmul(A + 1, B)


def fmatmul_ref(a, b):
    a1 = (a + np.float32(1)).astype(np.float32)
    out = np.zeros((M, M), np.float32)
    for i in range(M):
        for j in range(M):
            acc = np.float32(0)
            for k in range(K):
                acc = np.float32(acc + np.float32(a1[i, k] * b[k, j]))
            out[i, j] = acc
    return out


def cases(rng):
    a = rng.integers(0, 2, (BS, IC, IH, IW))
    f = rng.integers(0, 2, (OC, IC, 3, 3))
    x = rng.standard_normal((M, K)).astype(np.float32)
    y = rng.standard_normal((K, M)).astype(np.float32)
    return [("bconv (int)", bconv, (a, f), bconv_ref(a, f)),
            ("matmul (float32)", fmatmul, (x, y), fmatmul_ref(x, y))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    opts = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for name, kernel, args, want in cases(rng):
        s = allo.customize(kernel)
        for target in (None, "icarus", "verilator"):
            t0 = time.perf_counter()
            mod = s.build(target=target)
            got = mod(*args)
            t1 = time.perf_counter()
            got = mod(*args)
            t2 = time.perf_counter()
            ok = np.array_equal(got, want)
            row = (name, target or "amaranth", t1 - t0, t2 - t1, mod.cycles,
                   mod.cycles / (t2 - t1), ok)
            rows.append(row)
            print("%-17s %-9s first %7.2f s  second %7.2f s  %8d cycles  %9.0f cycles/s  "
                  "correct=%s" % row, flush=True)
    if opts.out:
        with open(opts.out, "w") as fh:
            fh.write("# Simulation rates (benchmarks/bench_sim_rates.py)\n\n")
            fh.write(f"Python {platform.python_version()}, {platform.machine()}; run niced on "
                     "a shared 2-core machine (other jobs running), so rates are lower bounds.\n\n")
            fh.write("| kernel | simulator | first call s | second call s | cycles | cycles/s "
                     "| correct |\n|---|---|---|---|---|---|---|\n")
            for r in rows:
                fh.write("| %s | %s | %.2f | %.2f | %d | %.0f | %s |\n" % r)


if __name__ == "__main__":
    main()
