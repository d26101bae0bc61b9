"""Comparison, min/max and the sign-bit operations abs and neg.

Cycle behaviour (every unit here): outputs follow the inputs sampled ``stages`` cycles
earlier, ``stages`` being 0 (combinational) or 1 (registered outputs, held while ``en`` is
low).

NaN rules:

* :class:`FCompare` follows IEEE-754's quiet predicates: with a NaN operand the pair is
  unordered, so ``eq lt le gt ge`` are all 0 and ``ne`` is 1. ``+0`` and ``-0`` are equal.
* :class:`FMinMax` is numpy's ``np.minimum``/``np.maximum``: a NaN operand gives NaN (the
  canonical one), otherwise ``min = a if a < b else b`` and ``max = a if a > b else b``, so
  for equal operands (``+0`` and ``-0`` too) the result is ``b``, as numpy's float32 loop
  returns (its float16 loop returns ``a`` for the signed-zero tie; we keep one rule).
* :class:`FAbs` and :class:`FNeg` only clear or flip the sign bit; a NaN keeps its payload.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .format import FloatFormat, check_format, unpack
from .pipeline import Pipeline, check_stages
from .rounding import wire


class _SmallUnit(wiring.Component):
    """A unit whose only possible register is on its outputs."""
    max_stages = 1

    def __init__(self, fmt: FloatFormat, stages: int, members: dict):
        name = type(self).__name__
        try:
            self.fmt = check_format(fmt, name)
            self.stages = check_stages(stages, self.max_stages, name)
        except ValueError:
            self._MustUse__silence = True
            raise
        super().__init__({"a": In(unsigned(fmt.width)), **members, "en": In(1, init=1)})

    @property
    def latency(self) -> int:
        return self.stages

    def __repr__(self):
        return f"{type(self).__name__}({self.fmt!r}, stages={self.stages})"


def _less(m, x, y, name):
    """a < b for operands that are not NaN (``-0 < +0`` is false)."""
    both_zero = x.is_zero & y.is_zero
    by_magnitude = Mux(x.sign, x.magnitude > y.magnitude, x.magnitude < y.magnitude)
    less = Mux(x.sign != y.sign, x.sign, by_magnitude)
    return wire(m, less & ~both_zero, name)


def _equal(m, x, y, a, b):
    return wire(m, (a == b) | (x.is_zero & y.is_zero), "equal")


class FCompare(_SmallUnit):
    """IEEE-754 quiet comparison of ``a`` and ``b``.

    Members
    -------
    a, b : In(unsigned(fmt.width))
    en : In(1, init=1)
    eq, ne, lt, le, gt, ge : Out(1)
        ``a == b``, ``a != b``, ``a < b``, ... ; all 0 but ``ne`` when a NaN is involved.
    """

    def __init__(self, fmt: FloatFormat, stages: int = 0):
        w = getattr(fmt, "width", 1)
        super().__init__(fmt, stages, {"b": In(unsigned(w)), "eq": Out(1), "ne": Out(1),
                                       "lt": Out(1), "le": Out(1), "gt": Out(1), "ge": Out(1)})

    def elaborate(self, platform):
        m = Module()
        fmt = self.fmt
        x, y = unpack(m, fmt, self.a, "a"), unpack(m, fmt, self.b, "b")
        ordered = ~(x.is_nan | y.is_nan)
        eq = _equal(m, x, y, self.a, self.b) & ordered
        lt = _less(m, x, y, "lt") & ordered
        gt = _less(m, y, x, "gt") & ordered
        p = Pipeline(m, self.en, self.stages, self.max_stages)
        s = p.cut(eq=eq, ne=~eq, lt=lt, le=lt | eq, gt=gt, ge=gt | eq)
        for name in ("eq", "ne", "lt", "le", "gt", "ge"):
            m.d.comb += getattr(self, name).eq(getattr(s, name))
        return m


class FMinMax(_SmallUnit):
    """numpy's ``minimum(a, b)`` or, with ``max`` high, ``maximum(a, b)``.

    Members
    -------
    a, b : In(unsigned(fmt.width))
    max : In(1)
        Select the maximum (sampled with a and b).
    en : In(1, init=1)
    result : Out(unsigned(fmt.width))
    """

    def __init__(self, fmt: FloatFormat, stages: int = 0):
        w = getattr(fmt, "width", 1)
        super().__init__(fmt, stages, {"b": In(unsigned(w)), "max": In(1),
                                       "result": Out(unsigned(w))})

    def elaborate(self, platform):
        m = Module()
        fmt = self.fmt
        x, y = unpack(m, fmt, self.a, "a"), unpack(m, fmt, self.b, "b")
        take_a = Mux(self.max, _less(m, y, x, "a_greater"), _less(m, x, y, "a_less"))
        result = Mux(x.is_nan | y.is_nan, fmt.canonical_nan, Mux(take_a, self.a, self.b))
        s = Pipeline(m, self.en, self.stages, self.max_stages).cut(result=result)
        m.d.comb += self.result.eq(s.result)
        return m


class _SignUnit(_SmallUnit):
    def __init__(self, fmt: FloatFormat, stages: int = 0):
        super().__init__(fmt, stages, {"result": Out(unsigned(getattr(fmt, "width", 1)))})

    def elaborate(self, platform):
        m = Module()
        result = Cat(self.a[:-1], self._sign(self.a[-1]))
        s = Pipeline(m, self.en, self.stages, self.max_stages).cut(result=result)
        m.d.comb += self.result.eq(s.result)
        return m


class FAbs(_SignUnit):
    """``|a|``: the sign bit cleared (NaN payloads kept). Members ``a``, ``en``, ``result``."""

    @staticmethod
    def _sign(sign):
        return Const(0, 1)


class FNeg(_SignUnit):
    """``-a``: the sign bit flipped (NaN payloads kept). Members ``a``, ``en``, ``result``."""

    @staticmethod
    def _sign(sign):
        return ~sign
