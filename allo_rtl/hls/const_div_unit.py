"""How a pipelined division by a constant (``*_const_pipe``, made by ``pipeline_div``) maps
onto ``primitives.const_div.ConstDiv`` (the operator table's ``new_unit``/``drive`` for it).

The unit takes the dividend in the cycle the op starts; its result is valid ``stages`` cycles
later only (like ``mul_pipe``); ``en`` is the enable of the state or pipeline running it.
"""
from __future__ import annotations

from ..primitives.const_div import ConstDiv


def new_unit(op, stages: int) -> ConstDiv:
    levels, fix_registered, direct = op.div_plan
    unit = ConstDiv(op.info.symbol, op.operands[0].type, op.type, op.operands[1].value,
                    op.limb_bits, levels, fix_registered, direct)
    assert unit.latency == stages, (unit.latency, stages)   # the timing model's latency
    return unit


def unit_key(op) -> tuple:
    """Ops with equal keys could share a unit (the table marks these not sharable)."""
    a = op.operands[0].type
    return (op.info.symbol, a.hw_bits, a.signed, op.operands[1].value, op.type.hw_bits,
            op.type.signed, op.limb_bits, op.div_plan)


def drive(unit, op, args) -> tuple:
    """(input statements starting ``op`` on ``unit``, the result in the op's type)."""
    r = unit.result
    return [unit.a.eq(args[0])], r.as_signed() if op.type.signed else r
