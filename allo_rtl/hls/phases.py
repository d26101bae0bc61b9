"""Phase predicates in a pipelined nest: accesses that run in one iteration out of every K.

A memory access predicated on ``k == c`` -- k the innermost loop of the pipelined nest, with
constant bounds and K trips -- runs only in the iterations where k has that value. In issue
order those are the iterations n with n = r (mod K), r = (c - lo) / step: the access has the
*phase* (K, r). Register promotion (``promote.py``) creates such pairs: the promoted element's
load under ``k == first`` and its store under ``k == last``.

Two phased accesses a and b of one iteration, b ``gap`` positions after a, start in the same
cycle exactly when a of iteration n and b of iteration m meet: ``n * II = m * II + gap`` with
n = r_a and m = r_b (mod K), i.e. when ``gap`` is a multiple of II and ``gap / II = r_a - r_b
(mod K)``. Between those gaps they never meet, so they can share a port of capacity one --
the modulo scheduler keeps their gap inside such a window and the checker verifies it. Two
phased accesses also touch a word only in iterations whose innermost index differs by
``r_b - r_a``, which the distance calculation uses (``deps.access_distance``).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    trips: int        # K: trips of the innermost loop
    residue: int      # r: the access runs in issue-order iterations n = r (mod K)
    level: int        # the loop (nest level) whose index the predicate tests


def phase_of(op, index_ops: dict, nest) -> Phase | None:
    """The phase of a predicated memory access, or None (runs every iteration, or its
    predicate is not ``innermost index == constant``)."""
    info = op.info
    if not info.is_memory or len(op.operands) <= info.memory_operands:
        return None
    pred = op.operands[-1]
    if not pred.info.is_equality:
        return None
    a, b = pred.operands
    idx, c = (a, b) if b.info.is_const else (b, a)
    level = index_ops.get(idx)
    inner = len(nest.trips) - 1
    if level != inner or not c.info.is_const:
        return None
    trips, loop = nest.trips[inner], nest.loops[inner]
    lo = getattr(loop.lo, "value", None)
    if trips is None or trips < 2 or lo is None:
        return None
    r, rem = divmod(int(c.value) - int(lo), loop.step)     # index constants are >= 0 here
    if rem or not 0 <= r < trips:
        return None
    return Phase(trips, r, inner)


def collide(a: Phase, b: Phase, ii: int, gap: int) -> bool:
    """Do a (at some position) and b (``gap`` positions later) ever start in one cycle?"""
    if gap % ii:
        return False
    return (gap // ii - (a.residue - b.residue)) % a.trips == 0


def gap_window(a: Phase, b: Phase, ii: int, late: bool = False) -> tuple:
    """(lo, hi): gaps b - a in [lo, hi] never collide. The colliding gaps are II * (rho + q K):
    the window before the first of them (when it holds a gap of 2 and ``late`` is not asked
    for), else the window after it -- the one a long chain between a and b (a load feeding a
    float add feeding the store) needs."""
    rho = (a.residue - b.residue) % a.trips or a.trips
    if not late and ii * rho - 1 >= 2:
        return 1, ii * rho - 1
    return ii * rho + 1, ii * (rho + a.trips) - 1


def exclusive_pair(group: list, index_ops: dict, nest):
    """(a, Phase a, b, Phase b) when a port's accesses are exactly two phased ones of
    different residues on one level, in program order; else None."""
    if len(group) != 2:
        return None
    pa, pb = (phase_of(op, index_ops, nest) for op in group)
    if pa is None or pb is None or pa.residue == pb.residue or pa.level != pb.level:
        return None
    return group[0], pa, group[1], pb
