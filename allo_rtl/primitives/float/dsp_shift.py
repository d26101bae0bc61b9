"""Shifters whose first levels are multiplications by a power of two (ECP5's MULT18X18D).

A float unit's shifters are its largest LUT consumers (fadd: ~300 of 729 LUT4 on ECP5 in its
two 5-level shifts, docs/float_units.md). ``x << k`` is ``x * 2**k``, so the four low levels
of a shift (amounts 0..15) fit in a DSP block fed with a one-hot factor, and only the levels
of 16 and more stay in LUTs. A shift is done in three steps, so that a unit can put pipeline
registers between them (a DSP block and LUT logic in one 10 ns cycle did not fit):

1. :func:`shift_factor`: the one-hot factor from the amount's low four bits (one LUT level),
2. :func:`shift_products`: ``x`` in DSP-sized pieces, each times the factor (the DSP blocks),
3. :func:`join_left` / :func:`join_right_sticky`: the pieces ORed into place (their bits
   never overlap) and the LUT levels of the amount's higher bits.

A right shift is a left shift by ``15 - k`` (the factor of ``~k``) of which the top part is
the result and the low 15 bits the dropped ones, whose OR is the sticky bit.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Mux, Value

from .rounding import wire

#: amount bits a DSP factor takes: 2**15 is the largest power of two under 18 bits
FACTOR_BITS = 4
#: operand piece per DSP block (ECP5's MULT18X18D multiplies 18 x 18 bits)
PIECE = 18


def shift_factor(amount, right: bool = False) -> Value:
    """The one-hot factor ``2**k`` (``2**(15 - k)`` for a right shift), k = amount's low 4
    bits."""
    low = Value.cast(amount).as_unsigned()[:FACTOR_BITS]
    low = Cat(low, Const(0, FACTOR_BITS - len(low)))      # ~ of a narrower amount: 4 bits
    width = 1 << FACTOR_BITS       # a shift widens by its amount's range: cut back to 16 bits
    return (Const(1, width) << (~low if right else low))[:width]


def shift_products(x, factor) -> list:
    """``x`` in pieces of at most 18 bits, each multiplied by ``factor`` (one DSP each)."""
    x = Value.cast(x)
    return [x[lo:lo + PIECE] * factor for lo in range(0, len(x), PIECE)]


def _joined(m, products, width: int, name: str) -> Value:
    """The products placed at their pieces' offsets and ORed: ``x * factor``."""
    total = Const(0, width)
    for k, p in enumerate(products):
        total = total | (Value.cast(p) << (k * PIECE))
    return wire(m, total[:width], name)


def join_left(m, products, n: int, high) -> Value:
    """``(x << amount)[:n]`` of an ``n``-bit x; ``high``: the amount's bits from bit 4 on
    (an amount beyond ``n`` need not be handled: the callers' amounts are below n)."""
    value = _joined(m, products, n, "dsl_joined")
    high = Value.cast(high)
    for k in range(len(high)):
        step = (1 << FACTOR_BITS) << k
        if step >= n:
            break
        value = wire(m, Mux(high[k], value << step, value)[:n], f"dsl_level{k}")
    return value


def join_right_sticky(m, products, n: int, high, big=0) -> Value:
    """``x >> amount`` of an ``n``-bit x with the OR of every dropped bit ORed into bit 0, as
    :func:`.rounding.shift_right_sticky`; ``high``: the amount's bits from bit 4 on that
    shift by less than n, ``big``: the amount is n or more (only the sticky bit is left)."""
    full = _joined(m, products, n + (1 << FACTOR_BITS) - 1, "dsr_joined")
    low_bits = (1 << FACTOR_BITS) - 1
    value, sticky = full[low_bits:], full[:low_bits] != 0
    high = Value.cast(high)
    for k in range(len(high)):
        step = (1 << FACTOR_BITS) << k
        sticky = sticky | (high[k] & (value[:min(step, n)] != 0))
        value = wire(m, Mux(high[k], value >> step, value), f"dsr_level{k}")
    big = Value.cast(big)
    sticky = wire(m, sticky | (big & (value != 0)), "dsr_sticky")
    return Mux(big, 0, value) | sticky
