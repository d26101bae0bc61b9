"""Bit-width narrowing by demanded bits: compute integer arithmetic only as wide as its users
need.

Allo's typing grows widths (int32 * int32 -> Int(64), + -> Int(65)) and the assignment wraps
back to int32. The low ``w`` bits of ``+ - * & | ^ ~`` and unary minus depend only on the low
``w`` bits of their operands, so when every user of such an op looks at no more than ``w``
bits (a truncating cast, a store, a variable write, another narrowable op), the op can be
computed in ``w`` bits. This shortens carry chains and multipliers (and so the scheduler's
chaining estimates) without changing any result.

Assumes a block of ops in dependence order. Only integer types (no fraction bits) are narrowed;
comparisons, divisions, right shifts, selects, bit access and addresses demand full width.
``uses`` are ops the FSM reads whole (loop bounds, branch conditions).
"""
from __future__ import annotations

from ..ir.types import Int, UInt
from .cdfg import Block, Op


def _narrowable(op: Op) -> bool:
    """The table says the op's low bits depend only on its operands' low bits (integer
    types only: fraction bits move with alignment)."""
    types = [op.type] + [o.type for o in op.operands]
    if any(t is None or not t.is_int or t.fracs for t in types):
        return False
    return op.info.narrowable


def _demand_from(user: Op, operand: Op) -> int:
    """Low bits of ``operand`` that ``user`` needs."""
    full = operand.type.hw_bits
    if user.info.is_store and operand is user.operands[1]:
        return min(full, user.buf.dtype.hw_bits)
    if user.info.writes_var:
        return min(full, user.type.hw_bits)
    if _narrowable(user):               # (a widening user needs all ``full`` bits)
        return min(full, user.type.hw_bits)
    return full


def narrow_block(block: Block, uses=()) -> Block:
    demanded = {}
    for op in block.ops:
        for o in op.operands:
            demanded.setdefault(id(o), 0)
    for o in uses:
        demanded[id(o)] = o.type.hw_bits
    for op in reversed(block.ops):
        if op.type is not None and _narrowable(op):
            want = demanded.get(id(op), op.type.hw_bits)
            if 0 < want < op.type.hw_bits:
                op.type = (Int if op.type.signed else UInt)(want)
        for o in op.operands:
            if o.type is not None:
                demanded[id(o)] = max(demanded.get(id(o), 0), _demand_from(op, o))
    return block
