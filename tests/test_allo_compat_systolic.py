"""allo.library.systolic (Allo's systolic matrix multiply): hardware == interpreter == a
Python-int / float32 reference of C = A @ B, for the whole kernel, one tile, a schedule with
schedule_systolic, and two named instances cascaded inside a kernel."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import float32, int8, int16
from allo_rtl.library.systolic import schedule_systolic, systolic, systolic_tile

RNG = np.random.default_rng(12)


def matmul_wrapping(a, b, dtype):
    """A @ B with Python ints, wrapped into ``dtype`` once at the end (the accumulator's
    two's-complement wrap is the same whether it is applied per step or at the end)."""
    exact = a.astype(object) @ b.astype(object)
    bits = np.dtype(dtype).itemsize * 8
    wrap = np.vectorize(lambda v: (v + (1 << bits - 1)) % (1 << bits) - (1 << bits - 1))
    return wrap(exact).astype(dtype)


def matmul_float32_sequential(a, b):
    """float32 A @ B summed in k order, rounding after each product and each add (as the PE
    does), which numpy's matmul does not promise."""
    out = np.zeros((a.shape[0], b.shape[1]), np.float32)
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            acc = np.float32(0)
            for k in range(a.shape[1]):
                acc = np.float32(acc + np.float32(a[i, k] * b[k, j]))
            out[i, j] = acc
    return out


def edge_int8(shape):
    a = RNG.integers(-128, 128, size=shape).astype(np.int8)
    a.flat[0], a.flat[-1] = -128, 127
    return a


@pytest.mark.parametrize("ty_c", [int8, int16])
def test_systolic_int_hardware_interpreter_reference(ty_c):
    M, K, N, Mt, Nt = 4, 3, 4, 2, 2
    a, b = edge_int8((M, K)), edge_int8((K, N))
    want = matmul_wrapping(a, b, ty_c.numpy_dtype)
    s = allo.customize(systolic, instantiate=[int8, int8, ty_c, M, K, N, Mt, Nt])
    for target in ("python", None):
        c = np.zeros((M, N), ty_c.numpy_dtype)
        s.build(target=target)(a, b, c)
        assert np.array_equal(c, want), target


def test_systolic_tile_float32_bit_exact():
    K, Mt, Nt = 4, 2, 3
    a = RNG.standard_normal((Mt, K)).astype(np.float32)
    b = RNG.standard_normal((K, Nt)).astype(np.float32)
    a[0, 0] = -0.0
    want = matmul_float32_sequential(a, b)
    s = allo.customize(systolic_tile, instantiate=[float32, float32, float32, K, Mt, Nt])
    for target in ("python", None):
        c = np.zeros((Mt, Nt), np.float32)
        s.build(target=target)(a, b, c)
        assert np.array_equal(c.view(np.uint32), want.view(np.uint32)), target


def test_schedule_systolic_keeps_the_result():
    M, K, N, Mt, Nt = 4, 2, 4, 2, 2
    a, b = edge_int8((M, K)), edge_int8((K, N))
    s = allo.customize(systolic, instantiate=[int8, int8, int16, M, K, N, Mt, Nt])
    assert schedule_systolic(s) is s
    c = np.zeros((M, N), np.int16)
    s.build()(a, b, c)
    assert np.array_equal(c, matmul_wrapping(a, b, np.int16))


def test_schedule_systolic_refuses_another_kernel():
    s = allo.customize(systolic_tile, instantiate=[int8, int8, int8, 2, 2, 2])
    with pytest.raises(ValueError, match="applies to a schedule of systolic, not of "
                                         "systolic_tile"):
        schedule_systolic(s)


M, K, N, T = 4, 2, 4, 2


def two_layers(X: int8[M, K], W1: int8[K, N], W2: int8[N, K]) -> int16[M, K]:
    Z: int8[M, N] = 0
    systolic[int8, int8, int8, M, K, N, T, T, "L1"](X, W1, Z)
    Y: int16[M, K] = 0
    systolic[int8, int8, int16, M, N, K, T, T, "L2"](Z, W2, Y)
    return Y


def test_named_instances_cascaded_in_a_kernel():
    x, w1, w2 = edge_int8((M, K)), edge_int8((K, N)), edge_int8((N, K))
    want = matmul_wrapping(matmul_wrapping(x, w1, np.int8), w2, np.int16)
    s = allo.customize(two_layers)
    assert {"systolic_L1", "systolic_L2"} <= set(s.module.functions)
    for target in ("python", None):
        assert np.array_equal(s.build(target=target)(x, w1, w2), want), target
