"""Compile-time constructs Allo kernels use, expanded while the IR is built: ``ConstExpr``
locals and the ``allo.meta_if/meta_elif/meta_else/meta_for`` with-blocks.

Their values are Python values computed by Python over the kernel's names (globals, template
parameters, earlier ConstExprs and meta_for indices), so no trace of them reaches the IR:
a meta_for body is built once per index value; a meta_if chain keeps only the chosen body.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import dsl
from ..ir import types as T


def declare_constexpr(sb, node, ann: T.ConstExprAnnotation):
    """``n: ConstExpr[int32] = expr``: ``n`` becomes a constant of the declared type."""
    ctx, name = sb.ctx, node.target.id
    if node.value is None:
        raise ctx.error(f"ConstExpr {name!r} needs a value", node,
                        hint=f"{name}: ConstExpr[int32] = 4")
    typ = ann.dtype
    if not isinstance(typ, T.AlloType):
        raise ctx.type_error(f"ConstExpr takes a scalar type, not {typ!r}", node.annotation)
    value = ctx.eval_static(node.value, what="a ConstExpr value")
    if not isinstance(value, (int, float, np.integer, np.floating)):
        raise ctx.type_error(f"ConstExpr {name!r} must be a number, not "
                             f"{type(value).__name__}", node.value)
    ctx.env[name] = float(typ.from_python(value)) if typ.is_float else \
        typ.to_python(typ.from_python(value))
    ctx.const_types[name] = typ
    ctx.declared(name)


def meta_call(sb, item):
    """The meta function a with-item calls (``allo.meta_for``), or None."""
    expr = item.context_expr
    if not isinstance(expr, ast.Call):
        return None
    try:
        fn = sb.eb.python_object(expr.func)
    except Exception:   # noqa: BLE001 - not a name of a Python object: not a meta block
        # Allo matches `allo.meta_if` by its spelling, so its scripts use it without
        # `import allo` (only `import allo.dataflow as df`): accept that spelling too
        func = expr.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                func.value.id == "allo" and func.value.id not in sb.ctx.env:
            return next((m for m in dsl.META_BLOCKS if m.__name__ == func.attr), None)
        return None
    return fn if any(fn is m for m in dsl.META_BLOCKS) else None


def with_block(sb, node):
    ctx = sb.ctx
    fn = meta_call(sb, node.items[0]) if len(node.items) == 1 else None
    if fn is None:
        raise ctx.error("with-blocks in kernels are allo.meta_if/meta_elif/meta_else/meta_for "
                        "only", node)
    call, target = node.items[0].context_expr, node.items[0].optional_vars
    if call.keywords:
        raise ctx.error(f"{fn.__name__} takes no keyword arguments", call)
    args = [ctx.eval_static(a, what=f"an argument of {fn.__name__}") for a in call.args]
    chain = ctx.meta_chain
    if fn is dsl.meta_for:
        return meta_for(sb, node, args, target)
    if target is not None:
        raise ctx.error(f"{fn.__name__} gives no value to bind with `as`", target)
    if fn is dsl.meta_if:
        _one_arg(ctx, fn, args, call)
        taken = bool(args[0])
    else:
        if chain is None:
            raise ctx.error(f"{fn.__name__} must follow a meta_if or meta_elif", node)
        if fn is dsl.meta_elif:
            _one_arg(ctx, fn, args, call)
        elif args:
            raise ctx.error("meta_else takes no arguments", call)
        taken = not chain and (fn is dsl.meta_else or bool(args[0]))
    if taken:
        with ctx.nested(ctx.body, block=False):
            sb.body(node.body)
    ctx.meta_chain = None if fn is dsl.meta_else else (bool(chain) or taken)


def _one_arg(ctx, fn, args, call):
    if len(args) != 1:
        raise ctx.error(f"{fn.__name__} takes one condition", call)


def meta_for(sb, node, args, target):
    ctx = sb.ctx
    if not 1 <= len(args) <= 3 or not all(isinstance(a, (int, np.integer)) for a in args):
        raise ctx.error("meta_for takes 1 to 3 integers (like range)", node.items[0].context_expr)
    if not isinstance(target, ast.Name):
        raise ctx.error("meta_for binds one name: with allo.meta_for(n) as i:", node)
    name = target.id
    if name in ctx.symbols:
        raise ctx.error(f"meta_for index {name!r} reuses a kernel variable's name", target)
    had, old = name in ctx.env, ctx.env.get(name)
    try:
        for value in range(*(int(a) for a in args)):
            ctx.env[name] = value
            with ctx.nested(ctx.body, block=False):
                sb.body(node.body)
    finally:
        if had:
            ctx.env[name] = old
        else:
            ctx.env.pop(name, None)
    ctx.meta_chain = None
