"""Stream types: ``Stream[T, depth]`` (a FIFO of T), ``Stream[T[M, N], depth]`` (a FIFO of
blocks) and arrays of streams ``Stream[T, depth][P0, P1]`` (one independent FIFO per index).

These are annotations of locals in a dataflow region (``pipe: Stream[int32, 4]``) and of
kernel parameters; a stream is never a value an expression computes, only the target of
``.put(x)`` and the source of ``.get()``. Equality ignores nothing: element type and depth
are both part of a stream's type (a depth-2 FIFO is a different piece of hardware).
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from .types import AlloType, AlloTypeError, ArrayType

DEFAULT_DEPTH = 2          # Allo's default when ``Stream[T]`` gives no depth


def _positive_int(v) -> builtins.bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, builtins.bool) and v >= 1


class StreamType:
    """A FIFO of ``elem`` (a scalar type or an ``ArrayType`` block) holding ``depth`` items."""

    def __init__(self, elem, depth: int = DEFAULT_DEPTH):
        if not isinstance(elem, (AlloType, ArrayType)):
            raise AlloTypeError(f"a stream's element must be an Allo type such as int32 or "
                                f"int32[4, 4], not {elem!r}")
        if isinstance(elem, StreamType):
            raise AlloTypeError("a stream of streams is not supported")
        if not _positive_int(depth):
            raise AlloTypeError(f"stream depth must be a positive integer, not {depth!r}")
        self.elem, self.depth = elem, int(depth)

    @property
    def is_block(self) -> builtins.bool:
        return isinstance(self.elem, ArrayType)

    def __getitem__(self, shape) -> "StreamArrayType":
        return StreamArrayType(self, shape if isinstance(shape, tuple) else (shape,))

    def __eq__(self, other):
        return isinstance(other, StreamType) and (self.elem, self.depth) == (other.elem,
                                                                            other.depth)

    def __hash__(self):
        return hash((self.elem, self.depth))

    def __repr__(self):
        return f"Stream[{self.elem!r}, {self.depth}]"


class StreamArrayType:
    """``Stream[T, d][P0, P1]``: P0 x P1 independent streams of one type."""

    def __init__(self, stream: StreamType, shape: tuple):
        for d in shape:
            if not _positive_int(d):
                raise AlloTypeError(f"stream array dimensions must be positive integers, "
                                    f"not {d!r}")
        self.stream, self.shape = stream, tuple(int(d) for d in shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __eq__(self, other):
        return isinstance(other, StreamArrayType) and (self.stream, self.shape) == (
            other.stream, other.shape)

    def __hash__(self):
        return hash((self.stream, self.shape))

    def __repr__(self):
        return f"{self.stream!r}[{', '.join(map(str, self.shape))}]"


class _StreamMeta(type):
    def __getitem__(cls, item) -> StreamType:
        args = item if isinstance(item, tuple) else (item,)
        if not 1 <= len(args) <= 2:
            raise AlloTypeError(f"Stream takes [element type, depth], not {len(args)} values")
        return StreamType(*args)


class Stream(metaclass=_StreamMeta):
    """``Stream[int32, 4]``: the annotation of a FIFO (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        raise AlloTypeError("Stream is an annotation: write `pipe: Stream[int32, 4]`")
