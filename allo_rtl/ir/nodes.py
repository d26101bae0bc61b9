"""The typed, structured IR: symbols, expressions, statements, functions, modules.

The IR keeps the kernel's loop structure (for/while/if) so schedule primitives can address
loops by name. Every node carries its source location. Conventions the verifier checks:

* ``Assign``/``Store`` values already have the destination's type (the frontend inserts
  ``Cast``); an arithmetic ``BinOp`` computes the exact result of its operands' values and
  wraps it into its own ``type``.
* A function returns through ``results``: scalars/buffers the body writes. A buffer result
  that is also a parameter is never created (the frontend copies).
* Symbols are objects compared by identity; names are unique within a function.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import numpy as np

from .types import AlloType, ArrayType, UInt, index


@dataclass(frozen=True)
class Loc:
    """A position in the kernel's source."""

    file: str
    line: int
    col: int = 0

    def __str__(self):
        return f"{self.file}:{self.line}:{self.col + 1}"


UNKNOWN = Loc("<unknown>", 0, 0)


# --- symbols ----------------------------------------------------------------------------
@dataclass(eq=False)
class Scalar:
    """A scalar variable: parameter, local, loop index or result slot."""

    name: str
    type: AlloType
    loc: Loc = UNKNOWN

    def __repr__(self):
        return f"%{self.name}"


@dataclass(eq=False)
class Buffer:
    """An array. ``kind`` is "arg" (parameter), "local", "result" or "const" (a ROM)."""

    name: str
    type: ArrayType
    kind: str = "local"
    loc: Loc = UNKNOWN
    init: np.ndarray | None = None      # raw values of a const buffer, shape == type.shape
    # schedule's partition request, 0-based dim -> (kind, factor); applied when hardware is built
    partition: dict = field(default_factory=dict)
    bank_of: str = ""                   # for a bank: the partitioned array's name
    view_shape: tuple | None = None     # schedule's reshape: the row-major shape partitions see
    memory: object = None               # an allo.memory.Memory request (recorded, reported)
    # a result that is a parameter returned as is (``return A``): the caller gets its own
    # array object back, as the kernel run as Python returns it
    returns_param: "Buffer | None" = None

    @property
    def dtype(self) -> AlloType:
        return self.type.dtype

    @property
    def shape(self) -> tuple:
        return self.type.shape

    def __repr__(self):
        return f"@{self.name}"


@dataclass(eq=False)
class Channel:
    """A stream (FIFO): a local of the dataflow region that declares it, or a parameter of a
    stage kernel that puts into or gets from it. ``type`` is an ``ir.streams.StreamType``.
    An element of an array of streams keeps the array's name and its index (for messages)."""

    name: str
    type: object
    loc: Loc = UNKNOWN
    array: str = ""                     # "fifo_A" for fifo_A[1, 2]
    index: tuple = ()
    outer: object = None                # for a stage parameter: the region's Channel it is
    block: object = None                # hardware: the block stream type a word stream carries
    # fifo_depth="static": how the build sized it ("schedules" | "simulation", sim.static_depths)
    depth_method: str = ""

    @property
    def label(self) -> str:
        """The name the user wrote: ``fifo_A[1, 2]`` or ``pipe``."""
        return f"{self.array}[{', '.join(map(str, self.index))}]" if self.array else self.name

    def __repr__(self):
        return f"~{self.name}"


Symbol = Union[Scalar, Buffer, Channel]


# --- expressions ------------------------------------------------------------------------
@dataclass(eq=False)
class Expr:
    type: AlloType
    loc: Loc


@dataclass(eq=False)
class Const(Expr):
    value: object                       # raw value (int, or numpy.float32 for floats)


@dataclass(eq=False)
class Ref(Expr):
    var: Scalar


@dataclass(eq=False)
class Load(Expr):
    buf: Buffer
    indices: list


@dataclass(eq=False)
class BinOp(Expr):
    op: str                             # + - * / // % & | ^ << >>
    lhs: Expr
    rhs: Expr


@dataclass(eq=False)
class Compare(Expr):
    op: str                             # == != < <= > >=
    lhs: Expr
    rhs: Expr


@dataclass(eq=False)
class Logic(Expr):
    op: str                             # "and" | "or"
    operands: list


@dataclass(eq=False)
class Unary(Expr):
    op: str                             # "-" (negate), "~" (bitwise not), "not"
    operand: Expr


@dataclass(eq=False)
class Cast(Expr):
    operand: Expr


@dataclass(eq=False)
class Select(Expr):
    cond: Expr
    if_true: Expr
    if_false: Expr


@dataclass(eq=False)
class BitGet(Expr):
    operand: Expr
    bit: Expr                           # result UInt(1)


@dataclass(eq=False)
class BitSlice(Expr):
    operand: Expr
    lo: Expr                            # lowest bit; the width is type.bits
    width: int


@dataclass(eq=False)
class MathCall(Expr):
    fn: str                             # exp log sqrt abs min max
    args: list


# --- statements -------------------------------------------------------------------------
@dataclass(eq=False)
class Stmt:
    loc: Loc


@dataclass(eq=False)
class Assign(Stmt):
    var: Scalar
    value: Expr
    # set by register promotion (hls/promote.py) on a register's update in a guarded branch:
    # where the branch is skipped nothing reads the variable before it is written again, so
    # if-conversion needs no select keeping the old value (which would lengthen the
    # recurrence by a cycle: the write could no longer come straight from a unit's output)
    skipped_value_dead: bool = False


@dataclass(eq=False)
class Store(Stmt):
    buf: Buffer
    indices: list
    value: Expr


@dataclass(eq=False)
class For(Stmt):
    """``for var in range(lo, hi, step)``; ``name`` is the handle schedules use."""

    name: str
    var: Scalar
    lo: Expr
    hi: Expr
    step: int
    body: list
    attrs: dict = field(default_factory=dict)   # pipeline=II, unroll=factor, reduction=True ...


@dataclass(eq=False)
class While(Stmt):
    cond: Expr
    body: list


@dataclass(eq=False)
class If(Stmt):
    cond: Expr
    then_body: list
    else_body: list


@dataclass(eq=False)
class Call(Stmt):
    """Call of another kernel: ``args`` are Exprs (scalars) or Buffers; ``outs`` receive the
    callee's results (Scalars or Buffers)."""

    callee: "Function"
    args: list
    outs: list


@dataclass(eq=False)
class StreamPut(Stmt):
    """``chan.put(value)``: blocks while the FIFO is full. ``value`` is an Expr of the
    element type, or a Buffer of the block type for a stream of blocks."""

    chan: Channel
    value: object


@dataclass(eq=False)
class StreamGet(Stmt):
    """``dest = chan.get()``: blocks while the FIFO is empty. ``dest`` is a Scalar of the
    element type, or a Buffer of the block type."""

    chan: Channel
    dest: object


@dataclass(eq=False)
class Dataflow(Stmt):
    """A dataflow region's stages: the calls run concurrently, joined by the streams passed
    to them, and the statement ends when every stage has returned."""

    stages: list                        # Calls
    name: str = ""


# --- containers -------------------------------------------------------------------------
@dataclass(eq=False)
class Function:
    name: str
    params: list                        # Scalars and Buffers, in signature order
    results: list                       # Scalars and Buffers holding the return values
    body: list
    loc: Loc = UNKNOWN
    locals: list = field(default_factory=list)   # Scalars and Buffers declared in the body
    returns_tuple: bool = False         # ``return a, b`` (vs a single value)
    # ``s.allocation``: float unit class ("fadd", "fmul", ...) -> most units of each format
    allocation: dict = field(default_factory=dict)

    def symbols(self):
        return [*self.params, *self.locals, *[r for r in self.results if r not in self.params]]


@dataclass(eq=False)
class Module:
    functions: dict                     # name -> Function, callees before callers
    top: str

    @property
    def top_func(self) -> Function:
        return self.functions[self.top]

    def __str__(self):
        # ``print(s.module)`` as in Allo: the IR's text form, not the dataclass fields
        from .printer import format_module
        return format_module(self)


# --- traversal helpers ------------------------------------------------------------------
def child_exprs(e: Expr) -> list:
    """The direct sub-expressions of an expression."""
    if isinstance(e, Load):
        return list(e.indices)
    if isinstance(e, (BinOp, Compare)):
        return [e.lhs, e.rhs]
    if isinstance(e, Logic):
        return list(e.operands)
    if isinstance(e, (Unary, Cast)):
        return [e.operand]
    if isinstance(e, Select):
        return [e.cond, e.if_true, e.if_false]
    if isinstance(e, BitGet):
        return [e.operand, e.bit]
    if isinstance(e, BitSlice):
        return [e.operand, e.lo]
    if isinstance(e, MathCall):
        return list(e.args)
    return []


def walk_exprs(e: Expr):
    """Pre-order walk of an expression tree."""
    yield e
    for c in child_exprs(e):
        yield from walk_exprs(c)


def stmt_exprs(s: Stmt) -> list:
    """The expressions a statement evaluates directly (not in nested bodies)."""
    if isinstance(s, Assign):
        return [s.value]
    if isinstance(s, Store):
        return [*s.indices, s.value]
    if isinstance(s, For):
        return [s.lo, s.hi]
    if isinstance(s, (While, If)):
        return [s.cond]
    if isinstance(s, Call):
        return [a for a in s.args if isinstance(a, Expr)]
    if isinstance(s, StreamPut) and isinstance(s.value, Expr):
        return [s.value]
    return []


def child_bodies(s: Stmt) -> list:
    if isinstance(s, (For, While)):
        return [s.body]
    if isinstance(s, If):
        return [s.then_body, s.else_body]
    if isinstance(s, Dataflow):
        return [s.stages]
    return []


def walk_stmts(body: list):
    """Pre-order walk of all statements in a body, nested ones included."""
    for s in body:
        yield s
        for b in child_bodies(s):
            yield from walk_stmts(b)


def loops(body: list) -> list:
    """All For loops in a body, outer before inner."""
    return [s for s in walk_stmts(body) if isinstance(s, For)]


BOOL = UInt(1)
INDEX = index
