"""Streams of blocks (``Stream[T[M, N], d]``) as streams of words, for the hardware build.

A block stream moves whole arrays: ``s.put(blk)`` hands over an ``M x N`` array, ``blk =
s.get()`` receives one. In hardware each such stream becomes a FIFO of ``T`` words
``d * M * N`` deep, a put becomes a loop nest putting the block's elements in row-major
order and a get a loop nest getting them into the destination array.

Why words and not a FIFO of ping-pong array buffers: the word FIFO is the FIFO every other
stream already is (``amaranth.lib.fifo``, one ``lib.stream`` port per stage, the stall
watchdog, the occupancy counter, ``fifo_depth="auto"``), so a block stream needs no second
kind of hardware; a ``d * M * N``-word FIFO holds exactly the ``d`` blocks the declared
depth promises (the FIFO buffers are the ping-pong buffers), and it uses one word-wide
memory rather than ``d`` arrays with their own ports. The price is a copy of the block
through the FIFO, one element per cycle (the loops are pipelined at II 1), instead of
swapping a buffer pointer; a consumer may also start on a block's first element before
its last is put, which only overlaps more.

Meaning is kept: with one producer and one consumer per stream the values each stage gets
are the same (Kahn), and a word FIFO of ``d * M * N`` can never block where the block FIFO
of ``d`` would not -- a put of a block waits for room for its whole block in the
interpreter, element by element in hardware -- so hardware has no deadlock the interpreter
does not have. The returned module is a copy; the schedule's own is left as it is.
"""
from __future__ import annotations

import copy
import math

from . import nodes as ir
from .streams import StreamType
from .types import index


def has_block_streams(module: ir.Module) -> bool:
    return any(isinstance(sym, ir.Channel) and sym.type.is_block
               for f in module.functions.values() for sym in [*f.params, *f.locals])


def block_shape(chan: ir.Channel) -> tuple:
    return tuple(chan.type.elem.shape)


def word_streams(module: ir.Module) -> ir.Module:
    """A copy of ``module`` whose block streams are word streams (see the docstring)."""
    out = copy.deepcopy(module)
    for f in out.functions.values():
        names = {s.name for s in f.symbols()} | {s.var.name for s in ir.walk_stmts(f.body)
                                                if isinstance(s, ir.For)}
        loops = {s.name for s in ir.walk_stmts(f.body) if isinstance(s, ir.For)}
        f.body[:] = _rewrite(f, f.body, _Names(names), _Names(loops))
    for f in out.functions.values():
        for sym in [*f.params, *f.locals]:
            if isinstance(sym, ir.Channel) and sym.type.is_block:
                # a block stream's words keep the block's element type; the depth in words
                # holds the declared number of blocks (``block`` keeps the type for reports)
                sym.block = sym.type
                sym.type = StreamType(sym.type.elem.dtype,
                                      sym.type.depth * math.prod(sym.type.elem.shape))
    return out


class _Names:
    def __init__(self, used: set):
        self.used = set(used)

    def new(self, base: str) -> str:
        name, k = base, 1
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name


def _rewrite(f, body: list, names: _Names, loops: _Names) -> list:
    out = []
    for s in body:
        for sub in ir.child_bodies(s):
            sub[:] = _rewrite(f, sub, names, loops)
        if isinstance(s, (ir.StreamPut, ir.StreamGet)) and s.chan.type.is_block:
            out.append(_element_loops(f, s, names, loops))
        else:
            out.append(s)
    return out


def _element_loops(f, s, names, loops) -> ir.For:
    """The loop nest moving one block element by element (row-major), at II 1."""
    loc, chan = s.loc, s.chan
    what = "put" if isinstance(s, ir.StreamPut) else "get"
    shape = block_shape(chan)
    idx_vars = [ir.Scalar(names.new(f"{chan.name}_{what}_i{d}"), index, loc)
                for d in range(len(shape))]
    refs = [ir.Ref(index, loc, v) for v in idx_vars]
    if what == "put":
        buf = s.value
        inner = [ir.StreamPut(loc, chan, ir.Load(buf.dtype, loc, buf, refs))]
    else:
        buf = s.dest
        word = ir.Scalar(names.new(f"{chan.name}_w"), buf.dtype, loc)
        f.locals.append(word)
        inner = [ir.StreamGet(loc, chan, word),
                 ir.Store(loc, buf, list(refs), ir.Ref(buf.dtype, loc, word))]
    loop = None
    for d in reversed(range(len(shape))):
        # the innermost loop pipelined; outer ones flattened by the pipeline's own rules
        attrs = {"implicit": True, **({"pipeline": 1} if d == len(shape) - 1 else {})}
        loop = ir.For(loc, loops.new(f"{chan.name}_{what}_l{d}"), idx_vars[d],
                      ir.Const(index, loc, 0), ir.Const(index, loc, shape[d]), 1,
                      inner, attrs)
        inner = [loop]
    return loop
