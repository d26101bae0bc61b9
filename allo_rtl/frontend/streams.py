"""Streams in kernels: ``pipe: Stream[T, d]`` declarations (also arrays of streams), and
``pipe.put(x)`` / ``x = pipe.get()`` / ``fifo[i, j + 1].put(x)``.

A declared stream is a ``StreamHandle`` in the kernel's names (not a variable: it has no
value an expression could read), so the stage kernels defined in a dataflow region see it
the way they see a global. The first time a kernel uses a stream another function declared,
the stream becomes a parameter of that kernel (``Channel.outer`` says which stream it is),
and every call of the kernel passes it -- Allo's streams-to-interface step, done while
parsing. An index into an array of streams must be known when the kernel is parsed
(``df.get_pid()`` values, ``meta_for`` indices, globals): each element is its own FIFO.

A put converts an integer or fixed-point value to the element type as an assignment would;
a float into an integer stream (or back), an array into a stream of scalars or a block of
another shape is refused. Refused at the user's line too: a stream used as a value, a
put/get with arguments that do not fit, an index out of the array, a kernel that both puts
into and gets from one stream.
"""
from __future__ import annotations

import ast
from contextlib import contextmanager

import numpy as np

from ..ir import nodes as ir
from ..ir import types as T
from ..ir.streams import StreamArrayType, StreamType
from .expressions import cast_to

STREAM_METHODS = ("put", "get")


class StreamHandle:
    """What a stream's name stands for in a kernel: one Channel or an array of them."""

    def __init__(self, name, channels, owner):
        self.name, self.channels, self.owner = name, channels, owner

    @property
    def is_array(self) -> bool:
        return isinstance(self.channels, np.ndarray)

    def __repr__(self):
        return f"<stream {self.name}>"


def is_stream_type(value) -> bool:
    return isinstance(value, (StreamType, StreamArrayType))


def declare(sb, node, typ):
    """``pipe: Stream[T, d]`` or ``fifo: Stream[T, d][P0, P1]``."""
    ctx, name = sb.ctx, node.target.id
    if node.value is not None:
        raise ctx.type_error(f"stream {name!r} is declared without a value", node,
                             hint=f"write `{name}: {typ!r}` and fill it with {name}.put(x)")
    if not ctx.may_declare(name) or isinstance(ctx.env.get(name), StreamHandle) and \
            ctx.env[name].owner is ctx:
        raise ctx.type_error(f"{name!r} is declared twice", node)
    loc = ctx.loc(node)
    if isinstance(typ, StreamArrayType):
        chans = np.empty(typ.shape, dtype=object)
        for idx in np.ndindex(*typ.shape):
            c = ir.Channel(ctx.unique(f"{name}_{'_'.join(map(str, idx))}"), typ.stream, loc,
                           array=name, index=tuple(int(i) for i in idx))
            chans[idx] = c
            ctx.locals.append(c)
    else:
        chans = ir.Channel(ctx.unique(name), typ, loc)
        ctx.locals.append(chans)
    ctx.env[name] = StreamHandle(name, chans, ctx)
    ctx.declared(name)


def is_stream_method(eb, node) -> bool:
    """``<stream>.put(...)`` / ``<stream>.get()`` / ``<stream>[i, j].put(...)``."""
    if not (isinstance(node.func, ast.Attribute) and node.func.attr in STREAM_METHODS):
        return False
    base = node.func.value
    if isinstance(base, ast.Subscript):
        base = base.value
    return isinstance(base, ast.Name) and base.id not in eb.ctx.symbols and \
        isinstance(eb.ctx.env.get(base.id), StreamHandle)


def channel_of(eb, node) -> ir.Channel:
    """The Channel ``node`` (``pipe`` or ``fifo[i, j]``) names, as seen by this kernel."""
    ctx = eb.ctx
    base, sub = (node.value, node.slice) if isinstance(node, ast.Subscript) else (node, None)
    handle = ctx.env[base.id]
    if handle.is_array:
        if sub is None:
            raise ctx.type_error(f"{handle.name} is an array of {handle.channels.size} streams; "
                                 "pick one", node, hint=f"{handle.name}[i, j].put(x)")
        elts = sub.elts if isinstance(sub, ast.Tuple) else [sub]
        if len(elts) != handle.channels.ndim:
            raise ctx.type_error(f"{handle.name} has {handle.channels.ndim} dimensions, indexed "
                                 f"with {len(elts)}", node)
        idx = []
        for k, e in enumerate(elts):
            v = ctx.eval_static(e, what="the index of an array of streams")
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
                raise ctx.type_error(f"stream index {ast.unparse(e)!r} is not an integer", e)
            if not 0 <= v < handle.channels.shape[k]:
                raise ctx.type_error(f"index {int(v)} is out of range for dimension {k} of "
                                     f"{handle.name} (size {handle.channels.shape[k]})", e)
            idx.append(int(v))
        chan = handle.channels[tuple(idx)]
    else:
        if sub is not None:
            raise ctx.type_error(f"{handle.name} is one stream, not an array of streams", node)
        chan = handle.channels
    return local_channel(ctx, chan, node)


def local_channel(ctx, chan: ir.Channel, node) -> ir.Channel:
    """``chan`` itself if this kernel declared it; else this kernel's parameter for it."""
    if any(c is chan for c in ctx.locals if isinstance(c, ir.Channel)):
        return chan
    captured = ctx.captured_streams
    for p in captured:
        if p.outer is chan:
            return p
    p = ir.Channel(ctx.unique(chan.name), chan.type, ctx.loc(node), chan.array, chan.index,
                   outer=chan)
    captured.append(p)
    return p


def _use(ctx, chan, kind, node):
    """Remember the first put/get of each stream in this kernel; refuse a kernel that both
    puts into and gets from one stream (it would need to be its own producer and consumer)."""
    first = ctx.stream_uses.setdefault(id(chan), {})
    other = "get" if kind == "put" else "put"
    if other in first:
        line = first[other].line
        this, that = ("puts into", "gets from") if kind == "put" else ("gets from", "puts into")
        raise ctx.type_error(f"this kernel {this} {chan.label} here and {that} it at line "
                             f"{line}; a stream joins two different stages", node,
                             hint="use one stream per direction (e.g. fwd and bwd)")
    first.setdefault(kind, ctx.loc(node))


@contextmanager
def conditional(ctx, node):
    """While the branches of ``a if c else b`` or the later operands of ``and``/``or`` are
    built: a stream operation there would run whether or not the branch is taken (the
    frontend computes sub-expressions before the expression), so it is refused."""
    saved = ctx.conditional_expr
    ctx.conditional_expr = node
    try:
        yield
    finally:
        ctx.conditional_expr = saved


def method_call(eb, node):
    """Build ``.put(x)`` (a StreamPut; no value) or ``.get()`` (a StreamGet into a fresh
    temporary, whose value is the expression's)."""
    ctx = eb.ctx
    if ctx.conditional_expr is not None:
        raise ctx.error(f".{node.func.attr}() inside a conditional expression would run even "
                        "when its branch is not taken", node,
                        hint="use an if statement: if c: x = pipe.get()")
    chan = channel_of(eb, node.func.value)
    elem, loc = chan.type.elem, ctx.loc(node)
    if node.keywords:
        raise ctx.error(f".{node.func.attr}() takes no keyword arguments", node)
    if node.func.attr == "get":
        if node.args:
            raise ctx.error(".get() takes no arguments", node, hint="x = pipe.get()")
        _use(ctx, chan, "get", node)
        if isinstance(elem, T.ArrayType):
            dest = ctx.new_buffer(f"{chan.name}_blk", elem, node, fresh=True)
            ctx.emit(ir.StreamGet(loc, chan, dest))
            return dest
        dest = ctx.new_scalar(f"{chan.name}_v", elem, node)
        ctx.emit(ir.StreamGet(loc, chan, dest))
        return ir.Ref(elem, loc, dest)
    if len(node.args) != 1:
        raise ctx.error(".put() takes one value", node, hint="pipe.put(x)")
    _use(ctx, chan, "put", node)
    value = eb.build(node.args[0])
    ctx.emit(ir.StreamPut(loc, chan, put_value(ctx, chan, value, node.args[0])))
    return None


def put_value(ctx, chan, value, node):
    elem = chan.type.elem
    if isinstance(elem, T.ArrayType):
        if not isinstance(value, ir.Buffer) or value.type != elem:
            got = getattr(value, "type", "a tuple")
            raise ctx.type_error(f"{chan.label} carries blocks {elem!r}; this puts {got!r}",
                                 node, hint=f"put an array of exactly {elem!r}")
        return value
    if not isinstance(value, ir.Expr):
        what = f"an array {value.type!r}" if isinstance(value, ir.Buffer) else "a tuple"
        raise ctx.type_error(f"{chan.label} carries {elem!r} values; this puts {what}", node,
                             hint=f"declare a stream of blocks, Stream[{elem!r}[...], d], to "
                                  "move whole arrays")
    if value.type == elem:
        return value
    if value.type.is_float == elem.is_float and (isinstance(value, ir.Const)
                                                 or not elem.is_float):
        return cast_to(value, elem)     # integer/fixed values convert as an assignment does
    raise ctx.type_error(f"{chan.label} carries {elem!r}; this value is {value.type!r}", node,
                         hint=f"convert it first: {chan.label}.put({elem!r}(x)), or store it in "
                              f"a variable declared `x: {elem!r} = ...`")


class RegionScalar:
    """A scalar parameter of a dataflow region, as its stages see it: captured by value
    (Allo captures a region's scalars in its kernels automatically)."""

    def __init__(self, sym: ir.Scalar):
        self.sym = sym


def region_name(ctx, node):
    """The value of a name the kernel does not declare but a region gave it, or None."""
    v = ctx.env.get(node.id)
    if isinstance(v, StreamHandle):
        raise ctx.type_error(f"{node.id!r} is a stream, not a value", node,
                             hint=f"read it with {node.id}.get(), write it with "
                                  f"{node.id}.put(x)")
    if isinstance(v, RegionScalar):
        p = local_scalar(ctx, v.sym, node)
        return ir.Ref(p.type, ctx.loc(node), p)
    return None


def local_scalar(ctx, outer: ir.Scalar, node) -> ir.Scalar:
    """This kernel's parameter holding the region scalar ``outer`` (made on first use)."""
    if any(s is outer for s in ctx.symbols.values()):
        return outer
    for p in ctx.captured_scalars:
        if p.outer is outer:
            return p
    p = ir.Scalar(ctx.unique(outer.name), outer.type, ctx.loc(node))
    p.outer = outer
    ctx.captured_scalars.append(p)
    return p


def captured_args(ctx, callee, node) -> list:
    """Arguments for ``callee``'s captured parameters (region streams and scalars), as the
    caller sees them."""
    out = []
    for p in callee.params:
        outer = getattr(p, "outer", None)
        if isinstance(p, ir.Channel) and outer is not None:
            out.append(local_channel(ctx, outer, node))
        elif isinstance(p, ir.Scalar) and outer is not None:
            out.append(ir.Ref(p.type, ctx.loc(node), local_scalar(ctx, outer, node)))
    return out
