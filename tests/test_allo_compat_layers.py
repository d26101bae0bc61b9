"""Allo's array builtins in kernels (transpose/.T, batched matmul, bmm, linear, view, tril,
ones/zeros, softmax, layernorm, gelu, conv2d, maxpool, sumpool, abs) and numpy broadcasting,
against references written here with plain numpy loops/formulas (not allo_rtl.dsl).
Integer kernels also run on the default hardware build; float ones on the interpreter
(float32 hardware is the floating-point issue's)."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import float32, int16, int32
from source_modules import module_from_source

RNG = np.random.default_rng(12)


def ints(*shape, lo=-60, hi=60, dtype=np.int32):
    return RNG.integers(lo, hi, shape).astype(dtype)


def floats(*shape):
    return RNG.uniform(-2, 2, shape).astype(np.float32)


def both(s, *args):
    """Hardware and interpreter results, which must agree exactly."""
    hw = s.build()(*args)
    sw = s.build(target="python")(*args)
    np.testing.assert_array_equal(hw, sw)
    return hw


# --- integers: hardware == interpreter == numpy ------------------------------------------
def conv(A: int32[1, 2, 6, 5], W: int32[3, 2, 3, 2]) -> int32[1, 3, 4, 4]:
    return allo.conv2d(A, W)


def test_conv2d():
    a, w = ints(1, 2, 6, 5), ints(3, 2, 3, 2)
    ref = np.zeros((1, 3, 4, 4), np.int64)
    for f in range(3):
        for y in range(4):
            for x in range(4):
                ref[0, f, y, x] = np.sum(a[0, :, y:y + 3, x:x + 2].astype(np.int64) * w[f])
    assert np.array_equal(both(allo.customize(conv), a, w), ref)


def pools(A: int32[2, 1, 5, 6], W: int32[2, 3]) -> int32[2, 1, 4, 4]:
    return allo.maxpool(A, W) - allo.sumpool(A, W)


def test_maxpool_and_sumpool_windows():
    a = ints(2, 1, 5, 6, lo=-1000, hi=1000)
    ref = np.zeros((2, 1, 4, 4), np.int64)
    for n in range(2):
        for y in range(4):
            for x in range(4):
                win = a[n, 0, y:y + 2, x:x + 3].astype(np.int64)
                ref[n, 0, y, x] = win.max() - win.sum()
    assert np.array_equal(both(allo.customize(pools), a, ints(2, 3)), ref)


def shapes(A: int32[2, 3, 4], B: int32[4]) -> int32[4, 6]:
    C = allo.transpose(A, (2, 0, 1)) + B.T[0]      # .T of a 1-D array is itself
    return allo.view(allo.abs(C), (4, 6))


def test_transpose_view_abs_and_scalar_broadcast():
    a, b = ints(2, 3, 4), ints(4)
    ref = np.abs(np.moveaxis(a, 2, 0).astype(np.int64) + b[0]).reshape(4, 6)
    assert np.array_equal(both(allo.customize(shapes), a, b), ref)


def batched(A: int32[2, 3, 4], B: int32[4, 5], C: int32[2, 5, 3]) -> int32[2, 3, 3]:
    D = allo.matmul(A, B)          # batch dims broadcast: [2, 3, 4] @ [4, 5]
    return allo.bmm(D, C)


def test_batched_matmul_and_bmm():
    a, b, c = ints(2, 3, 4, lo=-9, hi=9), ints(4, 5, lo=-9, hi=9), ints(2, 5, 3, lo=-9, hi=9)
    ref = np.zeros((2, 3, 3), np.int64)
    for n in range(2):
        ref[n] = (a[n].astype(np.int64) @ b) @ c[n]
    assert np.array_equal(both(allo.customize(batched), a, b, c), ref)


def lin(X: int32[3, 2, 4], W: int32[5, 4], b: int32[5]) -> int32[3, 2, 5]:
    return allo.linear(X, W, b)


def test_linear_broadcasts_the_bias():
    x, w, b = ints(3, 2, 4), ints(5, 4), ints(5)
    ref = np.einsum("abk,nk->abn", x.astype(np.int64), w) + b
    assert np.array_equal(both(allo.customize(lin), x, w, b), ref)


def tri(A: int16[4, 5]) -> int16[4, 5]:
    O = allo.ones((4, 5), dtype=int16)
    Z = allo.zeros((4, 5), dtype=int)
    return allo.tril(A) + O + Z


def test_tril_ones_zeros():
    a = ints(4, 5, dtype=np.int16)
    ref = np.array([[a[i, j] if j <= i else 0 for j in range(5)] for i in range(4)]) + 1
    assert np.array_equal(both(allo.customize(tri), a), ref)


def bcast(A: int32[3, 1, 4], B: int32[2, 1]) -> int32[3, 2, 4]:
    return A * B


def test_numpy_broadcasting_of_elementwise_operators():
    a, b = ints(3, 1, 4), ints(2, 1)
    ref = a.astype(np.int64) * b
    assert ref.shape == (3, 2, 4)
    assert np.array_equal(both(allo.customize(bcast), a, b), ref)


def test_int_results_wrap_like_numpy_int32():
    def k(A: int32[2, 2], B: int32[2, 2]) -> int32[2, 2]:
        return allo.matmul(A, B)
    a = np.full((2, 2), 2 ** 30, np.int32)
    ref = ((a.astype(np.int64) @ a) + 2 ** 31) % 2 ** 32 - 2 ** 31
    assert np.array_equal(both(allo.customize(k), a, a), ref)


def test_name_keyword_is_accepted():
    def k(A: int32[3, 3], B: int32[3, 3]) -> int32[3, 3]:
        C = allo.matmul(A, B, name="gemm")
        return allo.add(C, A, name="bias")
    a, b = ints(3, 3), ints(3, 3)
    assert np.array_equal(both(allo.customize(k), a, b), a.astype(np.int64) @ b + a)


# --- floats on the interpreter -----------------------------------------------------------
def smax(A: float32[2, 3, 8], B: float32[3, 8]) -> float32[2, 3, 8]:
    return allo.softmax(A) + allo.softmax(B)


def _softmax_rows(x):
    x = x.astype(np.float64)
    out = np.empty_like(x)
    for idx in np.ndindex(x.shape[:-1]):
        e = np.exp(x[idx] - x[idx].max())
        out[idx] = e / e.sum()
    return out


def test_softmax_over_the_last_axis():
    a, b = floats(2, 3, 8) * 10, floats(3, 8)
    got = allo.customize(smax).build(target="python")(a, b)
    np.testing.assert_allclose(got, _softmax_rows(a) + _softmax_rows(b), rtol=1e-5, atol=1e-6)


def norm(X: float32[3, 16], g: float32[16], b: float32[16]) -> float32[3, 16]:
    return allo.gelu(allo.layernorm(X, g, b))


def test_layernorm_then_gelu():
    x, g, b = floats(3, 16) * 5 + 1, floats(16), floats(16)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=1, keepdims=True)
    var = ((x64 - mean) ** 2).mean(axis=1, keepdims=True)
    y = g * (x64 - mean) / np.sqrt(var + 1e-5) + b
    ref = 0.5 * y * (1 + np.tanh(np.sqrt(2 / np.pi) * (y + 0.044715 * y ** 3)))
    got = allo.customize(norm).build(target="python")(x, g, b)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def test_transposes_in_float_expressions():
    def k(X: float32[4, 3], A: float32[5, 3], B: float32[5]) -> float32[4, 5]:
        return (allo.matmul(X, A.T) + B) * 2
    x, a, b = floats(4, 3), floats(5, 3), floats(5)
    ref = (x.astype(np.float64) @ a.astype(np.float64).T + b) * 2
    got = allo.customize(k).build(target="python")(x, a, b)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def test_kernel_runs_as_python_too():
    # the builtins are numpy functions, so a kernel is also runnable as plain Python
    x, w, b = ints(3, 2, 4), ints(5, 4), ints(5)
    assert np.array_equal(lin(x, w, b), np.einsum("abk,nk->abn", x, w) + b)
    a, ww = ints(1, 2, 6, 5), ints(3, 2, 3, 2)
    assert np.array_equal(conv(a, ww), allo.customize(conv).build(target="python")(a, ww))


# --- refusals at the line ------------------------------------------------------------------
@pytest.mark.parametrize("body, message", [
    ("return allo.bmm(A, A)", "allo.bmm needs two 3-D arrays"),
    ("return allo.transpose(A, (0, 0))", "not a permutation"),
    ("return allo.view(A, (5,))", "the sizes differ"),
    ("return A + allo.ones((3,), dtype=int32)", "do not broadcast"),
    ("return allo.softmax(A, axis=0)", "unexpected keyword argument 'axis'"),
])
def test_bad_builtin_calls_are_refused_at_the_line(tmp_path, body, message):
    mod = module_from_source(tmp_path, "kernel_bad",
                             "import allo_rtl as allo\nfrom allo_rtl.ir.types import int32\n\n"
                             f"def k(A: int32[2, 2]) -> int32[2, 2]:\n    {body}\n")
    with pytest.raises(allo.AlloError, match=message) as e:
        allo.customize(mod.k)
    assert "kernel_bad.py:5" in str(e.value)
