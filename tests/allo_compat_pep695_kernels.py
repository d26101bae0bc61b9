"""Kernels written with Python 3.12's PEP 695 type parameters, as Allo writes templates.

Only imported on Python 3.12+ (tests/test_allo_compat_templates.py loads it with importlib),
so the 3.11 suite still collects.
"""
import allo_rtl as allo
from allo_rtl.ir.types import Int, int8, int32


def vadd[T, M: int32](A: "T[M]", B: "T[M]") -> "T[M]":
    C: T[M] = 0
    for i in range(M):
        C[i] = A[i] + B[i]
    return C


def gemm[T: (int8, int32), M: int32, N: int32, K: int32](A: "T[M, K]", B: "T[K, N]") -> "T[M, N]":
    C: T[M, N] = 0
    for i, j, k in allo.grid(M, N, K):
        C[i, j] += A[i, k] * B[k, j]
    return C


def scale[T: Int, N](A: "T[N]", k: T) -> "T[N]":
    B: T[N] = 0
    for i in range(N):
        B[i] = A[i] * k
    return B


def double[Ty, N](A: "Ty[N]") -> "Ty[N]":
    B: Ty[N] = 0
    for i in range(N):
        B[i] = A[i] + A[i]
    return B


def calls_template[Ty](A: "Ty[4]") -> "Ty[4]":
    return double[Ty, 4](A)


def rowsum[M: int32, N: int32](A: int32[M, N]) -> int32[M]:    # unquoted, as Allo writes it
    S: int32[M] = 0
    for i, j in allo.grid(M, N):
        S[i] += A[i, j]
    return S


def accumulate[T, M: int32, N: int32](A: "T[N, M]", s: "T[M]"):
    for i, j in allo.grid(N, M):
        s[j] += A[i, j]


def bare_template_call[T, M: int32, N: int32](A: "T[N, M]", s: "T[M]"):
    accumulate(A, s)        # as Allo's bicg: the caller's T, M, N by name


def bare_call_missing[T](A: "T[4, 4]", s: "T[4]"):
    accumulate(A, s)        # M, N are not the caller's: refused at this line
