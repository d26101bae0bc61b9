"""One-word local arrays become registers.

A complete partition leaves banks of one word each (``C_p0_0``, ...); kept as memories they
read a cycle late through a single port, so an accumulation through one recurs at II 2 and a
fully unrolled body queues on 1-word memories. A one-word *local* array is a variable: its
loads become reads of a scalar and its stores assignments, so it is a register the schedulers
read in the same cycle and any number of operations may use at once.

Applied after banking to every local array of one element that no call receives (a callee
needs a memory port to reach it); arguments and results keep their ports (the interface does
not change), constant arrays stay ROMs. A local's initial value comes from the statements
that declared it (kept), so nothing else changes. Runs on the build's own copy of the module.
"""
from __future__ import annotations

import copy

from ..ir import nodes as ir
from ..schedule.rewrite import map_expr


def scalarize_module(module: ir.Module, owned: bool) -> tuple:
    """(module with one-word local arrays as scalars, their names). ``owned``: the module is
    the build's own copy (else it is copied before any change)."""
    if not any(_candidates(f) for f in module.functions.values()):
        return module, []
    if not owned:
        module = copy.deepcopy(module)
    done = []
    for f in module.functions.values():
        done += [f"{f.name}.{b.name}" for b in _scalarize(f)]
    return module, done


def _candidates(f: ir.Function) -> list:
    passed = {id(a) for s in ir.walk_stmts(f.body) if isinstance(s, ir.Call)
              for a in s.args if isinstance(a, ir.Buffer)}
    return [b for b in f.locals if isinstance(b, ir.Buffer) and b.kind == "local"
            and b.type.size == 1 and id(b) not in passed and b.init is None]


def _scalarize(f: ir.Function) -> list:
    bufs = _candidates(f)
    if not bufs:
        return []
    scalar = {id(b): ir.Scalar(b.name, b.dtype, b.loc) for b in bufs}
    f.body = _body(f.body, scalar)
    f.locals = [scalar.get(id(s), s) for s in f.locals]
    return bufs


def _body(body: list, scalar: dict) -> list:
    out = []
    for s in body:
        if isinstance(s, ir.Store) and id(s.buf) in scalar:
            out.append(ir.Assign(s.loc, scalar[id(s.buf)], _expr(s.value, scalar)))
            continue
        if isinstance(s, ir.Assign):
            s.value = _expr(s.value, scalar)
        elif isinstance(s, ir.Store):
            s.indices = [_expr(i, scalar) for i in s.indices]
            s.value = _expr(s.value, scalar)
        elif isinstance(s, ir.For):
            s.lo, s.hi = _expr(s.lo, scalar), _expr(s.hi, scalar)
        elif isinstance(s, (ir.While, ir.If)):
            s.cond = _expr(s.cond, scalar)
        elif isinstance(s, ir.Call):
            s.args = [_expr(a, scalar) if isinstance(a, ir.Expr) else a for a in s.args]
        for b in ir.child_bodies(s):
            b[:] = _body(b, scalar)
        out.append(s)
    return out


def _expr(e: ir.Expr, scalar: dict) -> ir.Expr:
    return map_expr(e, lambda x: ir.Ref(x.type, x.loc, scalar[id(x.buf)])
                    if isinstance(x, ir.Load) and id(x.buf) in scalar else None)
