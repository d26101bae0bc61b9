"""Bit-level operations Allo kernels write, built from the IR's existing operators so the
interpreter and hardware share one meaning: bit and slice assignment (``x[3] = b``,
``x[0:4] = v``) and ``x.reverse()``.

A bit store is a read-modify-write: ``x = (x & ~(mask << lo)) | ((v mod 2**w) << lo)``, with
the value first wrapped to the ``w`` bits of the field (as Allo's ``set_slice``). ``reverse``
reverses all bits of the value's type (``x[0:8].reverse()`` reverses 8 bits).
"""
from __future__ import annotations

import ast

from ..ir import nodes as ir
from ..ir import types as T
from .expressions import cast_to

REVERSE_MAX_BITS = 64


def check_bit_target(eb, typ, node, what="bit assignment"):
    if not typ.is_int or isinstance(typ, T.Index):
        raise eb.ctx.type_error(f"{what} needs an integer value, not {typ!r}", node,
                                hint="cast to an integer type first, e.g. int32(x)")


def field(eb, sub, typ, node):
    """(width, low-bit expression) of the field ``sub`` (an index or an Allo slice)."""
    if isinstance(sub, ast.Slice):
        if sub.lower is None or sub.upper is None or sub.step is not None:
            raise eb.ctx.error("bit slices need both bounds and no step: x[lo:hi]", node)
        width, lo_node = eb.slice_width(sub, node)
        lo = eb.index(lo_node)
    else:
        width, lo = 1, eb.index(sub)
    if width < 1 or width > typ.bits:
        raise eb.ctx.type_error(f"bit field of width {width} out of range for {typ!r}", node,
                                hint="Allo slices are x[lo:hi], hi exclusive")
    if isinstance(lo, ir.Const) and not 0 <= int(lo.value) <= typ.bits - width:
        raise eb.ctx.type_error(f"bits {int(lo.value)}..{int(lo.value) + width - 1} are outside "
                                f"{typ!r}", node)
    return width, lo


def insert(eb, old: ir.Expr, sub, value: ir.Expr, node) -> ir.Expr:
    """``old`` with the field ``sub`` replaced by ``value`` (wrapped to the field's width)."""
    typ = old.type
    check_bit_target(eb, typ, node)
    width, lo = field(eb, sub, typ, node)
    loc = eb.ctx.loc(node)
    mask = ir.Const(typ, loc, typ.wrap((1 << width) - 1))
    hole = eb.binop("<<", mask, lo, node)
    kept = eb.binop("&", old, ir.Unary(typ, loc, "~", hole), node)
    piece = cast_to(cast_to(value, T.UInt(width), loc), typ, loc)
    return cast_to(eb.binop("|", kept, eb.binop("<<", piece, lo, node), node), typ, loc)


def reverse(eb, value: ir.Expr, node) -> ir.Expr:
    """The bits of ``value`` in reverse order, same type."""
    typ = value.type
    check_bit_target(eb, typ, node, "reverse()")
    if typ.bits > REVERSE_MAX_BITS:
        raise eb.ctx.type_error(f"reverse() of {typ!r} is limited to {REVERSE_MAX_BITS} bits",
                                node, hint="reverse slices of at most 64 bits and combine them")
    loc = eb.ctx.loc(node)
    if not isinstance(value, (ir.Ref, ir.Const)):     # read the value once
        tmp = eb.ctx.new_scalar("_rev", typ, node)
        eb.ctx.emit(ir.Assign(loc, tmp, value))
        value = ir.Ref(typ, loc, tmp)
    out = None
    n = typ.bits
    for k in range(n):
        bit = cast_to(ir.BitGet(T.UInt(1), loc, value, ir.Const(T.index, loc, k)), typ, loc)
        moved = eb.binop("<<", bit, ir.Const(T.index, loc, n - 1 - k), node)
        out = moved if out is None else eb.binop("|", out, moved, node)
    return cast_to(out, typ, loc)
