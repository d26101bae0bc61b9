"""Allo's loop primitives as IR transformations of one function: split, reorder, fuse, unroll,
pipeline, parallel. Each checks what it needs (constant bounds, a perfect nest, dependences)
and raises ``AlloScheduleError`` at the loop's source line when it cannot apply."""
from __future__ import annotations

import itertools

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from . import legality
from .rewrite import (
    add,
    clone_body,
    const,
    const_bounds,
    find_loop,
    less,
    mul,
    ref,
    trip_count,
)


def pipeline(f: ir.Function, name: str, ii: int = 1):
    if not isinstance(ii, int) or isinstance(ii, bool) or ii < 1:
        raise AlloScheduleError(f"pipeline({name!r}): initiation_interval must be an integer "
                                f">= 1, not {ii!r}")
    loop, _, _ = find_loop(f, name)
    loop.attrs["pipeline"] = ii


def parallel(f: ir.Function, name: str):
    loop, _, _ = find_loop(f, name)
    legality.check_parallel(f, loop, f"parallel({name!r})")
    loop.attrs["parallel"] = True


def annotate_unroll(f: ir.Function, name: str, factor: int = 0):
    """Allo's ``unroll``: check it could apply, then mark the loop (``attrs["unroll"]``); the
    loop keeps its handle and the build unrolls it (see annotations.py)."""
    loop = check_unroll(f, name, factor)
    loop.attrs["unroll"] = factor


def check_unroll(f: ir.Function, name: str, factor: int) -> ir.For:
    """The loop ``unroll(name, factor)`` would rewrite, or a schedule error saying why not."""
    loop, _, _ = find_loop(f, name)
    if not isinstance(factor, int) or isinstance(factor, bool) or factor < 0:
        raise AlloScheduleError(f"unroll({name!r}): factor must be an integer >= 0 "
                                f"(0 = fully), not {factor!r}", loop.loc)
    trips = trip_count(loop)
    if factor == 0 or (trips is not None and factor >= trips):
        const_bounds(loop, f"unroll({name!r}) fully")
    elif trips is None:
        check_stable_bounds(loop, f"unroll({name!r}, {factor})")
    return loop


def unroll(f: ir.Function, name: str, factor: int = 0):
    """Full unroll (factor 0): the body repeated once per iteration with the index replaced by
    its value. Partial: the loop advances ``factor`` iterations at a time and its body holds
    ``factor`` copies (copies past the end are guarded when the factor does not divide)."""
    check_unroll(f, name, factor)
    loop, body, k = find_loop(f, name)
    trips = trip_count(loop)
    if factor == 0 or (trips is not None and factor >= trips):
        lo, _, trips = const_bounds(loop, f"unroll({name!r}) fully")
        copies = []
        for t in range(trips):
            value = const(lo + t * loop.step, loop.loc)
            copies += clone_body(loop.body, {id(loop.var): value}, f"_u{t}" if t else "")
        body[k:k + 1] = copies
        parent = _enclosing_loop(f.body, body)
        if parent is not None:      # the report lists the copies on the loop around them
            inner = loop.attrs.get("unrolled_inner")
            parent.attrs.setdefault("unrolled_inner", []).append(
                f"{name} x{trips}" + (f" (each: {', '.join(inner)})" if inner else ""))
        return
    guarded = trips is None or trips % factor != 0
    new_body = []
    for u in range(factor):
        shifted = add(ref(loop.var, loop.loc), const(u * loop.step, loop.loc), loop.loc)
        copy = clone_body(loop.body, {id(loop.var): shifted}, f"_u{u}" if u else "")
        if u and guarded:
            copy = [ir.If(loop.loc, less(shifted, loop.hi, loop.step, loop.loc), copy, [])]
        new_body += copy
    loop.body = new_body
    loop.step *= factor
    loop.attrs["unrolled"] = loop.attrs.get("unrolled", 1) * factor


def _enclosing_loop(body: list, inner: list):
    """The For whose body list is ``inner`` (None at the top level)."""
    for s in ir.walk_stmts(body):
        if isinstance(s, ir.For) and s.body is inner:
            return s
    return None


def split(f: ir.Function, name: str, factor: int):
    """``name`` -> ``name.outer`` x ``name.inner`` (inner runs ``factor`` iterations); when
    the factor does not divide the trip count the last outer iteration is guarded. With
    bounds computed at run time the outer loop runs over the original values, ``factor``
    steps at a time (no division), and every iteration is guarded."""
    loop, body, k = find_loop(f, name)
    if not isinstance(factor, int) or isinstance(factor, bool) or factor < 1:
        raise AlloScheduleError(f"split({name!r}, {factor!r}): the factor must be a positive "
                                "integer", loop.loc)
    trips = trip_count(loop)
    if trips is not None and factor > trips:
        raise AlloScheduleError(f"split({name!r}, {factor}): the factor is larger than the "
                                f"loop's {trips} iterations", loop.loc,
                                hint=f"use a factor between 1 and {trips}")
    if trips is None:
        check_stable_bounds(loop, f"split({name!r}, {factor})")
    loc = loop.loc
    outer_var = ir.Scalar(loop.var.name + "_outer", loop.var.type, loc)
    inner_var = ir.Scalar(loop.var.name + "_inner", loop.var.type, loc)
    if trips is not None:
        flat = add(mul(ref(outer_var, loc), factor, loc), ref(inner_var, loc), loc)
        index = add(const(int(loop.lo.value), loc), mul(flat, loop.step, loc), loc)
        outer_bounds = (const(0, loc), const(-(-trips // factor), loc), 1)
    else:
        index = add(ref(outer_var, loc), mul(ref(inner_var, loc), loop.step, loc), loc)
        outer_bounds = (loop.lo, loop.hi, loop.step * factor)
    inner_body = clone_body(loop.body, {id(loop.var): index})
    if trips is None or trips % factor:
        inner_body = [ir.If(loc, less(index, loop.hi, loop.step, loc), inner_body, [])]
    # the band name stays with the outer loop, pipeline/unroll hints go to the inner one
    inner = ir.For(loc, f"{name}.inner", inner_var, const(0, loc), const(factor, loc), 1,
                   inner_body, {k: v for k, v in loop.attrs.items() if k != "band"})
    outer = ir.For(loc, f"{name}.outer", outer_var, *outer_bounds, [inner],
                   {k: v for k, v in loop.attrs.items() if k == "band"})
    body[k] = outer
    return outer.name, inner.name


def check_stable_bounds(loop: ir.For, primitive: str):
    """Guards that re-read a run-time bound inside the loop need a bound the body cannot
    change (Python evaluates range() once)."""
    assigned = {id(v) for v, _ in legality.assigned_scalars(loop.body)}
    stored = {id(a.buf) for a in legality.accesses(loop.body) if a.write}
    for x in (x for e in (loop.lo, loop.hi) for x in ir.walk_exprs(e)):
        if (isinstance(x, ir.Ref) and id(x.var) in assigned) or \
                (isinstance(x, ir.Load) and id(x.buf) in stored):
            raise AlloScheduleError(f"{primitive}: the bounds of loop {loop.name!r} depend on "
                                    "values its body changes", loop.loc,
                                    hint="compute the bound into a variable before the loop")


def _guard(s: ir.Stmt, index_vars: set) -> bool:
    """An ``if`` without else around one statement, testing only loop indices (split's tail
    guards): no iteration of a loop inside it changes what it tests, so it may sink below."""
    return isinstance(s, ir.If) and not s.else_body and len(s.then_body) == 1 and all(
        not isinstance(x, (ir.Load, ir.MathCall)) and
        (not isinstance(x, ir.Ref) or id(x.var) in index_vars) for x in ir.walk_exprs(s.cond))


def perfect_band(f: ir.Function, names: list, primitive: str) -> tuple:
    """(loops from the outermost to the innermost named one, the guards between them): each
    loop is the only statement of its parent's body, looking through guards; a schedule
    error otherwise."""
    loops = [find_loop(f, n)[0] for n in names]
    index_vars = {id(lp.var) for lp in ir.loops(f.body)}
    chain, guards = [], []
    cur = next(lp for lp in ir.loops(f.body) if lp in loops)
    while True:
        chain.append(cur)
        if all(lp in chain for lp in loops):
            return chain, guards
        body, met = cur.body, []
        while len(body) == 1 and _guard(body[0], index_vars):
            met.append(body[0])
            body = body[0].then_body
        if len(body) != 1 or not isinstance(body[0], ir.For):
            missing = [lp.name for lp in loops if lp not in chain]
            raise AlloScheduleError(
                f"{primitive}: loops {', '.join(names)} are not one perfect nest: the body "
                f"of {cur.name!r} holds other statements before reaching "
                f"{', '.join(map(repr, missing))}", cur.loc,
                hint="only perfectly nested loops (each the only statement of the one above) "
                     "can be reordered or fused")
        cur = body[0]
        if met and any(isinstance(x, ir.Load) for e in (cur.lo, cur.hi) for x in ir.walk_exprs(e)):
            raise AlloScheduleError(
                f"{primitive}: the condition at line {met[0].loc.line} guards the bounds of "
                f"loop {cur.name!r}, which read memory; moving it inward would read them "
                "unguarded", met[0].loc, hint="compute the bound into a variable first")
        guards += met


def _wrap(guards: list, body: list) -> list:
    """``body`` inside fresh copies of the guards (the first outermost)."""
    for g in reversed(guards):
        body = [ir.If(g.loc, g.cond, body, [])]
    return body


def reorder(f: ir.Function, names: list):
    """Permute loops of one perfect nest; unnamed loops of the nest keep their places, the
    band name stays on the outermost loop, and guards between the loops (split tails) move
    around the innermost body."""
    what = f"reorder({', '.join(map(repr, names))})"
    if len(set(names)) != len(names):
        raise AlloScheduleError(f"{what}: a loop is named twice", f.loc)
    chain, guards = perfect_band(f, names, what)
    named = [find_loop(f, n)[0] for n in names]
    slots = [k for k, lp in enumerate(chain) if lp in named]
    new_order = list(chain)
    for slot, lp in zip(slots, named):
        new_order[slot] = lp
    band_vars = {id(lp.var) for lp in chain}
    for lp in chain:
        for bound in (lp.lo, lp.hi):
            if any(isinstance(x, ir.Ref) and id(x.var) in band_vars for x in ir.walk_exprs(bound)):
                raise AlloScheduleError(f"{what}: the bounds of {lp.name!r} depend on another "
                                        "loop of the nest", lp.loc,
                                        hint="only rectangular nests can be reordered")
    # guarded nests are not rectangles: the iteration running last may change
    live_out = legality.read_after(f, chain[0]) if guards else set()
    legality.check_reorder(chain, new_order, what, live_out)
    inner_body = chain[-1].body
    band = chain[0].attrs.get("band")
    headers = [(lp.name, lp.var, lp.lo, lp.hi, lp.step, lp.attrs, lp.loc) for lp in new_order]
    for lp, (n, var, lo, hi, step, attrs, loc) in zip(chain, headers):
        lp.name, lp.var, lp.lo, lp.hi, lp.step, lp.loc = n, var, lo, hi, step, loc
        lp.attrs = {k: v for k, v in attrs.items() if k != "band"}
    if band is not None:
        chain[0].attrs["band"] = band
    for outer, inner in itertools.pairwise(chain):
        outer.body = [inner]
    chain[-1].body = _wrap(guards, inner_body)


def fuse(f: ir.Function, names: list) -> str:
    """Consecutive loops of a perfect nest -> one loop over all their iterations, named
    ``a_b_fused``; the original indices are recovered by division by constant extents, and
    guards between the loops (split tails) wrap the body."""
    what = f"fuse({', '.join(map(repr, names))})"
    chain, guards = perfect_band(f, names, what)
    named = [find_loop(f, n)[0] for n in names]
    if chain != named:
        raise AlloScheduleError(f"{what}: loops to fuse must be consecutive and given outer "
                                "to inner", named[0].loc,
                                hint=f"the nest is {', '.join(lp.name for lp in chain)}")
    bounds = [const_bounds(lp, what) for lp in chain]
    trips = [t for _, _, t in bounds]
    total = 1
    for t in trips:
        total *= t
    loc = chain[0].loc
    fused_name = "_".join(names) + "_fused"
    var = ir.Scalar(fused_name, chain[0].var.type, loc)
    sub, stride = {}, 1
    for lp, (lo, _, t) in reversed(list(zip(chain, bounds))):
        digit = _digit(ref(var, loc), stride, t, loc)
        sub[id(lp.var)] = add(const(lo, loc), mul(digit, lp.step, loc), loc)
        stride *= t
    body = clone_body(_wrap(guards, chain[-1].body), sub)
    attrs = {}
    for lp in chain:
        attrs.update(lp.attrs)
    fused = ir.For(loc, fused_name, var, const(0, loc), const(total, loc), 1, body, attrs)
    _, parent, k = find_loop(f, chain[0].name)
    parent[k] = fused
    return fused_name


def _digit(x: ir.Expr, stride: int, extent: int, loc) -> ir.Expr:
    """(x // stride) % extent of the non-negative fused index: a shift and a mask when both
    are powers of two (no divider in hardware), else a division."""
    from ..ir.types import index
    pow2 = lambda n: n & (n - 1) == 0                                  # noqa: E731
    if stride > 1:
        x = (ir.BinOp(index, loc, ">>", x, const(stride.bit_length() - 1, loc)) if pow2(stride)
             else ir.BinOp(index, loc, "//", x, const(stride, loc)))
    if pow2(extent):
        return ir.BinOp(index, loc, "&", x, const(extent - 1, loc))
    return ir.BinOp(index, loc, "%", x, const(extent, loc))
