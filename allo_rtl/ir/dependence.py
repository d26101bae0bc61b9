"""The dependence-distance engine: at which iteration distances two accesses of one buffer
may touch one element, over the levels of a loop nest.

One engine serves schedule legality (distance vectors, sign patterns: may a reorder or a
parallel loop reverse a dependence) and the modulo scheduler (the smallest flattened distance:
how many iterations later a load may see a store), so the two never disagree about a loop.

Subscripts are ``Affine`` forms (``ir/affine.py``). When the nest's box of distance vectors has
at most ENUMERATION_LIMIT points, every vector is checked against the subscript equations:
exact. Beyond that (or with run-time trip counts), Banerjee bounds are propagated over each
sign pattern of the distances and the GCD test applied: never misses a dependence, may report
one that is not there. Subscripts whose two sides scale a scalar differently, or use a scalar
whose value differs between iterations in unknown ways, give no equation (may meet anywhere).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from math import gcd, prod

import numpy as np

from . import nodes as ir
from .affine import Affine, GridTooLarge, grid, is_integer, loop_range

ANY = "*"                      # a distance the subscripts do not force
INF = float("inf")             # the open end of a run-time trip count's distance range
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
                    pass            # too many to enumerate: the bounds decide
        return self._deltas


@dataclass(frozen=True)
class Distance:
    """Where accesses x (iteration s) and y (iteration s + delta) may touch one element, delta
    over the nest's levels, delta != 0.

    ``vector``: per level the distance the subscripts force, or ANY. ``patterns``: the sign
    vectors of delta that may occur. ``exact``: every subscript gave an equation with at most
    one unknown distance. ``forward``/``backward``: the smallest flattened distance with y after
    x / x after y (when not enumerated, a lower bound, at least 1); None when that order never
    happens."""

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
        if any(not is_integer(c) for _, c in lhs.terms):
            exact = False       # a rational form not on this nest's lattice: no equation
            continue
        # both sides are integers on the lattice: a fractional gap is never closed (0 == 1)
        eqs.append((Affine(tuple((v, int(c)) for v, c in lhs.terms)), int(rhs))
                   if is_integer(rhs) else (Affine(), 1))
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
                # c * v = rhs - rest, so v lies in [rhs - rest_hi, rhs - rest_lo] / c
                lo, hi = (rhs - rest_hi, rhs - rest_lo) if c > 0 else \
                    (rest_lo - rhs, rest_hi - rhs)
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
