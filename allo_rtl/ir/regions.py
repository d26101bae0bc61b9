"""Dataflow regions without streams, as sequential calls (for the hardware build).

Assumes a verified module in which no kernel puts into or gets from a stream. Then no stage
can ever wait, so the Kahn-process-network meaning of a ``Dataflow`` statement (run the
stages round-robin, each until it blocks) is exactly running them one after another in
order. Returns a copy of the module with every ``Dataflow`` statement replaced by its stage
calls; the schedule's own module is left as it is. Stages then run in turn in hardware: the
concurrent start of stages (and streams) is the hardware backend's next step.
"""
from __future__ import annotations

import copy

from . import nodes as ir
from .verifier import verify_module


def has_stream_ops(module: ir.Module) -> bool:
    return any(isinstance(s, (ir.StreamPut, ir.StreamGet))
               for f in module.functions.values() for s in ir.walk_stmts(f.body))


def has_regions(module: ir.Module) -> bool:
    return any(isinstance(s, ir.Dataflow)
               for f in module.functions.values() for s in ir.walk_stmts(f.body))


def _inline(body: list) -> list:
    out = []
    for s in body:
        if isinstance(s, ir.Dataflow):
            out += s.stages
            continue
        for sub in ir.child_bodies(s):
            sub[:] = _inline(sub)
        out.append(s)
    return out


def sequential_regions(module: ir.Module) -> ir.Module:
    """A copy of ``module`` with each region's stages called in order (see the docstring)."""
    if has_stream_ops(module):
        raise ValueError("sequential_regions needs a module without stream operations")
    out = copy.deepcopy(module)
    for f in out.functions.values():
        f.body[:] = _inline(f.body)
        f.locals = [s for s in f.locals if not isinstance(s, ir.Channel)]
    return verify_module(out)
