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
    predicate does not confine it to one value of the innermost index)."""
    info = op.info
    if not info.is_memory or len(op.operands) <= info.memory_operands:
        return None
    inner = _innermost(nest)
    if inner is None:
        return None
    return _single(residues(op.operands[-1], index_ops, nest, inner), inner, nest)


def dependence_phases(ops, index_ops: dict, nest) -> dict:
    """Memory op -> the Phase in which its effect counts, for the dependence distances: a
    predicated access's ``phase_of``, and an unpredicated load whose value is only used
    through selects confining it to one value of the innermost index -- a run-time bank's
    read (``banking.py``: every bank is read, a chain of selects keeps one); what such a load
    reads in the other iterations is never used, so a store to its bank need not come first."""
    inner = _innermost(nest)
    if inner is None:
        return {}
    users = {}
    for op in ops:
        for o in op.operands:
            users.setdefault(id(o), []).append(op)
    memo = {}

    def used_in(v):                 # residues in which v's value may matter (None: all)
        if id(v) in memo:
            return memo[id(v)]
        memo[id(v)] = None          # a cycle (none in a block) counts as "all"
        out = frozenset()
        for u in users.get(id(v), []):
            c, if_true, if_false = u.operands if u.opcode == "select" else (v, None, None)
            if c is not v and (if_true is v) != (if_false is v):    # v in one arm only
                cond = (residues if if_true is v else _complement)(c, index_ops, nest, inner)
                within = used_in(u)
                part = within if cond is None else cond if within is None else cond & within
            else:
                part = None
            if part is None:
                out = None
                break
            out |= part
        memo[id(v)] = out
        return out

    out = {}
    for op in ops:
        if not op.info.is_memory:
            continue
        phase = phase_of(op, index_ops, nest)
        if phase is None and op.info.is_load and len(op.operands) <= op.info.memory_operands:
            phase = _single(used_in(op), inner, nest)
        if phase is not None:
            out[op] = phase
    return out


def residues(pred, index_ops: dict, nest, inner: int):
    """The residues r (issue-order iteration n = r mod K) in which ``pred`` may hold, or None
    (any): ``k == c`` on the innermost index k, ``not (k == c)``, and conjunctions and
    disjunctions of them (a run-time bank's store chain is predicated
    ``not (k == 0) and k == 1``, ...)."""
    if pred.opcode == "land":
        a, b = (residues(o, index_ops, nest, inner) for o in pred.operands)
        return b if a is None else a if b is None else a & b
    if pred.opcode == "lor":
        a, b = (residues(o, index_ops, nest, inner) for o in pred.operands)
        return None if a is None or b is None else a | b
    if pred.opcode == "lnot":
        return _complement(pred.operands[0], index_ops, nest, inner)
    r = _equality_residue(pred, index_ops, nest, inner)
    return None if r is None else frozenset(() if r < 0 else (r,))


def _complement(pred, index_ops, nest, inner):
    """The residues in which ``pred`` is false, when ``pred`` is exactly ``k == c``."""
    r = _equality_residue(pred, index_ops, nest, inner)
    if r is None:
        return None
    return frozenset(range(nest.trips[inner])) - {r}


def _equality_residue(pred, index_ops, nest, inner):
    """r when ``pred`` is ``innermost index == constant`` (-1: a value k never takes), else
    None."""
    if not pred.info.is_equality:
        return None
    a, b = pred.operands
    idx, c = (a, b) if b.info.is_const else (b, a)
    if index_ops.get(idx) != inner or not c.info.is_const:
        return None
    loop = nest.loops[inner]
    r, rem = divmod(int(c.value) - int(loop.lo.value), loop.step)  # index constants >= 0
    return r if not rem and 0 <= r < nest.trips[inner] else -1


def _innermost(nest):
    """The innermost level when its trips and start are constants (K >= 2), else None."""
    inner = len(nest.trips) - 1
    trips, loop = nest.trips[inner], nest.loops[inner]
    if trips is None or trips < 2 or getattr(loop.lo, "value", None) is None:
        return None
    return inner


def _single(rs, inner, nest):
    return Phase(nest.trips[inner], next(iter(rs)), inner) if rs is not None and \
        len(rs) == 1 else None


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
    """(a, Phase a, b, Phase b) when a port's accesses are exactly two phased ones on one
    level, in program order; else None. Different residues: a promoted load and store
    (``promote.py``); one residue: a run-time bank's load and store of one iteration
    (``C[i, j] *= beta`` with C split along j), which meet again only K iterations on."""
    if len(group) != 2:
        return None
    pa, pb = (phase_of(op, index_ops, nest) for op in group)
    if pa is None or pb is None or pa.level != pb.level:
        return None
    return group[0], pa, group[1], pb
