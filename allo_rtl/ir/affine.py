"""Index analysis shared by every stage: affine forms of index expressions, bounded enumeration
of loop grids, and the dependence-distance engine.

Schedule legality (``schedule/legality.py``), banking (``hls/banking.py``), ``reuse_at`` and
``compute_at`` and the modulo scheduler (``hls/deps.py``, through the form each CDFG address op
carries) all ask these questions here, so they cannot disagree about one loop.

* ``Affine``: ``sum(c * v) + const`` over IR scalars (loop indices, invariant parameters).
* ``affine_of``: the form of an integer IR expression, or None when it is not affine.
* ``grid`` / ``loop_grid``: every point of a box of ranges, refused beyond a size limit.
* ``Nest`` + ``dependence``: which iteration distances two accesses can meet at, exact by
  enumeration when the nest's difference box is small, Banerjee and GCD bounds otherwise.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from math import gcd, prod

import numpy as np

from . import nodes as ir

INF = float("inf")


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

    def coef(self, var) -> int:
        return next((c for v, c in self.terms if v is var), 0)

    @property
    def vars(self) -> list:
        return [v for v, _ in self.terms]

    @property
    def is_constant(self) -> bool:
        return not self.terms

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
        inclusive; None for an unbounded end): the extremes of each term are at the ends of its
        range. Infinite ends are ``-INF``/``INF``. Every scalar of the form must have a range."""
        lo = hi = self.const
        for v, c in self.terms:
            vlo, vhi = ranges[id(v)]
            ends = [-c * INF if vlo is None else c * vlo, c * INF if vhi is None else c * vhi]
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
    if not b.is_constant or not _whole(b.const):
        return None
    if e.op == "<<":
        return a.scaled(1 << int(b.const)) if 0 <= b.const < 64 else None
    return _shift_or_mask(a, e.op, int(b.const), lattice or {})


def _whole(x) -> bool:
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
    if not _whole(base) or any(not _whole(c) or c % unit for c in per_trip):
        return None
    if op == "&":
        return Affine((), int(base) % unit)
    # t = (v - lo) / step, so (c * step / unit) * t is (c / unit) * (v - lo)
    terms = tuple((v, Fraction(c) / unit) for v, c in a.terms)
    offset = sum(Fraction(c) / unit * lattice.get(id(v), (0, 1))[0] for v, c in a.terms)
    return Affine(tuple((v, _tidy(c)) for v, c in terms), _tidy(int(base) // unit - offset))


def _tidy(x):
    """A Fraction that is a whole number as an int (forms print and compare plainly)."""
    return int(x) if _whole(x) else x


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


# --- dependence distances ---------------------------------------------------------------
ANY = "*"                      # a distance the subscripts do not force
ENUMERATION_LIMIT = 250_000    # distance vectors enumerated exactly; beyond, Banerjee + GCD


class Nest:
    """The levels of a dependence question, outer first: a perfect chain of loops, or the
    flattened nest of a pipeline. Distances are in iterations (trip numbers) of each level;
    ``weights[k]`` is the number of iterations of the whole nest between consecutive trips of
    level k, so ``delta . weights`` is a flattened (issue-order) distance."""

    def __init__(self, loops: list, trips: list | None = None):
        """``trips``: per loop, None for run-time bounds; by default from constant bounds."""
        if trips is None:
            trips = [None if loop_range(lp) is None else len(loop_range(lp)) for lp in loops]
        self.loops = list(loops)
        self.vars = {id(lp.var): k for k, lp in enumerate(loops)}
        self.steps = [lp.step for lp in loops]
        self.trips = list(trips)
        self.weights = [prod(trips[k + 1:]) if None not in trips[k + 1:] else None
                        for k in range(len(trips))]
        self._deltas = False

    @property
    def lattice(self) -> dict:
        """id(index) -> (lo, step) of the levels with a constant lower bound, for
        ``affine_of``."""
        return {id(lp.var): (int(lp.lo.value), lp.step) for lp in self.loops
                if isinstance(lp.lo, ir.Const)}

    def deltas(self) -> np.ndarray | None:
        """Every difference of two iteration vectors of the nest (rows), or None when a trip
        count is unknown or there are more than ENUMERATION_LIMIT."""
        if self._deltas is False:
            self._deltas = None
            if None not in self.trips:
                try:
                    self._deltas = grid([range(1 - t, t) for t in self.trips], ENUMERATION_LIMIT)
                except GridTooLarge:
                    pass
        return self._deltas


@dataclass(frozen=True)
class Distance:
    """Where accesses x (iteration s) and y (iteration s + delta) may touch one element, delta
    over the nest's levels, delta != 0.

    ``vector``: per level the distance the subscripts force, or ANY. ``patterns``: the sign
    vectors of delta that may occur. ``exact``: every subscript gave an equation with at most
    one unknown distance. ``forward``/``backward``: the smallest flattened distance with y after
    x / x after y; None when that order never happens; 1 when it is not known."""

    vector: tuple
    patterns: tuple
    exact: bool
    forward: int | None
    backward: int | None


def _equations(x: list, y: list, nest: Nest, free: set):
    """Subscript equalities ``sum(a_k * delta_k) == rhs`` as (Affine over the level scalars,
    rhs), and whether every subscript gave one. A subscript gives none when a side is not
    affine, uses a scalar in ``free`` (its value differs between the iterations in unknown ways)
    or the two sides scale a scalar differently (A[i] against A[2*i])."""
    eqs, exact = [], True
    for fx, fy in zip(x, y):
        if fx is None or fy is None or not fx.same_terms(fy) or \
                any(id(v) in free for v in fx.vars):
            exact = False
            continue
        # the same invariant terms cancel; an index i = lo + step * t contributes c * step * delta
        lhs = Affine(tuple((v, c * nest.steps[nest.vars[id(v)]]) for v, c in fx.terms
                           if id(v) in nest.vars))
        rhs = fx.const - fy.const
        if any(not _whole(c) for _, c in lhs.terms):
            exact = False       # a rational form not on this nest's lattice: no equation
            continue
        # both sides are integers on the lattice: a fractional gap is never closed (0 == 1)
        eqs.append((Affine(tuple((v, int(c)) for v, c in lhs.terms)), rhs) if _whole(rhs)
                   else (Affine(), 1))
    return eqs, exact


def _forced(eqs: list, nest: Nest) -> dict | None:
    """Level -> distance for the levels equations with one unknown left force (propagated);
    None when some equation has no integer solution."""
    d, changed = {}, True
    while changed:
        changed = False
        for lhs, rhs in eqs:
            rest = rhs - sum(c * d[nest.vars[id(v)]] for v, c in lhs.terms
                             if nest.vars[id(v)] in d)
            unknown = [(v, c) for v, c in lhs.terms if nest.vars[id(v)] not in d]
            if not unknown and rest:
                return None
            if len(unknown) == 1:
                (v, c), = unknown
                if rest % c:
                    return None
                d[nest.vars[id(v)]] = rest // c
                changed = True
    return d


TIGHTEN_ROUNDS = 20           # bound propagation passes (each only narrows; stopping is safe)


def _ceil_div(a, c: int):
    return a if a in (INF, -INF) else -(-a // c)


def _floor_div(a, c: int):
    return a if a in (INF, -INF) else a // c


def _tighten(eqs: list, box: dict) -> dict | None:
    """Narrow each distance range ``box`` (id(level var) -> [lo, hi], infinite ends allowed)
    to the values with which every equation can still hold given the other ranges (Banerjee's
    bounds, propagated to a fixed point), then apply the GCD test; None when no integer
    solution is left. Sound: a value is removed only when no equation can hold with it."""
    box = {k: list(v) for k, v in box.items()}
    if any(lo > hi for lo, hi in box.values()):
        return None             # a loop that never runs
    for _ in range(TIGHTEN_ROUNDS):
        changed = False
        for lhs, rhs in eqs:
            for v, c in lhs.terms:
                others = [(c2, box[id(u)]) for u, c2 in lhs.terms if u is not v]
                rest_lo = sum(min(c2 * lo, c2 * hi) for c2, (lo, hi) in others)
                rest_hi = sum(max(c2 * lo, c2 * hi) for c2, (lo, hi) in others)
                lo, hi = (rhs - rest_hi, rhs - rest_lo) if c > 0 else (rest_lo - rhs, rest_hi - rhs)
                lo, hi = _ceil_div(lo, abs(c)), _floor_div(hi, abs(c))
                rng = box[id(v)]
                if lo > rng[0] or hi < rng[1]:
                    rng[0], rng[1], changed = max(rng[0], lo), min(rng[1], hi), True
                if rng[0] > rng[1]:
                    return None
        if not changed:
            break
    for lhs, rhs in eqs:
        g, rest = 0, rhs
        for v, c in lhs.terms:
            lo, hi = box[id(v)]
            if lo == hi:
                rest -= c * lo
            else:
                g = gcd(g, c)
        if rest % g if g else rest:
            return None
    return box


def _sign(values) -> int:
    for c in values:
        if c:
            return 1 if c > 0 else -1
    return 0


def _bounded(eqs: list, nest: Nest, d: dict):
    """(patterns, forward, backward) from bounds alone: every sign pattern whose distance box
    survives ``_tighten``; a flattened distance is the smallest the surviving boxes allow (at
    least 1), exact when the box is one point."""
    bound = [INF if t is None else t - 1 for t in nest.trips]
    choices = [[_sign([d[k]])] if k in d else [0] if bound[k] == 0 else [-1, 0, 1]
               for k in range(len(bound))]
    known = None not in nest.weights
    patterns, ahead, behind = [], [], []
    for signs in itertools.product(*choices):
        if not any(signs):
            continue            # the same iteration: program order inside it is kept
        box = {id(lp.var): (d[k], d[k]) if k in d else (0, 0) if sg == 0 else
               (1, bound[k]) if sg > 0 else (-bound[k], -1)
               for k, (lp, sg) in enumerate(zip(nest.loops, signs))}
        box = _tighten(eqs, box)
        if box is None:
            continue
        patterns.append(signs)
        ranges = [box[id(lp.var)] for lp in nest.loops]
        flat_lo = sum(w * r[0] for w, r in zip(nest.weights, ranges)) if known else -INF
        flat_hi = sum(w * r[1] for w, r in zip(nest.weights, ranges)) if known else INF
        (ahead if _sign(signs) > 0 else behind).append(
            max(1, flat_lo) if _sign(signs) > 0 else max(1, -flat_hi))
    return patterns, min(ahead, default=None), min(behind, default=None)


def _enumerated(eqs: list, nest: Nest, deltas: np.ndarray):
    """(patterns, forward, backward) exactly, over every distance vector of the nest."""
    hit = np.ones(len(deltas), dtype=bool)
    for lhs, rhs in eqs:
        coef = np.zeros(len(nest.trips), dtype=np.int64)
        for v, c in lhs.terms:
            coef[nest.vars[id(v)]] = c
        hit &= deltas @ coef == rhs
    hit &= deltas.any(axis=1)
    found = deltas[hit]
    flat = found @ np.array(nest.weights, dtype=np.int64)
    patterns = sorted({tuple(int(s) for s in row) for row in np.sign(found)})
    ahead, behind = flat[flat > 0], -flat[flat < 0]
    return (patterns, int(ahead.min()) if ahead.size else None,
            int(behind.min()) if behind.size else None)


def dependence(x: list | None, y: list | None, nest: Nest, free: set = frozenset()):
    """The Distance at which access x (subscripts: a list of Affine or None; None for the whole
    buffer) and access y may touch one element in different iterations of ``nest``, or None
    when they never do. ``free``: ids of scalars whose values differ between iterations in
    unknown ways (inner loop indices, scalars assigned in the body); any other scalar not a
    level is the same in both.

    Exact (every pair of iterations checked against the subscript equations) when the nest's
    difference box has at most ENUMERATION_LIMIT points; otherwise Banerjee bounds per sign
    pattern and the GCD test, which may report a dependence that is not there but never miss
    one. Subscripts that give no equation are conservatively taken to meet anywhere.
    """
    eqs, exact = ([], False) if x is None or y is None else _equations(x, y, nest, free)
    d = _forced(eqs, nest)
    if d is None:
        return None
    if any(len([v for v in lhs.vars if nest.vars[id(v)] not in d]) > 1 for lhs, _ in eqs):
        exact = False
    if any(t is not None and abs(d[k]) >= t for k, t in enumerate(nest.trips) if k in d):
        return None             # further apart than the loop runs
    deltas = nest.deltas()
    patterns, forward, backward = _bounded(eqs, nest, d) if deltas is None else \
        _enumerated(eqs, nest, deltas)
    if not patterns:
        return None
    vector = tuple(d.get(k, ANY) for k in range(len(nest.trips)))
    return Distance(vector, tuple(patterns), exact, forward, backward)
