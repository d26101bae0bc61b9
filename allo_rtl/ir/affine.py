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


def affine_of(e: ir.Expr, bound: dict | None = None) -> Affine | None:
    """The affine form of an integer expression, or None (not affine, or not an integer).

    Understands constants, scalars, casts (index values stay in range, so a cast does not
    wrap them), unary minus, ``+ - *`` (one side constant), ``<<`` by a constant, and ``x >> s``
    / ``x & (2**s - 1)`` when every scalar coefficient of x is a multiple of 2**s (a bank-local
    index of a cyclic partition after unrolling: ``j = 4t + c``), which are then exact.
    ``bound``: id(Scalar) -> form (or None: not affine) of scalars assigned earlier in the same
    straight-line code, substituted for their references.
    """
    if not _integral(e.type):
        return None
    if isinstance(e, ir.Const):
        return Affine((), int(e.type.to_python(e.value)))
    if isinstance(e, ir.Ref):
        if bound is not None and id(e.var) in bound:
            return bound[id(e.var)]
        return Affine.of(e.var)
    if isinstance(e, ir.Cast):
        return affine_of(e.operand, bound)
    if isinstance(e, ir.Unary) and e.op == "-":
        a = affine_of(e.operand, bound)
        return None if a is None else a.scaled(-1)
    if not isinstance(e, ir.BinOp) or e.op not in ("+", "-", "*", "<<", ">>", "&"):
        return None
    a, b = affine_of(e.lhs, bound), affine_of(e.rhs, bound)
    if a is None or b is None:
        return None
    if e.op in ("+", "-"):
        return a.plus(b, 1 if e.op == "+" else -1)
    if e.op == "*":
        return b.scaled(a.const) if a.is_constant else a.scaled(b.const) if b.is_constant \
            else None
    if not b.is_constant:
        return None
    if e.op == "<<":
        return a.scaled(1 << b.const) if 0 <= b.const < 64 else None
    return _shift_or_mask(a, e.op, b.const)


def _shift_or_mask(a: Affine, op: str, k: int) -> Affine | None:
    """``a >> k`` or ``a & k`` when exact: the scalar part of ``a`` is a multiple of the unit
    2**s, so it passes through the shift whole and the mask keeps only the constant's bits."""
    amount = k if op == ">>" else (k + 1).bit_length() - 1
    if amount < 0 or amount >= 64 or (op == "&" and k != (1 << amount) - 1):
        return None
    unit = 1 << amount
    if any(c % unit for _, c in a.terms):
        return None
    if op == "&":
        return Affine((), a.const % unit)
    return Affine(tuple((v, c // unit) for v, c in a.terms), a.const // unit)


def flat_address(indices: list, strides: list, bound: dict | None = None) -> Affine | None:
    """The form of the row-major element number ``sum(index * stride)``, or None."""
    out = Affine()
    for i, stride in zip(indices, strides):
        form = affine_of(i, bound)
        if form is None:
            return None
        out = out.plus(form, stride)
    return out


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
        eqs.append((lhs, fx.const - fy.const))
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


def _bounded_feasible(eqs: list, nest: Nest, ranges: dict) -> bool:
    """Banerjee's and the GCD test: each equation's right side lies between the extremes of
    its left side over the distance ranges, and is a multiple of the gcd of the coefficients
    of the distances not fixed by their range."""
    for lhs, rhs in eqs:
        lo, hi = lhs.interval(ranges)
        if not lo <= rhs <= hi:
            return False
        g, rest = 0, rhs
        for v, c in lhs.terms:
            vlo, vhi = ranges[id(v)]
            if vlo is not None and vlo == vhi:
                rest -= c * vlo
            else:
                g = gcd(g, c)
        if rest % g if g else rest:
            return False
    return True


def _sign(values) -> int:
    for c in values:
        if c:
            return 1 if c > 0 else -1
    return 0


def _bounded(eqs: list, nest: Nest, d: dict):
    """(patterns, forward, backward) from bounds alone: every sign pattern Banerjee/GCD cannot
    rule out; flattened distances exact when every level is forced, else 1 (unknown)."""
    bound = [None if t is None else t - 1 for t in nest.trips]
    choices = [[_sign([d[k]])] if k in d else [0] if bound[k] == 0 else [-1, 0, 1]
               for k in range(len(bound))]
    patterns = []
    for signs in itertools.product(*choices):
        if not any(signs):
            continue            # the same iteration: program order inside it is kept
        ranges = {id(lp.var): (d[k], d[k]) if k in d else (0, 0) if sg == 0 else
                  (1, bound[k]) if sg > 0 else (None if bound[k] is None else -bound[k], -1)
                  for k, (lp, sg) in enumerate(zip(nest.loops, signs))}
        if _bounded_feasible(eqs, nest, ranges):
            patterns.append(signs)
    forward = backward = None
    if len(d) == len(bound) and patterns and None not in nest.weights:
        flat = sum(d[k] * w for k, w in enumerate(nest.weights))
        forward, backward = (flat, None) if flat > 0 else (None, -flat)
    else:
        forward = 1 if any(_sign(p) > 0 for p in patterns) else None
        backward = 1 if any(_sign(p) < 0 for p in patterns) else None
    return patterns, forward, backward


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
