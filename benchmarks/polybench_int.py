"""PolyBench int32 at the calyx-evaluation sizes (8 per dimension) for the QoR suite: the
kernels of tests/kernels.py plus the ones only the suite runs (syr2k, trmm, jacobi-2d,
seidel-2d, covariance), each with a numpy/Python-int reference, and the Allo-style schedule
(b) of every kernel, kept here so a schedule change shows up in this file's history.

Inputs of the kernels written here are small (|x| <= 100) so no int32 product overflows and
the references can compute in Python ints; division truncates toward zero, as C's does.
Correlation needs a square root of an integer, which the hardware lacks: it is listed as
unsupported in the table, with that reason.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import allo_rtl as allo                       # noqa: E402
import kernels                                # noqa: E402
from allo_rtl.ir.types import int32           # noqa: E402
from kernels import Case, wrap32              # noqa: E402

N = kernels.N
TSTEPS = 2


def cdiv(a: int, b: int) -> int:
    """C's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def syr2k(alpha: int32, beta: int32, C: int32[N, N], A: int32[N, N], B: int32[N, N]):
    for i in range(N):
        for j in range(i + 1):
            C[i, j] *= beta
        for k in range(N):
            for j in range(i + 1):
                C[i, j] += A[j, k] * alpha * B[i, k] + B[j, k] * alpha * A[i, k]


def syr2k_ref(args):
    alpha, beta, C, A, B = args
    A64, B64 = A.astype(np.int64), B.astype(np.int64)
    full = wrap32(beta * C.astype(np.int64) + alpha * (A64 @ B64.T + B64 @ A64.T).T)
    lower = np.tril(np.ones((N, N), dtype=bool))
    C[lower] = full[lower]


def trmm(alpha: int32, A: int32[N, N], B: int32[N, N]):
    for i in range(N):
        for j in range(N):
            for k in range(i + 1, N):
                B[i, j] += A[k, i] * B[k, j]
            B[i, j] = alpha * B[i, j]


def trmm_ref(args):
    alpha, A, B = args
    b = B.astype(np.int64)
    for i in range(N):
        for j in range(N):
            b[i, j] = alpha * (b[i, j] + sum(int(A[k, i]) * int(b[k, j]) for k in range(i + 1, N)))
    B[...] = wrap32(b)


def jacobi_2d(A: int32[N, N], B: int32[N, N]):
    for t in range(TSTEPS):
        for i, j in allo.grid(N - 2, N - 2):
            B[i + 1, j + 1] = (A[i + 1, j + 1] + A[i + 1, j] + A[i + 1, j + 2] + A[i + 2, j + 1]
                               + A[i, j + 1]) / 5
        for i, j in allo.grid(N - 2, N - 2):
            A[i + 1, j + 1] = (B[i + 1, j + 1] + B[i + 1, j] + B[i + 1, j + 2] + B[i + 2, j + 1]
                               + B[i, j + 1]) / 5


def jacobi_2d_ref(args):
    A, B = ([[int(v) for v in row] for row in X] for X in args)
    for _ in range(TSTEPS):
        for src, dst in ((A, B), (B, A)):
            for i in range(1, N - 1):
                for j in range(1, N - 1):
                    dst[i][j] = cdiv(src[i][j] + src[i][j - 1] + src[i][j + 1] + src[i + 1][j]
                                     + src[i - 1][j], 5)
    args[0][...], args[1][...] = np.array(A, np.int32), np.array(B, np.int32)


def seidel_2d(A: int32[N, N]):
    for t in range(TSTEPS):
        for i, j in allo.grid(N - 2, N - 2):
            A[i + 1, j + 1] = (A[i, j] + A[i, j + 1] + A[i, j + 2] + A[i + 1, j]
                               + A[i + 1, j + 1] + A[i + 1, j + 2] + A[i + 2, j]
                               + A[i + 2, j + 1] + A[i + 2, j + 2]) / 9


def seidel_2d_ref(args):
    a = [[int(v) for v in row] for row in args[0]]
    for _ in range(TSTEPS):
        for i in range(1, N - 1):
            for j in range(1, N - 1):
                a[i][j] = cdiv(sum(a[i + di][j + dj] for di in (-1, 0, 1) for dj in (-1, 0, 1)), 9)
    args[0][...] = np.array(a, np.int32)


def covariance(data: int32[N, N]) -> int32[N, N]:
    cov: int32[N, N] = 0
    mean: int32[N] = 0
    for j in range(N):
        for i in range(N):
            mean[j] += data[i, j]
        mean[j] = mean[j] / N
    for i, j in allo.grid(N, N):
        data[i, j] -= mean[j]
    for i in range(N):
        for j in range(i, N):
            for k in range(N):
                cov[i, j] += data[k, i] * data[k, j]
            cov[i, j] = cov[i, j] / (N - 1)
            cov[j, i] = cov[i, j]
    return cov


def covariance_ref(args):
    d = [[int(v) for v in row] for row in args[0]]
    mean = [cdiv(sum(d[i][j] for i in range(N)), N) for j in range(N)]
    d = [[d[i][j] - mean[j] for j in range(N)] for i in range(N)]
    cov = [[0] * N for _ in range(N)]
    for i in range(N):
        for j in range(i, N):
            cov[i][j] = cov[j][i] = cdiv(sum(d[k][i] * d[k][j] for k in range(N)), N - 1)
    args[0][...] = np.array(d, np.int32)
    return np.array(cov, np.int32)


def _small(*shapes):
    def make(rng, edge=False):
        return [int(rng.integers(-100, 101)) if s == "s" else
                rng.integers(-100, 101, s).astype(np.int32) for s in shapes]
    return make


SUITE_ONLY = [
    Case("syr2k", syr2k, _small("s", "s", (N, N), (N, N), (N, N)), syr2k_ref, (2,)),
    Case("trmm", trmm, _small("s", (N, N), (N, N)), trmm_ref, (2,)),
    Case("jacobi_2d", jacobi_2d, _small((N, N), (N, N)), jacobi_2d_ref, (0, 1)),
    Case("seidel_2d", seidel_2d, _small((N, N)), seidel_2d_ref, (0,)),
    Case("covariance", covariance, _small((N, N)), covariance_ref, (0,)),
]

ORDER = ("gemm", "2mm", "3mm", "atax", "bicg", "mvt", "gesummv", "syrk", "syr2k", "doitgen",
         "trmm", "jacobi_1d", "jacobi_2d", "seidel_2d", "covariance", "correlation")
UNSUPPORTED = {"correlation": "needs the square root of an integer (no integer sqrt unit)"}


def cases() -> list:
    """The suite's PolyBench cases in PolyBench's order."""
    by_name = {c.name: c for c in [*kernels.CASES, *SUITE_ONLY]}
    return [by_name[n] for n in ORDER if n in by_name]


# --- (b): the Allo-style schedule of each kernel -----------------------------------------

def pipelined(s):
    """Every innermost loop pipelined at II=1 (the HLS tools' usual first step)."""
    kernels.pipeline_innermost(s)


def _complete(s, *arrays):
    """Complete partitions: (array or "kernel:array", dimension) pairs."""
    for arr, dim in arrays:
        s.partition(getattr(s, arr) if ":" not in arr else arr, allo.Partition.Complete,
                    dim=dim)


def gemm_b(s):
    """k outside j in the product nest, the k loop pipelined (j unrolled inside it), B and C
    split into columns so the 8 products of one k read and write 8 banks at once."""
    s.reorder("k", "j1")
    s.pipeline("k")
    s.pipeline("j")
    _complete(s, ("B", 2), ("C", 2))


def mm2_b(s):
    """The j loops pipelined with k unrolled inside: A's rows and B's, C's columns split."""
    s.pipeline("j")
    s.pipeline("j1")
    _complete(s, ("A", 2), ("B", 1), ("C", 1))


def mm3_b(s):
    """Each matmul's j loop pipelined (k unrolled), the operands split along k."""
    for loop in ("_mm_l1", "_mm_1_l1", "_mm_2_l1"):
        s.pipeline(loop)
    _complete(s, ("A", 2), ("B", 1), ("C", 2), ("D", 1))


def atax_b(s):
    """The i loop pipelined, both j loops unrolled inside it, rows of A, x and y split."""
    for loop in ("i", "y_l0", "tmp_l0"):
        s.pipeline(loop)
    _complete(s, ("A", 2), ("x", 1), ("atax:y", 1))


def bicg_b(s):
    s.pipeline("i")
    _complete(s, ("A", 2), ("bicg:s", 1))


def mvt_b(s):
    s.pipeline("i")
    s.pipeline("i1")
    _complete(s, ("A", 2), ("y1", 1))


def gesummv_b(s):
    for loop in ("i", "y_l0", "tmp_l0"):
        s.pipeline(loop)
    _complete(s, ("A", 2), ("B", 2), ("x", 1))


def doitgen_b(s):
    s.pipeline("p")
    s.pipeline("p1")
    _complete(s, ("C4", 1), ("A", 3))


SCHEDULES = {name: pipelined for name in ORDER}
SCHEDULES.update({"gemm": gemm_b, "2mm": mm2_b, "3mm": mm3_b, "atax": atax_b, "bicg": bicg_b,
                  "mvt": mvt_b, "gesummv": gesummv_b, "doitgen": doitgen_b})
