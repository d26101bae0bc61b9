"""Which float formats the hardware backend computes: float32 only (and that one the backend
itself refuses for arithmetic). float16, bfloat16 and float64 run on the interpreter; a
hardware build of a kernel that uses them is refused here, naming the kernel line, before any
hardware is generated (until the floating-point issue adds the units)."""
from __future__ import annotations

from ..errors import AlloBackendError
from . import nodes as ir
from .types import ArrayType, Float, float32


def _other_float(t) -> bool:
    t = getattr(t, "elem", t)            # a stream: its element (or block) type
    t = t.dtype if isinstance(t, ArrayType) else t
    return isinstance(t, Float) and t != float32


def refuse_non_float32(module: ir.Module):
    """Raise AlloBackendError at the first symbol or expression of a float format other than
    float32."""
    for f in module.functions.values():
        for sym in f.symbols():
            if _other_float(sym.type):
                raise _error(sym.type, sym.loc)
        for s in ir.walk_stmts(f.body):
            for e in ir.stmt_exprs(s):
                for x in ir.walk_exprs(e):
                    if _other_float(x.type):
                        raise _error(x.type, x.loc)


def _error(t, loc):
    t = t.dtype if isinstance(t, ArrayType) else t
    return AlloBackendError(f"{t!r} is not supported in hardware yet (the interpreter runs it)",
                            loc, hint="build with target='python', or use float32 / Fixed "
                                      "types for hardware")
