"""Loop-carried memory dependences of a pipelined loop nest, from affine addresses.

An address op is *affine* when it is a sum of constants, loop indices of the nest times
constants, and loop-invariant scalars. Two accesses to one buffer then touch the same word in
iterations ``t`` and ``t + delta`` exactly when ``a . delta = c_x - c_y`` (same coefficients
``a``; ``c`` the constant parts). The smallest *flattened* distance over all such ``delta``
(iterations of the whole nest in issue order) is what the modulo scheduler needs: a store must
be visible before the load ``d`` iterations later. Anything not provably affine gets the
conservative distance 1 ("may depend on the next iteration").
"""
from __future__ import annotations

from math import prod

import numpy as np

from .cdfg import Op

MAX_ENUMERATION = 250_000      # distance vectors tried before falling back to "distance 1"


class Nest:
    """The loops of a pipelined nest, outer first: index variables, lower bounds, steps and
    trip counts (all constant)."""

    def __init__(self, loops: list, los: list, trips: list):
        """``los``/``trips`` entries may be None for a single loop with run-time bounds."""
        self.vars = {id(loop.var): k for k, loop in enumerate(loops)}
        self.los = los
        self.steps = [loop.step for loop in loops]
        self.trips = trips
        # iterations of the whole nest between consecutive values of loop k
        self.weights = [prod(trips[k + 1:]) for k in range(len(trips) - 1)] + [1]
        self._deltas = False

    def deltas(self):
        """Every difference of two iteration vectors of the nest (rows), or None if too many."""
        if self._deltas is False:
            sizes = [2 * t - 1 for t in self.trips]
            if prod(sizes) > MAX_ENUMERATION:
                self._deltas = None
            else:
                grid = np.indices(sizes).reshape(len(sizes), -1).T
                self._deltas = grid - (np.array(self.trips) - 1)
        return self._deltas


def affine(op: Op, nest: Nest, carried: set):
    """{key: coefficient} with keys None (constant), ("t", k) (the k-th loop's trip number)
    and ("sym", id) (a loop-invariant scalar); None when the value is not affine."""
    k = op.opcode
    if op.info.is_const:
        return {None: int(op.value)}
    if op.info.reads_var:
        v = op.var
        if id(v) in nest.vars:             # index = lo + step * t
            j = nest.vars[id(v)]
            lo = {None: nest.los[j]} if nest.los[j] is not None else {("lo", j): 1}
            return {**lo, ("t", j): nest.steps[j]}
        return None if id(v) in carried else {("sym", id(v)): 1}
    if k == "cast":
        return affine(op.operands[0], nest, carried)
    if k == "addr":
        parts = [affine(o, nest, carried) for o in op.operands]
        if any(p is None for p in parts):
            return None
        out: dict = {}
        for p, stride in zip(parts, op.strides):
            _add(out, p, stride)
        return out
    if k in ("shr", "band"):
        return _shift_or_mask(op, nest, carried)
    if k in ("add", "sub", "mul", "shl"):
        a, b = (affine(o, nest, carried) for o in op.operands)
        if a is None or b is None:
            return None
        o = op.info.symbol
        out: dict = {}
        if o in ("+", "-"):
            _add(out, a, 1)
            _add(out, b, 1 if o == "+" else -1)
            return out
        if o == "<<" and set(b) == {None}:
            _add(out, a, 1 << b[None])
            return out
        if o == "*" and set(b) <= {None}:
            _add(out, a, b.get(None, 0))
            return out
        if o == "*" and set(a) <= {None}:
            _add(out, b, a.get(None, 0))
            return out
    return None


def _shift_or_mask(op: Op, nest: Nest, carried: set):
    """``x >> s`` and ``x & (2**s - 1)`` stay affine when every variable part of x is a
    multiple of 2**s (a bank-local index of a cyclic partition after unrolling: j = 4t)."""
    a, b = (affine(o, nest, carried) for o in op.operands)
    if a is None or b is None or set(b) != {None}:
        return None
    amount = b[None] if op.info.symbol == ">>" else (b[None] + 1).bit_length() - 1
    if amount < 0 or (op.info.symbol == "&" and b[None] != (1 << amount) - 1):
        return None
    unit = 1 << amount
    if any(c % unit for key, c in a.items() if key is not None):
        return None
    const = a.get(None, 0)
    if op.info.symbol == "&":
        return {None: const % unit}
    out = {key: c // unit for key, c in a.items() if key is not None}
    out[None] = const // unit
    return out


def _add(out: dict, form: dict, scale: int):
    for key, c in form.items():
        out[key] = out.get(key, 0) + c * scale
        if out[key] == 0 and key is not None:
            del out[key]


def min_distance(x_addr: dict | None, y_addr: dict | None, nest: Nest) -> int | None:
    """Smallest flattened distance d >= 1 such that access x in iteration n and access y in
    iteration n + d touch the same word; None when they never do. Unknown -> 1."""
    if x_addr is None or y_addr is None:
        return 1
    if {k: v for k, v in x_addr.items() if k is not None} != \
       {k: v for k, v in y_addr.items() if k is not None}:
        return 1                       # different coefficients: not analysed, be safe
    diff = x_addr.get(None, 0) - y_addr.get(None, 0)
    coef = [x_addr.get(("t", k), 0) for k in range(len(nest.trips))]
    if len(coef) == 1:                 # one loop: a * delta = diff, solved directly
        if coef[0] == 0:
            return 1 if diff == 0 and nest.trips[0] != 1 else None
        delta, rest = divmod(diff, coef[0])
        ok = rest == 0 and delta > 0 and (nest.trips[0] is None or delta < nest.trips[0])
        return delta if ok else None
    deltas = nest.deltas()
    if deltas is None:
        return 1
    hit = deltas @ np.array(coef, dtype=np.int64) == diff
    d = deltas[hit] @ np.array(nest.weights, dtype=np.int64)
    d = d[d > 0]
    return int(d.min()) if d.size else None
