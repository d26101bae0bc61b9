"""The float32 transcendentals (exp, log, tanh) in hardware: the algorithms of
``ir/float_math.py`` evaluated with an emitter of CDFG ops instead of numpy.

Each operation of an algorithm becomes one op of the block being built (``fadd``, ``fmul``,
``fdiv``, ``fmin``/``fmax``, float compares, ``select``, ``bitcast``, int32 ``add``/``sub``/
``band``/``shl``/``shr``, ``itof``), so a call runs on the kernel's ordinary float units:
the schedulers time it, the binder shares its adders and multipliers with the rest of the
kernel, and the result is the interpreter's (``float_math.NumpyOps`` computes each op as these
units do). The cost is latency: a call is a chain of some 20 to 40 float ops.
"""
from __future__ import annotations

from ..ir import float_math
from ..ir.types import UInt, float32, int32

#: the functions the hardware computes this way (float32 results only)
FUNCTIONS = tuple(float_math.ALGORITHMS)


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
        return self._op("fadd", float32, a, b)

    def sub(self, a, b):
        return self._op("fsub", float32, a, b)

    def mul(self, a, b):
        return self._op("fmul", float32, a, b)

    def div(self, a, b):
        return self._op("fdiv", float32, a, b)

    def fmin(self, a, b):
        return self._op("fmin", float32, a, b)

    def fmax(self, a, b):
        return self._op("fmax", float32, a, b)

    def abs(self, a):
        return self._op("fabs", float32, a)

    def neg(self, a):
        return self._op("fneg", float32, a)

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


def expand(builder, fn: str, x, loc):
    """The op computing float32 ``fn(x)`` (``x`` a float32 op), with every op before it added
    to ``builder``'s block."""
    return float_math.ALGORITHMS[fn](CdfgOps(builder, loc), x)
