"""PolyBench/C 4.2 kernels in float32 at MINI size, written in Allo syntax as PolyBench writes
them in C (same loop order, same expression order, alpha = 1.5 and beta = 1.2), each with a
numpy float32 reference that performs the same operations in the same order.

The references vectorize only across iterations that are independent in the C code (every
element still sees the same sequence of float32 roundings); loops that carry a dependence
(reductions, time steps) stay Python loops in source order. They never call allo_rtl.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allo_rtl.ir.types import float32

F = np.float32
ALPHA, BETA = 1.5, 1.2


@dataclass
class FloatCase:
    name: str
    kernel: object
    make_inputs: object      # rng -> list of args
    reference: object        # args (copies) -> None, updates the arrays the kernel writes
    written: tuple           # indices of args the kernel writes


def _u(rng, *shape):
    return rng.random(shape, dtype=np.float32)


# --- gemm (NI 20, NJ 25, NK 30) ------------------------------------------------------------
def gemm(alpha: float32, beta: float32, C: float32[20, 25], A: float32[20, 30],
         B: float32[30, 25]):
    for i in range(20):
        for j in range(25):
            C[i, j] *= beta
        for k in range(30):
            for j in range(25):
                C[i, j] += alpha * A[i, k] * B[k, j]


def gemm_ref(args):
    alpha, beta, C, A, B = args
    a, b = F(alpha), F(beta)
    for i in range(20):
        C[i, :] *= b
        for k in range(30):
            C[i, :] += (a * A[i, k]) * B[k, :]


# --- 2mm (NI 16, NJ 18, NK 22, NL 24) ------------------------------------------------------
def mm2(alpha: float32, beta: float32, tmp: float32[16, 18], A: float32[16, 22],
        B: float32[22, 18], C: float32[18, 24], D: float32[16, 24]):
    for i in range(16):
        for j in range(18):
            tmp[i, j] = 0.0
            for k in range(22):
                tmp[i, j] += alpha * A[i, k] * B[k, j]
    for i in range(16):
        for j in range(24):
            D[i, j] *= beta
            for k in range(18):
                D[i, j] += tmp[i, k] * C[k, j]


def mm2_ref(args):
    alpha, beta, tmp, A, B, C, D = args
    a, b = F(alpha), F(beta)
    tmp[...] = 0
    for k in range(22):
        tmp += (a * A[:, k:k + 1]) * B[k:k + 1, :]
    D *= b
    for k in range(18):
        D += tmp[:, k:k + 1] * C[k:k + 1, :]


# --- 3mm (NI 16, NJ 18, NK 20, NL 22, NM 24) -----------------------------------------------
def mm3(E: float32[16, 18], A: float32[16, 20], B: float32[20, 18], F_: float32[18, 22],
        C: float32[18, 24], D: float32[24, 22], G: float32[16, 22]):
    for i in range(16):
        for j in range(18):
            E[i, j] = 0.0
            for k in range(20):
                E[i, j] += A[i, k] * B[k, j]
    for i in range(18):
        for j in range(22):
            F_[i, j] = 0.0
            for k in range(24):
                F_[i, j] += C[i, k] * D[k, j]
    for i in range(16):
        for j in range(22):
            G[i, j] = 0.0
            for k in range(18):
                G[i, j] += E[i, k] * F_[k, j]


def _matmul_in_order(X, Y, out):
    out[...] = 0
    for k in range(X.shape[1]):
        out += X[:, k:k + 1] * Y[k:k + 1, :]


def mm3_ref(args):
    E, A, B, F_, C, D, G = args
    _matmul_in_order(A, B, E)
    _matmul_in_order(C, D, F_)
    _matmul_in_order(E, F_, G)


# --- atax (M 38, N 42) ---------------------------------------------------------------------
def atax(A: float32[38, 42], x: float32[42], y: float32[42], tmp: float32[38]):
    for i in range(42):
        y[i] = 0.0
    for i in range(38):
        tmp[i] = 0.0
        for j in range(42):
            tmp[i] = tmp[i] + A[i, j] * x[j]
        for j in range(42):
            y[j] = y[j] + A[i, j] * tmp[i]


def atax_ref(args):
    A, x, y, tmp = args
    y[...] = 0
    for i in range(38):
        t = F(0)
        for j in range(42):
            t = F(t + A[i, j] * x[j])
        tmp[i] = t
        y[...] = y + A[i, :] * t


# --- bicg (M 38, N 42) ---------------------------------------------------------------------
def bicg(A: float32[42, 38], s: float32[38], q: float32[42], p: float32[38], r: float32[42]):
    for i in range(38):
        s[i] = 0.0
    for i in range(42):
        q[i] = 0.0
        for j in range(38):
            s[j] = s[j] + r[i] * A[i, j]
            q[i] = q[i] + A[i, j] * p[j]


def bicg_ref(args):
    A, s, q, p, r = args
    s[...] = 0
    for i in range(42):
        t = F(0)
        for j in range(38):
            s[j] = F(s[j] + F(r[i] * A[i, j]))
            t = F(t + F(A[i, j] * p[j]))
        q[i] = t


# --- mvt (N 40) ----------------------------------------------------------------------------
def mvt(x1: float32[40], x2: float32[40], y_1: float32[40], y_2: float32[40],
        A: float32[40, 40]):
    for i in range(40):
        for j in range(40):
            x1[i] = x1[i] + A[i, j] * y_1[j]
    for i in range(40):
        for j in range(40):
            x2[i] = x2[i] + A[j, i] * y_2[j]


def mvt_ref(args):
    x1, x2, y_1, y_2, A = args
    for j in range(40):
        x1[...] = x1 + A[:, j] * y_1[j]
        x2[...] = x2 + A[j, :] * y_2[j]


# --- gesummv (N 30) ------------------------------------------------------------------------
def gesummv(alpha: float32, beta: float32, A: float32[30, 30], B: float32[30, 30],
            tmp: float32[30], x: float32[30], y: float32[30]):
    for i in range(30):
        tmp[i] = 0.0
        y[i] = 0.0
        for j in range(30):
            tmp[i] = A[i, j] * x[j] + tmp[i]
            y[i] = B[i, j] * x[j] + y[i]
        y[i] = alpha * tmp[i] + beta * y[i]


def gesummv_ref(args):
    alpha, beta, A, B, tmp, x, y = args
    tmp[...] = 0
    y[...] = 0
    for j in range(30):
        tmp[...] = A[:, j] * x[j] + tmp
        y[...] = B[:, j] * x[j] + y
    y[...] = F(alpha) * tmp + F(beta) * y


# --- syrk (M 20, N 30) ---------------------------------------------------------------------
def syrk(alpha: float32, beta: float32, C: float32[30, 30], A: float32[30, 20]):
    for i in range(30):
        for j in range(i + 1):
            C[i, j] *= beta
        for k in range(20):
            for j in range(i + 1):
                C[i, j] += alpha * A[i, k] * A[j, k]


def syrk_ref(args):
    alpha, beta, C, A = args
    a, b = F(alpha), F(beta)
    for i in range(30):
        C[i, :i + 1] *= b
        for k in range(20):
            C[i, :i + 1] += (a * A[i, k]) * A[:i + 1, k]


# --- syr2k (M 20, N 30) --------------------------------------------------------------------
def syr2k(alpha: float32, beta: float32, C: float32[30, 30], A: float32[30, 20],
          B: float32[30, 20]):
    for i in range(30):
        for j in range(i + 1):
            C[i, j] *= beta
        for k in range(20):
            for j in range(i + 1):
                C[i, j] += A[j, k] * alpha * B[i, k] + B[j, k] * alpha * A[i, k]


def syr2k_ref(args):
    alpha, beta, C, A, B = args
    a, b = F(alpha), F(beta)
    for i in range(30):
        C[i, :i + 1] *= b
        for k in range(20):
            C[i, :i + 1] += (A[:i + 1, k] * a) * B[i, k] + (B[:i + 1, k] * a) * A[i, k]


# --- trmm (M 20, N 30) ---------------------------------------------------------------------
def trmm(alpha: float32, A: float32[20, 20], B: float32[20, 30]):
    for i in range(20):
        for j in range(30):
            for k in range(i + 1, 20):
                B[i, j] += A[k, i] * B[k, j]
            B[i, j] = alpha * B[i, j]


def trmm_ref(args):
    alpha, A, B = args
    for i in range(20):
        for k in range(i + 1, 20):
            B[i, :] += A[k, i] * B[k, :]
        B[i, :] = F(alpha) * B[i, :]


# --- jacobi-1d (TSTEPS 20, N 30) -----------------------------------------------------------
def jacobi_1d(A: float32[30], B: float32[30]):
    for t in range(20):
        for i in range(1, 29):
            B[i] = 0.33333 * (A[i - 1] + A[i] + A[i + 1])
        for i in range(1, 29):
            A[i] = 0.33333 * (B[i - 1] + B[i] + B[i + 1])


def jacobi_1d_ref(args):
    A, B = args
    c = F(0.33333)
    for _ in range(20):
        B[1:29] = c * (A[0:28] + A[1:29] + A[2:30])
        A[1:29] = c * (B[0:28] + B[1:29] + B[2:30])


# --- jacobi-2d (TSTEPS 20, N 30) -----------------------------------------------------------
def jacobi_2d(A: float32[30, 30], B: float32[30, 30]):
    for t in range(20):
        for i in range(1, 29):
            for j in range(1, 29):
                B[i, j] = 0.2 * (A[i, j] + A[i, j - 1] + A[i, 1 + j] + A[1 + i, j] +
                                 A[i - 1, j])
        for i in range(1, 29):
            for j in range(1, 29):
                A[i, j] = 0.2 * (B[i, j] + B[i, j - 1] + B[i, 1 + j] + B[1 + i, j] +
                                 B[i - 1, j])


def _jacobi2(X, Y):
    Y[1:29, 1:29] = F(0.2) * (X[1:29, 1:29] + X[1:29, 0:28] + X[1:29, 2:30] + X[2:30, 1:29] +
                              X[0:28, 1:29])


def jacobi_2d_ref(args):
    A, B = args
    for _ in range(20):
        _jacobi2(A, B)
        _jacobi2(B, A)


# --- heat-3d (TSTEPS 20, N 10) -------------------------------------------------------------
def heat_3d(A: float32[10, 10, 10], B: float32[10, 10, 10]):
    for t in range(1, 21):
        for i in range(1, 9):
            for j in range(1, 9):
                for k in range(1, 9):
                    B[i, j, k] = (0.125 * (A[i + 1, j, k] - 2.0 * A[i, j, k] + A[i - 1, j, k])
                                  + 0.125 * (A[i, j + 1, k] - 2.0 * A[i, j, k] + A[i, j - 1, k])
                                  + 0.125 * (A[i, j, k + 1] - 2.0 * A[i, j, k] + A[i, j, k - 1])
                                  + A[i, j, k])
        for i in range(1, 9):
            for j in range(1, 9):
                for k in range(1, 9):
                    A[i, j, k] = (0.125 * (B[i + 1, j, k] - 2.0 * B[i, j, k] + B[i - 1, j, k])
                                  + 0.125 * (B[i, j + 1, k] - 2.0 * B[i, j, k] + B[i, j - 1, k])
                                  + 0.125 * (B[i, j, k + 1] - 2.0 * B[i, j, k] + B[i, j, k - 1])
                                  + B[i, j, k])


def _heat(X, Y):
    c, two = F(0.125), F(2.0)
    m = X[1:9, 1:9, 1:9]
    Y[1:9, 1:9, 1:9] = (c * (X[2:10, 1:9, 1:9] - two * m + X[0:8, 1:9, 1:9])
                        + c * (X[1:9, 2:10, 1:9] - two * m + X[1:9, 0:8, 1:9])
                        + c * (X[1:9, 1:9, 2:10] - two * m + X[1:9, 1:9, 0:8])
                        + m)


def heat_3d_ref(args):
    A, B = args
    for _ in range(20):
        _heat(A, B)
        _heat(B, A)


CASES = [
    FloatCase("gemm", gemm, lambda r: [ALPHA, BETA, _u(r, 20, 25), _u(r, 20, 30),
                                       _u(r, 30, 25)], gemm_ref, (2,)),
    FloatCase("2mm", mm2, lambda r: [ALPHA, BETA, _u(r, 16, 18), _u(r, 16, 22), _u(r, 22, 18),
                                     _u(r, 18, 24), _u(r, 16, 24)], mm2_ref, (2, 6)),
    FloatCase("3mm", mm3, lambda r: [_u(r, 16, 18), _u(r, 16, 20), _u(r, 20, 18),
                                     _u(r, 18, 22), _u(r, 18, 24), _u(r, 24, 22),
                                     _u(r, 16, 22)], mm3_ref, (0, 3, 6)),
    FloatCase("atax", atax, lambda r: [_u(r, 38, 42), _u(r, 42), _u(r, 42), _u(r, 38)],
              atax_ref, (2, 3)),
    FloatCase("bicg", bicg, lambda r: [_u(r, 42, 38), _u(r, 38), _u(r, 42), _u(r, 38),
                                       _u(r, 42)], bicg_ref, (1, 2)),
    FloatCase("mvt", mvt, lambda r: [_u(r, 40), _u(r, 40), _u(r, 40), _u(r, 40),
                                     _u(r, 40, 40)], mvt_ref, (0, 1)),
    FloatCase("gesummv", gesummv, lambda r: [ALPHA, BETA, _u(r, 30, 30), _u(r, 30, 30),
                                             _u(r, 30), _u(r, 30), _u(r, 30)],
              gesummv_ref, (4, 6)),
    FloatCase("syrk", syrk, lambda r: [ALPHA, BETA, _u(r, 30, 30), _u(r, 30, 20)],
              syrk_ref, (2,)),
    FloatCase("syr2k", syr2k, lambda r: [ALPHA, BETA, _u(r, 30, 30), _u(r, 30, 20),
                                         _u(r, 30, 20)], syr2k_ref, (2,)),
    FloatCase("trmm", trmm, lambda r: [ALPHA, _u(r, 20, 20), _u(r, 20, 30)], trmm_ref, (2,)),
    FloatCase("jacobi-1d", jacobi_1d, lambda r: [_u(r, 30), _u(r, 30)], jacobi_1d_ref,
              (0, 1)),
    FloatCase("jacobi-2d", jacobi_2d, lambda r: [_u(r, 30, 30), _u(r, 30, 30)], jacobi_2d_ref,
              (0, 1)),
    FloatCase("heat-3d", heat_3d, lambda r: [_u(r, 10, 10, 10), _u(r, 10, 10, 10)],
              heat_3d_ref, (0, 1)),
]
BY_NAME = {c.name: c for c in CASES}
