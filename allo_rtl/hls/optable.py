"""The operator table: one entry per CDFG operation, read by every hardware stage.

An entry says what an operation means (the function of ``ir.semantics`` that defines it), what
role it plays for the control (a constant, a variable read or write, a memory access, or a
computation), how it is timed (a rule of ``timing.py`` and the operand width the rule uses),
what unit runs it (combinational logic, an iterative unit that is busy for its latency, a
memory port), whether the binder may share it and narrowing may shrink it, the resource class
the schedulers count, and how to build it in Amaranth. CDFG construction, narrowing, timing,
binding, both schedulers, the schedule checker and the RTL lowering ask the table; none of
them dispatches on operation names.

Adding an operation (a float adder, say) is one entry here, its timing rule and its builder.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from amaranth.hdl import Mux

from ..ir import semantics
from ..primitives import arith
from . import const_div_unit, divider_unit, float_unit, mul_unit

# roles: what the control and the schedulers need to know about an operation
CONST, READ_VAR, WRITE_VAR, LOAD, STORE, COMPUTE = (
    "const", "read_var", "write_var", "load", "store", "compute")
# a blocking FIFO transfer: the state (or pipeline) running it stalls until the FIFO can
STREAM_GET, STREAM_PUT = "stream_get", "stream_put"

# units
WIRE = "wire"                 # no hardware of its own (constants, variable reads, casts)
COMBINATIONAL = "combinational"
ITERATIVE = "iterative"       # a sequential unit busy for its whole latency (the divider)
PIPELINED = "pipelined"       # a unit with a fixed latency taking a new op every cycle (float)
MEMORY = "memory"             # a memory port
STREAM = "stream"             # a stream port of the kernel (a FIFO in the region)


@dataclass(frozen=True)
class OpInfo:
    opcode: str
    role: str
    unit: str
    timing: str                    # rule name in timing.TIMING_RULES
    symbol: str | None = None      # the IR operator or function this implements
    semantics: Callable | None = None   # raw operands -> raw result, from ir.semantics
    build: Callable | None = None  # (op, args, types) -> Amaranth value (combinational)
    resource: str | None = None    # class the schedulers and the binder count
    sharable: bool = False         # the binder may map several ops onto one unit
    narrowable: bool = False       # low w result bits depend only on low w operand bits
    report_name: str | None = None  # functional-unit name in the report ("add", "cmp", ...)
    sized_by_operands: bool = False  # the unit's width is its operands' (a comparator)
    noun: str | None = None        # what people call it in messages ("division")
    # a cheaper implementation of opcode ``special_case_of`` where its operands allow (a
    # division by a constant power of two); the IR's operator maps to the general one
    special_case_of: str | None = None
    # a shared combinational unit computes ``core(a, b)`` once; each user takes
    # ``finish(core value, op, operand types)``
    core: Callable | None = None
    finish: Callable | None = None
    # an iterative unit: ``new_unit(op)`` makes the Amaranth component, ``drive(unit, op,
    # args, comb, sync)`` starts it (appending statements of the starting state) and returns
    # the result value, valid ``latency`` cycles later and held until the next start.
    # A pipelined unit: ``new_unit(op, stages)``, ``drive(unit, op, args)`` -> (input
    # statements of the starting cycle, the result, valid ``stages`` cycles later only)
    new_unit: Callable | None = None
    drive: Callable | None = None
    # a pipelined unit other than a float unit: op -> the key of the ops that may share it
    unit_key: Callable | None = None

    def unit_width(self, op) -> int:
        """The width the report gives the op's unit."""
        if self.sized_by_operands:
            return max(o.type.bits for o in op.operands)
        return op.type.bits

    @property
    def is_const(self) -> bool:
        return self.role == CONST

    @property
    def reads_var(self) -> bool:
        return self.role == READ_VAR

    @property
    def writes_var(self) -> bool:
        return self.role == WRITE_VAR

    @property
    def is_load(self) -> bool:
        return self.role == LOAD

    @property
    def is_store(self) -> bool:
        return self.role == STORE

    @property
    def is_equality(self) -> bool:
        """An ``==`` comparison (phase predicates are ``index == constant``)."""
        return self.semantics is semantics.compare and self.symbol == "=="

    @property
    def is_stream(self) -> bool:
        """A blocking get from / put into a stream (``op.chan``)."""
        return self.role in (STREAM_GET, STREAM_PUT)

    @property
    def is_memory(self) -> bool:
        return self.role in (LOAD, STORE)

    @property
    def memory_operands(self) -> int:
        """Operands of an unpredicated access (address; and data for a store); a predicated
        access has its predicate after them."""
        return 2 if self.role == STORE else 1

    @property
    def stable(self) -> bool:
        """Holds still for a whole block: never scheduled, read where needed."""
        return self.role in (CONST, READ_VAR)

    @property
    def iterative(self) -> bool:
        return self.unit == ITERATIVE

    @property
    def pipelined(self) -> bool:
        return self.unit == PIPELINED


def _binop(symbol):
    def build(op, args, types):
        return arith.binop_value(symbol, args[0], types[0], args[1], types[1], op.type)
    return build


def _compare(symbol):
    def build(op, args, types):
        return arith.compare_value(symbol, args[0], types[0], args[1], types[1])
    return build


def _logic(symbol):
    def build(op, args, types):
        out = args[0]
        for a in args[1:]:
            out = (out & a) if symbol == "and" else (out | a)
        return out
    return build


def _unary(symbol):
    def build(op, args, types):
        return arith.unary_value(symbol, args[0], types[0], op.type)
    return build


def _minmax(fn):
    def build(op, args, types):
        return arith.minmax_abs_value(fn, args, types, op.type)
    return build


def _pow2_division(symbol):
    def build(op, args, types):
        k = op.operands[1].value.bit_length() - 1      # the divisor is the constant 2**k
        return arith.pow2_division_value(symbol, args[0], types[0], k, op.type)
    return build


def _const_division(symbol):
    def build(op, args, types):
        return arith.const_division_value(symbol, args[0], types[0], op.operands[1].value,
                                          op.type)
    return build


def _address(op, args, types):
    total = 0
    for v, stride in zip(args, op.strides):
        total = total + (v * stride if stride != 1 else v)
    return total


def _entries():
    out = [
        OpInfo("const", CONST, WIRE, "free"),
        OpInfo("var", READ_VAR, WIRE, "free"),
        OpInfo("setvar", WRITE_VAR, WIRE, "free"),
        OpInfo("load", LOAD, MEMORY, "mem_read", resource="port"),
        OpInfo("store", STORE, MEMORY, "mem_write", resource="port"),
        OpInfo("cast", COMPUTE, WIRE, "free", semantics=semantics.cast,
               build=lambda op, a, t: arith.cast_value(a[0], t[0], op.type), narrowable=True),
        OpInfo("select", COMPUTE, COMBINATIONAL, "mux", build=lambda op, a, t: Mux(*a),
               report_name="mux"),
        OpInfo("bitget", COMPUTE, COMBINATIONAL, "logic", semantics=semantics.bit_get,
               build=lambda op, a, t: arith.bit_get_value(a[0], t[0], a[1])),
        OpInfo("bitslice", COMPUTE, COMBINATIONAL, "shift", semantics=semantics.bit_slice,
               build=lambda op, a, t: arith.bit_slice_value(a[0], t[0], a[1], op.width)),
        OpInfo("addr", COMPUTE, COMBINATIONAL, "address", build=_address),
        # the value is the FIFO's read data; one transfer per stream and cycle
        OpInfo("sget", STREAM_GET, STREAM, "stream", resource="stream"),
        OpInfo("sput", STREAM_PUT, STREAM, "stream", resource="stream"),
    ]
    for opcode, sym, rule, narrow in [("add", "+", "add", True), ("sub", "-", "add", True),
                                      ("band", "&", "logic", True), ("bor", "|", "logic", True),
                                      ("bxor", "^", "logic", True), ("shl", "<<", "shift", False),
                                      ("shr", ">>", "shift", False)]:
        out.append(OpInfo(opcode, COMPUTE, COMBINATIONAL, rule, sym, semantics.binop,
                          _binop(sym), narrowable=narrow, report_name=_FU[sym]))
    out.append(OpInfo("mul", COMPUTE, COMBINATIONAL, "mul", "*", semantics.binop, _binop("*"),
                      resource="mul", sharable=True, narrowable=True, report_name="mul",
                      core=lambda a, b: a * b,
                      finish=lambda p, op, t: arith.product_value(p, t[0], t[1], op.type)))
    # the same product on a limb multiplier with a register inside (hls/pipeline_mul.py
    # picks it when the clock is shorter than the product's delay). Not shared: a shared
    # unit's operand multiplexer sits before the DSPs, in the cycle the clock is tight in
    # (atax at 100 MHz on the ECP5: 2.5 ns of mux and routing, 99.4 MHz)
    out.append(OpInfo("mul_pipe", COMPUTE, PIPELINED, "mul_pipe", "*", semantics.binop,
                      resource="mul", sharable=False, narrowable=True, report_name="mul",
                      special_case_of="mul", new_unit=mul_unit.new_unit, drive=mul_unit.drive,
                      unit_key=mul_unit.unit_key))
    for opcode, sym in [("tdiv", "/"), ("floordiv", "//"), ("mod", "%")]:
        out.append(OpInfo(opcode, COMPUTE, ITERATIVE, "divider", sym, semantics.binop,
                          resource="div", sharable=True, report_name=_FU[sym], noun="division",
                          new_unit=divider_unit.new_unit, drive=divider_unit.drive))
    for general, sym in [("tdiv", "/"), ("floordiv", "//"), ("mod", "%")]:
        out.append(OpInfo(f"{general}_pow2", COMPUTE, COMBINATIONAL, "minmax", sym,
                          semantics.binop, _pow2_division(sym), report_name=_FU[sym] + "_pow2",
                          special_case_of=general))
    # by another constant: a multiplication by its reciprocal (a constant multiplier:
    # shifts and adds or a DSP, not the shared multiplier), so pipelines keep it
    for general, sym in [("tdiv", "/"), ("floordiv", "//"), ("mod", "%")]:
        out.append(OpInfo(f"{general}_const", COMPUTE, COMBINATIONAL, "const_div", sym,
                          semantics.binop, _const_division(sym),
                          report_name=_FU[sym] + "_const", special_case_of=general))
    # the same on a pipelined unit (hls/pipeline_div.py picks it when the clock is shorter
    # than the division's delay); a unit each, like mul_pipe (no operand mux before it)
    for general, sym in [("tdiv", "/"), ("floordiv", "//"), ("mod", "%")]:
        out.append(OpInfo(f"{general}_const_pipe", COMPUTE, PIPELINED, "const_div_pipe", sym,
                          semantics.binop, report_name=_FU[sym] + "_const",
                          special_case_of=general, new_unit=const_div_unit.new_unit,
                          drive=const_div_unit.drive, unit_key=const_div_unit.unit_key))
    for opcode, sym in [("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"),
                        ("ge", ">=")]:
        out.append(OpInfo(opcode, COMPUTE, COMBINATIONAL, "compare", sym, semantics.compare,
                          _compare(sym), report_name="cmp", sized_by_operands=True))
    out += [OpInfo("land", COMPUTE, COMBINATIONAL, "logic", "and", None, _logic("and")),
            OpInfo("lor", COMPUTE, COMBINATIONAL, "logic", "or", None, _logic("or")),
            OpInfo("neg", COMPUTE, COMBINATIONAL, "add", "-", semantics.unary, _unary("-"),
                   narrowable=True),
            OpInfo("bnot", COMPUTE, COMBINATIONAL, "logic", "~", semantics.unary, _unary("~"),
                   narrowable=True),
            OpInfo("lnot", COMPUTE, COMBINATIONAL, "logic", "not", semantics.unary,
                   _unary("not"))]
    for fn in ("min", "max", "abs"):
        out.append(OpInfo(fn, COMPUTE, COMBINATIONAL, "minmax", fn, semantics.math_call,
                          _minmax(fn), report_name=fn))
    out += _float_entries()
    return {e.opcode: e for e in out}


def _float_entries():
    """IEEE float ops on raw bits (``float_unit``): add/sub and mul on large shared units,
    compares, min/max and conversions on a unit each, sign-bit ops and bit casts as wires."""
    def unit(opcode, symbol, timing, resource=None, report=None):
        return OpInfo(opcode, COMPUTE, PIPELINED, timing, symbol, resource=resource,
                      sharable=resource is not None, report_name=report or opcode,
                      new_unit=float_unit.new_unit, drive=float_unit.drive)
    out = [unit("fadd", "+", "fadd", "fadd"), unit("fsub", "-", "fadd", "fadd", "fadd"),
           unit("fmul", "*", "fmul", "fmul"), unit("fdiv", "/", "fdiv", "fdiv"),
           unit("fsqrt", "sqrt", "fsqrt", "fsqrt"),
           unit("fmin", "min", "fminmax"), unit("fmax", "max", "fminmax"),
           unit("itof", "cast", "itof"), unit("ftoi", "cast", "ftoi"),
           unit("ftof", "cast", "ftof"),
           OpInfo("fneg", COMPUTE, WIRE, "free", "-",
                  build=lambda op, a, t: a[0] ^ (1 << (op.type.bits - 1))),
           OpInfo("fabs", COMPUTE, WIRE, "free", "abs",
                  build=lambda op, a, t: a[0] & ((1 << (op.type.bits - 1)) - 1)),
           # the same bits read as another type (floats are raw bits in hardware)
           OpInfo("bitcast", COMPUTE, WIRE, "free", "bitcast",
                  build=lambda op, a, t: a[0].as_signed() if op.type.signed and
                  not op.type.is_float else a[0].as_unsigned())]
    for opcode, sym in [("feq", "=="), ("fne", "!="), ("flt", "<"), ("fle", "<="),
                        ("fgt", ">"), ("fge", ">=")]:
        out.append(unit(opcode, sym, "fcompare", report="fcmp"))
    return out


# functional-unit names in the report, by IR operator
_FU = {"+": "add", "-": "sub", "*": "mul", "&": "and", "|": "or", "^": "xor", "<<": "shl",
       ">>": "shr", "/": "div", "//": "floordiv", "%": "mod"}

OPERATORS: dict = _entries()

# the IR's operator spellings -> opcodes (the CDFG builder's only lookup)
BINARY = {e.symbol: e.opcode for e in OPERATORS.values()
          if e.semantics is semantics.binop and e.special_case_of is None}
# integer division by a constant power of two: shifts and masks, not the divider
POW2_DIVISION = {e.symbol: e.opcode for e in OPERATORS.values()
                 if e.special_case_of in ("tdiv", "floordiv", "mod")
                 and e.opcode.endswith("_pow2")}
# by any other positive constant: a multiplication by the reciprocal
CONST_DIVISION = {e.symbol: e.opcode for e in OPERATORS.values()
                  if e.special_case_of in ("tdiv", "floordiv", "mod")
                  and e.opcode.endswith("_const")}
COMPARE = {e.symbol: e.opcode for e in OPERATORS.values()
           if e.semantics is semantics.compare}
LOGIC = {"and": "land", "or": "lor"}
UNARY = {"-": "neg", "~": "bnot", "not": "lnot"}
MATH = {"min": "min", "max": "max", "abs": "abs"}
# float ops by the IR's spelling (the CDFG builder picks these when the type is a float)
FLOAT_BINARY = {"+": "fadd", "-": "fsub", "*": "fmul", "/": "fdiv"}
FLOAT_COMPARE = {e.symbol: e.opcode for e in OPERATORS.values() if e.timing == "fcompare"}
FLOAT_MATH = {"min": "fmin", "max": "fmax", "abs": "fabs", "bitcast": "bitcast",
              "sqrt": "fsqrt"}
