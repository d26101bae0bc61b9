"""``/``, ``//`` and ``%`` on integers mean what Allo's MLIR means (allo/ir/builder.py,
build_BinOp): both operands are first cast to the result type of Allo's typing rule, then
``arith.divsi``/``divui`` (``/``: truncate toward zero), ``arith.floordivsi`` (``//``: toward
minus infinity) or ``arith.remsi``/``remui`` (``%``: the sign of the dividend). So
``int8(-7) // uint8(200)`` divides by -56. Checked on the interpreter and the default build
against the definitions written out here with Python integers (the result types are Allo's
table entries, written here independently of ``ir/typing_rule.py``). Division by zero is
allo-rtl's own choice (MLIR leaves it undefined): quotient all ones, remainder the dividend.
"""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import Int, UInt


def wrap(v: int, signed: bool, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if signed and v >> (bits - 1) else v


def allo_div_type(sa, a, sb, b):
    """Allo's div_rule for integers: (Int, *) -> t1, (UInt, Int) -> Int(t1), (UInt, UInt) -> t1."""
    return (sa or sb), a


def allo_mod_type(sa, a, sb, b):
    """Allo's mod_rule: Int(max(a, b)) / Int(max(a, b + 1)) / Int(max(a + 1, b)) / UInt(max)."""
    if sa and sb:
        return True, max(a, b)
    if sa:
        return True, max(a, b + 1)
    if sb:
        return True, max(a + 1, b)
    return False, max(a, b)


def trunc_div(x, y):
    q = abs(x) // abs(y)
    return q if (x >= 0) == (y >= 0) else -q


def reference(op, x, sa, a, y, sb, b):
    signed, bits = (allo_mod_type if op == "%" else allo_div_type)(sa, a, sb, b)
    x, y = wrap(x, signed, bits), wrap(y, signed, bits)          # Allo's operand casts
    if y == 0:
        return wrap(-1, signed, bits) if op != "%" else x
    r = {"/": trunc_div(x, y), "//": x // y, "%": x - trunc_div(x, y) * y}[op]
    return wrap(r, signed, bits)


def divs(A: "ta[8]", B: "tb[8]") -> ("tq[8]", "tq[8]", "tr[8]"):
    Q: "tq[8]" = 0
    F: "tq[8]" = 0
    R: "tr[8]" = 0
    for i in range(8):
        Q[i] = A[i] / B[i]
        F[i] = A[i] // B[i]
        R[i] = A[i] % B[i]
    return Q, F, R


def _type(signed, bits):
    return (Int if signed else UInt)(bits)


def _values(rng, signed, bits):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    edges = [lo, hi, 0, 1, min(hi, 7), max(lo, -7) if signed else 2, lo + 1, hi - 1]
    return np.array(edges[:4] + [int(v) for v in rng.integers(lo, hi, 4, endpoint=True)],
                    dtype=np.int64)


PAIRS = [(True, 8, False, 8), (False, 8, True, 8), (True, 8, True, 16), (True, 16, True, 8),
         (False, 12, True, 5), (True, 5, False, 12), (True, 32, True, 32), (False, 16, False, 9)]


@pytest.mark.parametrize("sa, a, sb, b, target", [(*p, "python") for p in PAIRS] +
                         [(*p, None) for p in PAIRS[:4]])          # hardware: one build each
def test_integer_division_matches_allos_mlir(sa, a, sb, b, target):
    tq, tr = _type(*allo_div_type(sa, a, sb, b)), _type(*allo_mod_type(sa, a, sb, b))
    s = allo.customize(divs, global_vars={"ta": _type(sa, a), "tb": _type(sb, b), "tq": tq,
                                          "tr": tr})
    rng = np.random.default_rng(a * 100 + b + sa * 7 + sb * 13)
    A, B = _values(rng, sa, a), _values(rng, sb, b)[::-1].copy()
    Q, F, R = s.build(target=target)(A, B)
    for k in range(8):
        x, y = int(A[k]), int(B[k])
        assert int(Q[k]) == reference("/", x, sa, a, y, sb, b), (x, y)
        assert int(F[k]) == reference("//", x, sa, a, y, sb, b), (x, y)
        assert int(R[k]) == reference("%", x, sa, a, y, sb, b), (x, y)


def small(a: Int(8), b: UInt(8)) -> (Int(8), Int(8)):
    return a // b, a % b


def test_the_issue_example():
    # the divisor 200 is -56 in Allo's int8 division; the remainder type int9 holds both
    q, r = allo.customize(small).build(target="python")(-7, 200)
    assert (q, r) == (0, -7)
    assert allo.customize(small).build()(-7, 200) == (0, -7)
    assert allo.customize(small).build()(-7, 2) == (-4, -1)      # floor vs truncated remainder
