"""float16, bfloat16 and float64 through the default build (issue 14): the same generated units
as float32, bit for bit against numpy / ml_dtypes in the source's operation order (written here,
independently of the compiler) and against the interpreter. ml_dtypes computes a bfloat16 op
in float32 and rounds once more, which is the correctly rounded result (float32 has more than
twice bfloat16's precision + 2); numpy's float16 does the same.

NaN: the hardware's NaN is the format's canonical one, so a NaN of the reference only
requires a NaN, and the interpreter (which canonicalizes as the hardware) is compared bit for
bit."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import bfloat16, float16, float32, float64, int32

ml_dtypes = pytest.importorskip("ml_dtypes")

FORMATS = {"float16": (float16, np.float16, np.uint16),
           "bfloat16": (bfloat16, ml_dtypes.bfloat16, np.uint16),
           "float64": (float64, np.float64, np.uint64)}
N = 48


def raw(x, ut) -> np.ndarray:
    return np.asarray(x).view(ut)


def assert_same(got, want, dt, ut, what):
    got, want = np.asarray(got, dtype=dt), np.asarray(want, dtype=dt)
    nan = np.isnan(want.astype(np.float64))
    assert np.array_equal(np.isnan(got.astype(np.float64)), nan), f"{what}: NaN positions"
    bad = np.flatnonzero(raw(got, ut)[~nan] != raw(want, ut)[~nan])
    assert bad.size == 0, (f"{what}: {bad.size} differ, first got {got[~nan][bad[0]]!r} "
                           f"want {want[~nan][bad[0]]!r}")


def edge_bits(t) -> list[int]:
    m, e = t.fracs, t.bits - t.fracs - 1
    ones = (1 << e) - 1
    one = ((1 << (e - 1)) - 1) << m
    pos = [0, 1, (1 << m) - 1, 1 << m, one, one + 1, ((ones - 1) << m) | ((1 << m) - 1),
           ones << m, (ones << m) | (1 << (m - 1)), one + (1 << (m - 1))]
    return pos + [p | 1 << (t.bits - 1) for p in pos]


def operands(name, seed):
    t, dt, ut = FORMATS[name]
    rng = np.random.default_rng(seed)
    edges = np.array(edge_bits(t), dtype=ut)
    k = N - edges.size
    pats = rng.integers(0, 1 << t.bits, k, dtype=np.uint64).astype(ut)
    a = np.concatenate([edges, pats]).view(dt)
    vals = (rng.standard_normal(N) * 2.0 ** rng.integers(-6, 6, N)).astype(dt)
    b = np.concatenate([vals[: N // 2], np.roll(a, 3)[N // 2:]])
    return a, b


def make_ops(T):
    def ops(A: T[48], B: T[48]) -> (T[48], T[48], T[48], T[48], T[48], T[48], int32[48],
                                    int32[48]):
        S: T[48] = 0.0
        D: T[48] = 0.0
        P: T[48] = 0.0
        Q: T[48] = 0.0
        R: T[48] = 0.0
        M: T[48] = 0.0
        L: int32[48] = 0
        J: int32[48] = 0
        for i in range(48):
            S[i] = A[i] + B[i]
            D[i] = A[i] - B[i]
            P[i] = A[i] * B[i]
            Q[i] = A[i] / B[i]
            R[i] = allo.sqrt(A[i])
            M[i] = max(A[i], B[i])
            L[i] = A[i] < B[i]
            J[i] = A[i]
        return S, D, P, Q, R, M, L, J
    return ops


def to_int32(x) -> int:
    """C truncation; NaN and out of range: the most negative int32 (as the units, x86)."""
    v = float(x)
    if np.isnan(v) or not -2.0 ** 31 <= np.trunc(v) < 2.0 ** 31:
        return -(1 << 31)
    return int(np.trunc(v))


@pytest.mark.parametrize("name", list(FORMATS))
def test_elementwise_ops_bit_exact(name):
    t, dt, ut = FORMATS[name]
    a, b = operands(name, seed=t.bits + t.fracs)
    with np.errstate(all="ignore"):
        want = [a + b, a - b, a * b, a / b, np.sqrt(a), np.maximum(a, b)]
    want_lt = [int(float(x) < float(y)) for x, y in zip(a, b)]
    want_j = [to_int32(x) for x in a]
    s = allo.customize(make_ops(t))
    hw = s.build()(a.copy(), b.copy())
    py = s.build(target="python")(a.copy(), b.copy())
    for got, ref, what in zip(hw[:6], want, ("+", "-", "*", "/", "sqrt", "max")):
        assert_same(got, ref, dt, ut, f"{name} {what}")
    assert list(hw[6]) == want_lt and list(hw[7]) == want_j
    for h, p in zip(hw, py):                # hardware == interpreter, bit for bit
        h, p = np.asarray(h), np.asarray(p)
        assert h.dtype == p.dtype and h.tobytes() == p.tobytes()


def make_dot(T):
    def dot(A: T[32], B: T[32]) -> T:
        acc: T = 0.0
        for i in range(32):
            acc += A[i] * B[i]
        return acc
    return dot


@pytest.mark.parametrize("name", list(FORMATS))
@pytest.mark.parametrize("pipelined", [False, True])
def test_dot_product_bit_exact(name, pipelined):
    t, dt, ut = FORMATS[name]
    rng = np.random.default_rng(5)
    a = rng.standard_normal(32).astype(dt)
    b = (rng.standard_normal(32) * 4).astype(dt)
    acc = dt(0)
    for x, y in zip(a, b):                  # source order, each op rounded in the format
        acc = dt(acc + dt(x * y))
    s = allo.customize(make_dot(t))
    if pipelined:
        s.pipeline("i")
    got = s.build()(a, b)
    assert raw(np.asarray(got, dtype=dt), ut) == raw(np.asarray(acc, dtype=dt), ut)
    assert raw(np.asarray(s.build(target="python")(a, b), dtype=dt), ut) == raw(
        np.asarray(acc, dtype=dt), ut)


def mixed(A: float16[8], B: bfloat16[8], C: float64[8]) -> (float32[8], float64[8], int32[8]):
    X: float32[8] = 0.0
    Y: float64[8] = 0.0
    Z: int32[8] = 0
    for i in range(8):
        X[i] = A[i] + B[i]              # float16 with bfloat16 meet in float32
        Y[i] = C[i] * A[i]
        Z[i] = A[i] < C[i]
    return X, Y, Z


def test_mixed_formats_convert_as_the_interpreter():
    rng = np.random.default_rng(9)
    a = (rng.standard_normal(8) * 100).astype(np.float16)
    b = (rng.standard_normal(8) * 1e5).astype(ml_dtypes.bfloat16)
    c = rng.standard_normal(8) * 100
    x, y, z = allo.customize(mixed).build()(a, b, c)
    assert np.array_equal(x, a.astype(np.float32) + b.astype(np.float32))
    assert np.array_equal(y, c * a.astype(np.float64))
    assert list(z) == [int(float(p) < q) for p, q in zip(a, c)]


def small16(A: float16[8], B: float16[8]) -> float16:
    acc: float16 = 0.0
    for i in range(8):
        acc += A[i] * B[i] - 0.5
    return acc


def small_bf16(A: bfloat16[8], B: bfloat16[8]) -> bfloat16:
    acc: bfloat16 = 0.0
    for i in range(8):
        acc += A[i] * B[i] - 0.5
    return acc


@pytest.mark.parametrize("sim, kernel, name", [
    pytest.param("icarus", small16, "float16", marks=pytest.mark.icarus),
    pytest.param("verilator", small_bf16, "bfloat16", marks=pytest.mark.verilator)])
def test_other_formats_on_external_simulators(sim, kernel, name):
    t, dt, ut = FORMATS[name]
    a = np.array([1.5, -0.0, 3e3, 2.0, -7.25, 1e-3, 0.1, 60000], dtype=np.float64).astype(dt)
    b = np.array([2.0, 5.0, 0.5, -3e-2, 1.0, 1e-3, 0.3, 2.0], dtype=np.float64).astype(dt)
    want = dt(0)
    with np.errstate(all="ignore"):
        for x, y in zip(a, b):
            want = dt(want + dt(dt(x * y) - dt(0.5)))
    s = allo.customize(kernel)
    ref = s.build()
    got_ref = ref(a.copy(), b.copy())
    mod = s.build(target=sim)
    got = mod(a.copy(), b.copy())
    assert raw(np.asarray(got, dtype=dt), ut) == raw(np.asarray(want, dtype=dt), ut)
    assert raw(np.asarray(got_ref, dtype=dt), ut) == raw(np.asarray(want, dtype=dt), ut)
    assert mod.cycles == ref.cycles
