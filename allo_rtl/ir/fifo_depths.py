"""FIFO depths for the hardware build: as declared, or deep for measuring (``"auto"``).

``s.build(fifo_depth="auto")`` builds every stream of every region ``AUTO_DEPTH`` items
deep (a copy of the module; the schedule's own is left as it is), so that no put waits for
lack of room; a run then records the most items each FIFO held, and the report suggests
that occupancy + 1 as the stream's depth (as hls4ml and FINN size their FIFOs). The
suggestion holds for the inputs of that run and the stages' schedules of that build.
"""
from __future__ import annotations

import copy

from ..errors import AlloError
from . import nodes as ir
from .streams import StreamType

AUTO_DEPTH = 1024
MODES = (None, "declared", "auto", "static")


def check_mode(mode):
    if mode not in MODES:
        raise AlloError(f"fifo_depth must be 'declared', 'auto' or 'static', not {mode!r}",
                        hint="fifo_depth='auto' builds deep FIFOs and reports the depth each "
                             "stream needs (mod.report()); 'static' computes the depths from "
                             "the stages' schedules where no input can change them")


def with_deep_fifos(module: ir.Module, depth: int = AUTO_DEPTH) -> ir.Module:
    """A copy of ``module`` whose region streams hold ``depth`` items (at least as many
    as declared)."""
    out = copy.deepcopy(module)
    for f in out.functions.values():
        for sym in [*f.locals, *f.params]:
            if isinstance(sym, ir.Channel):
                sym.type = StreamType(sym.type.elem, max(depth, sym.type.depth))
    return out


# --- regions whose timing no input can change ------------------------------------------
def static_region(f: ir.Function) -> bool:
    """Whether every stage of ``f``'s dataflow regions (and every kernel they call) has
    control no input value can change: ``for`` bounds and ``if`` conditions computed from
    constants and enclosing loop indices only, no ``while``. Then the stages' schedules fix
    every transfer's cycle (a FIFO or arbiter wait depends only on the other stages' --
    equally fixed -- cycles), so one run measures each FIFO's occupancy for all inputs: the
    depth the report suggests is a property of the schedules ("static"), not of the run's
    inputs ("measured"). The test-only external stall makes no region static."""
    stages = [c.callee for s in ir.walk_stmts(f.body) if isinstance(s, ir.Dataflow)
              for c in s.stages]
    return bool(stages) and all(_static_function(g, set()) for g in stages)


def _static_function(g: ir.Function, seen: set) -> bool:
    if id(g) in seen:
        return True
    seen.add(id(g))
    return _static_body(g.body, set(), seen)


def _static_expr(e, loop_vars: set) -> bool:
    for x in ir.walk_exprs(e):
        if isinstance(x, ir.Ref) and id(x.var) not in loop_vars:
            return False
        if isinstance(x, (ir.Load, ir.MathCall)):
            return False
    return True


def _static_body(body: list, loop_vars: set, seen: set) -> bool:
    for s in body:
        if isinstance(s, ir.While):
            return False
        if isinstance(s, ir.For):
            if not (_static_expr(s.lo, loop_vars) and _static_expr(s.hi, loop_vars)):
                return False
            if not _static_body(s.body, loop_vars | {id(s.var)}, seen):
                return False
        elif isinstance(s, ir.If):
            if not _static_expr(s.cond, loop_vars):
                return False
            if not (_static_body(s.then_body, loop_vars, seen)
                    and _static_body(s.else_body, loop_vars, seen)):
                return False
        elif isinstance(s, ir.Dataflow):
            if not all(_static_function(c.callee, seen) for c in s.stages):
                return False
        elif isinstance(s, ir.Call):
            if not _static_function(s.callee, seen):
                return False
    return True
