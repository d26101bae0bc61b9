"""How a float op maps onto the pipelined IEEE-754 units of ``primitives.float`` (the operator
table's ``new_unit``/``drive`` for the ``PIPELINED`` float entries).

Float values travel as raw IEEE bits. Every unit takes its operands in the cycle the op
starts and gives the result ``stages`` cycles later (``stages`` = the op's latency in the
timing model; 0: combinational); a new op may start every cycle. The unit's ``en`` is the
enable of the FSM state or pipeline running it, so a stall holds its registers (the lowering
connects it). ``fadd`` and ``fsub`` run on one ``FAdd`` (its ``sub`` input says which).
"""
from __future__ import annotations

from ..ir.types import AlloType
from ..primitives.float import (FAdd, FCompare, FDiv, FloatFormat, FloatToFloat, FloatToInt,
                                FMinMax, FMul, FSqrt, IntToFloat)

#: the FCompare output of each comparison opcode
PREDICATES = {"feq": "eq", "fne": "ne", "flt": "lt", "fle": "le", "fgt": "gt", "fge": "ge"}


def format_of(t: AlloType) -> FloatFormat:
    """The unit format of a float type (float32: 8 exponent, 23 mantissa bits)."""
    return FloatFormat(t.bits - t.fracs - 1, t.fracs)


def new_unit(op, stages: int, dsp_shifts: bool = False):
    """The Amaranth component running ``op`` with ``stages`` pipeline registers;
    ``dsp_shifts``: the adder's and multiplier's shifters partly in DSP blocks (the family's
    timing data says; ``primitives.float.dsp_shift``)."""
    code = op.opcode
    src = op.operands[0].type
    if code in ("fadd", "fsub"):
        return FAdd(format_of(op.type), stages, dsp_shifts)
    if code == "fmul":
        return FMul(format_of(op.type), stages, dsp_shifts)
    if code == "fdiv":
        return FDiv(format_of(op.type), stages)
    if code == "fsqrt":
        return FSqrt(format_of(op.type), stages)
    if code in PREDICATES:
        return FCompare(format_of(src), stages)
    if code in ("fmin", "fmax"):
        return FMinMax(format_of(op.type), stages)
    if code == "itof":
        return IntToFloat(format_of(op.type), src.hw_bits, src.signed, stages, src.fracs)
    if code == "ftoi":
        return FloatToInt(format_of(src), op.type.hw_bits, op.type.signed, stages,
                          op.type.fracs)
    if code == "ftof":
        return FloatToFloat(format_of(src), format_of(op.type), stages)
    raise KeyError(code)


def unit_key(op) -> tuple:
    """Ops with equal keys can run on one unit: the unit class and its format."""
    return (op.type.bits, op.type.fracs)


def drive(unit, op, args) -> tuple:
    """(input statements starting ``op`` on ``unit``, the unit's result for ``op``)."""
    stmts = [unit.a.eq(args[0])]
    if len(args) > 1:
        stmts.append(unit.b.eq(args[1]))
    code = op.opcode
    if code in ("fadd", "fsub"):
        stmts.append(unit.sub.eq(int(code == "fsub")))
    elif code in ("fmin", "fmax"):
        stmts.append(unit.max.eq(int(code == "fmax")))
    if code == "fne":            # Allo's != is ordered ("one"): 0 when either is NaN
        return stmts, unit.lt | unit.gt
    if code in PREDICATES:
        return stmts, getattr(unit, PREDICATES[code])
    return stmts, unit.result
