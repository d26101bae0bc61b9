"""Allo/HeteroCL typing rules, each against hand-computed types and values.

Types come from allo_rtl.ir.typing_rule; values from small kernels on the interpreter (and the
hardware where the rule matters for it). Expected numbers are worked out by hand in comments.
"""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import Fixed, Index, Int, UFixed, UInt, float32, int8, int32, uint8
from allo_rtl.ir.typing_rule import (binop_type, compare_operand_type, div_type, mul_type,
                                     select_type, shift_type, unary_minus_type)


@pytest.mark.parametrize("a, b, expected", [
    (Int(8), Int(8), Int(9)),                 # add grows one bit
    (Int(8), Int(16), Int(17)),
    (UInt(8), UInt(8), UInt(9)),
    (Int(8), UInt(8), Int(10)),               # max(8, 8 + 1) + 1: the unsigned side needs a sign
    (UInt(16), Int(8), Int(18)),
    (Fixed(12, 4), Fixed(8, 6), Fixed(15, 6)),  # int bits max(8, 2) + 1 = 9, fracs max(4, 6)
    (Fixed(12, 4), Int(8), Fixed(13, 4)),     # max(8, 8) + 4 + 1
    (UFixed(8, 3), UFixed(8, 5), UFixed(11, 5)),  # int bits max(5, 3) + 1 = 6, + 5
    (Int(32), float32, float32),
])
def test_add_sub_rule(a, b, expected):
    assert binop_type("+", a, b) == expected
    assert binop_type("-", a, b) == expected


@pytest.mark.parametrize("a, b, expected", [
    (Int(8), Int(8), Int(16)),                # mul sums widths
    (Int(32), Int(32), Int(64)),
    (UInt(8), UInt(4), UInt(12)),
    (Int(8), UInt(8), Int(16)),
    (Fixed(12, 4), Fixed(8, 6), Fixed(20, 10)),   # fracs add
    (Int(8), Fixed(8, 4), Fixed(16, 4)),
])
def test_mul_rule(a, b, expected):
    assert mul_type(a, b) == expected


def test_compare_select_shift_div_and_minus_rules():
    assert compare_operand_type(Int(8), UInt(8)) == Int(9)
    assert compare_operand_type(Fixed(12, 4), Fixed(8, 6)) == Fixed(14, 6)
    assert select_type(Int(8), Int(16)) == Int(16)
    assert shift_type(Int(8), Int(32)) == Int(8)          # shifts keep the left type
    assert shift_type(float32, Int(32)) is None           # and refuse floats
    assert div_type(Int(16), Int(8)) == Int(16)           # integer division keeps the dividend
    assert div_type(UInt(16), Int(8)) == Int(16)
    assert div_type(Fixed(8, 4), Fixed(8, 4)) == Fixed(16, 8)  # Allo: (a+b, b-g+f)
    assert unary_minus_type(UInt(8)) == Int(8)            # Allo: -x of uint is int, same width
    assert binop_type("&", Int(8), UInt(16)) == Int(16)
    assert binop_type("&", Fixed(8, 4), Int(8)) is None   # no bitwise ops on fixed point
    assert binop_type("+", Index(), Index()) == Index()


def grow(a: int8, b: int8) -> int32:
    return a + b                      # Int(9): 127 + 127 = 254, no wrap


def narrow(a: int8, b: int8) -> int8:
    c: int8 = a + b                   # assignment wraps: 254 -> -2
    return c


def compare_bits(a: uint8, b: int8) -> int32:
    return (a > b) + (a == 200)       # uint1 + uint1 -> UInt(2)


def fixed_truncate(x: Fixed(8, 4)) -> Fixed(8, 2):
    return x                          # drops two fraction bits toward -inf


def fixed_align(x: Fixed(8, 4), y: Fixed(8, 2)) -> Fixed(12, 4):
    return x + y


@pytest.mark.parametrize("target", ["python", None])
def test_rule_values_on_interpreter_and_hardware(target):
    build = lambda k: allo.customize(k).build(target=target)   # noqa: E731
    assert build(grow)(127, 127) == 254
    assert build(grow)(-128, -128) == -256
    assert build(narrow)(127, 127) == -2                # 254 - 256
    assert build(narrow)(-128, -1) == 127               # -129 + 256
    assert build(compare_bits)(200, -1) == 2            # 200 > -1 exactly (no unsigned compare)
    assert build(compare_bits)(5, 6) == 0
    # -1.3125 = raw -21 (4 fracs); >> 2 -> -6 (floor), i.e. -1.5
    assert build(fixed_truncate)(-1.3125) == -1.5
    assert build(fixed_truncate)(1.3125) == 1.25        # raw 21 >> 2 = 5
    # 1.5625 + (-0.75): exact sum 0.8125 with 4 fraction bits
    assert build(fixed_align)(1.5625, -0.75) == 0.8125


def uint_minus(a: uint8) -> int32:
    return -a                          # Int(8): -200 does not fit, wraps to 56


def test_unary_minus_of_unsigned_wraps_like_allo():
    assert allo.customize(uint_minus).build(target="python")(200) == 56
    assert allo.customize(uint_minus).build()(200) == 56
    assert np.int8(np.uint8(200) * np.int8(-1)) == 56   # the same bits, computed by numpy


# --- a fixed-point oracle of its own: exact rationals, no allo_rtl semantics --------------
# Allo/HeteroCL meaning, written out with fractions.Fraction: a value is raw / 2**fracs; + - *
# compute the exact value wrapped into the rule's result type (add/sub: one more integer bit
# than the wider operand, signed if either is, an unsigned operand of a signed result taking a
# sign bit; mul: widths and fraction bits add -- so only an unsigned difference can wrap), and
# assigning to another type keeps floor(value * 2**fracs) (dropped fraction bits toward minus
# infinity), wrapped to the width in two's complement (signed) or modulo 2**width (unsigned).
from fractions import Fraction  # noqa: E402


def _rule(op, a, b):
    """(signed, bits, fracs) of ``a op b`` for (signed, bits, fracs) operands (Allo's tables)."""
    (sa, wa, fa), (sb, wb, fb) = a, b
    signed = sa or sb
    if op == "*":
        return signed, wa + wb, fa + fb
    ia, ib = wa - fa + (signed and not sa), wb - fb + (signed and not sb)
    fracs = max(fa, fb)
    return signed, max(ia, ib) + 1 + fracs, fracs


def _oracle_raw(value: Fraction, signed: bool, bits: int, fracs: int) -> int:
    scaled = value * 2 ** fracs
    raw = scaled.numerator // scaled.denominator          # floor, also for negatives
    raw %= 2 ** bits
    return raw - 2 ** bits if signed and raw >= 2 ** (bits - 1) else raw


def _random_type(rng):
    kind = rng.choice(["Int", "UInt", "Fixed", "UFixed"])
    bits = int(rng.integers(2, 25))
    if kind in ("Int", "UInt"):
        return (Int if kind == "Int" else UInt)(bits), kind == "Int", bits, 0
    fracs = int(rng.integers(0, bits + 1))
    return (Fixed if kind == "Fixed" else UFixed)(bits, fracs), kind == "Fixed", bits, fracs


def _random_raw(rng, signed, bits):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return int(rng.choice([lo, hi, 0, int(rng.integers(lo, hi, endpoint=True))]))


def fixed_ops(a: "TA", b: "TB") -> ("TD", "TD", "TD", "TD"):
    s: TD = a + b
    d: TD = a - b
    p: TD = a * b
    c: TD = a
    return s, d, p, c


def _oracle_case(k):
    rng = np.random.default_rng(1000 + k)
    (ta, sa, wa, fa), (tb, sb, wb, fb), (td, sd, wd, fd) = (_random_type(rng) for _ in range(3))
    ra, rb = _random_raw(rng, sa, wa), _random_raw(rng, sb, wb)
    va, vb = Fraction(ra, 2 ** fa), Fraction(rb, 2 ** fb)
    exact = {"+": va + vb, "-": va - vb, "*": va * vb}
    results = []
    for op in ("+", "-", "*"):
        sr, wr, fr = _rule(op, (sa, wa, fa), (sb, wb, fb))
        results.append(Fraction(_oracle_raw(exact[op], sr, wr, fr), 2 ** fr))
    expected = [_oracle_raw(v, sd, wd, fd) for v in (*results, va)]
    args = [float(va) if fa else ra, float(vb) if fb else rb]   # exact: <= 24 bits
    return {"TA": ta, "TB": tb, "TD": td}, args, expected, fd


@pytest.mark.parametrize("k, target", [(k, "python") for k in range(60)] +
                         [(k, None) for k in range(0, 60, 10)])      # hardware: one build each
def test_fixed_point_against_a_fraction_oracle(k, target):
    types, args, expected, fd = _oracle_case(k)
    got = allo.customize(fixed_ops, global_vars=types).build(target=target)(*args)
    raws = [Fraction(float(v)) * 2 ** fd for v in got]
    assert all(r.denominator == 1 for r in raws), (types, args, got)
    assert [int(r) for r in raws] == expected, (types, args, got)
