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


def matmul(a, b):
    return np.matmul(a, b)


def add(a, b):
    return np.add(a, b)


def sub(a, b):
    return np.subtract(a, b)


def mul(a, b):
    return np.multiply(a, b)


def div(a, b):
    return np.divide(a, b)


def exp(x):
    return np.exp(x)


def log(x):
    return np.log(x)


def sqrt(x):
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


def tanh(x):
    return np.tanh(x)


def sin(x):
    return np.sin(x)


def cos(x):
    return np.cos(x)


def tan(x):
    return np.tan(x)


def log2(x):
    return np.log2(x)


def log10(x):
    return np.log10(x)


def power(x, y):
    return np.power(x, y)


def relu(x):
    return np.maximum(x, 0)


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


def copy(x):
    """A copy of array ``x`` (a new array in the kernel)."""
    return np.copy(x)


def concat(x, y, axis=0):
    """Arrays ``x`` and ``y`` joined along ``axis`` (the other dimensions must agree)."""
    return np.concatenate((x, y), axis=axis)


META_BLOCKS = (meta_if, meta_elif, meta_else, meta_for)
