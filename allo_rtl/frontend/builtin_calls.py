"""Calls of Allo's array builtins in a kernel (``allo.softmax(x)``, ``allo.transpose(x, (1,
0))``, ``allo.ones((4, 4), dtype=int)`` ...): the arguments are bound by the signature of the
numpy function in ``allo_rtl/dsl.py`` (so a kernel takes exactly what running it as Python
takes), shapes, axes and dtypes are evaluated at compile time, and the work is lowered by
``layers.py``. ``name=`` (Allo's label for the operation) is accepted and names nothing here.
"""
from __future__ import annotations

import ast
import builtins
import inspect

from .. import dsl
from ..ir import nodes as ir
from ..ir import types as T
from . import layers

STATIC = {"axes", "shape", "dtype", "eps", "name"}       # compile-time parameters


def _unary_abs(eb, a, node):
    loc = eb.ctx.loc(node)
    if not isinstance(a, ir.Buffer):
        a = eb.need_scalar(a, node)
        return ir.MathCall(a.type, loc, "abs", [a])
    out = eb.ctx.new_buffer("_abs", a.type, node, fresh=True)
    idx, body = layers._nest(eb, a.shape, node, out.name, eb.ctx.body)
    body.append(ir.Store(loc, out, idx, ir.MathCall(a.dtype, loc, "abs",
                                                    [layers._load(a, idx, loc)])))
    return out


def _dtype(eb, value, node):
    """``dtype=`` of ones/zeros: an Allo type, or Python's int/float (int32/float32, as Allo)."""
    if value is None or value is builtins.float:
        return T.float32
    if value is builtins.int:
        return T.int32
    if isinstance(value, T.AlloType):
        return value
    raise eb.ctx.type_error(f"dtype {value!r} is not a kernel type", node,
                            hint="use int, float or an Allo type such as int8")


def _shape(eb, value, what, node):
    shape = (value,) if isinstance(value, int) else tuple(value)
    if not shape or not all(isinstance(d, int) and d > 0 for d in shape):
        raise eb.ctx.type_error(f"{what} must be a tuple of positive integers, not {value!r}",
                                node)
    return shape


def _axes(eb, value, node):
    if value is None:
        return None
    axes = tuple(value) if not isinstance(value, int) else (value,)
    if not all(isinstance(d, int) and d >= 0 for d in axes):
        raise eb.ctx.type_error(f"transpose axes must be non-negative integers, not {value!r}",
                                node)
    return axes


LOWERINGS = {
    dsl.abs: lambda eb, a, node: _unary_abs(eb, a["x"], node),
    dsl.bmm: lambda eb, a, node: layers.bmm(eb, a["a"], a["b"], node),
    dsl.matmul: lambda eb, a, node: layers.matmul(eb, a["a"], a["b"], node),
    dsl.transpose: lambda eb, a, node: layers.transpose(eb, a["x"], _axes(eb, a["axes"], node),
                                                        node),
    dsl.view: lambda eb, a, node: layers.view(eb, a["x"], _shape(eb, a["shape"], "the shape",
                                                                 node), node),
    dsl.linear: lambda eb, a, node: layers.linear(eb, a["x"], a["w"], a["bias"], node),
    dsl.softmax: lambda eb, a, node: layers.softmax(eb, a["x"], node),
    dsl.layernorm: lambda eb, a, node: layers.layernorm(eb, a["x"], a["gamma"], a["beta"],
                                                        float(a["eps"]), node),
    dsl.gelu: lambda eb, a, node: layers.gelu(eb, a["x"], node),
    dsl.conv2d: lambda eb, a, node: layers.conv2d(eb, a["inp"], a["filt"], node),
    dsl.maxpool: lambda eb, a, node: layers.pool(eb, a["inp"], a["window"], "max", node),
    dsl.sumpool: lambda eb, a, node: layers.pool(eb, a["inp"], a["window"], "sum", node),
    dsl.tril: lambda eb, a, node: layers.tril(eb, a["x"], node),
    dsl.ones: lambda eb, a, node: layers.filled(
        eb, _shape(eb, a["shape"], "the shape", node), _dtype(eb, a["dtype"], node), 1, node),
    dsl.zeros: lambda eb, a, node: layers.filled(
        eb, _shape(eb, a["shape"], "the shape", node), _dtype(eb, a["dtype"], node), 0, node),
}


def call(eb, fn, node):
    """Lower the call ``node`` of the builtin ``fn`` (a key of LOWERINGS)."""
    sig = inspect.signature(fn)
    try:
        bound = sig.bind(*node.args, **{k.arg: k.value for k in node.keywords})
    except TypeError as e:
        raise eb.ctx.error(f"allo.{fn.__name__}{sig}: {e}", node,
                           hint=f"call it as allo.{fn.__name__}{sig}") from None
    args = {}
    for p in sig.parameters.values():
        given = bound.arguments.get(p.name)
        if given is None:
            args[p.name] = p.default if p.default is not inspect.Parameter.empty else None
        elif p.name in STATIC:
            args[p.name] = eb.ctx.eval_static(given, what=f"allo.{fn.__name__}'s {p.name}")
        else:
            args[p.name] = eb.build(given)
    return LOWERINGS[fn](eb, args, node)


def without_name(node: ast.Call) -> ast.Call:
    """``node`` without Allo's ``name=`` label, for the builtins lowered elsewhere."""
    kept = [k for k in node.keywords if k.arg != "name"]
    if len(kept) == len(node.keywords):
        return node
    return ast.copy_location(ast.Call(func=node.func, args=node.args, keywords=kept), node)


def is_dsl_builtin(fn) -> bool:
    return getattr(fn, "__module__", None) == dsl.__name__
