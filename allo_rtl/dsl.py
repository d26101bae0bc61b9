"""Names a kernel uses from ``allo`` (``allo.grid``, ``allo.matmul``, ...).

The frontend recognizes these objects by identity and lowers them to IR loops. They are also
plain Python/numpy implementations, so a kernel still runs as ordinary Python for debugging.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager

import numpy as np


def grid(*dims, name=None, pipeline=None, unroll=None):
    """Nested loops over ``range(d)`` for each dimension: ``for i, j in allo.grid(8, 8)``."""
    return itertools.product(*(range(d) for d in dims))


def reduction(*dims, name=None, pipeline=None, unroll=None):
    """Like ``grid`` but marks the loops as reduction loops."""
    return itertools.product(*(range(d) for d in dims))


def matmul(a, b, name=None):
    return np.matmul(a, b)


def add(a, b, name=None):
    return np.add(a, b)


def sub(a, b, name=None):
    return np.subtract(a, b)


def mul(a, b, name=None):
    return np.multiply(a, b)


def div(a, b, name=None):
    return np.divide(a, b)


def exp(x, name=None):
    return np.exp(x)


def log(x, name=None):
    return np.log(x)


def sqrt(x, name=None):
    return np.sqrt(x)


def template(*params):
    """Declare a kernel's type/size parameters on Python 3.11 (where ``def k[T, M]`` is not
    valid syntax): ``@allo.template("T", "M")`` then ``allo.customize(k, instantiate=[int32, 8])``.
    Annotations that use the parameters must be strings (``A: "T[M]"``) or the module must use
    ``from __future__ import annotations``."""
    for p in params:
        if not isinstance(p, str) or not p.isidentifier():
            raise ValueError(f"template parameters are names given as strings, not {p!r}")

    def mark(fn):
        fn.__allo_template__ = tuple(params)
        return fn
    return mark


def tanh(x, name=None):
    return np.tanh(x)


def sin(x, name=None):
    return np.sin(x)


def cos(x, name=None):
    return np.cos(x)


def tan(x, name=None):
    return np.tan(x)


def log2(x, name=None):
    return np.log2(x)


def log10(x, name=None):
    return np.log10(x)


def power(x, y, name=None):
    return np.power(x, y)


def relu(x, name=None):
    return np.maximum(x, 0)


def abs(x, name=None):                                  # noqa: A001 - Allo's name
    return np.abs(x)


def bmm(a, b, name=None):
    """Batched matmul of 3-D arrays: [B, M, K] x [B, K, N] -> [B, M, N]."""
    return np.matmul(a, b)


def transpose(x, axes=None, name=None):
    return np.transpose(x, axes)


def view(x, shape, name=None):
    return np.reshape(x, shape)


def linear(x, w, bias=None, name=None):
    """x @ w.T (+ bias): a fully connected layer with weights [N, K]."""
    out = np.matmul(x, np.transpose(w))
    return out if bias is None else out + bias


def softmax(x, name=None):
    """Over the last axis, shifted by the row maximum."""
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def layernorm(x, gamma, beta, eps=1e-5, name=None):
    """Normalized over the last axis (biased variance), then scaled and shifted."""
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=-1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def gelu(x, name=None):
    """The tanh approximation of GeLU."""
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def _windows(inp, fh, fw):
    """[N, C, OH, OW, FH, FW]: every FH x FW window of an NCHW array (stride 1)."""
    return np.lib.stride_tricks.sliding_window_view(inp, (fh, fw), axis=(2, 3))


def conv2d(inp, filt, name=None):
    """NCHW input [N, C, H, W], filters [F, C, FH, FW] -> [N, F, H-FH+1, W-FW+1]."""
    win = _windows(inp, filt.shape[2], filt.shape[3])
    return np.einsum("nchwyx,fcyx->nfhw", win, filt).astype(np.result_type(inp, filt))


def maxpool(inp, window, name=None):
    return np.max(_windows(inp, *np.shape(window)), axis=(4, 5))


def sumpool(inp, window, name=None):
    return np.sum(_windows(inp, *np.shape(window)), axis=(4, 5), dtype=inp.dtype)


def ones(shape, dtype=None):
    return np.ones(shape, dtype=dtype)


def zeros(shape, dtype=None):
    return np.zeros(shape, dtype=dtype)


def tril(x, name=None):
    return np.tril(x)


ARRAY_BINOPS = {add: "+", sub: "-", mul: "*", div: "/"}
MATH_FUNCS = {exp: "exp", log: "log", sqrt: "sqrt", tanh: "tanh", sin: "sin", cos: "cos",
              tan: "tan", log2: "log2", log10: "log10"}
LOOP_ITERATORS = (grid, reduction)


# --- compile-time (meta) control: the frontend expands these while building the IR -------
@contextmanager
def meta_if(cond):
    """``with allo.meta_if(cond):`` keeps its body only if ``cond`` is true at compile time."""
    yield


@contextmanager
def meta_elif(cond):
    """After a ``meta_if``/``meta_elif`` whose bodies were dropped: like ``meta_if``."""
    yield


@contextmanager
def meta_else():
    """After a ``meta_if``/``meta_elif`` chain: kept only if no earlier body was."""
    yield


@contextmanager
def meta_for(lb, ub=None, step=1):
    """``with allo.meta_for(n) as i:`` repeats its body for ``i`` in ``range(...)``, with
    ``i`` a compile-time integer (the copies are separate code, no loop remains)."""
    yield lb


def copy(x, name=None):
    """A copy of array ``x`` (a new array in the kernel)."""
    return np.copy(x)


def concat(x, y, axis=0, name=None):
    """Arrays ``x`` and ``y`` joined along ``axis`` (the other dimensions must agree)."""
    return np.concatenate((x, y), axis=axis)


META_BLOCKS = (meta_if, meta_elif, meta_else, meta_for)
