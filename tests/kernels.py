"""Shared kernel registry for differential tests: each case has a kernel, an input generator
(random or edge values) and an independent numpy reference.

Sizes follow the PolyBench "calyx-evaluation" style: 8 per dimension, int32, unless the
kernel is about other types. numpy references compute in int64/Python ints and wrap to the
kernel's types explicitly; they never call allo_rtl.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import Fixed, Int, UInt, int8, int32

N = 8
I32 = np.iinfo(np.int32)
EDGE = np.array([I32.min, I32.max, 0, -1, 1, I32.min + 1, 2, -2], dtype=np.int32)


def wrap32(x):
    return np.asarray(x, dtype=np.int64).astype(np.int32)


def i32(rng, shape, edge=False):
    if edge:
        return np.resize(EDGE, shape).astype(np.int32)
    return rng.integers(I32.min, I32.max, shape, dtype=np.int64, endpoint=True).astype(np.int32)


def copy_args(args):
    """Independent copies of a kernel's arguments (arrays are written in place)."""
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def assert_same(got, expected):
    """Equal results, bit for bit: tuples element-wise, arrays by shape and value."""
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_same(g, e)
    elif isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray) and got.shape == expected.shape
        assert np.array_equal(got, expected), f"got {got}, expected {expected}"
    else:
        assert got == expected, f"got {got}, expected {expected}"


def pipeline_innermost(s, ii=1):
    """Mark every innermost loop of every kernel in schedule ``s`` for pipelining."""
    from allo_rtl.ir import nodes as ir
    for f in s.module.functions.values():
        for loop in ir.loops(f.body):
            if not any(isinstance(x, ir.For) for x in ir.walk_stmts(loop.body)):
                s.pipeline(f"{f.name}:{loop.name}", initiation_interval=ii)
    return s


@dataclass
class Case:
    name: str
    kernel: object
    make_inputs: object          # (rng, edge: bool) -> list of args
    reference: object            # args (copies) -> expected return value; may update args
    inplace: tuple = field(default_factory=tuple)   # indices of args the kernel writes
    slow: bool = False


# --- PolyBench ----------------------------------------------------------------------------
def gemm(alpha: int32, beta: int32, C: int32[N, N], A: int32[N, N], B: int32[N, N]):
    for i, j in allo.grid(N, N):
        C[i, j] *= beta
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += alpha * A[i, k] * B[k, j]


def gemm_ref(args):
    alpha, beta, C, A, B = args
    C[...] = wrap32(np.int64(beta) * C + np.int64(alpha) * (A.astype(np.int64) @ B))


def mm2(alpha: int32, beta: int32, A: int32[N, N], B: int32[N, N], C: int32[N, N],
        D: int32[N, N]):
    tmp: int32[N, N] = 0
    for i, j in allo.grid(N, N):
        tmp[i, j] = 0
        for k in range(N):
            tmp[i, j] += alpha * A[i, k] * B[k, j]
    for i, j in allo.grid(N, N):
        D[i, j] *= beta
        for k in range(N):
            D[i, j] += tmp[i, k] * C[k, j]


def mm2_ref(args):
    alpha, beta, A, B, C, D = args
    tmp = wrap32(np.int64(alpha) * (A.astype(np.int64) @ B))
    D[...] = wrap32(np.int64(beta) * D + tmp.astype(np.int64) @ C)


def mm3(A: int32[N, N], B: int32[N, N], C: int32[N, N], D: int32[N, N]) -> int32[N, N]:
    E = allo.matmul(A, B)
    F = allo.matmul(C, D)
    G: int32[N, N] = allo.matmul(E, F)
    return G


def mm3_ref(args):
    A, B, C, D = (a.astype(np.int64) for a in args)
    E, F = wrap32(A @ B).astype(np.int64), wrap32(C @ D).astype(np.int64)
    return wrap32(E @ F)


def atax(A: int32[N, N], x: int32[N]) -> int32[N]:
    y: int32[N] = 0
    tmp: int32[N] = 0
    for i in range(N):
        for j in range(N):
            tmp[i] += A[i, j] * x[j]
        for j in range(N):
            y[j] += A[i, j] * tmp[i]
    return y


def atax_ref(args):
    A, x = (a.astype(np.int64) for a in args)
    tmp = wrap32(A @ x).astype(np.int64)
    return wrap32(A.T @ tmp)


def bicg(A: int32[N, N], p: int32[N], r: int32[N]) -> (int32[N], int32[N]):
    s: int32[N] = 0
    q: int32[N] = 0
    for i in range(N):
        for j in range(N):
            s[j] = s[j] + r[i] * A[i, j]
            q[i] = q[i] + A[i, j] * p[j]
    return s, q


def bicg_ref(args):
    A, p, r = (a.astype(np.int64) for a in args)
    return wrap32(r @ A), wrap32(A @ p)


def mvt(A: int32[N, N], x1: int32[N], x2: int32[N], y1: int32[N], y2: int32[N]):
    for i, j in allo.grid(N, N):
        x1[i] = x1[i] + A[i, j] * y1[j]
    for i, j in allo.grid(N, N):
        x2[i] = x2[i] + A[j, i] * y2[j]


def mvt_ref(args):
    A, x1, x2, y1, y2 = args
    A64 = A.astype(np.int64)
    x1[...] = wrap32(x1 + A64 @ y1)
    x2[...] = wrap32(x2 + A64.T @ y2)


def gesummv(alpha: int32, beta: int32, A: int32[N, N], B: int32[N, N], x: int32[N]) -> int32[N]:
    y: int32[N] = 0
    tmp: int32[N] = 0
    for i in range(N):
        for j in range(N):
            tmp[i] = A[i, j] * x[j] + tmp[i]
            y[i] = B[i, j] * x[j] + y[i]
        y[i] = alpha * tmp[i] + beta * y[i]
    return y


def gesummv_ref(args):
    alpha, beta, A, B, x = args
    tmp = wrap32(A.astype(np.int64) @ x).astype(np.int64)
    y = wrap32(B.astype(np.int64) @ x).astype(np.int64)
    return wrap32(np.int64(alpha) * tmp + np.int64(beta) * y)


def syrk(alpha: int32, beta: int32, C: int32[N, N], A: int32[N, N]):
    for i in range(N):
        for j in range(i + 1):
            C[i, j] *= beta
        for k in range(N):
            for j in range(i + 1):
                C[i, j] += alpha * A[i, k] * A[j, k]


def syrk_ref(args):
    alpha, beta, C, A = args
    A64 = A.astype(np.int64)
    full = wrap32(np.int64(beta) * C + np.int64(alpha) * (A64 @ A64.T))
    lower = np.tril(np.ones((N, N), dtype=bool))
    C[lower] = full[lower]


def doitgen(A: int32[N, N, N], C4: int32[N, N]):
    s: int32[N] = 0
    for r, q in allo.grid(N, N):
        for p in range(N):
            s[p] = 0
            for k in range(N):
                s[p] += A[r, q, k] * C4[k, p]
        for p in range(N):
            A[r, q, p] = s[p]


def doitgen_ref(args):
    A, C4 = args
    A[...] = wrap32(A.astype(np.int64) @ C4.astype(np.int64))


T_STEPS = 2


def jacobi_1d(A: int32[N], B: int32[N]):
    for t in range(T_STEPS):
        for i in range(1, N - 1):
            B[i] = (A[i - 1] + A[i] + A[i + 1]) / 3
        for i in range(1, N - 1):
            A[i] = (B[i - 1] + B[i] + B[i + 1]) / 3


def _div3(x):          # C division: truncate toward zero
    return int(x / 3) if abs(x) < 2 ** 52 else (abs(x) // 3) * (1 if x >= 0 else -1)


def jacobi_ref(args):
    A, B = args
    a, b = [int(v) for v in A], [int(v) for v in B]
    for _ in range(T_STEPS):
        for i in range(1, N - 1):
            b[i] = _wrap(_div3(a[i - 1] + a[i] + a[i + 1]))
        for i in range(1, N - 1):
            a[i] = _wrap(_div3(b[i - 1] + b[i] + b[i + 1]))
    A[...], B[...] = np.array(a, dtype=np.int32), np.array(b, dtype=np.int32)


def _wrap(v, bits=32):
    return (v + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1))


# --- other kernels ------------------------------------------------------------------------
def blur(img: int32[N, N]) -> int32[N - 2, N - 2]:
    out: int32[N - 2, N - 2] = 0
    for y, x in allo.grid(N - 2, N - 2):
        acc: int32 = 0
        for dy, dx in allo.reduction(3, 3):
            acc += img[y + dy, x + dx]
        out[y, x] = acc
    return out


def blur_ref(args):
    (img,) = args
    im = img.astype(np.int64)
    out = sum(im[dy:dy + N - 2, dx:dx + N - 2] for dy in range(3) for dx in range(3))
    return wrap32(out)


def width_wrap(A: int8[N], B: UInt(12)[N]) -> (int8[N], UInt(12)[N], Int(5)[N]):
    C: int8[N] = 0
    D: UInt(12)[N] = 0
    E: Int(5)[N] = 0
    for i in range(N):
        C[i] = A[i] * 3 + 100          # wraps at 8 bits
        D[i] = B[i] - 5 << 2           # (B - 5) << 2 wraps at 12 bits
        E[i] = (A[i] >> 2) - B[i]      # narrowing into 5 bits
    return C, D, E


def width_wrap_ref(args):
    A, B = (a.astype(np.int64) for a in args)
    c = np.array([_wrap(int(a) * 3 + 100, 8) for a in A], dtype=np.int8)
    d = np.array([((int(b) - 5) << 2) % 4096 for b in B], dtype=np.uint16)
    e = np.array([_wrap((int(a) >> 2) - int(b), 5) for a, b in zip(A, B)], dtype=np.int8)
    return c, d, e


def width_inputs(rng, edge):
    if edge:
        return [np.array([-128, 127, 0, -1, 1, 64, -64, 2], dtype=np.int8),
                np.array([0, 4095, 5, 4, 6, 2048, 1, 4000], dtype=np.uint16)]
    return [rng.integers(-128, 128, N).astype(np.int8),
            rng.integers(0, 4096, N).astype(np.uint16)]


FX = Fixed(16, 8)


def fixed_scale(X: FX[N], W: FX[N]) -> (FX[N], Fixed(24, 10)):
    Y: FX[N] = 0.0
    acc: Fixed(24, 10) = 0.0
    for i in range(N):
        Y[i] = X[i] * W[i] - X[i]      # product has 16 fraction bits; narrowing truncates
        acc += X[i] * W[i]
    return Y, acc


def fixed_ref(args):
    X, W = ((a * 256).astype(np.int64) for a in args)    # raw, 8 fraction bits
    y, acc = [], 0
    for x, w in zip(X, W):
        exact = int(x) * int(w) - (int(x) << 8)           # 16 fraction bits
        y.append(_wrap(exact >> 8, 16) / 256.0)
        acc = _wrap(((acc << 6) + int(x) * int(w)) >> 6, 24)   # 16 -> 10 fraction bits
    return np.array(y), acc / 1024.0


def fixed_inputs(rng, edge):
    if edge:
        raw = np.array([-32768, 32767, 0, -1, 1, 256, -256, 128])
        return [raw / 256.0, raw[::-1] / 256.0]
    return [rng.integers(-32768, 32768, N) / 256.0, rng.integers(-32768, 32768, N) / 256.0]


def saxpy_row(a: int32, X: int32[N], Y: int32[N]) -> int32[N]:
    Z: int32[N] = 0
    for i in range(N):
        Z[i] = a * X[i] + Y[i]
    return Z


def two_calls(X: int32[N], Y: int32[N]) -> int32[N]:
    T = saxpy_row(3, X, Y)
    return saxpy_row(-2, T, X)


def two_calls_ref(args):
    X, Y = (a.astype(np.int64) for a in args)
    T = wrap32(3 * X + Y).astype(np.int64)
    return wrap32(-2 * T + X)


def _ints(*shapes_and_scalars):
    def make(rng, edge):
        out = []
        for item in shapes_and_scalars:
            if item == "s":
                out.append(int(EDGE[1 if edge else 0]) if edge else int(rng.integers(-50, 50)))
            else:
                out.append(i32(rng, item, edge))
        return out
    return make


BOARD_N = 6


def axpy_total(a: int8, X: int32[BOARD_N], Y: Int(20)[BOARD_N]) -> (int32[BOARD_N], int32):
    """Scalar in, array in, array updated in place (20-bit wrap), array and scalar out: every
    kind of port the board link and BIST handle."""
    Z: int32[BOARD_N] = 0
    total: int32 = 0
    for i in range(BOARD_N):
        Z[i] = a * X[i] + Y[i]
        Y[i] = Y[i] - 1
        total += Z[i]
    return Z, total


CASES = [
    Case("gemm", gemm, _ints("s", "s", (N, N), (N, N), (N, N)), gemm_ref, (2,)),
    Case("2mm", mm2, _ints("s", "s", (N, N), (N, N), (N, N), (N, N)), mm2_ref, (5,)),
    Case("3mm", mm3, _ints((N, N), (N, N), (N, N), (N, N)), mm3_ref),
    Case("atax", atax, _ints((N, N), (N,)), atax_ref),
    Case("bicg", bicg, _ints((N, N), (N,), (N,)), bicg_ref),
    Case("mvt", mvt, _ints((N, N), (N,), (N,), (N,), (N,)), mvt_ref, (1, 2)),
    Case("gesummv", gesummv, _ints("s", "s", (N, N), (N, N), (N,)), gesummv_ref),
    Case("syrk", syrk, _ints("s", "s", (N, N), (N, N)), syrk_ref, (2,)),
    Case("doitgen", doitgen, _ints((N, N, N), (N, N)), doitgen_ref, (0,), slow=True),
    Case("jacobi_1d", jacobi_1d, _ints((N,), (N,)), jacobi_ref, (0, 1)),
    Case("blur", blur, _ints((N, N)), blur_ref),
    Case("width_wrap", width_wrap, width_inputs, width_wrap_ref),
    Case("fixed_scale", fixed_scale, fixed_inputs, fixed_ref),
    Case("two_calls", two_calls, _ints((N,), (N,)), two_calls_ref),
]


def check_schedule(kernel, schedule, make_inputs, reference, inplace=(), seed=7):
    """Hardware of ``kernel`` under ``schedule`` == numpy ``reference`` == the interpreter of
    the unscheduled kernel, on random and edge inputs. Returns (schedule, hardware, what the
    schedule function returned)."""
    import allo_rtl as allo
    s = allo.customize(kernel)
    made = schedule(s)
    hw, plain = s.build(), allo.customize(kernel).build(target="python")
    for edge in (False, True):
        args = make_inputs(np.random.default_rng(seed), edge)
        a_np, a_hw, a_py = copy_args(args), copy_args(args), copy_args(args)
        expected = reference(a_np)
        got_hw, got_py = hw(*a_hw), plain(*a_py)
        if expected is not None:
            assert_same(got_hw, expected)
            assert_same(got_py, expected)
        for k in inplace:
            assert_same(a_hw[k], a_np[k])
            assert_same(a_py[k], a_np[k])
    return s, hw, made
