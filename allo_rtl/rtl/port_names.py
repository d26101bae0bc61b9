"""Parameters and results named like a kernel's control ports get other port names.

Every kernel component has ``start``, ``done`` and ``idle`` ports (and ``stall``,
``stream_wait``, ``stream_progress`` where used); a scalar port takes its parameter's name, so
a kernel parameter called ``start`` (MachSuite's bfs has one) would replace the control input
and read the start pulse instead of the argument. The hardware build works on a copy of the
module in which such a parameter, result or stream is called ``start_arg`` (or
``start_arg2``...); arguments are passed by position, so callers do not see it. The
interpreter keeps the source's names. The same holds for a scalar named like one of an array
parameter's ports (``A_q0`` beside an array ``A``).
"""
from __future__ import annotations

import copy

from ..ir import nodes as ir
from .interface import (ARBITER_PORT_SUFFIXES, CLOCK_PORTS, CONTROL_PORTS, MEMORY_PORT_SUFFIXES,
                        SECOND_PORT_SUFFIXES, TEST_PORTS, WATCHDOG_PORTS)

RESERVED_PORTS = frozenset(CONTROL_PORTS + WATCHDOG_PORTS + TEST_PORTS + CLOCK_PORTS)
ARRAY_PORT_SUFFIXES = MEMORY_PORT_SUFFIXES + SECOND_PORT_SUFFIXES + ARBITER_PORT_SUFFIXES


def _reserved(f: ir.Function) -> set:
    arrays = [s.name for s in [*f.params, *f.results] if isinstance(s, ir.Buffer)]
    return RESERVED_PORTS | {f"{a}_{suffix}" for a in arrays for suffix in ARRAY_PORT_SUFFIXES}


def _colliding(f: ir.Function) -> list:
    reserved = _reserved(f)
    return [s for s in [*f.params, *f.results]
            if isinstance(s, (ir.Scalar, ir.Channel)) and s.name in reserved]


def rename_control_port_params(module: ir.Module) -> ir.Module:
    """``module`` itself when no function has such a name, else a renamed copy."""
    if not any(_colliding(f) for f in module.functions.values()):
        return module
    out = copy.deepcopy(module)
    for f in out.functions.values():
        taken = {s.name for s in [*f.params, *f.results, *f.locals]
                 if hasattr(s, "name")} | _reserved(f)
        for s in _colliding(f):
            name, k = f"{s.name}_arg", 2
            while name in taken:
                name, k = f"{s.name}_arg{k}", k + 1
            taken.add(name)
            s.name = name
    return out
