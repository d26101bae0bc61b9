"""Struct locals (Allo's ``p: Struct({"x": int32, "y": float32}) = {"x": a, "y": b}``).

A struct value is one scalar per field (``p_x``, ``p_y``): ``p["x"]`` reads or writes that
scalar, a dict literal assigns every field, ``q = p`` copies the fields. Nothing below the
frontend knows structs. Refused, at the line: structs as arguments, results or array elements
(they would need a memory layout), a field name that is not a constant string of the struct,
a dict literal that misses or adds fields, and a struct used as a number.
"""
from __future__ import annotations

import ast

from ..ir import nodes as ir
from ..ir import types as T


class StructValue:
    """The frontend's symbol for a struct local: its type and one scalar per field."""

    def __init__(self, name: str, typ: T.Struct, fields: dict):
        self.name, self.type, self.fields = name, typ, fields


def declare(sb, node, name: str, typ: T.Struct):
    """``name: typ [= value]``: the field scalars, then the value's fields assigned."""
    fields = {f: sb.ctx.new_scalar(f"{name}_{f}", t, node) for f, t in typ.fields.items()}
    sv = StructValue(name, typ, fields)
    if node.value is not None:
        assign(sb, sv, node.value, node)
    sb.ctx.bind(name, sv)


def assign(sb, sv: StructValue, value_node, node):
    """``p = {"x": ..., "y": ...}`` or ``p = q`` (a struct of the same type)."""
    from .expressions import cast_to
    loc = sb.ctx.loc(node)
    if isinstance(value_node, ast.Dict):
        keys = [_key(sb, sv, k, value_node) for k in value_node.keys]
        if sorted(keys) != sorted(sv.fields) or len(set(keys)) != len(keys):
            raise sb.ctx.type_error(f"a value for {sv.name} ({sv.type!r}) needs each field once: "
                                    f"{', '.join(sv.fields)}", value_node)
        values = [sb.eb.scalar(v) for v in value_node.values]       # all read before written
        for k, v in zip(keys, values):
            sb.ctx.emit(ir.Assign(loc, sv.fields[k], cast_to(v, sv.fields[k].type)))
        return
    other = sb.ctx.symbols.get(value_node.id) if isinstance(value_node, ast.Name) else None
    if not isinstance(other, StructValue) or other.type != sv.type:
        raise sb.ctx.type_error(f"{sv.name} ({sv.type!r}) takes a dict literal of its fields or "
                                "another struct of the same type", value_node)
    copies = [(sv.fields[k], ir.Ref(v.type, loc, v)) for k, v in other.fields.items()]
    for var, ref in copies:
        sb.ctx.emit(ir.Assign(loc, var, ref))


def field(eb, sv: StructValue, key_node, node) -> ir.Scalar:
    """The scalar of ``sv[key]``."""
    return sv.fields[_key(eb, sv, key_node, node)]


def _key(b, sv: StructValue, key_node, node) -> str:
    key = key_node.value if isinstance(key_node, ast.Constant) else None
    if not isinstance(key, str) or key not in sv.fields:
        raise b.ctx.type_error(f"{sv.name}[{ast.unparse(key_node) if key_node else '**'}]: "
                               f"fields of {sv.type!r} are "
                               f"{', '.join(repr(f) for f in sv.fields)}", node,
                               hint='name a field with a constant string: p["x"]')
    return key


def refuse_outside_locals(ctx, typ, node, what: str):
    """Structs (also inside an array type) are kernel locals only."""
    inner = typ.dtype if isinstance(typ, T.ArrayType) else typ
    if isinstance(inner, T.Struct):
        raise ctx.type_error(f"a struct cannot be {what}: it has no memory layout here", node,
                             hint="pass the fields as separate scalars or arrays and build the "
                                  "struct inside the kernel")
