"""Combinational Amaranth expressions with exactly the meaning of ``allo_rtl.ir.semantics``.

A value of Allo type ``t`` is carried as the raw bits of ``shape_of(t)``: signed or unsigned,
``t.hw_bits`` wide (a fixed-point value is its mantissa). Every function takes operand values
with their types and returns a value of the result type's shape: arithmetic is exact on the
aligned operands (Amaranth widens as needed), then wrapped into the result by slicing.
Division is sequential (``primitives.divider``); floats are not supported.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Mux, Value, signed, unsigned

from ..ir.types import AlloType


def shape_of(t: AlloType):
    if t.is_float:
        raise NotImplementedError("float32 hardware operators are not available yet")
    return signed(t.hw_bits) if t.signed else unsigned(t.hw_bits)


def _extend(v: Value, width: int) -> Value:
    """v widened to at least ``width`` bits, sign-extended if v is signed."""
    v = Value.cast(v)
    if len(v) >= width:
        return v
    fill = v[-1].replicate(width - len(v)) if v.shape().signed else Const(0, width - len(v))
    return Cat(v, fill)


def fit(v: Value, t: AlloType) -> Value:
    """Wrap v (any width) into type t: keep the low t.hw_bits bits, reinterpret the sign."""
    bits = t.hw_bits
    low = _extend(v, bits)[:bits]
    return low.as_signed() if t.signed else low.as_unsigned()


def _scale(v: Value, shift: int) -> Value:
    """Multiply by 2**shift; a negative shift drops bits toward minus infinity."""
    v = Value.cast(v)
    if shift > 0:
        return v << shift
    if shift < 0:
        return v >> -shift
    return v


def cast_value(v, src: AlloType, dst: AlloType) -> Value:
    shape_of(src), shape_of(dst)
    return fit(_scale(v, dst.fracs - src.fracs), dst)


def _amount(b, tb: AlloType, limit: int):
    """(amount, amount >= limit) for a shift amount; negatives count as huge (unsigned raw)."""
    raw = Value.cast(b).as_unsigned()
    k = max(1, (limit - 1).bit_length())
    return raw[:k], raw >= limit


def binop_value(op: str, a, ta: AlloType, b, tb: AlloType, tr: AlloType) -> Value:
    for t in (ta, tb, tr):
        shape_of(t)
    a, b = Value.cast(a), Value.cast(b)
    if op in ("+", "-", "&", "|", "^"):
        f = max(ta.fracs, tb.fracs)
        x, y = _scale(a, f - ta.fracs), _scale(b, f - tb.fracs)
        r = {"+": lambda: x + y, "-": lambda: x - y, "&": lambda: x & y,
             "|": lambda: x | y, "^": lambda: x ^ y}[op]()
        return fit(_scale(r, tr.fracs - f), tr)
    if op == "*":
        return product_value(a * b, ta, tb, tr)
    if op == "<<":
        amount, too_far = _amount(b, tb, tr.hw_bits)
        return Mux(too_far, Const(0, shape_of(tr)), fit(a << amount, tr))
    if op == ">>":
        amount, too_far = _amount(b, tb, tr.hw_bits)
        a = fit(a, tr)
        fill = a[-1].replicate(tr.hw_bits) if tr.signed else Const(0, tr.hw_bits)
        return Mux(too_far, fit(fill, tr), fit(a >> amount, tr))
    raise KeyError(f"{op} is not a combinational operator (division is sequential)")


def pow2_division_value(op: str, a, ta: AlloType, k: int, tr: AlloType) -> Value:
    """``a op 2**k`` for an integer ``a`` with Allo's rules (``/`` truncates, ``//`` floors,
    ``%`` takes the dividend's sign), as shifts and masks: floor is the arithmetic shift;
    truncation first adds ``2**k - 1`` to a negative dividend; the remainder of a negative
    dividend is minus the mask of its magnitude."""
    shape_of(ta)
    shape_of(tr)
    a = Value.cast(a)
    mask = (1 << k) - 1
    negative = a[-1] if ta.signed else Const(0, 1)
    if op == "//":
        return fit(a >> k, tr)
    if op == "/":
        return fit((a + Mux(negative, mask, 0)) >> k, tr)
    if op == "%":
        return fit(Mux(negative, -((-a) & mask), a & mask), tr)
    raise KeyError(op)


def reciprocal_of(w: int, d: int) -> tuple:
    """(s, M) of the division of a ``w``-bit magnitude by ``d``: ``q = (|a| * M) >> s`` with
    ``s = w + ceil(log2 d)`` and ``M = ceil(2**s / d)``, exact for every ``|a| < 2**w`` (the
    rounding error of M stays below ``1/d``)."""
    shift = w + (d - 1).bit_length()
    return shift, -(-(1 << shift) // d)


def const_division_fix(op: str, negative, magnitude, q_mag, d: int, tr: AlloType) -> Value:
    """``a op d`` from the sign of ``a``, its magnitude and the magnitude's quotient (the
    part after the reciprocal product; also the last stage of ``primitives.const_div``)."""
    r_mag = (magnitude - q_mag * d)[:max(1, (d - 1).bit_length())]   # 0 <= r < d
    if op == "/":
        return fit(Mux(negative, -q_mag, q_mag), tr)
    if op == "//":                  # floor: one less where a negative dividend leaves a rest
        return fit(Mux(negative, -q_mag - (r_mag != 0), q_mag), tr)
    if op == "%":
        return fit(Mux(negative, -r_mag, r_mag), tr)
    raise KeyError(op)


def const_division_magnitude(a, ta: AlloType) -> tuple:
    """(negative, |a|) of an integer ``a``, the magnitude ``ta.hw_bits`` wide (|int_min| fits)."""
    a = Value.cast(a)
    if not ta.signed:
        return Const(0, 1), a
    return a[-1], Mux(a[-1], -a, a)[:ta.hw_bits]


def direct_division_input(op: str, a, ta: AlloType, d: int) -> tuple:
    """(sign, the unsigned ``w``-bit value multiplied by the reciprocal, the fold constant
    added when the sign is set, at weight ``2**w``) of ``a op d`` for ``/`` and ``//``, which
    need no magnitude (a negation and a mux before the product, another after it):

    - ``/`` truncates: with ``u`` a's bits read unsigned, ``trunc(a / d) = (u * M + sign *
      (2**s - M * 2**w)) >> s`` (signed), since ``u = a + 2**w`` for a negative ``a``;
    - ``//`` floors: ``floor(a / d) = ~(((~a) * M) >> s)`` for a negative ``a`` (``~a = |a| - 1
      >= 0``), so ``a`` and the quotient are XORed with the sign.
    """
    w = ta.hw_bits
    a = Value.cast(a)
    if not ta.signed:
        return Const(0, 1), a.as_unsigned(), 0
    sign = a[-1]
    if op == "/":
        shift, reciprocal = reciprocal_of(w, d)
        return sign, a.as_unsigned(), (1 << (shift - w)) - reciprocal
    return sign, (a ^ sign.replicate(w)).as_unsigned()[:w], 0


def direct_division_result(op: str, sign, q, ta: AlloType, tr: AlloType) -> Value:
    """The result from the shifted sum of :func:`direct_division_input`'s product (``q``:
    its low ``w`` bits are the quotient, signed for ``/``)."""
    w = ta.hw_bits
    q = Value.cast(q)[:w]
    if not ta.signed:
        return fit(q, tr)
    if op == "/":
        return fit(q.as_signed(), tr)
    return fit((q ^ Value.cast(sign).replicate(w)).as_signed(), tr)


def const_division_value(op: str, a, ta: AlloType, d: int, tr: AlloType) -> Value:
    """``a op d`` for an integer ``a`` and a constant ``d > 1`` (not a power of two) with
    Allo's rules, as a multiplication by a reciprocal instead of a divider
    (``reciprocal_of``); ``/`` and ``//`` on the dividend's bits directly
    (:func:`direct_division_input`), ``%`` from the magnitude's quotient."""
    shape_of(ta)
    shape_of(tr)
    shift, reciprocal = reciprocal_of(ta.hw_bits, d)
    # a power of two leaves M no rounding margin (the fold would be 0): keep the magnitude
    if op in ("/", "//") and d & (d - 1):
        sign, source, fold = direct_division_input(op, a, ta, d)
        total = source * Const(reciprocal, reciprocal.bit_length())
        if fold:
            fold_c = Const(fold << ta.hw_bits, signed((fold << ta.hw_bits).bit_length() + 1))
            total = total + Mux(sign, fold_c, 0)
        return direct_division_result(op, sign, total >> shift, ta, tr)
    negative, magnitude = const_division_magnitude(a, ta)
    q_mag = (magnitude * Const(reciprocal, reciprocal.bit_length())) >> shift
    return const_division_fix(op, negative, magnitude, q_mag, d, tr)


def product_value(p, ta: AlloType, tb: AlloType, tr: AlloType) -> Value:
    """The exact product ``p`` of operands typed ta and tb, as a value of type tr (also used
    with a multiplier shared by several operations)."""
    return fit(_scale(p, tr.fracs - ta.fracs - tb.fracs), tr)


def compare_value(op: str, a, ta: AlloType, b, tb: AlloType) -> Value:
    f = max(ta.fracs, tb.fracs)
    x, y = _scale(a, f - ta.fracs), _scale(b, f - tb.fracs)
    return {"==": lambda: x == y, "!=": lambda: x != y, "<": lambda: x < y,
            "<=": lambda: x <= y, ">": lambda: x > y, ">=": lambda: x >= y}[op]()


def unary_value(op: str, a, ta: AlloType, tr: AlloType) -> Value:
    a = Value.cast(a)
    if op == "-":
        return fit(-a, tr)
    if op == "~":
        return fit(~a, tr)
    if op == "not":
        return a == 0
    raise KeyError(op)


def bit_get_value(a, ta: AlloType, bit) -> Value:
    """Bit ``bit`` of a; 0 when the position is negative or beyond the type's width."""
    pos, outside = _amount(bit, None, ta.hw_bits)
    return Mux(outside, 0, Value.cast(a).as_unsigned().bit_select(pos, 1))


def bit_slice_value(a, ta: AlloType, lo, width: int) -> Value:
    """``width`` bits of a starting at ``lo`` (sign bits above a signed value's top)."""
    a = Value.cast(a)
    ext = _extend(a, ta.hw_bits + width) if ta.signed else Cat(a, Const(0, width))
    lo_v = Value.cast(lo)
    negative = lo_v.as_signed() < 0 if lo_v.shape().signed else Const(0, 1)
    pos, outside = _amount(lo_v, None, ta.hw_bits)
    fill = ext[-1].replicate(width) if ta.signed else Const(0, width)
    return Mux(negative, 0, Mux(outside, fill, ext.as_unsigned().bit_select(pos, width)))


def minmax_abs_value(fn: str, args: list, types: list, tr: AlloType) -> Value:
    xs = [_scale(Value.cast(a), tr.fracs - t.fracs) for a, t in zip(args, types)]
    if fn == "abs":
        (x,) = xs
        return fit(Mux(x < 0, -x, x), tr)
    out = xs[0]
    for x in xs[1:]:
        out = Mux(x < out, x, out) if fn == "min" else Mux(x > out, x, out)
    return fit(out, tr)
