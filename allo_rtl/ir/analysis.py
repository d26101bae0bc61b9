"""Small analyses over the IR used by several stages (port directions, call graph). Index
analysis (affine forms, loop grids, dependence distances) is ``ir/affine.py``."""
from __future__ import annotations

from . import nodes as ir


def written_buffers(f: ir.Function) -> set:
    """ids of the buffers ``f`` writes, directly or through the callees it passes them to."""
    out = set()
    for s in ir.walk_stmts(f.body):
        if isinstance(s, ir.Store):
            out.add(id(s.buf))
        elif isinstance(s, ir.Call):
            inner = written_buffers(s.callee)
            for a, p in zip(s.args, s.callee.params):
                if isinstance(a, ir.Buffer) and id(p) in inner:
                    out.add(id(a))
            out.update(id(o) for o in s.outs if isinstance(o, ir.Buffer))
    return out


def read_buffers(f: ir.Function) -> set:
    """ids of the buffers ``f`` reads (loads, or passes to a callee)."""
    out = set()
    for s in ir.walk_stmts(f.body):
        for e in ir.stmt_exprs(s):
            out.update(id(x.buf) for x in ir.walk_exprs(e) if isinstance(x, ir.Load))
        if isinstance(s, ir.Call):
            out.update(id(a) for a in s.args if isinstance(a, ir.Buffer))
    return out
