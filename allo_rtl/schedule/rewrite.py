"""IR rewriting helpers shared by the loop primitives: finding a loop, copying statements with
index variables replaced by expressions, and small typed index expressions."""
from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from ..ir.affine import index_values, loop_range
from ..ir.types import UInt, index


def find_loop(f: ir.Function, name: str, what: str = "loop"):
    """(the For named ``name``, the body list holding it, its position)."""
    found = _find(f.body, name)
    if found is None:
        known = ", ".join(loop.name for loop in ir.loops(f.body)) or "none"
        raise AlloScheduleError(f"{f.name} has no {what} named {name!r}",
                                hint=f"loops of {f.name}: {known}")
    return found


def _find(body: list, name: str):
    for k, s in enumerate(body):
        if isinstance(s, ir.For) and s.name == name:
            return s, body, k
        for b in ir.child_bodies(s):
            got = _find(b, name)
            if got is not None:
                return got
    return None


def const_bounds(loop: ir.For, primitive: str) -> tuple:
    """(lo, hi, trips) of a loop whose bounds are constants, else a schedule error."""
    if trip_count(loop) is None:
        raise AlloScheduleError(f"{primitive} needs constant bounds, loop {loop.name!r} has "
                                "bounds computed at run time", loop.loc)
    return int(loop.lo.value), int(loop.hi.value), trip_count(loop)


def trip_count(loop: ir.For) -> int | None:
    """Iterations of a loop with constant bounds, None when they are computed at run time."""
    r = loop_range(loop)
    return None if r is None else len(r)


def const(value: int, loc) -> ir.Const:
    return ir.Const(index, loc, index.wrap(value))


def add(a: ir.Expr, b: ir.Expr, loc) -> ir.Expr:
    if isinstance(b, ir.Const) and b.value == 0:
        return a
    return ir.BinOp(index, loc, "+", a, b)


def mul(a: ir.Expr, k: int, loc) -> ir.Expr:
    return a if k == 1 else ir.BinOp(index, loc, "*", a, const(k, loc))


def ref(var: ir.Scalar, loc) -> ir.Ref:
    return ir.Ref(var.type, loc, var)


def less(a: ir.Expr, bound, step: int, loc) -> ir.Expr:
    """``a < bound`` (or ``a > bound`` for negative steps), the guard of a loop's tail; the
    bound is an int or a (copied) run-time expression."""
    bound = const(bound, loc) if isinstance(bound, int) else clone_expr(bound, {})
    return ir.Compare(UInt(1), loc, "<" if step > 0 else ">", a, bound)


def map_expr(e: ir.Expr, fn) -> ir.Expr:
    """A copy of ``e`` in which every sub-expression ``x`` with ``fn(x)`` not None is replaced
    by ``fn(x)`` (outermost first; a replacement is not looked into)."""
    new = fn(e)
    if new is not None:
        return new
    changes = {}
    for fld in dataclasses.fields(e):
        v = getattr(e, fld.name)
        if isinstance(v, ir.Expr):
            changes[fld.name] = map_expr(v, fn)
        elif isinstance(v, list) and v and isinstance(v[0], ir.Expr):
            changes[fld.name] = [map_expr(x, fn) for x in v]
    return dataclasses.replace(e, **changes)


def clone_expr(e: ir.Expr, sub: dict) -> ir.Expr:
    """A copy of ``e`` with the variables in ``sub`` (ids) replaced by their expressions."""
    return map_expr(e, lambda x: sub.get(id(x.var)) if isinstance(x, ir.Ref) else None)


def _known_guard(cond: ir.Expr):
    """True/False when ``cond`` compares index values that are all constants (a split or
    unroll guard after full unrolling, ``3 + 1 < 4``), else None. Folding it keeps dead
    copies, whose indices may lie outside the array, out of later passes."""
    if not (isinstance(cond, ir.Compare) and cond.lhs.type == index):
        return None
    value = index_values(cond, {})
    return None if value is None or np.ndim(value) else bool(value)


def clone_body(body: list, sub: dict, suffix: str = "") -> list:
    """A copy of ``body`` with variables in ``sub`` replaced; loops inside get fresh index
    variables and ``suffix`` appended to their names (handles stay unique)."""
    out = []
    for s in body:
        if isinstance(s, ir.Assign):
            out.append(ir.Assign(s.loc, s.var, clone_expr(s.value, sub)))
        elif isinstance(s, ir.Store):
            out.append(ir.Store(s.loc, s.buf, [clone_expr(i, sub) for i in s.indices],
                                clone_expr(s.value, sub)))
        elif isinstance(s, ir.For):
            var = ir.Scalar(s.var.name + suffix, s.var.type, s.var.loc)
            inner = {**sub, id(s.var): ref(var, s.loc)}
            out.append(ir.For(s.loc, s.name + suffix, var, clone_expr(s.lo, sub),
                              clone_expr(s.hi, sub), s.step, clone_body(s.body, inner, suffix),
                              dict(s.attrs)))
        elif isinstance(s, ir.While):
            out.append(ir.While(s.loc, clone_expr(s.cond, sub), clone_body(s.body, sub, suffix)))
        elif isinstance(s, ir.If):
            cond = clone_expr(s.cond, sub)
            known = _known_guard(cond)
            if known is None:
                out.append(ir.If(s.loc, cond, clone_body(s.then_body, sub, suffix),
                                 clone_body(s.else_body, sub, suffix)))
            else:       # a loop guard made constant by unrolling: keep the branch taken
                out += clone_body(s.then_body if known else s.else_body, sub, suffix)
        elif isinstance(s, ir.Call):
            out.append(ir.Call(s.loc, s.callee,
                               [clone_expr(a, sub) if isinstance(a, ir.Expr) else a
                                for a in s.args], list(s.outs)))
        else:
            raise TypeError(type(s).__name__)
    return out
