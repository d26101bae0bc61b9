"""``allo.library.nn``: Allo's neural-network layers as template kernels, with Allo's names,
template parameters and shapes (``allo.customize(nn.linear2d, instantiate=[float32, float32,
float32, M, N, K])``, or ``nn.linear2d[...](X, W, b)`` inside a kernel), written here from
each layer's definition (PyTorch's documentation of the same layer). ``schedule_<layer>(s)``
applies a customization to a schedule of that layer (pipelining its innermost loop).

Templates use ``@template`` rather than PEP 695 brackets so that the module imports on
Python 3.11 too. Layers that call exp/log/tanh/sqrt run on the interpreter
(``build(target="python")``); the hardware build refuses those functions, naming the kernel
line, until the floating-point units cover them.
"""
from __future__ import annotations

from .. import dsl
from ..dsl import template
from ..ir.types import bool as boolean, int32

GELU_C = 0.7978845608028654           # sqrt(2 / pi), of the tanh form of GELU


def _pipeline_innermost(s, band, axis):
    s.pipeline(s.get_loops(s.top_func_name)[band][axis])
    return s


# --- dense layers ----------------------------------------------------------------------
@template("TyX", "TyW", "TyO", "M", "N", "K")
def linear2d(X: "TyX[M, K]", W: "TyW[N, K]", b: "TyO[N]") -> "TyO[M, N]":
    """``X @ W.T + b``: W holds one row per output feature, as torch.nn.Linear's weight."""
    Z: TyO[M, N]
    for i, j in dsl.grid(M, N, name="linear2d"):
        acc: TyO = b[j]
        for k in dsl.reduction(K):
            acc += X[i, k] * W[j, k]
        Z[i, j] = acc
    return Z


def schedule_linear2d(s):
    return _pipeline_innermost(s, "linear2d", "j")


@template("TyX", "TyW", "TyO", "B", "L", "D", "M")
def linear3d(X: "TyX[B, L, D]", W: "TyW[M, D]", bias: "TyO[M]") -> "TyO[B, L, M]":
    """``X @ W.T + bias`` over a batch of sequences."""
    Z: TyO[B, L, M]
    for b, i, j in dsl.grid(B, L, M, name="linear3d"):
        acc: TyO = bias[j]
        for k in dsl.reduction(D):
            acc += X[b, i, k] * W[j, k]
        Z[b, i, j] = acc
    return Z


def schedule_linear3d(s):
    return _pipeline_innermost(s, "linear3d", "j")


@template("Ty", "L", "D")
def residual_add(X1: "Ty[L, D]", X2: "Ty[L, D]") -> "Ty[L, D]":
    Z: Ty[L, D]
    for i, j in dsl.grid(L, D, name="residual"):
        Z[i, j] = X1[i, j] + X2[i, j]
    return Z


@template("Ty", "L", "D")
def modulate_fused(X: "Ty[L, D]", scale: "Ty[D]", shift: "Ty[D]") -> "Ty[L, D]":
    """``X * (1 + scale) + shift``, per feature (the adaptive modulation of DiT blocks)."""
    Z: Ty[L, D]
    for i, j in dsl.grid(L, D, name="m_fused"):
        Z[i, j] = X[i, j] * (1 + scale[j]) + shift[j]
    return Z


def schedule_modulate_fused(s):
    return _pipeline_innermost(s, "m_fused", "j")


# --- activations -----------------------------------------------------------------------
@template("Ty", "H", "W")
def relu2d(X: "Ty[H, W]") -> "Ty[H, W]":
    Z: Ty[H, W]
    for i, j in dsl.grid(H, W, name="relu"):
        Z[i, j] = max(X[i, j], 0)
    return Z


@template("Ty", "N", "L", "C")
def relu3d(X: "Ty[N, L, C]") -> "Ty[N, L, C]":
    Z: Ty[N, L, C]
    for n, i, j in dsl.grid(N, L, C, name="relu"):
        Z[n, i, j] = max(X[n, i, j], 0)
    return Z


@template("Ty", "N", "C", "H", "W")
def relu4d(X: "Ty[N, C, H, W]") -> "Ty[N, C, H, W]":
    Z: Ty[N, C, H, W]
    for n, c, i, j in dsl.grid(N, C, H, W, name="relu"):
        Z[n, c, i, j] = max(X[n, c, i, j], 0)
    return Z


def schedule_relu2d(s):
    return _pipeline_innermost(s, "relu", "j")


schedule_relu3d = schedule_relu4d = schedule_relu2d


@template("Ty", "L", "D")
def GeLU(X: "Ty[L, D]") -> "Ty[L, D]":                      # noqa: N802 - Allo's name
    """GELU's tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    Z: Ty[L, D]
    for i, j in dsl.grid(L, D, name="gelu"):
        x: Ty = X[i, j]
        Z[i, j] = 0.5 * x * (1.0 + dsl.tanh(GELU_C * (x + 0.044715 * x * x * x)))
    return Z


def schedule_gelu(s):
    return _pipeline_innermost(s, "gelu", "j")


# --- softmax and normalizations -----------------------------------------------------------
@template("Ty", "L")
def softmax(X: "Ty[L, L]") -> "Ty[L, L]":
    """Softmax of each row, after subtracting the row's maximum (exp cannot overflow)."""
    Z: Ty[L, L]
    for i in dsl.grid(L, name="softmax"):
        top: Ty = X[i, 0]
        for j in dsl.reduction(L):
            top = max(top, X[i, j])
        total: Ty = 0.0
        for j in range(L):
            e: Ty = dsl.exp(X[i, j] - top)
            Z[i, j] = e
            total += e
        for j in range(L):
            Z[i, j] = Z[i, j] / total
    return Z


@template("Ty", "B", "C")
def log_softmax(X: "Ty[B, C]") -> "Ty[B, C]":
    """``x - max - log(sum(exp(x - max)))`` along each row."""
    Z: Ty[B, C]
    for i in dsl.grid(B, name="log_softmax"):
        top: Ty = X[i, 0]
        for j in dsl.reduction(C):
            top = max(top, X[i, j])
        total: Ty = 0.0
        for j in dsl.reduction(C):
            total += dsl.exp(X[i, j] - top)
        lse: Ty = dsl.log(total)
        for j in range(C):
            Z[i, j] = X[i, j] - top - lse
    return Z


@template("Ty", "L", "D")
def layer_norm(X: "Ty[L, D]", gamma: "Ty[D]", beta: "Ty[D]") -> "Ty[L, D]":
    """Each row normalized by its mean and biased variance (eps 1e-5), then scaled by gamma
    and shifted by beta, as torch.nn.LayerNorm over the last dimension."""
    Z: Ty[L, D]
    for i in dsl.grid(L, name="layer_norm"):
        total: Ty = 0.0
        for j in dsl.reduction(D):
            total += X[i, j]
        mean: Ty = total / D
        sq: Ty = 0.0
        for j in dsl.reduction(D):
            d: Ty = X[i, j] - mean
            sq += d * d
        rstd: Ty = 1.0 / dsl.sqrt(sq / D + 1e-5)
        for j in range(D):
            Z[i, j] = gamma[j] * (X[i, j] - mean) * rstd + beta[j]
    return Z


@template("Ty", "B", "C", "H", "W")
def batchnorm2d(X: "Ty[B, C, H, W]", gamma: "Ty[C]", beta: "Ty[C]", eps: "Ty", mean: "Ty[C]",
                var: "Ty[C]") -> "Ty[B, C, H, W]":
    """Inference batch norm with running statistics: (x - mean) / sqrt(var + eps) * gamma +
    beta, per channel."""
    Z: Ty[B, C, H, W]
    for b, c in dsl.grid(B, C, name="batchnorm"):
        scale: Ty = gamma[c] / dsl.sqrt(var[c] + eps)
        for h, w in dsl.grid(H, W):
            Z[b, c, h, w] = (X[b, c, h, w] - mean[c]) * scale + beta[c]
    return Z


@template("Ty", "B", "C")
def batchnorm1d_2d(X: "Ty[B, C]", gamma: "Ty[C]", beta: "Ty[C]", eps: "Ty", mean: "Ty[C]",
                   var: "Ty[C]") -> "Ty[B, C]":
    Z: Ty[B, C]
    for b, c in dsl.grid(B, C, name="batchnorm"):
        Z[b, c] = (X[b, c] - mean[c]) / dsl.sqrt(var[c] + eps) * gamma[c] + beta[c]
    return Z


@template("Ty", "B", "C", "L")
def batchnorm1d_3d(X: "Ty[B, C, L]", gamma: "Ty[C]", beta: "Ty[C]", eps: "Ty", mean: "Ty[C]",
                   var: "Ty[C]") -> "Ty[B, C, L]":
    Z: Ty[B, C, L]
    for b, c in dsl.grid(B, C, name="batchnorm"):
        scale: Ty = gamma[c] / dsl.sqrt(var[c] + eps)
        for i in range(L):
            Z[b, c, i] = (X[b, c, i] - mean[c]) * scale + beta[c]
    return Z


# --- attention ---------------------------------------------------------------------------
@template("Ty", "H", "L", "D", "M0", "M1")
def scaled_dot_product_attention(Q: "Ty[L, D]", K: "Ty[L, D]", V: "Ty[L, D]") -> "Ty[L, D]":
    """Multi-head attention without projections, as Allo's library defines it: per head h
    (columns h*D/H ...), softmax(Q_h K_h^T) V_h, with no 1/sqrt(d) scaling. M0, M1 (Allo's
    systolic tile sizes) do not change the result."""
    Z: Ty[L, D]
    for h in range(H, name="head"):
        S: Ty[L, L] = 0.0
        for i, j in dsl.grid(L, L, name="scores"):
            for k in dsl.reduction(D // H):
                S[i, j] += Q[i, h * (D // H) + k] * K[j, h * (D // H) + k]
        P: Ty[L, L] = softmax[Ty, L](S)
        for i, j in dsl.grid(L, D // H, name="context"):
            acc: Ty = 0.0
            for k in dsl.reduction(L):
                acc += P[i, k] * V[k, h * (D // H) + j]
            Z[i, h * (D // H) + j] = acc
    return Z


@template("Ty", "H", "L", "D")
def RoPE(X: "Ty[L, D]", cos: "Ty[L, D // H // 2]",                   # noqa: N802
         sin: "Ty[L, D // H // 2]") -> "Ty[L, D]":
    """Rotary position embedding, per head: the head's first and second halves (x1, x2)
    become (x1 cos - x2 sin, x1 sin + x2 cos)."""
    Z: Ty[L, D]
    for h, i, j in dsl.grid(H, L, D // H // 2, name="rope"):
        x1: Ty = X[i, h * (D // H) + j]
        x2: Ty = X[i, h * (D // H) + D // H // 2 + j]
        Z[i, h * (D // H) + j] = x1 * cos[i, j] - x2 * sin[i, j]
        Z[i, h * (D // H) + D // H // 2 + j] = x1 * sin[i, j] + x2 * cos[i, j]
    return Z


# --- convolution and pooling (NCHW) -------------------------------------------------------
@template("Ty", "B", "Cin", "Cout", "H", "W", "Kh", "Kw", "Oh", "Ow", "Sh", "Sw", "Pd0", "Pd1")
def conv2d(inp: "Ty[B, Cin, H, W]", kernel: "Ty[Cout, Cin, Kh, Kw]",
           bias: "Ty[Cout]") -> "Ty[B, Cout, Oh, Ow]":
    """Cross-correlation with strides (Sh, Sw) over the input padded with Pd0 rows and Pd1
    columns of zeros on each side, plus a bias per output channel (torch.nn.Conv2d)."""
    Z: Ty[B, Cout, Oh, Ow]
    for n, f, oy, ox in dsl.grid(B, Cout, Oh, Ow, name="conv"):
        acc: Ty = bias[f]
        for c, ky, kx in dsl.reduction(Cin, Kh, Kw):
            y: int32 = oy * Sh + ky - Pd0
            x: int32 = ox * Sw + kx - Pd1
            if y >= 0 and y < H and x >= 0 and x < W:
                acc += inp[n, c, y, x] * kernel[f, c, ky, kx]
        Z[n, f, oy, ox] = acc
    return Z


@template("Ty", "B", "C", "H", "W", "K", "Oh", "Ow", "S", "Pd")
def maxpool2d(inp: "Ty[B, C, H, W]") -> "Ty[B, C, Oh, Ow]":
    """The maximum of each K x K window (stride S) over the input padded with Pd on each
    side; padding never wins (it stands for minus infinity). A window made of padding only
    (Pd >= K) gives 0."""
    Z: Ty[B, C, Oh, Ow]
    for n, c, oy, ox in dsl.grid(B, C, Oh, Ow, name="maxpool"):
        top: Ty = 0
        empty: boolean = 1
        for ky, kx in dsl.reduction(K, K):
            y: int32 = oy * S + ky - Pd
            x: int32 = ox * S + kx - Pd
            if y >= 0 and y < H and x >= 0 and x < W:
                if empty or inp[n, c, y, x] > top:
                    top = inp[n, c, y, x]
                empty = 0
        Z[n, c, oy, ox] = top
    return Z


@template("Ty", "B", "C", "H", "W", "K", "Oh", "Ow", "S", "Pd")
def avgpool2d(inp: "Ty[B, C, H, W]") -> "Ty[B, C, Oh, Ow]":
    """The mean of each K x K window (stride S) over the input padded with Pd zeros on each
    side, padding counted (torch's count_include_pad=True)."""
    Z: Ty[B, C, Oh, Ow]
    for n, c, oy, ox in dsl.grid(B, C, Oh, Ow, name="avgpool"):
        total: Ty = 0
        for ky, kx in dsl.reduction(K, K):
            y: int32 = oy * S + ky - Pd
            x: int32 = ox * S + kx - Pd
            if y >= 0 and y < H and x >= 0 and x < W:
                total += inp[n, c, y, x]
        Z[n, c, oy, ox] = total / (K * K)
    return Z


def schedule_conv2d(s):
    return _pipeline_innermost(s, "conv", "ox")


def schedule_maxpool2d(s):
    return _pipeline_innermost(s, "maxpool", "ox")


def schedule_avgpool2d(s):
    return _pipeline_innermost(s, "avgpool", "ox")


# --- shape layers -------------------------------------------------------------------------
@template("Ty", "B", "L", "C", "N")
def repeat_batch3d(X: "Ty[B, L, C]") -> "Ty[N * B, L, C]":
    """The batch repeated N times (numpy's tile along the first axis)."""
    Z: Ty[N * B, L, C]
    for r, b, i, j in dsl.grid(N, B, L, C, name="repeat"):
        Z[r * B + b, i, j] = X[b, i, j]
    return Z


@template("Ty", "B", "N1", "N2", "C")
def concat(X1: "Ty[B, N1, C]", X2: "Ty[B, N2, C]") -> "Ty[B, N1 + N2, C]":
    """X1 and X2 joined along the second axis."""
    Z: Ty[B, N1 + N2, C]
    for b, i, j in dsl.grid(B, N1, C, name="concat1"):
        Z[b, i, j] = X1[b, i, j]
    for b, i, j in dsl.grid(B, N2, C, name="concat2"):
        Z[b, N1 + i, j] = X2[b, i, j]
    return Z
