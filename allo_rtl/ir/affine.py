"""Index analysis shared by every stage: affine forms of index expressions, their values over
loop grids, and bounded enumeration of those grids (dependence distances over these forms are
``ir/dependence.py``).

Schedule legality (``schedule/legality.py``), banking (``hls/banking.py``), ``reuse_at`` and
``compute_at`` and the modulo scheduler (``hls/deps.py``, through the ``IndexedAddress`` each
CDFG address op carries) all ask these questions here, so they cannot disagree about one loop.

* ``Affine``: ``sum(c * v) + const`` over IR scalars (loop indices, invariant parameters).
* ``affine_of`` / ``flat_address``: the form of an integer IR expression (or of a row-major
  address), or None when it is not affine.
* ``index_values``: an index expression evaluated over numpy arrays of loop indices.
* ``grid`` / ``loop_grid``: every point of a box of ranges, refused beyond a size limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import prod

import numpy as np

from . import nodes as ir

# --- affine forms -----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Affine:
    """``sum(c * v for v, c in terms) + const``: scalars in order of first appearance (so the
    printed form reads like the source), no zero coefficients. Equality ignores term order."""

    terms: tuple = ()            # ((Scalar, coefficient), ...)
    const: int = 0

    @staticmethod
    def of(var) -> Affine:
        return Affine(((var, 1),), 0)

    @property
    def vars(self) -> list:
        return [v for v, _ in self.terms]

    @property
    def is_constant(self) -> bool:
        return not self.terms

    @property
    def is_integral(self) -> bool:
        """Integer coefficients and constant (a shift on a lattice may give fractions)."""
        return all(is_integer(c) for _, c in self.terms) and is_integer(self.const)

    def _key(self):
        return frozenset((id(v), c) for v, c in self.terms), self.const

    def __eq__(self, other):
        return isinstance(other, Affine) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def same_terms(self, other: Affine) -> bool:
        """Same coefficient for every scalar (the constants may differ)."""
        return self._key()[0] == other._key()[0]

    def plus(self, other: Affine, scale: int = 1) -> Affine:
        """``self + scale * other``."""
        merged = {id(v): [v, c] for v, c in self.terms}
        for v, c in other.terms:
            merged.setdefault(id(v), [v, 0])[1] += scale * c
        return Affine(tuple((v, c) for v, c in merged.values() if c),
                      self.const + scale * other.const)

    def scaled(self, k: int) -> Affine:
        return Affine(tuple((v, c * k) for v, c in self.terms if c * k), self.const * k)

    def interval(self, ranges: dict) -> tuple:
        """(min, max) over scalars ranging independently over ``ranges`` (id(var) -> (lo, hi),
        inclusive): a linear form takes its extremes at the ends of each range. Every scalar of
        the form must have a range."""
        lo = hi = self.const
        for v, c in self.terms:
            ends = [c * end for end in ranges[id(v)]]
            lo, hi = lo + min(ends), hi + max(ends)
        return lo, hi

    def __str__(self):
        out = ""
        for v, c in self.terms:
            term = v.name if abs(c) == 1 else f"{abs(c)}*{v.name}"
            out += f" {'-' if c < 0 else '+'} {term}" if out else ("-" if c < 0 else "") + term
        if not out:
            return str(self.const)
        return out + (f" {'-' if self.const < 0 else '+'} {abs(self.const)}" if self.const else "")

    def __repr__(self):
        return f"Affine({self})"


def _integral(t) -> bool:
    return t is not None and t.is_int and not t.fracs


def affine_of(e: ir.Expr, bound: dict | None = None, lattice: dict | None = None):
    """The affine form of an integer expression, or None (not affine, or not an integer).

    Understands constants, scalars, casts (index values stay in range, so a cast does not
    wrap them), unary minus, ``+ - *`` (one side constant), ``<<`` by a constant, and ``x >> s``
    / ``x & (2**s - 1)`` when they are exact (see ``_shift_or_mask``).
    ``bound``: id(Scalar) -> (expression, the ``bound`` in force there) of scalars assigned
    earlier in the same straight-line code, substituted for their references.
    ``lattice``: id(Scalar) -> (lo, step) of loop indices known to take only the values
    ``lo + step * t``; with it a shift of an index by its step is exact, with a rational
    coefficient (``j >> 2`` is ``j/4`` when j steps by 4 from 0).
    """
    if not _integral(e.type):
        return None
    if isinstance(e, ir.Const):
        return Affine((), int(e.type.to_python(e.value)))
    if isinstance(e, ir.Ref):
        if bound is not None and id(e.var) in bound:
            value, then = bound[id(e.var)]
            return affine_of(value, then, lattice)
        return Affine.of(e.var)
    if isinstance(e, ir.Cast):
        return affine_of(e.operand, bound, lattice)
    if isinstance(e, ir.Unary) and e.op == "-":
        a = affine_of(e.operand, bound, lattice)
        return None if a is None else a.scaled(-1)
    if not isinstance(e, ir.BinOp) or e.op not in ("+", "-", "*", "<<", ">>", "&"):
        return None
    a, b = affine_of(e.lhs, bound, lattice), affine_of(e.rhs, bound, lattice)
    if a is None or b is None:
        return None
    if e.op in ("+", "-"):
        return a.plus(b, 1 if e.op == "+" else -1)
    if e.op == "*":
        return b.scaled(a.const) if a.is_constant else a.scaled(b.const) if b.is_constant \
            else None
    if not b.is_constant or not is_integer(b.const):
        return None
    if e.op == "<<":
        return a.scaled(1 << int(b.const)) if 0 <= b.const < 64 else None
    return _shift_or_mask(a, e.op, int(b.const), lattice or {})


def is_integer(x) -> bool:
    """An int, or a Fraction with denominator 1 (rational forms come from shifts)."""
    return Fraction(x).denominator == 1


def _shift_or_mask(a: Affine, op: str, k: int, lattice: dict) -> Affine | None:
    """``a >> k`` or ``a & k`` (k = 2**s - 1) when exact. Written over the trip numbers t of
    the lattice's indices (other scalars: any integer), ``a = sum(c' * t) + K``; when every c'
    and K are integers and each c' a multiple of 2**s (a bank-local index of a cyclic
    partition after unrolling: ``j = 4t + c``), the scalar part passes through the shift whole
    and the mask keeps only K's low bits."""
    amount = k if op == ">>" else (k + 1).bit_length() - 1
    if amount < 0 or amount >= 64 or (op == "&" and k != (1 << amount) - 1):
        return None
    unit = 1 << amount
    base = a.const + sum(c * lattice.get(id(v), (0, 1))[0] for v, c in a.terms)
    per_trip = [c * lattice.get(id(v), (0, 1))[1] for v, c in a.terms]
    if not is_integer(base) or any(not is_integer(c) or c % unit for c in per_trip):
        return None
    if op == "&":
        return Affine((), int(base) % unit)
    # t = (v - lo) / step, so (c * step / unit) * t is (c / unit) * (v - lo)
    terms = tuple((v, Fraction(c) / unit) for v, c in a.terms)
    offset = sum(Fraction(c) / unit * lattice.get(id(v), (0, 1))[0] for v, c in a.terms)
    return Affine(tuple((v, _tidy(c)) for v, c in terms), _tidy(int(base) // unit - offset))


def _tidy(x):
    """A Fraction that is a whole number as an int (forms print and compare plainly)."""
    return int(x) if is_integer(x) else x


def flat_address(indices: list, strides: list, bound: dict | None = None,
                 lattice: dict | None = None) -> Affine | None:
    """The form of the row-major element number ``sum(index * stride)``, or None."""
    out = Affine()
    for i, stride in zip(indices, strides):
        form = affine_of(i, bound, lattice)
        if form is None:
            return None
        out = out.plus(form, stride)
    return out


@dataclass(frozen=True, eq=False)
class IndexedAddress:
    """An address as the IR spells it, kept on a CDFG address op (``attrs["affine"]``): the
    row-major ``sum(index * stride)`` with the values of scalars assigned before it in the
    same block (``bound``, as ``affine_of`` takes it). Its form depends on what the user of
    the op knows about the loops around it (``lattice``), so it is computed on request."""

    indices: tuple
    strides: tuple
    bound: dict

    def form(self, lattice: dict | None = None) -> Affine | None:
        return flat_address(self.indices, self.strides, self.bound, lattice)

    def __str__(self):
        return str(self.form())


# --- evaluating index expressions over grids --------------------------------------------
_COMPARE = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
            ">": np.greater, ">=": np.greater_equal}
_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply, "&": np.bitwise_and,
          ">>": np.right_shift, "<<": np.left_shift}


def index_values(e: ir.Expr, env: dict):
    """An index expression evaluated over numpy int64 arrays of loop indices (``env``: id(var)
    -> values, e.g. from ``loop_grid``): integer + - * & shifts, comparisons, and/or, selects.
    None when it depends on anything else (a variable not in ``env``, a load, a division)."""
    if isinstance(e, ir.Const) and e.type.is_int:
        return int(e.type.to_python(e.value))
    if isinstance(e, ir.Ref):
        return env.get(id(e.var))
    if isinstance(e, ir.Cast) and e.type.is_int and e.operand.type.is_int:
        return index_values(e.operand, env)
    if isinstance(e, (ir.BinOp, ir.Compare)) and e.op in (*_ARITH, *_COMPARE):
        a, b = index_values(e.lhs, env), index_values(e.rhs, env)
        if a is None or b is None:
            return None
        return (_COMPARE.get(e.op) or _ARITH[e.op])(a, b)
    if isinstance(e, ir.Logic):
        vals = [index_values(x, env) for x in e.operands]
        if any(v is None for v in vals):
            return None
        return np.logical_and.reduce(vals) if e.op == "and" else np.logical_or.reduce(vals)
    if isinstance(e, ir.Select):
        c, a, b = (index_values(x, env) for x in (e.cond, e.if_true, e.if_false))
        return None if c is None or a is None or b is None else np.where(c, a, b)
    return None


# --- bounded grids ----------------------------------------------------------------------
class GridTooLarge(ValueError):
    """A grid has more points than the caller allows (``points`` > ``limit``)."""

    def __init__(self, points: int, limit: int):
        super().__init__(f"{points} points, more than the limit {limit}")
        self.points, self.limit = points, limit


def loop_range(loop: ir.For) -> range | None:
    """The index values of a loop with constant bounds (maybe empty), None for run-time ones."""
    if not (isinstance(loop.lo, ir.Const) and isinstance(loop.hi, ir.Const)):
        return None
    return range(int(loop.lo.value), int(loop.hi.value), loop.step)


def grid(ranges: list, limit: int) -> np.ndarray:
    """Every point of the box ``ranges[0] x ranges[1] x ...`` as rows of an int64 array,
    row-major (the first range varies slowest). Raises GridTooLarge beyond ``limit`` points,
    before allocating anything."""
    points = prod(len(r) for r in ranges)
    if points > limit:
        raise GridTooLarge(points, limit)
    axes = [np.arange(r.start, r.stop, r.step, dtype=np.int64) for r in ranges]
    if not axes:
        return np.zeros((1, 0), dtype=np.int64)
    return np.stack([g.reshape(-1) for g in np.meshgrid(*axes, indexing="ij")], axis=1)


def loop_grid(loops: list, limit: int) -> dict | None:
    """id(loop var) -> that index's value at every iteration of the loops taken as a full box
    (outer first, row-major), for ``index_values``. None when a loop's bounds are not constant;
    GridTooLarge beyond ``limit`` iterations."""
    ranges = [loop_range(lp) for lp in loops]
    if any(r is None for r in ranges):
        return None
    points = grid(ranges, limit)
    return {id(lp.var): points[:, k] for k, lp in enumerate(loops)}
