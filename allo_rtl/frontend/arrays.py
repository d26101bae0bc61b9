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
    shapes = [v.shape for v in (a, b) if isinstance(v, ir.Buffer)]
    if len(shapes) == 2 and shapes[0] != shapes[1]:
        raise eb.ctx.type_error(f"array shapes {shapes[0]} and {shapes[1]} do not match", node,
                                hint="elementwise operations need arrays of the same shape")
    for v in (a, b):
        if not isinstance(v, (ir.Buffer, ir.Expr)):
            raise eb.ctx.type_error("a tuple cannot be used in arithmetic", node)
    return shapes[0]


def elementwise(eb, op, a, b, node):
    from .expressions import cast_to   # noqa: F401 - circular at import time
    shape = _check_shapes(eb, a, b, node)
    ta = a.dtype if isinstance(a, ir.Buffer) else a.type
    tb = b.dtype if isinstance(b, ir.Buffer) else b.type
    tr = rules.binop_type(op, ta, tb)
    if tr is None:
        raise eb.ctx.type_error(f"operator {op} is not defined for {ta!r} and {tb!r}", node)
    loc = eb.ctx.loc(node)
    out = eb.ctx.new_buffer("_tmp", T.ArrayType(tr, shape), node, fresh=True)
    idx, body = loop_nest(eb, shape, node, out.name)
    body.append(ir.Store(loc, out, idx, ir.BinOp(tr, loc, op, _element(a, idx, loc),
                                                 _element(b, idx, loc))))
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
    from .expressions import cast_to
    if not (isinstance(a, ir.Buffer) and isinstance(b, ir.Buffer)):
        raise eb.ctx.type_error("allo.matmul needs two arrays", node)
    if len(a.shape) != 2 or len(b.shape) != 2 or a.shape[1] != b.shape[0]:
        raise eb.ctx.type_error(f"allo.matmul of shapes {a.shape} and {b.shape}: need "
                                "[M, K] and [K, N]", node)
    typ = a.dtype if a.dtype == b.dtype else rules.common_type(a.dtype, b.dtype)
    loc = eb.ctx.loc(node)
    (m, k), n = a.shape, b.shape[1]
    out = eb.ctx.new_buffer("_tmp", T.ArrayType(typ, (m, n)), node, fresh=True)
    zero = ir.Const(typ, loc, typ.from_python(0))
    (i, j), body = loop_nest(eb, (m, n), node, out.name)
    body.append(ir.Store(loc, out, [i, j], zero))
    var = ir.Scalar(eb.ctx.unique(f"{out.name}_k"), T.index, loc)
    red = ir.For(loc, eb.ctx.unique_loop_name(f"{out.name}_k"), var, ir.Const(T.index, loc, 0),
                 ir.Const(T.index, loc, k), 1, [], {"reduction": True})
    body.append(red)
    kk = ir.Ref(T.index, loc, var)
    prod = eb.binop("*", ir.Load(a.dtype, loc, a, [i, kk]), ir.Load(b.dtype, loc, b, [kk, j]), node)
    acc = eb.binop("+", ir.Load(typ, loc, out, [i, j]), prod, node)
    red.body.append(ir.Store(loc, out, [i, j], cast_to(acc, typ, loc)))
    return out


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
