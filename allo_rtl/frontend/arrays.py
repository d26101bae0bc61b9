"""Whole-array operations (``A + B``, ``allo.matmul``, copies, fills) lowered to loop nests.

Each produces a fresh temporary buffer; an assignment that names it adopts the buffer
instead of copying it.
"""
from __future__ import annotations

from ..ir import nodes as ir
from ..ir import types as T
from ..ir import typing_rule as rules


def loop_nest(eb, shape, node, prefix):
    """Emit ``for`` loops over ``shape``; return (index exprs, innermost body)."""
    ctx = eb.ctx
    loc = ctx.loc(node)
    body_owner = ctx.body
    indices = []
    for d, extent in enumerate(shape):
        var = ir.Scalar(ctx.unique(f"{prefix}_i{d}"), T.index, loc)
        zero = ir.Const(T.index, loc, 0)
        loop = ir.For(loc, ctx.unique_loop_name(f"{prefix}_l{d}"), var, zero,
                      ir.Const(T.index, loc, extent), 1, [], {"implicit": True})
        body_owner.append(loop)
        body_owner = loop.body
        indices.append(ir.Ref(T.index, loc, var))
    return indices, body_owner


def _element(v, indices, loc):
    if isinstance(v, ir.Buffer):
        return ir.Load(v.dtype, loc, v, list(indices))
    return v


def _check_shapes(eb, a, b, node):
    """The result shape of an elementwise operation: numpy's broadcast of the arrays."""
    from .layers import broadcast_shape
    for v in (a, b):
        if not isinstance(v, (ir.Buffer, ir.Expr)):
            raise eb.ctx.type_error("a tuple cannot be used in arithmetic", node)
    shapes = [v.shape for v in (a, b) if isinstance(v, ir.Buffer)]
    return broadcast_shape(eb, shapes, node, "elementwise operation")


def _broadcast_element(v, idx, loc):
    from .layers import broadcast_index
    if isinstance(v, ir.Buffer):
        return ir.Load(v.dtype, loc, v, broadcast_index(v.shape, idx, loc))
    return v


def elementwise(eb, op, a, b, node):
    shape = _check_shapes(eb, a, b, node)
    ta = a.dtype if isinstance(a, ir.Buffer) else a.type
    tb = b.dtype if isinstance(b, ir.Buffer) else b.type
    tr = rules.binop_type(op, ta, tb)
    if tr is None:
        raise eb.ctx.type_error(f"operator {op} is not defined for {ta!r} and {tb!r}", node)
    loc = eb.ctx.loc(node)
    out = eb.ctx.new_buffer("_tmp", T.ArrayType(tr, shape), node, fresh=True)
    idx, body = loop_nest(eb, shape, node, out.name)
    body.append(ir.Store(loc, out, idx, ir.BinOp(tr, loc, op, _broadcast_element(a, idx, loc),
                                                 _broadcast_element(b, idx, loc))))
    return out


def cast_array(eb, src: ir.Buffer, typ, node):
    out = eb.ctx.new_buffer("_tmp", T.ArrayType(typ, src.shape), node, fresh=True)
    copy(eb, out, src, node)
    return out


def math_array(eb, fn, src: ir.Buffer, node):
    typ = rules.math_type(src.dtype)
    loc = eb.ctx.loc(node)
    out = eb.ctx.new_buffer("_tmp", T.ArrayType(typ, src.shape), node, fresh=True)
    idx, body = loop_nest(eb, src.shape, node, out.name)
    body.append(ir.Store(loc, out, idx, ir.MathCall(typ, loc, fn, [_element(src, idx, loc)])))
    return out


def copy(eb, dst: ir.Buffer, src, node):
    """dst[...] = src[...] (src a buffer of the same shape, or a scalar broadcast)."""
    from .expressions import cast_to
    if isinstance(src, ir.Buffer) and src.shape != dst.shape:
        raise eb.ctx.type_error(f"cannot assign a {src.type!r} array to {dst.name}: "
                                f"{dst.type!r}", node, hint="shapes must be equal")
    loc = eb.ctx.loc(node)
    idx, body = loop_nest(eb, dst.shape, node, dst.name)
    body.append(ir.Store(loc, dst, idx, cast_to(_element(src, idx, loc), dst.dtype, loc)))


def matmul(eb, a, b, node):
    from .layers import matmul as batched
    return batched(eb, a, b, node)


def concat(eb, a, b, axis, node):
    """``allo.concat(a, b, axis)``: a fresh array, ``a`` then ``b`` along ``axis``."""
    from .expressions import cast_to
    if not (isinstance(a, ir.Buffer) and isinstance(b, ir.Buffer)):
        raise eb.ctx.type_error("allo.concat joins two arrays", node)
    if len(a.shape) != len(b.shape) or not -len(a.shape) <= axis < len(a.shape):
        raise eb.ctx.type_error(f"allo.concat of shapes {a.shape} and {b.shape} along axis "
                                f"{axis}", node, hint="both arrays need the same rank")
    axis %= len(a.shape)
    if any(x != y for d, (x, y) in enumerate(zip(a.shape, b.shape)) if d != axis):
        raise eb.ctx.type_error(f"allo.concat: shapes {a.shape} and {b.shape} differ outside "
                                f"axis {axis}", node)
    if a.dtype != b.dtype:
        raise eb.ctx.type_error(f"allo.concat of {a.dtype!r} and {b.dtype!r} arrays", node,
                                hint="cast one array first so both have one element type")
    shape = tuple(x + y if d == axis else x for d, (x, y) in enumerate(zip(a.shape, b.shape)))
    out = eb.ctx.new_buffer("_cat", T.ArrayType(a.dtype, shape), node, fresh=True)
    loc = eb.ctx.loc(node)
    for src, offset in ((a, 0), (b, a.shape[axis])):
        idx, body = loop_nest(eb, src.shape, node, out.name)
        dst = list(idx)
        if offset:
            dst[axis] = ir.BinOp(T.index, loc, "+", idx[axis], ir.Const(T.index, loc, offset))
        body.append(ir.Store(loc, out, dst, cast_to(_element(src, idx, loc), a.dtype, loc)))
    return out


def copy_of(eb, src, node):
    """``allo.copy(A)``: a fresh array with A's values."""
    if not isinstance(src, ir.Buffer):
        raise eb.ctx.type_error("allo.copy copies an array", node,
                                hint="a scalar is copied by assigning it")
    out = eb.ctx.new_buffer("_copy", src.type, node, fresh=True)
    copy(eb, out, src, node)
    return out


def elementwise_max(eb, src: ir.Buffer, floor: ir.Expr, node):
    """``max(src[...], floor)`` into a fresh array (``allo.relu``)."""
    loc = eb.ctx.loc(node)
    out = eb.ctx.new_buffer("_relu", src.type, node, fresh=True)
    idx, body = loop_nest(eb, src.shape, node, out.name)
    body.append(ir.Store(loc, out, idx, ir.MathCall(src.dtype, loc, "max",
                                                    [_element(src, idx, loc), floor])))
    return out
