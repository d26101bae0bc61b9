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
MODES = (None, "declared", "auto")


def check_mode(mode):
    if mode not in MODES:
        raise AlloError(f"fifo_depth must be 'declared' or 'auto', not {mode!r}",
                        hint="fifo_depth='auto' builds deep FIFOs and reports the depth each "
                             "stream needs (mod.report())")


def with_deep_fifos(module: ir.Module, depth: int = AUTO_DEPTH) -> ir.Module:
    """A copy of ``module`` whose region streams hold ``depth`` items (at least as many
    as declared)."""
    out = copy.deepcopy(module)
    for f in out.functions.values():
        for sym in [*f.locals, *f.params]:
            if isinstance(sym, ir.Channel):
                sym.type = StreamType(sym.type.elem, max(depth, sym.type.depth))
    return out
