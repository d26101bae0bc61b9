"""Partial indexing: ``A[i]`` of a 2-D array is its row ``i``, a 1-D array (Allo's sub-views).

Rows are copied, never aliased, so every later stage keeps seeing whole buffers: a row read
as a value is copied into a fresh buffer; a row passed to a sub-kernel is copied in and, when
the callee writes its parameter, copied back after the call; ``A[i] = row`` copies into the
row. The copies are implicit loops (not bands a schedule names).
"""
from __future__ import annotations

import ast

from ..ir import nodes as ir
from ..ir import types as T
from .arrays import loop_nest


def split(eb, node):
    """For ``A[i]`` / ``A[i][j]`` / ``A[i, j]`` with fewer indices than A has dimensions:
    (buffer, prefix index exprs); else None. Bit subscripts are not views."""
    subs, base = [], node
    while isinstance(base, ast.Subscript):
        subs.insert(0, base.slice)
        base = base.value
    if not isinstance(base, ast.Name) or not isinstance(eb.ctx.symbols.get(base.id), ir.Buffer):
        return None
    buf = eb.ctx.symbols[base.id]
    elts = [e for s in subs for e in (s.elts if isinstance(s, ast.Tuple) else [s])]
    if not elts or len(elts) >= len(buf.shape) or any(isinstance(e, ast.Slice) for e in elts):
        return None
    return buf, [stable(eb, eb.index(e), e) for e in elts]


def stable(eb, e, node):
    """An index that reads the same before and after a call (a callee can change arrays,
    not the caller's scalars): one reading an array is evaluated once into a temporary."""
    if not any(isinstance(x, ir.Load) for x in ir.walk_exprs(e)):
        return e
    tmp = eb.ctx.new_scalar("_row", e.type, node)
    eb.ctx.emit(ir.Assign(eb.ctx.loc(node), tmp, e))
    return ir.Ref(e.type, e.loc, tmp)


def row_type(buf, prefix):
    return T.ArrayType(buf.dtype, buf.shape[len(prefix):])


def read_row(eb, buf, prefix, node) -> ir.Buffer:
    """A fresh buffer holding ``buf[prefix...]``."""
    out = eb.ctx.new_buffer(f"{buf.name}_row", row_type(buf, prefix), node, fresh=True)
    _copy(eb, out, [], buf, prefix, node)
    return out


def write_row(eb, buf, prefix, value: ir.Buffer, node):
    """``buf[prefix...] = value`` for an array ``value`` of the row's shape."""
    if value.shape != buf.shape[len(prefix):]:
        raise eb.ctx.type_error(f"cannot assign a {value.type!r} array to a row of {buf.name} "
                                f"({row_type(buf, prefix)!r})", node, hint="shapes must be equal")
    _copy(eb, buf, prefix, value, [], node)


def _copy(eb, dst, dst_prefix, src, src_prefix, node):
    from .expressions import cast_to
    loc = eb.ctx.loc(node)
    idx, body = loop_nest(eb, src.shape[len(src_prefix):], node, f"{dst.name}_cp")
    load = ir.Load(src.dtype, loc, src, [*src_prefix, *idx])
    body.append(ir.Store(loc, dst, [*dst_prefix, *idx], cast_to(load, dst.dtype, loc)))
