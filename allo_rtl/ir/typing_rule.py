"""Result types of operators, as Allo (ported from HeteroCL) defines them.

Every integer/fixed type is viewed as (signed, integer bits, fraction bits). Where Allo's tables
follow one formula, the formula is written once here; the table entries it reproduces are
listed in the docstrings and pinned by ``tests/ir/test_typing_rules.py``.

``index`` behaves as ``UInt(32)`` when mixed with other types and stays ``index`` with itself.
``None`` is returned for operand kinds an operator does not accept; the frontend turns that
into a user error naming the source line.
"""
from __future__ import annotations

from .types import AlloType, Fixed, Index, Int, UFixed, UInt, float32

ARITH_OPS = ("+", "-", "*", "/", "//", "%")
BITWISE_OPS = ("&", "|", "^")
SHIFT_OPS = ("<<", ">>")
COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")


def _make(signed: bool, bits: int, fracs: int, fixed: bool) -> AlloType:
    if fixed:
        return Fixed(bits, fracs) if signed else UFixed(bits, fracs)
    return Int(bits) if signed else UInt(bits)


def _int_bits(t: AlloType, result_signed: bool) -> int:
    """Integer bits t needs inside a result of the given signedness (unsigned -> +1 bit)."""
    return t.int_bits + (1 if result_signed and not t.signed else 0)


def _float_of(t1: AlloType, t2: AlloType) -> AlloType:
    """The wider float; float16 with bfloat16 (neither holds the other) meet in float32."""
    floats = [t for t in (t1, t2) if t.is_float]
    if len(floats) == 2 and floats[0].bits == floats[1].bits and floats[0] != floats[1]:
        return float32
    return max(floats, key=lambda t: t.bits)


def common_type(t1: AlloType, t2: AlloType, extra_bit: int = 0) -> AlloType:
    """Type that holds both operands exactly (+ ``extra_bit`` integer bits).

    Reproduces Allo's add/sub rule with ``extra_bit=1`` (Int(a)+Int(b) -> Int(max(a,b)+1),
    Int(a)+UInt(b) -> Int(max(a,b+1)+1), Fixed+Fixed aligns fractions) and its compare /
    select / mod rules with ``extra_bit=0``.
    """
    if t1.is_float or t2.is_float:
        return _float_of(t1, t2)
    if isinstance(t1, Index) and isinstance(t2, Index):
        return t1
    signed = t1.signed or t2.signed
    fracs = max(t1.fracs, t2.fracs)
    ibits = max(_int_bits(t1, signed), _int_bits(t2, signed)) + extra_bit
    return _make(signed, ibits + fracs, fracs, t1.is_fixed or t2.is_fixed)


def mul_type(t1: AlloType, t2: AlloType) -> AlloType:
    """Int(a)*Int(b) -> Int(a+b); Fixed(a,f)*Fixed(b,g) -> Fixed(a+b, f+g)."""
    if t1.is_float or t2.is_float:
        return _float_of(t1, t2)
    if isinstance(t1, Index) and isinstance(t2, Index):
        return t1
    return _make(t1.signed or t2.signed, t1.bits + t2.bits, t1.fracs + t2.fracs,
                 t1.is_fixed or t2.is_fixed)


def div_type(t1: AlloType, t2: AlloType) -> AlloType:
    """Integer division keeps the dividend's width (signed if either operand is).

    Fixed-point division follows Allo: Fixed(a,f)/Fixed(b,g) -> Fixed(a+b, b-g+f)
    (+1 bit when exactly one side is unsigned); an integer divisor counts as Fixed(b, 0).
    """
    if t1.is_float or t2.is_float:
        return _float_of(t1, t2)
    if isinstance(t1, Index) and isinstance(t2, Index):
        return t1
    signed = t1.signed or t2.signed
    if not (t1.is_fixed or t2.is_fixed):
        return Int(t1.bits) if signed else UInt(t1.bits)
    mixed = t1.signed != t2.signed
    if t1.is_int:   # integer / fixed: Allo's rule gives the integer t1.bits - g fraction bits
        return _make(signed, t1.bits + t2.bits + (1 if mixed else 0), t1.bits - t2.fracs, True)
    return _make(signed, t1.bits + t2.bits + (1 if mixed else 0),
                 t2.bits - t2.fracs + t1.fracs, True)


def bitwise_type(t1: AlloType, t2: AlloType) -> AlloType | None:
    """&, |, ^ on integers: Int(max(a, b)) if either is signed, else UInt(max(a, b))."""
    if not (t1.is_int and t2.is_int):
        return None
    if isinstance(t1, Index) and isinstance(t2, Index):
        return t1
    return _make(t1.signed or t2.signed, max(t1.bits, t2.bits), 0, False)


def shift_type(t1: AlloType, t2: AlloType) -> AlloType | None:
    """Shifts keep the left operand's type; the amount must be an integer."""
    if t1.is_float or not t2.is_int:
        return None
    return t1


def unary_minus_type(t: AlloType) -> AlloType:
    """-x keeps x's width; an unsigned operand becomes signed of the same width (Allo)."""
    if isinstance(t, UInt):
        return Int(t.bits)
    if isinstance(t, UFixed):
        return Fixed(t.bits, t.fracs)
    return t


def binop_type(op: str, t1: AlloType, t2: AlloType) -> AlloType | None:
    """Result type of ``t1 op t2`` (arithmetic, bitwise, shift), or None if refused."""
    if op in ("+", "-"):
        return common_type(t1, t2, extra_bit=1)
    if op == "*":
        return mul_type(t1, t2)
    if op in ("/", "//"):
        return div_type(t1, t2)
    if op == "%":
        return common_type(t1, t2)
    if op in BITWISE_OPS:
        return bitwise_type(t1, t2)
    if op in SHIFT_OPS:
        return shift_type(t1, t2)
    raise KeyError(op)


def compare_operand_type(t1: AlloType, t2: AlloType) -> AlloType:
    """Both sides of a comparison are converted to this type; the result is UInt(1)."""
    return common_type(t1, t2)


def select_type(t1: AlloType, t2: AlloType) -> AlloType:
    """Type of ``a if c else b`` (and of min/max)."""
    return common_type(t1, t2)


def math_type(t: AlloType) -> AlloType:
    """exp/log/sqrt/tanh/...: the operand's float format; float32 for integer operands."""
    return t if t.is_float else float32
