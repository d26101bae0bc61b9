"""The float32 transcendentals (exp, log, tanh, sin, cos, power) in hardware: the algorithms of
``ir/float_math.py``, ``float_trig.py`` and ``float_pow.py`` evaluated with an emitter of CDFG
ops instead of numpy.

Each operation of an algorithm becomes one op of the block being built (``fadd``, ``fmul``,
``fdiv``, ``fmin``/``fmax``, float compares, ``select``, ``bitcast``, int32 ``add``/``sub``/
``band``/``shl``/``shr``, ``itof``; sin, cos and power also float64 ops, ``ftof`` and integer
ops of any width, e.g. the 24 x 98-bit product of the sin/cos reduction), so a call runs on
the kernel's ordinary float units:
the schedulers time it, the binder shares its adders and multipliers with the rest of the
kernel, and the result is the interpreter's (``float_math.NumpyOps`` computes each op as these
units do). The cost is latency: a call is a chain of some 20 to 50 float ops.
"""
from __future__ import annotations

from ..ir import float_math
from ..ir.types import Int, UInt, float32, int32

#: the functions the hardware computes this way (float32 results only)
FUNCTIONS = tuple(float_math.ALGORITHMS)
#: ... and float64 results
FUNCTIONS64 = tuple(float_math.ALGORITHMS64)


class CdfgOps:
    """The operations ``float_math`` algorithms use, as ops of ``builder``'s block at ``loc``."""

    def __init__(self, builder, loc):
        self.b, self.loc = builder, loc

    def _op(self, opcode, typ, *args):
        return self.b.op(opcode, typ, list(args), self.loc)

    def const(self, v):
        return self.b.const(v, float32, self.loc)

    def iconst(self, n):
        n &= 0xFFFFFFFF
        return self.b.const(n - (1 << 32) if n >> 31 else n, int32, self.loc)

    def add(self, a, b):
        return self._op("fadd", a.type, a, b)

    def sub(self, a, b):
        return self._op("fsub", a.type, a, b)

    def mul(self, a, b):
        return self._op("fmul", a.type, a, b)

    def div(self, a, b):
        return self._op("fdiv", a.type, a, b)

    def fmin(self, a, b):
        return self._op("fmin", a.type, a, b)

    def fmax(self, a, b):
        return self._op("fmax", a.type, a, b)

    def abs(self, a):
        return self._op("fabs", a.type, a)

    def neg(self, a):
        return self._op("fneg", a.type, a)

    def lt(self, a, b):
        return self._op("flt", UInt(1), a, b)

    def le(self, a, b):
        return self._op("fle", UInt(1), a, b)

    def eq(self, a, b):
        return self._op("feq", UInt(1), a, b)

    def select(self, c, a, b):
        return self._op("select", a.type, c, a, b)

    def bits(self, a):
        return self._op("bitcast", int32, a)

    def from_bits(self, i):
        return self._op("bitcast", float32, i)

    def iadd(self, a, b):
        return self._op("add", int32, a, b)

    def isub(self, a, b):
        return self._op("sub", int32, a, b)

    def iand(self, a, b):
        return self._op("band", int32, a, b)

    def shl(self, a, n: int):
        return self._op("shl", int32, a, self.iconst(n))

    def shr(self, a, n: int):
        return self._op("shr", int32, a, self.iconst(n))

    def itof(self, i):
        return self._op("itof", float32, i)


    # --- typed integers and format changes (sin, cos, power) ----------------------------
    def fconst(self, v, fmt):
        return self.b.const(v, fmt, self.loc)

    def ic(self, n, typ):
        return self.b.const(typ.wrap(n), typ, self.loc)

    def iop(self, op: str, a, b, typ):
        return self._op(INT_OPS[op], typ, a, b)

    def icmp(self, op: str, a, b):
        return self._op(INT_COMPARES[op], UInt(1), a, b)

    def icast(self, a, typ):         # integer to integer: wraps (a wire)
        return self._op("cast", typ, a)

    def land(self, a, b):
        return self._op("land", UInt(1), a, b)

    def lor(self, a, b):
        return self._op("lor", UInt(1), a, b)

    def lnot(self, a):
        return self._op("lnot", UInt(1), a)

    def fbits(self, a):
        return self._op("bitcast", Int(a.type.bits), a)

    def from_fbits(self, i, fmt):
        return self._op("bitcast", fmt, i)

    def ftof(self, a, fmt):
        return self.b.convert(a, fmt, self.loc)

    def i2f(self, i, fmt):
        return self.b.convert(i, fmt, self.loc)


INT_OPS = {"+": "add", "-": "sub", "*": "mul", "&": "band", "|": "bor", "^": "bxor",
           "<<": "shl", ">>": "shr"}
INT_COMPARES = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def expand(builder, fn: str, args, loc):
    """The op computing float32 ``fn(*args)`` (float32 ops), with every op before it added
    to ``builder``'s block."""
    return float_math.ALGORITHMS[fn](CdfgOps(builder, loc), *args)


def expand64(builder, fn: str, x, loc):
    """The op computing float64 ``fn(x)`` (a float64 op)."""
    return float_math.ALGORITHMS64[fn](CdfgOps(builder, loc), x)
