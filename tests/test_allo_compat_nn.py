"""``allo.library.nn`` (Allo's layer library) against numpy formulas written here from each
layer's definition. Integer and plain-arithmetic float layers also run on the default
hardware build (hardware == interpreter exactly); layers calling exp/log/tanh/sqrt run on
the interpreter, and the hardware build refuses them naming the line."""
import numpy as np
import pytest

import allo_rtl as allo
import allo_rtl.library.nn as nn
from allo_rtl.errors import AlloBackendError
from allo_rtl.ir.types import float32, int8, int32

RNG = np.random.default_rng(7)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def ints(*shape, lo=-50, hi=50):
    return RNG.integers(lo, hi, shape).astype(np.int32)


def interp(layer, inst, *args):
    return allo.customize(layer, instantiate=inst).build(target="python")(*args)


def hw_and_interp(layer, inst, *args):
    s = allo.customize(layer, instantiate=inst)
    hw, sw = s.build()(*args), s.build(target="python")(*args)
    np.testing.assert_array_equal(hw, sw)
    return hw


def padded(x, p, value=0.0):
    return np.pad(x.astype(np.float64), ((0, 0), (0, 0), (p, p), (p, p)), constant_values=value)


# --- integers on hardware --------------------------------------------------------------
def test_int_linear_relu_residual_on_hardware():
    X, W, b = ints(3, 4), ints(5, 4), ints(5)
    want = X.astype(np.int64) @ W.T.astype(np.int64) + b
    assert np.array_equal(hw_and_interp(nn.linear2d, [int32, int32, int32, 3, 5, 4], X, W, b),
                          want)
    A = ints(4, 6)
    assert np.array_equal(hw_and_interp(nn.relu2d, [int32, 4, 6], A), np.maximum(A, 0))
    assert np.array_equal(hw_and_interp(nn.residual_add, [int32, 4, 6], A, A[::-1].copy()),
                          A + A[::-1])


def test_int8_linear_wraps_like_numpy():
    X = RNG.integers(-128, 128, (2, 8)).astype(np.int8)
    W = RNG.integers(-128, 128, (3, 8)).astype(np.int8)
    b = RNG.integers(-128, 128, 3).astype(np.int8)
    want = (X.astype(np.int64) @ W.T.astype(np.int64) + b).astype(np.int8)    # mod 2**8
    got = interp(nn.linear2d, [int8, int8, int8, 2, 3, 8], X, W, b)
    assert got.dtype == np.int8 and np.array_equal(got, want)


@pytest.mark.parametrize("stride, pad", [(1, 0), (2, 1)])
def test_int_conv2d_strided_padded_on_hardware(stride, pad):
    N, C, F, H, W, K = 1, 2, 2, 5, 6, 3
    oh, ow = (H + 2 * pad - K) // stride + 1, (W + 2 * pad - K) // stride + 1
    x, k, b = ints(N, C, H, W, lo=-9, hi=9), ints(F, C, K, K, lo=-9, hi=9), ints(F)
    xp = padded(x, pad)
    want = np.zeros((N, F, oh, ow))
    for f in range(F):
        for y in range(oh):
            for z in range(ow):
                win = xp[0, :, y * stride:y * stride + K, z * stride:z * stride + K]
                want[0, f, y, z] = np.sum(win * k[f]) + b[f]
    got = hw_and_interp(nn.conv2d, [int32, N, C, F, H, W, K, K, oh, ow, stride, stride, pad,
                                    pad], x, k, b)
    assert np.array_equal(got, want)


def test_int_maxpool_concat_repeat_on_hardware():
    x = ints(1, 2, 5, 5)
    K, S, P = 2, 2, 1
    o = (5 + 2 * P - K) // S + 1
    xp = padded(x, P, -np.inf)
    want = np.array([[[[xp[0, c, y * S:y * S + K, z * S:z * S + K].max() for z in range(o)]
                       for y in range(o)] for c in range(2)]])
    assert np.array_equal(hw_and_interp(nn.maxpool2d, [int32, 1, 2, 5, 5, K, o, o, S, P], x),
                          want)
    a, b = ints(2, 3, 4), ints(2, 1, 4)
    assert np.array_equal(hw_and_interp(nn.concat, [int32, 2, 3, 1, 4], a, b),
                          np.concatenate([a, b], axis=1))
    assert np.array_equal(hw_and_interp(nn.repeat_batch3d, [int32, 2, 3, 4, 3], a),
                          np.tile(a, (3, 1, 1)))


# --- floats --------------------------------------------------------------------------------
def test_float_modulate_fused_on_hardware_with_its_schedule():
    X, scale, shift = f32(4, 8), f32(8), f32(8)
    s = allo.customize(nn.modulate_fused, instantiate=[float32, 4, 8])
    nn.schedule_modulate_fused(s)
    hw, sw = s.build()(X, scale, shift), s.build(target="python")(X, scale, shift)
    np.testing.assert_array_equal(hw.view(np.uint32), sw.view(np.uint32))
    # float32 rounding of each step, as the kernel's float32 arithmetic does
    want = X * (np.float32(1) + scale) + shift
    np.testing.assert_array_equal(sw, want)


def np_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_softmax_log_softmax_layer_norm_gelu():
    x = f32(8, 8) * 100                              # exp would overflow without the max
    np.testing.assert_allclose(interp(nn.softmax, [float32, 8], x), np_softmax(x), atol=1e-6)
    ref = x - x.max(1, keepdims=True)
    ref = ref - np.log(np.exp(ref).sum(1, keepdims=True))
    np.testing.assert_allclose(interp(nn.log_softmax, [float32, 8, 8], x), ref, rtol=1e-5,
                               atol=1e-4)
    x, g, b = f32(6, 8), f32(8), f32(8)
    ref = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5) * g + b
    np.testing.assert_allclose(interp(nn.layer_norm, [float32, 6, 8], x, g, b), ref,
                               rtol=1e-4, atol=1e-5)
    ref = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(interp(nn.GeLU, [float32, 6, 8], x), ref, rtol=1e-5, atol=1e-6)


def test_attention_and_rope_by_heads():
    H, L, D = 2, 4, 8
    q, k, v = f32(L, D), f32(L, D), f32(L, D)
    want = np.zeros((L, D))
    for h in range(H):
        cols = slice(h * D // H, (h + 1) * D // H)
        want[:, cols] = np_softmax(q[:, cols] @ k[:, cols].T) @ v[:, cols]
    got = interp(nn.scaled_dot_product_attention, [float32, H, L, D, 2, 2], q, k, v)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    x, c, s = f32(L, D), f32(L, D // H // 2), f32(L, D // H // 2)
    heads = x.reshape(L, H, D // H)
    x1, x2 = heads[..., :D // H // 2], heads[..., D // H // 2:]
    want = np.concatenate([x1 * c[:, None] - x2 * s[:, None], x1 * s[:, None] + x2 * c[:, None]],
                          axis=-1).reshape(L, D)
    np.testing.assert_allclose(interp(nn.RoPE, [float32, H, L, D], x, c, s), want, rtol=1e-6,
                               atol=1e-6)


def test_batchnorms_and_avgpool():
    x, g, b, m, var = f32(2, 3, 4, 4), f32(3), f32(3), f32(3), np.abs(f32(3))
    sh = (1, 3, 1, 1)
    want = (x - m.reshape(sh)) / np.sqrt(var.reshape(sh) + 1e-5) * g.reshape(sh) + b.reshape(sh)
    np.testing.assert_allclose(interp(nn.batchnorm2d, [float32, 2, 3, 4, 4], x, g, b, 1e-5, m,
                                      var), want, rtol=1e-5, atol=1e-5)
    x2 = f32(4, 3)
    want = (x2 - m) / np.sqrt(var + 1e-5) * g + b
    np.testing.assert_allclose(interp(nn.batchnorm1d_2d, [float32, 4, 3], x2, g, b, 1e-5, m,
                                      var), want, rtol=1e-5, atol=1e-5)
    x3 = f32(2, 3, 5)
    want = (x3 - m[:, None]) / np.sqrt(var[:, None] + 1e-5) * g[:, None] + b[:, None]
    np.testing.assert_allclose(interp(nn.batchnorm1d_3d, [float32, 2, 3, 5], x3, g, b, 1e-5, m,
                                      var), want, rtol=1e-5, atol=1e-5)
    x4, K, S, P = f32(1, 2, 5, 5), 3, 2, 1
    o = (5 + 2 * P - K) // S + 1
    xp = padded(x4, P)
    want = np.array([[[[xp[0, c, y * S:y * S + K, z * S:z * S + K].mean() for z in range(o)]
                       for y in range(o)] for c in range(2)]])
    np.testing.assert_allclose(interp(nn.avgpool2d, [float32, 1, 2, 5, 5, K, o, o, S, P], x4),
                               want, rtol=1e-5, atol=1e-6)


def test_layers_inside_a_kernel_and_compose():
    BS, A, B, C = 3, 5, 4, 2

    def two_layers(X: float32[BS, A], W0: float32[B, A], W1: float32[C, B], b0: float32[B],
                   b1: float32[C]) -> float32[BS, C]:
        Z0 = nn.linear2d[float32, float32, float32, BS, B, A](X, W0, b0)
        return nn.linear2d[float32, float32, float32, BS, C, B](Z0, W1, b1)

    s = allo.customize(two_layers)
    s.compose(nn.linear2d, instantiate=[float32, float32, float32, BS, B, A])
    s.compose(nn.linear2d, id="1", instantiate=[float32, float32, float32, BS, C, B])
    with pytest.raises(allo.AlloError, match="no kernel 'linear2d_7'"):
        s.compose(nn.linear2d, id="7", instantiate=[float32, float32, float32, BS, C, B])
    args = [f32(BS, A), f32(B, A), f32(C, B), f32(B), f32(C)]
    X, W0, W1, b0, b1 = (a.astype(np.float64) for a in args)
    np.testing.assert_allclose(s.build(target="python")(*args), (X @ W0.T + b0) @ W1.T + b1,
                               rtol=1e-5, atol=1e-5)


def test_softmax_runs_in_hardware_bit_for_bit_as_the_interpreter():
    # exp is a float32 unit sequence now (ir/float_math): the layer builds, and hardware and
    # interpreter share the algorithm, so they agree exactly
    s = allo.customize(nn.softmax, instantiate=[float32, 4])
    X = np.random.default_rng(9).standard_normal((4, 4)).astype(np.float32) * 4
    want = s.build(target="python")(X.copy())
    got = s.build()(X.copy())
    assert np.array_equal(np.asarray(got).view(np.uint32), np.asarray(want).view(np.uint32))
    e = np.exp(X.astype(np.float64) - X.max(axis=1, keepdims=True))
    np.testing.assert_allclose(got, e / e.sum(axis=1, keepdims=True), rtol=1e-5)
