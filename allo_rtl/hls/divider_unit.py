"""How a division op maps onto the iterative ``primitives.divider.Divider`` (the operator
table's ``new_unit``/``drive`` for ``/``, ``//`` and ``%``).

Fixed-point operands are pre-shifted so the integer quotient has the result's fraction bits
(``timing.divider_config``); floor division corrects the truncated quotient from the
remainder's sign. The divider samples its operands with ``start`` and holds its results until
the next start, so the operands are driven only in the starting state.
"""
from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Mux, Signal

from ..primitives.divider import Divider


def new_unit(op) -> Divider:
    cfg = divider_config(op)
    return Divider(cfg.width, cfg.signed)


def drive(div: Divider, op, args, comb: list, sync: list):
    """Start ``div`` on ``args`` (statements of the starting cycle into ``comb``/``sync``)
    and return the value of ``op``, valid once the divider is done."""
    cfg = divider_config(op)
    a, b = args
    comb += [div.start.eq(1),
             div.dividend.eq(a << cfg.shift_a if cfg.shift_a else a),
             div.divisor.eq(b << cfg.shift_b if cfg.shift_b else b)]
    q, r = div.quotient, div.remainder
    if op.info.symbol == "%":
        return r
    if op.info.symbol == "//" and cfg.signed:
        # floor = truncated quotient - 1 when the remainder is nonzero and its sign (the
        # dividend's) differs from the divisor's; the divisor's sign is kept at start
        d_neg = Signal(name=f"div{op.id}_dneg")
        d_zero = Signal(name=f"div{op.id}_dzero")
        sync += [d_neg.eq(b < 0), d_zero.eq(b == 0)]
        adjust = (r != 0) & ~d_zero & ((r < 0) != d_neg)
        return Mux(adjust, q - 1, q)
    return q


@dataclass(frozen=True)
class DividerConfig:
    """How a div op maps onto a Divider: operand pre-shifts align fixed-point values."""

    width: int
    signed: bool
    shift_a: int
    shift_b: int


def divider_config(op: Op) -> DividerConfig:
    (ta, tb), tr = [o.type for o in op.operands], op.type
    if op.info.symbol == "%":            # C remainder of both values aligned to max fracs
        f = max(ta.fracs, tb.fracs)
        sa, sb = f - ta.fracs, f - tb.fracs
    else:                                # quotient with tr.fracs fraction bits
        sa = max(0, tr.fracs + tb.fracs - ta.fracs)
        sb = max(0, ta.fracs - tr.fracs - tb.fracs)
    signed = ta.signed or tb.signed
    wa = ta.hw_bits + sa + (1 if signed and not ta.signed else 0)
    wb = tb.hw_bits + sb + (1 if signed and not tb.signed else 0)
    # one spare bit when signed: MIN / -1 must not wrap before the result is narrowed
    return DividerConfig(max(wa, wb) + (1 if signed else 0), signed, sa, sb)
