"""Small analyses over the IR used by several stages (port directions, call graph)."""
from __future__ import annotations

import numpy as np

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


_COMPARE = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
            ">": np.greater, ">=": np.greater_equal}
_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply, "&": np.bitwise_and,
          ">>": np.right_shift, "<<": np.left_shift}


def index_values(e: ir.Expr, env: dict):
    """An index expression evaluated over numpy int64 arrays of loop indices (``env``: id(var)
    -> values): integer + - * & shifts, comparisons, and/or, selects. None when it depends on
    anything else (a variable not in ``env``, a load, a division)."""
    if isinstance(e, ir.Const) and e.type.is_int:
        return int(e.type.to_python(e.value))
    if isinstance(e, ir.Ref):
        return env.get(id(e.var))
    if isinstance(e, ir.Cast) and e.type.is_int and e.operand.type.is_int:
        return index_values(e.operand, env)
    if isinstance(e, (ir.BinOp, ir.Compare)) and e.op in (*_ARITH, *_COMPARE):
        a, b = index_values(e.lhs, env), index_values(e.rhs, env)
        if a is None or b is None:
            return None
        return (_COMPARE.get(e.op) or _ARITH[e.op])(a, b)
    if isinstance(e, ir.Logic):
        vals = [index_values(x, env) for x in e.operands]
        if any(v is None for v in vals):
            return None
        return np.logical_and.reduce(vals) if e.op == "and" else np.logical_or.reduce(vals)
    if isinstance(e, ir.Select):
        c, a, b = (index_values(x, env) for x in (e.cond, e.if_true, e.if_false))
        return None if c is None or a is None or b is None else np.where(c, a, b)
    return None


def affine_form(e: ir.Expr):
    """{id(var): coefficient, None: constant} of an affine integer expression, else None."""
    if isinstance(e, ir.Const) and e.type.is_int:
        return {None: int(e.type.to_python(e.value))}
    if isinstance(e, ir.Ref):
        return {id(e.var): 1}
    if isinstance(e, ir.Cast):
        return affine_form(e.operand)
    if isinstance(e, ir.BinOp) and e.op in ("+", "-", "*"):
        a, b = affine_form(e.lhs), affine_form(e.rhs)
        if a is None or b is None:
            return None
        if e.op == "*":
            if set(b) <= {None}:
                a, b = b, a
            if not set(a) <= {None}:
                return None
            k = a.get(None, 0)
            return {v: c * k for v, c in b.items() if c * k}
        sign = 1 if e.op == "+" else -1
        out = dict(a)
        for v, c in b.items():
            out[v] = out.get(v, 0) + sign * c
        return {v: c for v, c in out.items() if c or v is None}
    return None
