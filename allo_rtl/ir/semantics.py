"""Bit-accurate meaning of every scalar operator, on raw values (see ``types``).

These functions are the single definition of what an operator computes. The reference
interpreter calls them; hardware operators in ``allo_rtl.primitives`` are tested against them.

Conventions (Allo lowers to MLIR ``arith``, whose integer ops match C):
* ``/`` truncates toward zero, ``//`` rounds toward minus infinity, ``%`` takes the sign of
  the dividend. Dividing by zero gives all ones (quotient) and the dividend (remainder), as
  RISC-V defines it, so hardware and interpreter agree on a case C leaves undefined.
* Results wrap into the result type. Fixed-point values are aligned to the result's fraction
  bits first; dropped fraction bits are truncated toward minus infinity.
* Shifts by an amount >= the width give 0 (left) or the sign fill (right); a negative amount
  is taken as its unsigned raw value, i.e. a huge shift. (Widths are hardware widths:
  ``hw_bits``, 64 for ``index``.)
"""
from __future__ import annotations

import numpy as np

from . import float_math
from .types import AlloType, cast, float32


def _align(raw: int, t: AlloType, fracs: int) -> int:
    """The raw value of ``raw`` (type ``t``) scaled to ``fracs`` fraction bits, exactly."""
    return raw << (fracs - t.fracs)


def _trunc_div(num: int, den: int) -> int:
    q = abs(num) // abs(den)
    return q if (num >= 0) == (den >= 0) else -q


def canonical_nan(tr: AlloType):
    """The one NaN float arithmetic gives, as the hardware units do (``Float.canonical_nan``);
    numpy keeps an operand's payload or gives x86's negative default NaN, and payloads are
    not part of our semantics."""
    return tr.canonical_nan


def _float_result(r, tr: AlloType):
    r = tr.np_type(r)
    return canonical_nan(tr) if np.isnan(r) else r


def binop(op: str, a, ta: AlloType, b, tb: AlloType, tr: AlloType):
    """Raw result of ``a op b`` in result type ``tr``."""
    if tr.is_float:               # in the result's format, rounded as numpy/ml_dtypes do
        x, y = cast(a, ta, tr), cast(b, tb, tr)
        with np.errstate(all="ignore"):
            return _float_result({"+": np.add, "-": np.subtract, "*": np.multiply,
                                  "/": np.divide, "//": np.floor_divide,
                                  "%": np.fmod}[op](x, y), tr)
    a, b = int(a), int(b)
    if op in ("<<", ">>"):
        amount = b if b >= 0 else b & ((1 << tb.hw_bits) - 1)
        if op == "<<":
            return tr.wrap(a << amount) if amount < tr.hw_bits else 0
        return tr.wrap(a >> min(amount, tr.hw_bits))
    if op in ("+", "-", "%", "&", "|", "^"):
        f = max(ta.fracs, tb.fracs)
        x, y = _align(a, ta, f), _align(b, tb, f)
        if op == "%":
            r = x if y == 0 else x - _trunc_div(x, y) * y
            return tr.wrap(r >> (f - tr.fracs) if f >= tr.fracs else r << (tr.fracs - f))
        r = {"+": x + y, "-": x - y, "&": x & y, "|": x | y, "^": x ^ y}[op]
        return tr.wrap(r if f == tr.fracs else (r >> (f - tr.fracs) if f > tr.fracs
                                                 else r << (tr.fracs - f)))
    if op == "*":
        r = a * b                       # fraction bits ta.fracs + tb.fracs
        return tr.wrap(_align_to(r, ta.fracs + tb.fracs, tr.fracs))
    if op in ("/", "//"):
        if b == 0:
            return tr.wrap(-1)
        # value = (a / 2^fa) / (b / 2^fb); raw result = value * 2^fr
        num = a << max(0, tr.fracs + tb.fracs - ta.fracs)
        den = b << max(0, ta.fracs - tr.fracs - tb.fracs)
        q = _trunc_div(num, den) if op == "/" else num // den
        return tr.wrap(q)
    raise KeyError(op)


def _align_to(raw: int, fracs: int, target: int) -> int:
    return raw << (target - fracs) if target >= fracs else raw >> (fracs - target)


def compare(op: str, a, ta: AlloType, b, tb: AlloType) -> int:
    """1 or 0: ``a op b`` compared exactly (floats as float32, NaN unordered).

    Floats follow Allo, which lowers every comparison to an *ordered* MLIR predicate (``oeq
    ogt oge olt ole one``): with a NaN operand every comparison is 0, ``!=`` included (IEEE's
    and numpy's ``!=`` would be 1)."""
    if ta.is_float or tb.is_float:
        x, y = float(cast(a, ta, ta if ta.is_float else tb)), float(cast(b, tb, tb if tb.is_float else ta))
        if op == "!=":
            return int(x < y or x > y)
    else:
        f = max(ta.fracs, tb.fracs)
        x, y = _align(int(a), ta, f), _align(int(b), tb, f)
    return int({"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y,
                ">": x > y, ">=": x >= y}[op])


def unary(op: str, a, ta: AlloType, tr: AlloType):
    if op == "-":
        return tr.np_type(-a) if tr.is_float else tr.wrap(-int(a))
    if op == "~":
        return tr.wrap(~int(a))
    if op == "not":
        return int(not a)
    raise KeyError(op)


def truth(a) -> int:
    """Condition value of any raw scalar (nonzero is true)."""
    return int(bool(a))


def bit_get(a, ta: AlloType, bit: int) -> int:
    if bit < 0 or bit >= ta.bits:
        return 0
    return (int(a) >> bit) & 1


def bit_slice(a, ta: AlloType, lo: int, width: int) -> int:
    if lo < 0:
        return 0
    return (int(a) >> lo) & ((1 << width) - 1)


FLOAT_FUNCS = ("exp", "log", "sqrt", "tanh", "sin", "cos", "tan", "log2", "log10", "power")


def bitcast(a, ta: AlloType, tr: AlloType):
    """The same bits read as another type of the same width (Allo's ``x.bitcast()``)."""
    if ta.is_float:
        pattern = int(np.array(a, dtype=ta.numpy_dtype).view(f"uint{ta.bits}"))
        return tr.wrap(pattern)
    pattern = np.array(int(a) & ((1 << ta.bits) - 1), dtype=f"uint{ta.bits}")
    return tr.np_type(pattern.view(tr.numpy_dtype)[()])


def math_call(fn: str, args: list, types: list, tr: AlloType):
    """exp/log/sqrt (in the float format ``tr``, as numpy computes it; exp, log, tanh, sin, cos
    and power of float32, float16 and bfloat16 by the hardware's float32 algorithm,
    ``float_math``, rounded
    to the format), abs/min/max (any type, computed exactly
    then wrapped)."""
    if fn in float_math.ALGORITHMS and tr.is_float and tr.bits <= 32:
        # float16/bfloat16: the float32 algorithm on the (exact) widened value, rounded once;
        # each operand first in the result's format (power(x, 3) takes 3 as a float)
        r = float_math.evaluate(fn, *(cast(cast(a, t, tr), tr, float32)
                                      for a, t in zip(args, types)))
        return r if tr == float32 else cast(r, float32, tr)
    if fn in float_math.ALGORITHMS64 and tr.bits == 64 and tr.is_float:
        return float_math.evaluate64(fn, cast(args[0], types[0], tr))
    if fn in FLOAT_FUNCS:
        xs = [cast(a, t, tr) for a, t in zip(args, types)]
        with np.errstate(all="ignore"):
            return _float_result(getattr(np, fn)(*xs), tr)
    if fn == "bitcast":
        return bitcast(args[0], types[0], tr)
    if tr.is_float:
        xs = [cast(a, t, tr) for a, t in zip(args, types)]
        if fn == "abs":                  # the sign bit only: a NaN keeps its payload
            return tr.np_type(abs(xs[0]))
        out = xs[0]
        for y in xs[1:]:                 # numpy's minimum/maximum, left to right
            if np.isnan(out) or np.isnan(y):
                out = canonical_nan(tr)
            else:
                out = out if (out < y if fn == "min" else out > y) else y
        return tr.np_type(out)
    exact = [int(a) << (tr.fracs - t.fracs) for a, t in zip(args, types)]
    if fn == "abs":
        return tr.wrap(abs(exact[0]))
    return tr.wrap(min(exact) if fn == "min" else max(exact))


__all__ = ["canonical_nan", "bitcast", "binop", "compare", "unary", "truth", "bit_get", "bit_slice", "math_call", "cast"]
