"""spread-units: move shared operations of a solved SDC block within their slack, so that
fewer operations of one unit class start in one cycle (the binder gives a class as many units
as its busiest cycle starts: ``bind.bind_units``).

Why a pass after the LP: the SDC objective (latency, then register bits) does not see unit
sharing, and a block often has many optimal vertices that differ only in where a product
sits. Which one HiGHS returns depends on how the rows are written, so without a tie-break the
multiplier count of a block could change with a harmless change of the constraint system (it
did: pruning implied rows put two products in one cycle). This pass makes the choice
deterministic: among the schedules reachable by moving one op at a time, it walks to one where
each class's starts are spread.

Assumes: ``x`` satisfies every row of ``prob`` (each row a sum of +-1 coefficients times start
variables, ``>= rhs``; the rows the LP left out as implied are implied by these).
Guarantees: every move keeps every row (so ``x`` stays a schedule the LP could have returned
and the implied rows hold too), keeps the last cycle ``L``, never raises the LP's register
cost (the tie-break only chooses among equally good schedules), and lowers the sum of squares
of one class's per-cycle counts, so no cycle's count ever grows past the largest one before
and the walk ends. Refuses nothing.
"""
from __future__ import annotations

import math
from collections import defaultdict

from .bind import cycle_shared_key


class _Rows:
    """The rows each variable appears in, to find the cycles it may move to."""

    def __init__(self, prob):
        self.prob = prob
        self.of = defaultdict(list)
        for r, row in enumerate(prob.rows):
            for k in row:
                self.of[k].append(r)

    def window(self, k, x, L):
        """The cycles variable ``k`` may take with every other variable where it is."""
        lo, hi = 0, int(x[L])
        for r in self.of[k]:
            row = self.prob.rows[r]
            rest = sum(c * x[j] for j, c in row.items() if j != k)
            bound = (self.prob.rhs[r] - rest) / row[k]
            if row[k] > 0:
                lo = max(lo, math.ceil(bound - 1e-9))
            else:
                hi = min(hi, math.floor(bound + 1e-9))
        return lo, hi


class _RegisterCost:
    """The LP's second objective, per value: bits x cycles between its ready cycle and its
    last use (``sdc.solve``'s lifetime rows), kept current as starts move."""

    def __init__(self, var, consumers, timing):
        self.var = var
        self.uses = {o: [u for u in users if u != var[o]] for o, users in consumers.items()}
        self.lat = {o: timing.of(o).latency for o in consumers}
        self.values_at = defaultdict(list)        # variable -> values whose cost it sets
        for o, users in self.uses.items():
            self.values_at[var[o]].append(o)
            for u in set(users):
                self.values_at[u].append(o)

    def of(self, o, x) -> int:
        users = self.uses[o]
        if not users:
            return 0
        life = max(x[u] for u in users) - x[self.var[o]] - self.lat[o]
        return o.type.hw_bits * max(0, int(life))

    def delta(self, k, t, x) -> int:
        """Change of the cost when variable ``k`` moves to cycle ``t``."""
        touched = self.values_at.get(k, ())
        before = sum(self.of(o, x) for o in touched)
        old, x[k] = x[k], t
        after = sum(self.of(o, x) for o in touched)
        x[k] = old
        return after - before


def spread_units(ops, x, prob, var, L, consumers, timing) -> int:
    """Move ops of ``ops`` in the solution ``x`` (in place); returns how many moves."""
    classes = defaultdict(list)
    for op in ops:
        key = cycle_shared_key(op) if op in var else None
        if key is not None:
            classes[key].append(op)
    classes = {k: g for k, g in classes.items() if len(g) > 1}
    if not classes:
        return 0
    rows, cost = _Rows(prob), _RegisterCost(var, consumers, timing)
    moves = 0
    for group in classes.values():
        moves += _spread_class(group, x, rows, cost, var, L)
    return moves


def _spread_class(group, x, rows, cost, var, L) -> int:
    count = defaultdict(int)
    for op in group:
        count[int(x[var[op]])] += 1
    moves, moved = 0, True
    while moved:
        moved = False
        # the busiest cycles first, program order within one (deterministic)
        for op in sorted(group, key=lambda o: -count[int(x[var[o]])]):
            k = var[op]
            here = int(x[k])
            best = _best_target(k, here, count, x, rows, cost, L)
            if best is None:
                continue
            count[here] -= 1
            count[best] += 1
            x[k] = best
            moves += 1
            moved = True
    return moves


def _best_target(k, here, count, x, rows, cost, L):
    lo, hi = rows.window(k, x, L)
    best, best_key = None, None
    for t in range(lo, hi + 1):
        if t == here or count[t] + 1 >= count[here]:
            continue
        d = cost.delta(k, t, x)
        if d > 0:
            continue
        key = (d, count[t], abs(t - here), t)
        if best_key is None or key < best_key:
            best, best_key = t, key
    return best
