"""How a pipelined integer multiply (``mul_pipe``, made by ``pipeline_mul``) maps onto
``primitives.limb_mul.LimbMul`` (the operator table's ``new_unit``/``drive`` for it).

The unit takes its operands in the cycle the op starts; its result, the product wrapped to the
op's integer type, is valid ``stages`` cycles later only (like the float units); ``en`` is the
enable of the state or pipeline running it.
"""
from __future__ import annotations

from amaranth.hdl import signed, unsigned

from ..primitives.limb_mul import LimbMul


def _shape(t):
    return signed(t.hw_bits) if t.signed else unsigned(t.hw_bits)


def new_unit(op, stages: int) -> LimbMul:
    a, b = (o.type for o in op.operands)
    return LimbMul(_shape(a), _shape(b), op.type.hw_bits, op.limb_bits, stages)


def unit_key(op) -> tuple:
    """Ops with equal keys can share a unit: operand shapes, result width and limb size."""
    a, b = (o.type for o in op.operands)
    return (a.hw_bits, a.signed, b.hw_bits, b.signed, op.type.hw_bits, op.limb_bits)


def drive(unit, op, args) -> tuple:
    """(input statements starting ``op`` on ``unit``, the result in the op's type)."""
    r = unit.result
    return [unit.a.eq(args[0]), unit.b.eq(args[1])], r.as_signed() if op.type.signed else r
