"""Array slices with constant bounds (numpy's basic slicing): ``B = A[0:2, 1:5]`` reads a
copy, ``A[0:2, 0:3] = B`` writes a region (from an array of the region's shape, or one
scalar for every element). An integer index drops its dimension, missing trailing dimensions
are whole, bounds follow Python's rules (negative counts from the end, clamped). Slice bounds
and steps must be constants: an array's shape is fixed in hardware. The copies are implicit
loops, as for rows (views.py).
"""
from __future__ import annotations

import ast

from ..ir import nodes as ir
from ..ir import types as T
from .layers import _const, _nest


def has_slice(elts) -> bool:
    return any(isinstance(e, ast.Slice) for e in elts)


def _const_or_none(eb, node, what):
    if node is None:
        return None
    e = eb.scalar(node)
    if not isinstance(e, ir.Const) or not e.type.is_int:
        raise eb.ctx.error(f"the {what} of an array slice must be a constant", node,
                           hint="an array's shape is fixed: use constant bounds, or a loop")
    return int(e.value)


def spec(eb, buf: ir.Buffer, elts, node) -> list:
    """Per dimension of ``buf``: ("at", index expr) or ("range", start, count, step)."""
    if len(elts) > len(buf.shape):
        raise eb.ctx.type_error(f"{buf.name} has {len(buf.shape)} dimensions but is indexed "
                                f"with {len(elts)}", node)
    out = []
    for extent, e in zip(buf.shape, list(elts) + [ast.Slice()] * (len(buf.shape) - len(elts))):
        if isinstance(e, ast.Slice):
            step = _const_or_none(eb, e.step, "step")
            if step == 0:
                raise eb.ctx.error("slice step cannot be zero", e)
            start, stop, step = slice(_const_or_none(eb, e.lower, "start"),
                                      _const_or_none(eb, e.upper, "stop"),
                                      step).indices(extent)
            out.append(("range", start, len(range(start, stop, step)), step))
        else:
            out.append(("at", eb.index(e)))
    if any(d[0] == "range" and d[2] == 0 for d in out):
        raise eb.ctx.type_error(f"{ast.unparse(node)} selects no element", node)
    return out


def shape(sp) -> tuple:
    return tuple(d[2] for d in sp if d[0] == "range")


def _indices(sp, idx, loc):
    """Indices into the sliced array for the loop indices ``idx`` over the slice's shape."""
    it, out = iter(idx), []
    for d in sp:
        if d[0] == "at":
            out.append(d[1])
            continue
        i = next(it)
        _, start, _, step = d
        term = i if step == 1 else ir.BinOp(T.index, loc, "*", i, _const(step, loc))
        out.append(term if start == 0 else ir.BinOp(T.index, loc, "+", term, _const(start, loc)))
    return out


def read(eb, buf: ir.Buffer, sp, node) -> ir.Buffer:
    """A fresh array holding the slice."""
    loc = eb.ctx.loc(node)
    out = eb.ctx.new_buffer(f"{buf.name}_slice", T.ArrayType(buf.dtype, shape(sp)), node,
                            fresh=True)
    idx, body = _nest(eb, out.shape, node, out.name, eb.ctx.body)
    body.append(ir.Store(loc, out, idx, ir.Load(buf.dtype, loc, buf, _indices(sp, idx, loc))))
    return out


def write(eb, buf: ir.Buffer, sp, value, node):
    """``buf[slice] = value`` (an array of the slice's shape, or a scalar)."""
    from .expressions import cast_to
    loc = eb.ctx.loc(node)
    region = shape(sp)
    if isinstance(value, ir.Buffer) and value.shape != region:
        raise eb.ctx.type_error(f"cannot assign a {value.type!r} array to a slice of shape "
                                f"{region} of {buf.name}", node, hint="shapes must be equal")
    if not isinstance(value, (ir.Buffer, ir.Expr)):
        raise eb.ctx.type_error("a tuple cannot be assigned to a slice", node)
    if isinstance(value, ir.Expr):
        from .views import stable       # Python reads the value once, before any write
        value = stable(eb, value, node)
    idx, body = _nest(eb, region, node, f"{buf.name}_sl", eb.ctx.body)
    src = ir.Load(value.dtype, loc, value, list(idx)) if isinstance(value, ir.Buffer) else value
    body.append(ir.Store(loc, buf, _indices(sp, idx, loc), cast_to(src, buf.dtype, loc)))
