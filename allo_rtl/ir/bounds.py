"""Compile-time array bounds: an access that certainly leaves its array is refused at its line.

Hardware has no bounds check (an address past the end wraps onto another element), so an
index provably outside ``0..extent-1`` must not reach it. Certainty is what this pass needs,
not a guess: it looks only at accesses whose enclosing statements are all loops with constant,
non-empty bounds (no ``if``, no ``while`` around them, so every iteration of the rectangular
nest really runs) and whose index is affine in those loops' indices. The extremes of such an
index over the nest are then reached, and an extreme outside the array is a real out-of-bounds
read or write. Anything else (guarded, triangular, data-dependent) is left to the reference
interpreter's run-time check.
"""
from __future__ import annotations

from ..errors import AlloError
from . import nodes as ir
from .affine import affine_of, loop_range


def check_static_bounds(module: ir.Module) -> None:
    for f in module.functions.values():
        _body(f.body, {})


def _body(stmts: list, ranges: dict):
    for s in stmts:
        if isinstance(s, ir.For):
            r = loop_range(s)
            if r is None or len(r) == 0:
                continue            # run-time bounds or never runs: not certain
            _exprs([s.lo, s.hi], ranges)
            _body(s.body, {**ranges, id(s.var): (min(r), max(r))})
        elif isinstance(s, ir.Store):
            _access(s.buf, s.indices, s.loc, ranges, "writes")
            _exprs([*s.indices, s.value], ranges)
        elif isinstance(s, ir.Assign):
            _exprs([s.value], ranges)
        elif isinstance(s, ir.Call):
            _exprs([a for a in s.args if isinstance(a, ir.Expr)], ranges)
        # If / While bodies may not run in every iteration: not checked here


def _exprs(exprs, ranges):
    for e in exprs:
        if isinstance(e, ir.Select):     # an arm may be the one not taken: only the condition
            _exprs([e.cond], ranges)
            continue
        if isinstance(e, ir.Load):
            _access(e.buf, e.indices, e.loc, ranges, "reads")
        _exprs(ir.child_exprs(e), ranges)


def _access(buf, indices, loc, ranges, verb: str):
    for dim, (index, extent) in enumerate(zip(indices, buf.shape)):
        form = affine_of(index)
        if form is None or not form.is_integral or any(id(v) not in ranges for v in form.vars):
            continue
        lo, hi = form.interval(ranges)
        if lo < 0 or hi > extent - 1:
            bad = hi if hi > extent - 1 else lo
            raise AlloError(f"this {verb} {buf.name} out of bounds: index {bad} along dimension "
                            f"{dim + 1} (valid 0..{extent - 1}) in some iteration", loc,
                            hint="hardware has no bounds check; fix the index or the loop range")
