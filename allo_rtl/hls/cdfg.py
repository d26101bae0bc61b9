"""Control/data-flow graph: the IR's structured control with straight-line blocks of ops.

Assumes verified IR. Guarantees: every ``Block`` holds ops in an order where operands come
first (a DAG); values cross block boundaries only through scalar variables (registers, read
with ``var`` ops at block entry and written with ``setvar`` ops that commit at block end) and
buffers. Refuses (AlloBackendError at the source line) what hardware cannot do yet: float
remainder and floor division, and the transcendental functions but exp, log, tanh (of
float32, float16 and bfloat16: expanded into float ops by ``float_math_ops``) and sqrt.

Floats are raw IEEE bits: a float constant's ``value`` is its bit pattern, float ops have
their own opcodes (``fadd``, ``fmul``, ``flt``, ``itof``, ...; see ``optable``), and an operand
of another type is first converted explicitly (``itof``/``ftof``) as the interpreter's
``semantics`` converts it.

Regions: ``Block``; ``LoopRegion`` (its ``entry`` block computes the bounds); ``WhileRegion``
and ``IfRegion`` (their ``cond`` block computes the condition); ``CallRegion`` (its ``args``
block computes scalar arguments).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import AlloBackendError
from ..ir import nodes as ir
from ..ir.affine import IndexedAddress
from ..ir.printer import format_expr
from ..ir.types import AlloType, UInt, float32, float64, index
from ..ir import semantics
from . import float_math_ops
from .sibling_loads import sibling_branch_loads
from .optable import (BINARY, COMPARE, FLOAT_BINARY, FLOAT_COMPARE, FLOAT_MATH, LOGIC, MATH,
                      OPERATORS, POW2_DIVISION, CONST_DIVISION, UNARY, OpInfo)


@dataclass(eq=False)
class Op:
    """One operation. ``opcode`` names its entry in the operator table (``optable``); the
    typed fields below are set where the opcode uses them."""
    opcode: str
    type: AlloType | None
    operands: list
    loc: ir.Loc
    buf: ir.Buffer | None = None     # load, store, addr: the array
    var: ir.Scalar | None = None     # var, setvar: the variable
    value: int | None = None         # const: the raw value
    width: int | None = None         # bitslice: bits taken
    strides: tuple = ()              # addr: row-major strides of the indices
    affine: object = None            # addr: the index's affine form, when known
    chan: ir.Channel | None = None   # sget, sput: the stream (a Channel parameter)
    port: int | None = None          # load, store of a two-port memory: its port (port_binding)
    # a float unit op: the most units of its class the kernel may have (``s.allocation``,
    # set by ``synthesize``; None: as many as the schedule needs)
    unit_limit: int | None = None
    # a pipelined multiply (``mul_pipe``, set by ``pipeline_mul``): the bits of its limbs
    limb_bits: int | None = None
    # a pipelined division by a constant (``*_const_pipe``, set by ``pipeline_div``):
    # (adder-tree levels a cycle, fix registered) of its ``primitives.const_div.ConstDiv``
    div_plan: tuple | None = None
    id: int = -1

    @property
    def info(self) -> OpInfo:
        return OPERATORS[self.opcode]

    def __repr__(self):
        return f"v{self.id}:{self.opcode}"


@dataclass(eq=False)
class Block:
    ops: list = field(default_factory=list)

    def add(self, op: Op) -> Op:
        op.id = len(self.ops)
        self.ops.append(op)
        return op


@dataclass(eq=False)
class LoopRegion:
    loop: ir.For
    entry: Block          # computes lo, hi and the test lo < hi (or >, for negative steps)
    lo: Op
    hi: Op
    enter: Op             # uint1: run the first iteration
    body: list


    @property
    def static_trips(self) -> int | None:
        """The trip count when both bounds are constants and it is at least one, else None."""
        if not (self.lo.info.is_const and self.hi.info.is_const):
            return None
        lo, hi, step = self.lo.value, self.hi.value, self.loop.step
        trips = -((lo - hi) // step) if step > 0 else -((hi - lo) // -step)
        return trips if trips >= 1 else None

    @property
    def counter_width(self) -> int | None:
        """Bits of a signed counter holding every index value, when both bounds are constant
        (None: the full index width is needed)."""
        if not (self.lo.info.is_const and self.hi.info.is_const):
            return None
        bounds = (self.lo.value, self.hi.value)
        return max(v.bit_length() for v in bounds) + 1


@dataclass(eq=False)
class WhileRegion:
    stmt: ir.While
    cond_block: Block
    cond: Op
    body: list


@dataclass(eq=False)
class IfRegion:
    stmt: ir.If
    cond_block: Block
    cond: Op
    then_body: list
    else_body: list


@dataclass(eq=False)
class CallRegion:
    call: ir.Call
    args_block: Block
    args: list            # per callee param: an Op (scalar) or the caller's Buffer


@dataclass(eq=False)
class DataflowRegion:
    """A dataflow region's stages, started together and joined: one ``args`` block computes
    every stage's scalar arguments, ``stages`` are their CallRegions (sharing that block)."""
    stmt: ir.Dataflow
    args_block: Block
    stages: list


@dataclass(eq=False)
class FunctionCDFG:
    function: ir.Function
    body: list            # regions


def _compare_format(ta, tb):
    """The format a float comparison runs in: the float operand's (``semantics.compare`` casts
    an integer operand to it); of two formats one that holds both exactly."""
    floats = [t for t in (ta, tb) if t.is_float]
    if len(floats) == 1 or floats[0] == floats[1]:
        return floats[0]
    return max(floats, key=lambda t: t.bits) if max(t.bits for t in floats) > 16 else float32


class _BlockBuilder:
    """Turns expressions and simple statements into ops of one block, forwarding values of
    variables written earlier in the same block (so reads see program order)."""

    def __init__(self):
        self.block = Block()
        self.var_reads: dict = {}      # id(Scalar) -> var op (value at block entry)
        self.var_values: dict = {}     # id(Scalar) -> op holding the current value
        self.vars: dict = {}           # id(Scalar) -> Scalar written in this block
        self.cse: dict = {}            # structural key -> op (common subexpressions)
        self.store_epoch: dict = {}    # id(Buffer) -> stores so far (loads before differ)
        self.forward: dict = {}        # (id(Buffer), id(addr op)) -> value last stored there
        self.unread: dict = {}         # (id(Buffer), id(addr op)) -> store nobody read yet
        self.dead: set = set()         # stores overwritten before any read: dropped
        self.assigned: dict = {}       # id(Scalar) -> (value, self.assigned then), for IR forms
        self.pred: Op | None = None    # if-conversion: the uint1 under which statements run
        self.hoisted: dict = {}        # (id(Buffer), id(addr op)) -> a load both branches share

    def op(self, opcode, typ, operands, loc, **fields) -> Op:
        """Add an op, or reuse an identical one already in the block (common subexpressions;
        a load is identical only while no store to its buffer came in between; a stream get or
        put never is: each one moves its own element)."""
        info = OPERATORS[opcode]
        if info.is_store or info.reads_var or info.writes_var or info.is_stream:
            return self.block.add(Op(opcode, typ, list(operands), loc, **fields))
        key = self._key(opcode, typ, operands, fields)
        if key not in self.cse:
            self.cse[key] = self.block.add(Op(opcode, typ, list(operands), loc, **fields))
        return self.cse[key]

    def _key(self, opcode, typ, operands, fields):
        return (opcode, typ, tuple(id(o) for o in operands),
                tuple(sorted((k, id(v) if k == "buf" else _hashable(v))
                             for k, v in fields.items())),
                self.store_epoch.get(id(fields.get("buf")), 0) if OPERATORS[opcode].is_load else 0)

    def store(self, buf, addr: Op, value: Op, loc):
        """A store; a later load of the same address in this block takes ``value`` directly
        and an earlier store there that nobody read is dropped (unrolled reductions keep one
        load and one store per element instead of one per copy). Under a predicate (an
        if-converted branch) the store is ``store(addr, value, pred)``: it may not happen, so
        it neither forwards nor kills."""
        self.store_epoch[id(buf)] = self.store_epoch.get(id(buf), 0) + 1
        self.hoisted = {k: v for k, v in self.hoisted.items() if k[0] != id(buf)}
        if self.pred is not None:
            self.forward = {k: v for k, v in self.forward.items() if k[0] != id(buf)}
            self.unread = {k: v for k, v in self.unread.items() if k[0] != id(buf)}
            self.block.add(Op("store", None, [addr, value, self.pred], loc, buf=buf))
            return
        key = (id(buf), id(addr))
        if key in self.unread:
            self.dead.add(self.unread[key])
        self.forward = {k: v for k, v in self.forward.items() if k[0] != id(buf)}
        self.forward[key] = value
        self.unread[key] = self.block.add(Op("store", None, [addr, value], loc, buf=buf))

    def load(self, buf, addr: Op, typ, loc) -> Op:
        key = (id(buf), id(addr))
        if key in self.forward:
            return self.forward[key]
        self.unread = {k: v for k, v in self.unread.items() if k[0] != id(buf)}
        # under a predicate the load is ``load(addr, pred)``: the port is used only when the
        # branch runs (its value is selected only then) -- unless the same word is read
        # unconditionally anyway (the branch's condition often reads it)
        if self.pred is not None:
            plain = self.cse.get(self._key("load", typ, [addr], {"buf": buf}))
            if plain is not None:
                return plain
            if key in self.hoisted:
                return self.hoisted[key]
            return self.op("load", typ, [addr, self.pred], loc, buf=buf)
        return self.op("load", typ, [addr], loc, buf=buf)

    def read_var(self, var: ir.Scalar, loc) -> Op:
        if id(var) in self.var_values:
            return self.var_values[id(var)]
        if id(var) not in self.var_reads:
            self.var_reads[id(var)] = self.op("var", var.type, [], loc, var=var)
        return self.var_reads[id(var)]

    def write_var(self, var: ir.Scalar, value: Op):
        self.vars[id(var)] = var
        self.var_values[id(var)] = value

    def finish(self) -> Block:
        """Close the block: commit every variable written in it (at the block's end)."""
        for var_id, value in self.var_values.items():
            var = self.vars[var_id]
            self.op("setvar", var.type, [value], value.loc, var=var)
        if self.dead:
            self.block.ops = [op for op in self.block.ops if op not in self.dead]
            for k, op in enumerate(self.block.ops):
                op.id = k
        return self.block

    # --- expressions ----------------------------------------------------------------
    def expr(self, e: ir.Expr) -> Op:
        if e.type.is_float or any(getattr(c, "type", None) is not None and c.type.is_float
                                  for c in ir.child_exprs(e)):
            return self.float_expr(e)
        if isinstance(e, ir.Const):
            return self.op("const", e.type, [], e.loc, value=int(e.value))
        if isinstance(e, ir.Ref):
            return self.read_var(e.var, e.loc)
        if isinstance(e, ir.Load):
            return self.load(e.buf, self.address(e.buf, e.indices, e.loc), e.type, e.loc)
        if isinstance(e, ir.BinOp):
            divisor = _constant_divisor(e)
            opcode = (POW2_DIVISION[e.op] if divisor == "pow2" else
                      CONST_DIVISION[e.op] if divisor == "const" else BINARY[e.op])
            return self.op(opcode, e.type, [self.expr(e.lhs), self.expr(e.rhs)], e.loc)
        if isinstance(e, ir.Compare):
            return self.op(COMPARE[e.op], e.type, [self.expr(e.lhs), self.expr(e.rhs)], e.loc)
        if isinstance(e, ir.Logic):
            return self.op(LOGIC[e.op], e.type, [self.expr(o) for o in e.operands], e.loc)
        if isinstance(e, ir.Unary):
            return self.op(UNARY[e.op], e.type, [self.expr(e.operand)], e.loc)
        if isinstance(e, ir.Cast):
            return self.op("cast", e.type, [self.expr(e.operand)], e.loc)
        if isinstance(e, ir.Select):
            return self.select(e)
        if isinstance(e, ir.BitGet):
            return self.op("bitget", e.type, [self.expr(e.operand), self.expr(e.bit)], e.loc)
        if isinstance(e, ir.BitSlice):
            return self.op("bitslice", e.type, [self.expr(e.operand), self.expr(e.lo)], e.loc,
                           width=e.width)
        if isinstance(e, ir.MathCall):
            if e.fn not in MATH:
                raise AlloBackendError(f"{e.fn}() is not supported in hardware yet", e.loc,
                                       hint="build with target='python'")
            return self.op(MATH[e.fn], e.type, [self.expr(a) for a in e.args], e.loc)
        raise TypeError(f"unknown expression {type(e).__name__}")

    def select(self, e: ir.Select) -> Op:
        """``select(c, a, b)``; an arm that is a load (a run-time bank's read: ``banking``
        reads bank k under ``index == k``) is read under its arm's condition, so the bank's
        port is used only in the iterations that select it (``phases`` then lets a pipeline
        share the port across iterations)."""
        cond = self.expr(e.cond)
        arms = []
        for arm, taken in ((e.if_true, cond), (e.if_false, None)):
            if not isinstance(arm, (ir.Load, ir.Select)) or not _reads_memory(arm):
                arms.append(self.expr(arm))
                continue
            if taken is None:
                taken = self.op("lnot", UInt(1), [cond], e.loc)
            outer = self.pred
            self.pred = taken if outer is None else self.op("land", UInt(1), [outer, taken],
                                                            e.loc)
            arms.append(self.expr(arm))
            self.pred = outer
        return self.op("select", e.type, [cond, *arms], e.loc)

    # --- floats (raw bits) ----------------------------------------------------------
    def convert(self, v: Op, typ, loc) -> Op:
        """``v`` converted to ``typ`` as ``types.cast`` converts it."""
        src = v.type
        if src == typ:
            return v
        if v.info.is_const:                  # fold: the constant in the new type
            raw = semantics.bitcast(v.value, _bits(src), src) if src.is_float else v.value
            return self.const(semantics.cast(raw, src, typ), typ, loc)
        if src.is_float and typ.is_float:
            return self.op("ftof", typ, [v], loc)
        if typ.is_float:
            return self.op("itof", typ, [v], loc)
        return self.op("ftoi", typ, [v], loc)

    def const(self, value, typ, loc) -> Op:
        """A constant op; a float's value is its IEEE bit pattern."""
        if typ.is_float:
            return self.op("const", typ, [], loc, value=int(semantics.bitcast(value, typ,
                                                                              _bits(typ))))
        return self.op("const", typ, [], loc, value=int(value))

    def float_expr(self, e: ir.Expr) -> Op:
        def refuse(what):
            raise AlloBackendError(f"{what} is not supported in hardware yet", e.loc,
                                   hint="hardware has float +, -, *, /, sqrt, exp, log, tanh, "
                                        "sin, cos, power (float32/16), "
                                        "min, max, abs, comparisons and casts; or build with "
                                        "target='python'")
        t = e.type
        if isinstance(e, ir.Const):
            return self.const(e.value, t, e.loc)
        if isinstance(e, (ir.Ref, ir.Load, ir.Select)):
            return self.expr_plain(e)
        if isinstance(e, ir.Cast):
            return self.convert(self.expr(e.operand), t, e.loc)
        if isinstance(e, ir.BinOp):
            if e.op not in FLOAT_BINARY or not t.is_float:
                refuse(f"float {e.op}")
            a, b = (self.convert(self.expr(x), t, e.loc) for x in (e.lhs, e.rhs))
            return self.op(FLOAT_BINARY[e.op], t, [a, b], e.loc)
        if isinstance(e, ir.Compare):
            # as the interpreter compares: in the float operand's format (an integer operand
            # converted to it); two formats in the wider one (both exact)
            ct = _compare_format(e.lhs.type, e.rhs.type)
            a, b = (self.convert(self.expr(x), ct, e.loc) for x in (e.lhs, e.rhs))
            return self.op(FLOAT_COMPARE[e.op], e.type, [a, b], e.loc)
        if isinstance(e, ir.Unary) and e.op == "-" and t.is_float:
            return self.op("fneg", t, [self.expr(e.operand)], e.loc)
        if isinstance(e, ir.MathCall) and e.fn in float_math_ops.FUNCTIONS and t.bits <= 32:
            # exp/log/tanh/sin/cos/power: the interpreter's float32 algorithm, op for op on
            # the float units (float16/bfloat16: on the widened value, the result rounded to
            # the format); operands first in the result's format, as the interpreter takes them
            xs = [self.convert(self.convert(self.expr(a), t, e.loc), float32, e.loc)
                  for a in e.args]
            return self.convert(float_math_ops.expand(self, e.fn, xs, e.loc), t, e.loc)
        if isinstance(e, ir.MathCall) and e.fn in float_math_ops.FUNCTIONS64 and t == float64:
            # exp/log of float64: float_math64's algorithm, op for op on the float64 units
            x = self.convert(self.expr(e.args[0]), t, e.loc)
            return float_math_ops.expand64(self, e.fn, x, e.loc)
        if isinstance(e, ir.MathCall) and e.fn in FLOAT_MATH:
            args = [self.expr(a) for a in e.args]
            if e.fn == "bitcast":
                return self.op("bitcast", t, args, e.loc)
            if not t.is_float:
                refuse(f"{e.fn}() with a non-float result on float operands")
            args = [self.convert(a, t, e.loc) for a in args]
            if e.fn in ("abs", "sqrt"):
                return self.op(FLOAT_MATH[e.fn], t, args, e.loc)
            out = args[0]
            for a in args[1:]:       # min(a, b, c) = min(min(a, b), c), as the interpreter
                out = self.op(FLOAT_MATH[e.fn], t, [out, a], e.loc)
            return out
        if isinstance(e, ir.MathCall):
            has = ("float32, float16, bfloat16 and float64" if e.fn in float_math_ops.FUNCTIONS64
                   else "float32, float16 and bfloat16")
            refuse(f"{e.fn}() on {t!r}" + (f" ({has} have it)"
                                           if e.fn in float_math_ops.FUNCTIONS else ""))
        refuse(f"this float operation ({type(e).__name__})")

    def expr_plain(self, e):
        if isinstance(e, ir.Ref):
            return self.read_var(e.var, e.loc)
        if isinstance(e, ir.Load):
            return self.load(e.buf, self.address(e.buf, e.indices, e.loc), e.type, e.loc)
        arms = [self.convert(self.expr(x), e.type, e.loc) for x in (e.if_true, e.if_false)]
        return self.op("select", e.type, [self.expr(e.cond), *arms], e.loc)

    def address(self, buf: ir.Buffer, indices, loc) -> Op:
        strides, acc = [], 1
        for extent in reversed(buf.shape):
            strides.insert(0, acc)
            acc *= extent
        typ = UInt(max(1, (acc - 1).bit_length()))
        idx = [self.expr(i) for i in indices]
        if all(o.info.is_const for o in idx):     # a fixed element: a constant address
            flat = sum(int(o.value) * s for o, s in zip(idx, strides))
            return self.op("const", typ, [], loc, value=typ.wrap(flat))
        op = self.op("addr", typ, idx, loc, strides=tuple(strides), buf=buf)
        if op.affine is None:       # the address as the IR spells it, for hls/deps.py
            op.affine = IndexedAddress(tuple(indices), tuple(strides), dict(self.assigned))
        return op

    def stmt(self, s):
        if isinstance(s, ir.Assign):
            value = self.expr(s.value)
            if self.pred is None:
                self.assigned[id(s.var)] = (s.value, dict(self.assigned))
            else:   # the variable keeps its old value when the branch does not run
                self.assigned.pop(id(s.var), None)      # no longer one IR expression
                if not s.skipped_value_dead:
                    value = self.op("select", s.var.type, [self.pred, value,
                                                           self.read_var(s.var, s.loc)], s.loc)
            self.write_var(s.var, value)
        elif isinstance(s, ir.Store):
            addr = self.address(s.buf, s.indices, s.loc)
            self.store(s.buf, addr, self.expr(s.value), s.loc)
        elif isinstance(s, ir.If):
            self.if_converted(s)
        elif isinstance(s, ir.StreamGet):
            if self.pred is not None:
                raise AlloBackendError("a stream get under an if-converted branch is not "
                                       "supported in hardware yet", s.loc,
                                       hint="move the get out of the branch")
            self.write_var(s.dest, self.op("sget", s.chan.type.elem, [], s.loc, chan=s.chan))
        elif isinstance(s, ir.StreamPut):
            if self.pred is not None:
                raise AlloBackendError("a stream put under an if-converted branch is not "
                                       "supported in hardware yet", s.loc,
                                       hint="move the put out of the branch")
            value = self.convert(self.expr(s.value), s.chan.type.elem, s.loc)
            self.op("sput", None, [value], s.loc, chan=s.chan)
        else:
            raise TypeError(type(s).__name__)

    def hoist_sibling_loads(self, stmts: list):
        """A word several sibling branches read (``sibling_loads``) is read once, before
        them, under the disjunction of their conditions; each branch's load then takes it
        from ``hoisted``, as a load both arms of one branch share does."""
        bit = UInt(1)
        for load, uses in sibling_branch_loads(stmts):
            taken = None
            for s, then in uses:
                c = self.expr(s.cond)
                c = c if then else self.op("lnot", bit, [c], s.loc)
                taken = c if taken is None else self.op("lor", bit, [taken, c], s.loc)
            addr = self.address(load.buf, load.indices, load.loc)
            outer = self.pred
            self.pred = taken if outer is None else self.op("land", bit, [outer, taken],
                                                            load.loc)
            self.hoisted[(id(load.buf), id(addr))] = self.load(load.buf, addr, load.type,
                                                               load.loc)
            self.pred = outer

    def if_converted(self, s: ir.If):
        """Both branches as predicated statements of this block (``if_convertible(s)``)."""
        outer = self.pred
        cond = self.expr(s.cond)
        bit = UInt(1)
        # a word both branches read is read once, before them, whichever runs: one port
        # slot instead of two (if c: B[i] = x * A[i] else: B[i] = A[i])
        for load in shared_branch_loads(s):
            addr = self.address(load.buf, load.indices, load.loc)
            self.hoisted[(id(load.buf), id(addr))] = self.load(load.buf, addr, load.type,
                                                               load.loc)
        branch_ops = []
        for body, taken in ((s.then_body, cond),
                            (s.else_body, self.op("lnot", bit, [cond], s.loc))):
            first = len(self.block.ops)
            if body:
                self.pred = taken if outer is None else self.op("land", bit, [outer, taken],
                                                                s.loc)
                for t in body:
                    self.stmt(t)
            branch_ops.append((self.pred, self.block.ops[first:]))
            self.pred = outer
        self._merge_branch_stores(cond, *branch_ops, s.loc)

    def _merge_branch_stores(self, cond, then, other, loc):
        """``if c: B[a] = x else: B[b] = y`` -> one ``B[c ? a : b] = c ? x : y``: the two
        stores exclude each other, so they need one port slot, not two. Only when each
        branch stores to B once, at its own predicate, and reads B nowhere after that store
        (the merged store comes after both branches)."""
        def sole_store(pred, ops, buf_id):
            stores = [o for o in ops if o.info.is_store and id(o.buf) == buf_id]
            if len(stores) != 1 or stores[0].operands[2:] != [pred]:
                return None
            after = ops[ops.index(stores[0]) + 1:]
            if any(o.info.is_load and id(o.buf) == buf_id for o in after):
                return None
            return stores[0]
        bufs = {id(o.buf): o.buf for o in then[1] if o.info.is_store}
        for buf_id, buf in bufs.items():
            a, b = sole_store(then[0], then[1], buf_id), sole_store(other[0], other[1], buf_id)
            if a is None or b is None:
                continue
            self.dead |= {a, b}
            addr = a.operands[0] if a.operands[0] is b.operands[0] else \
                self.op("select", a.operands[0].type, [cond, a.operands[0], b.operands[0]], loc)
            value = self.op("select", buf.dtype, [cond, a.operands[1], b.operands[1]], loc)
            self.store(buf, addr, value, loc)


def shared_branch_loads(s: ir.If) -> list:
    """Loads (one of each) that both branches of ``s`` perform at the same address, from a
    buffer neither branch stores to, with indices reading no variable either branch assigns:
    reading it before the branches gives each branch the value it would have read. Only the
    branches' own statements count, not nested branches': the word is then one the program
    reads whichever branch runs (never a speculative read out of range)."""
    def loads_and_writes(body):
        loads, stored, assigned = {}, set(), set()
        for t in ir.walk_stmts(body):
            if isinstance(t, ir.Store):
                stored.add(id(t.buf))
            if isinstance(t, ir.Assign):
                assigned.add(id(t.var))
        for t in body:
            for e in ir.stmt_exprs(t):
                for x in ir.walk_exprs(e):
                    if isinstance(x, ir.Load):
                        key = (id(x.buf), tuple(format_expr(i) for i in x.indices))
                        loads.setdefault(key, x)
        return loads, stored, assigned
    then_loads, then_stored, then_assigned = loads_and_writes(s.then_body)
    else_loads, else_stored, else_assigned = loads_and_writes(s.else_body)
    stored, assigned = then_stored | else_stored, then_assigned | else_assigned
    out = []
    for key, load in then_loads.items():
        if key not in else_loads or key[0] in stored:
            continue
        if any(isinstance(x, ir.Ref) and id(x.var) in assigned
               for i in load.indices for x in ir.walk_exprs(i)):
            continue
        out.append(load)
    return out


def _reads_memory(e: ir.Expr) -> bool:
    """A select arm worth predicating: a load, or a select chain ending in loads."""
    if isinstance(e, ir.Load):
        return True
    return isinstance(e, ir.Select) and (_reads_memory(e.if_true) or _reads_memory(e.if_false))


def if_convertible(s) -> bool:
    """Statements one block can hold with predicates: assignments, stores and branches of
    them (no loops, calls or whiles inside)."""
    if isinstance(s, (ir.Assign, ir.Store)):
        return True
    return isinstance(s, ir.If) and all(if_convertible(t) for t in [*s.then_body, *s.else_body])


def _bits(t):
    """The unsigned type of a float's bit pattern."""
    return UInt(t.bits)


# the widest dividend divided by a multiplication (a w x (w + 2)-bit constant product)
CONST_DIVISION_MAX_BITS = 64


def _constant_divisor(e: ir.BinOp) -> str | None:
    """How an integer division (``/ // %``) by a positive constant runs without the divider:
    "pow2" (shifts and masks), "const" (a multiplication by the reciprocal), None (the
    divider: a variable or non-positive divisor, fixed point, or a dividend over 64 bits)."""
    if e.op not in POW2_DIVISION or not isinstance(e.rhs, ir.Const):
        return None
    if any(t.is_float or t.fracs for t in (e.type, e.lhs.type, e.rhs.type)):
        return None
    t = e.rhs.type
    c = int(e.rhs.value)
    # positive in the divisor's own type (a raw 128 of an int8 is -128) and in the result's
    positive_below = 1 << (t.hw_bits - 1 if t.signed else t.hw_bits)
    if not (0 < c < positive_below and c < 1 << e.type.hw_bits):
        return None
    if c & (c - 1) == 0:
        return "pow2"
    return "const" if e.lhs.type.hw_bits <= CONST_DIVISION_MAX_BITS else None


def _hashable(v):
    if isinstance(v, (list, tuple)):
        return tuple(_hashable(x) for x in v)
    return v if isinstance(v, (int, str, float, bool, type(None))) else repr(v)


def build_regions(stmts: list, if_convert: bool = False) -> list:
    """Regions of ``stmts``. With ``if_convert`` (a pipelined loop's body) branches of plain
    assignments and stores become predicated ops of one block, so the body pipelines."""
    if if_convert and stmts and any(isinstance(s, ir.If) for s in stmts) and \
            all(if_convertible(s) for s in stmts):
        b = _BlockBuilder()
        b.hoist_sibling_loads(stmts)
        for s in stmts:
            b.stmt(s)
        return [b.finish()]
    regions, current = [], None
    for s in stmts:
        if isinstance(s, (ir.Assign, ir.Store, ir.StreamGet, ir.StreamPut)):
            if current is None:
                current = _BlockBuilder()
            current.stmt(s)
            continue
        if current is not None:
            regions.append(current.finish())
            current = None
        regions.append(_control_region(s))
    if current is not None:
        regions.append(current.finish())
    return regions


def _control_region(s):
    b = _BlockBuilder()
    if isinstance(s, ir.For):
        if s.var.type != index:
            raise AlloBackendError("loop indices must have type index", s.loc)
        lo, hi = b.expr(s.lo), b.expr(s.hi)
        enter = b.op("lt" if s.step > 0 else "gt", UInt(1), [lo, hi], s.loc)
        pipelined = s.attrs.get("pipeline") not in (None, False)
        return LoopRegion(s, b.finish(), lo, hi, enter, build_regions(s.body, pipelined))
    if isinstance(s, ir.While):
        cond = b.expr(s.cond)
        return WhileRegion(s, b.finish(), cond, build_regions(s.body))
    if isinstance(s, ir.If):
        cond = b.expr(s.cond)
        return IfRegion(s, b.finish(), cond, build_regions(s.then_body),
                        build_regions(s.else_body))
    if isinstance(s, ir.Dataflow):
        stages = [CallRegion(c, b.block, _call_args(b, c)) for c in s.stages]
        return DataflowRegion(s, b.finish(), stages)
    if isinstance(s, ir.Call):
        bufs = [a for a in s.args if isinstance(a, ir.Buffer)]
        if len({id(a) for a in bufs}) != len(bufs):
            raise AlloBackendError(
                f"the same array is passed twice to {s.callee.name}; its one memory port "
                "cannot serve two of the callee's ports", s.loc,
                hint="pass a copy of the array for the second argument")
        args = _call_args(b, s)
        return CallRegion(s, b.finish(), args)
    raise TypeError(type(s).__name__)


def _call_args(b: _BlockBuilder, s: ir.Call) -> list:
    """Per callee parameter: the caller's Buffer or Channel, or the op of a scalar."""
    return [a if isinstance(a, (ir.Buffer, ir.Channel)) else b.expr(a) for a in s.args]


def build_cdfg(f: ir.Function) -> FunctionCDFG:
    """The CDFG of one function (callees are built separately)."""
    return FunctionCDFG(f, build_regions(f.body))
