"""Integer widths the hardware build accepts.

Allo lets a kernel declare integers up to MLIR's 2**24 - 1 bits (``Int(65536)``); the
interpreter computes them exactly with Python ints. Datapaths, registers and ports wider than
``HARDWARE_MAX_BITS`` are refused at the first symbol or expression that has one, with its line.
"""
from __future__ import annotations

from ..errors import AlloBackendError
from . import nodes as ir
from .types import HARDWARE_MAX_BITS, ArrayType


def refuse_too_wide(module: ir.Module):
    for f in module.functions.values():
        for sym in f.symbols():
            _check(sym.type, sym.loc)
        for s in ir.walk_stmts(f.body):
            for e in ir.stmt_exprs(s):
                for x in ir.walk_exprs(e):
                    _check(x.type, x.loc)


def _check(t, loc):
    t = getattr(t, "elem", t)            # a stream: its element (or block) type
    t = t.dtype if isinstance(t, ArrayType) else t
    if not t.is_float and t.bits > HARDWARE_MAX_BITS:
        raise AlloBackendError(f"{t!r} is wider than the {HARDWARE_MAX_BITS} bits hardware is "
                               "built for (the interpreter runs it)", loc,
                               hint="build with target='python', or use narrower types")
