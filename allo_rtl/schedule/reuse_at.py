"""``reuse_at(target, axis)``: a reuse buffer (line buffer or window) so a sliding access
pattern reads each element of ``target`` once per sweep of loop ``axis``.

Inside ``axis`` (step 1, constant bounds lo..hi), exactly one dimension d of ``target`` is
indexed ``axis * s + o`` (a constant stride s >= 1, the same in every access; s = 1 below
unless said) where the offset o uses only constants and loops nested inside ``axis``
(range omin..omax, span K); ``target`` is only read there. Other dimensions that do not change
within an iteration and are the same in every access are dropped (one slice); the rest are kept
in full. The buffer RB has the kept dimensions and K positions along d (in the target's
order); RB[..., k, ...] holds
``target[..., axis + omin + k]``:

* before the loop, positions 0..K-2 are loaded for ``axis = lo``;
* each iteration loads position K-1 (the new line or column), runs the body reading RB, then
  shifts positions 1..K-1 down by one.

With a stride s the window moves by s lines: each iteration loads positions K-s..K-1 and
shifts positions s..K-1 down by s (no reuse when s >= K).

Allo's conv2D: ``reuse_at(A, "y")`` gives a 3-line buffer over A's rows, and ``reuse_at(LB,
"x")`` on it a 3x3 window; every element of A is then read once.

The offset may also hold a base that is fixed during the loop: terms using only the indices
of loops around ``axis`` (``x.outer * 4`` once ``x`` is split and ``x.inner`` is the axis).
Every access must have the same base; RB[..., k, ...] then holds
``target[..., axis + base + omin + k]``, and the buffer is filled again (the prologue sits
just before ``axis``) whenever the base changes.
"""
from __future__ import annotations

import numpy as np

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from ..ir.affine import GridTooLarge, index_values, loop_grid
from ..ir.types import ArrayType
from .rewrite import clone_expr, const, const_bounds, find_loop, ref
from .slices import Namer, accesses_in, copy_nest, same_expr, uses, varying_ids

STRAIGHT_UPTO = 16      # per-iteration copies up to this size are straight-line code
MAX_POINTS = 1 << 20    # inner iterations evaluated to bound an offset


def _offset_range(loop: ir.For, offsets: list, what: str) -> tuple:
    """(min, max) of the offsets over the loops inside ``loop`` (evaluated exactly over at
    most MAX_POINTS of their iterations)."""
    inner = {id(lp.var): lp for lp in ir.loops(loop.body)}
    lows, highs = [], []
    for off, a in offsets:
        refs = {id(x.var) for x in ir.walk_exprs(off) if isinstance(x, ir.Ref)}
        loops = [inner[v] for v in refs if v in inner]
        if len(loops) != len(refs):
            raise AlloScheduleError(f"{what}: the offset of this access from the loop index "
                                    "depends on values computed at run time", a.loc)
        for lp in loops:
            const_bounds(lp, what)
        try:
            values = index_values(off, loop_grid(loops, MAX_POINTS))
        except GridTooLarge as e:
            raise AlloScheduleError(f"{what}: the loops inside {loop.name!r} run {e.points} "
                                    f"iterations, too many to bound the offset of this access "
                                    f"(limit {e.limit})", a.loc) from None
        if values is None or np.size(values) == 0:
            raise AlloScheduleError(f"{what}: cannot bound the offset of this access", a.loc)
        lows.append(int(np.min(values)))
        highs.append(int(np.max(values)))
    return min(lows), max(highs)


def _split_index(e: ir.Expr, var: ir.Scalar):
    """``var * s + o`` -> (o, s): the offset (an expression without var) and the constant
    stride s >= 1 of var, else None."""
    if isinstance(e, ir.Ref) and e.var is var:
        return const(0, e.loc), 1
    if isinstance(e, ir.BinOp) and e.op == "*":        # y * 2 (+ o): a strided window
        for a, b in ((e.lhs, e.rhs), (e.rhs, e.lhs)):
            if isinstance(b, ir.Const) and not b.type.is_float and int(b.value) >= 1:
                inner = _split_index(a, var)
                if inner is None:
                    continue
                off, stride = inner
                if not (isinstance(off, ir.Const) and int(off.value) == 0):
                    off = ir.BinOp(ir.INDEX, e.loc, "*", off, const(int(b.value), e.loc))
                return off, stride * int(b.value)
    if isinstance(e, ir.Cast):
        return _split_index(e.operand, var)
    if isinstance(e, ir.BinOp) and e.op == "+":
        for a, b in ((e.lhs, e.rhs), (e.rhs, e.lhs)):
            if uses(b, {id(var)}):
                continue
            inner = _split_index(a, var)
            if inner is not None:
                off, stride = inner
                if isinstance(off, ir.Const) and int(off.value) == 0:
                    return b, stride
                return ir.BinOp(e.type, e.loc, "+", off, b), stride
    if isinstance(e, ir.BinOp) and e.op == "-" and not uses(e.rhs, {id(var)}):
        inner = _split_index(e.lhs, var)
        if inner is not None:
            return ir.BinOp(e.type, e.loc, "-", inner[0], e.rhs), inner[1]
    return None


def reuse_at(f: ir.Function, target: ir.Buffer, axis: str) -> ir.Buffer:
    loop, _, _ = find_loop(f, axis)
    what = f"reuse_at({target.name}, {axis!r})"
    if loop.step != 1:
        raise AlloScheduleError(f"{what}: loop {axis!r} must have step 1", loop.loc)
    lo, hi, trips = const_bounds(loop, what)
    accesses = accesses_in(loop.body, target, what)
    if not accesses:
        raise AlloScheduleError(f"{what}: {target.name} is not read inside loop {axis!r}",
                                loop.loc)
    store = next((a for a in accesses if a.is_store), None)
    if store is not None:
        raise AlloScheduleError(f"{what}: {target.name} is written inside loop {axis!r}; a "
                                "reuse buffer only serves reads", store.loc)
    me = {id(loop.var)}
    moving = [d for d in range(len(target.shape)) if any(uses(a.indices[d], me)
                                                         for a in accesses)]
    if len(moving) != 1:
        raise AlloScheduleError(
            f"{what}: {'no' if not moving else 'more than one'} dimension of {target.name} "
            f"follows loop {axis!r}" + ("" if not moving else
                                        f" (dimensions {', '.join(str(d + 1) for d in moving)})"),
            accesses[0].loc, hint="reuse needs exactly one dimension indexed by the loop index "
                                  "plus an offset")
    d = moving[0]
    around = _loops_around(f.body, loop) or []
    offsets, base, stride = [], None, 1
    for a in accesses:
        split = _split_index(a.indices[d], loop.var)
        off = split[0] if split else None
        if off is None or uses(off, me) or any(uses(a.indices[k], me)
                                               for k in range(len(target.shape)) if k != d):
            raise AlloScheduleError(f"{what}: dimension {d + 1} of {target.name} must be indexed "
                                    f"{loop.var.name} * stride + offset here", a.loc)
        if offsets and split[1] != stride:
            raise AlloScheduleError(f"{what}: the accesses of {target.name} step by "
                                    f"{stride} and {split[1]} along loop {axis!r}", a.loc,
                                    hint="reuse needs one stride in every access")
        stride = split[1]
        b, off = _split_base(off, {id(lp.var) for lp in around}, a.loc)
        if offsets and not _same_terms(b, base):
            raise AlloScheduleError(f"{what}: the accesses of {target.name} in loop {axis!r} "
                                    "add different outer-loop terms to its index", a.loc,
                                    hint="reuse needs the same base in every access")
        base = b
        offsets.append((off, a))
    omin, omax = _offset_range(loop, offsets, what)
    span = omax - omin + 1
    bmin, bmax = _base_range(base, around, what, loop.loc)
    base_expr = _sum(base, loop.loc)
    if stride * lo + omin + bmin < 0 or stride * (hi - 1) + omax + bmax >= target.shape[d]:
        raise AlloScheduleError(f"{what}: the reuse buffer would read {target.name} outside "
                                f"0..{target.shape[d] - 1} along dimension {d + 1}", loop.loc)
    # the other dimensions: dropped when fixed within an iteration and alike, else kept
    others = _other_dims(loop, target, accesses, d, what)
    kept = [k for k, e in enumerate(others) if e is None and k != d]
    names = Namer(f)
    layout = [k for k in range(len(target.shape)) if k == d or k in kept]   # target's order
    shape = tuple(span if k == d else target.shape[k] for k in layout)
    rb = ir.Buffer(names.var(f"{target.name}_reuse"), ArrayType(target.dtype, shape), "local",
                   loop.loc)
    f.locals.append(rb)
    loc = loop.loc
    for off, a in offsets:
        pos = ir.BinOp(ir.INDEX, a.loc, "-", off, const(omin, a.loc)) if omin else off
        a.node.buf, a.node.indices = rb, [pos if k == d else a.node.indices[k] for k in layout]

    def target_at(refs, position: ir.Expr):        # target element for RB[refs, k]
        it = iter(refs)
        return [position if k == d else (next(it) if k in kept else clone_expr(others[k], {}))
                for k in range(len(target.shape))]

    def at(refs, k: int) -> list:                   # RB indices of position k
        it = iter(refs)
        return [const(k, loc) if j == d else next(it) for j in layout]

    def load_position(k: int, start: ir.Expr):
        if base_expr is not None:
            start = ir.BinOp(ir.INDEX, loc, "+", start, clone_expr(base_expr, {}))
        return lambda r: [ir.Store(loc, rb, at(r, k), ir.Load(
            target.dtype, loc, target, target_at(r, _plus(start, omin + k, loc))))]

    extents = [target.shape[k] for k in kept]
    prologue = []
    # positions 0..keep-1 come from the previous iteration (shifted down by the stride), the
    # others are loaded fresh; before the loop, the first iteration's kept ones are loaded
    keep = max(span - stride, 0)
    start = ref(loop.var, loc) if stride == 1 else \
        ir.BinOp(ir.INDEX, loc, "*", ref(loop.var, loc), const(stride, loc))
    for k in range(keep):
        prologue += copy_nest(names, f"{rb.name}_init{k}", extents,
                              load_position(k, const(stride * lo, loc)), loc, STRAIGHT_UPTO)
    fresh = []
    for k in range(keep, span):
        fresh += copy_nest(names, f"{rb.name}_load" + (f"{k}" if span - keep > 1 else ""),
                           extents, load_position(k, clone_expr(start, {})), loc, STRAIGHT_UPTO)
    shift = []
    for k in range(keep):
        shift += copy_nest(names, f"{rb.name}_shift{k}", extents, lambda r, k=k: [ir.Store(
            loc, rb, at(r, k), ir.Load(target.dtype, loc, rb, at(r, k + stride)))], loc,
            STRAIGHT_UPTO)
    loop.body = fresh + loop.body + shift
    _insert_before(f.body, loop, prologue)
    return rb


def _loops_around(body: list, loop: ir.For, chain=()):
    """The loops enclosing ``loop``, outermost first (None if it is not in ``body``)."""
    for s in body:
        if s is loop:
            return list(chain)
        inner = chain + ((s,) if isinstance(s, ir.For) else ())
        for b in ir.child_bodies(s):
            got = _loops_around(b, loop, inner)
            if got is not None:
                return got
    return None


def _terms(e: ir.Expr, sign: int = 1) -> list:
    """The signed summands of ``e`` through ``+``, ``-`` and casts."""
    if isinstance(e, ir.Cast):
        return _terms(e.operand, sign)
    if isinstance(e, ir.BinOp) and e.op in ("+", "-"):
        return _terms(e.lhs, sign) + _terms(e.rhs, sign if e.op == "+" else -sign)
    return [(sign, e)]


def _split_base(off: ir.Expr, outer_ids: set, loc):
    """(base terms, the rest as an expression): the summands of ``off`` that use only
    indices of the loops around the axis, and the others."""
    base, rest = [], []
    for sign, t in _terms(off):
        refs = {id(x.var) for x in ir.walk_exprs(t) if isinstance(x, ir.Ref)}
        (base if refs and refs <= outer_ids else rest).append((sign, t))
    if not base:
        return [], off
    return base, _sum(rest, loc) if rest else const(0, loc)


def _same_terms(a: list, b: list) -> bool:
    return len(a) == len(b) and all(sa == sb and same_expr(x, y) for (sa, x), (sb, y) in zip(a, b))


def _sum(terms: list, loc):
    """The expression of signed ``terms`` (None for none)."""
    out = None
    for sign, t in terms:
        t = clone_expr(t, {})
        if out is None:
            out = t if sign > 0 else ir.BinOp(ir.INDEX, loc, "-", const(0, loc), t)
        else:
            out = ir.BinOp(ir.INDEX, loc, "+" if sign > 0 else "-", out, t)
    return out


def _base_range(base: list, around: list, what: str, loc) -> tuple:
    """(min, max) of the base over the loops around the axis ((0, 0) without a base)."""
    if not base:
        return 0, 0
    used = {id(x.var) for _, t in base for x in ir.walk_exprs(t) if isinstance(x, ir.Ref)}
    loops = [lp for lp in around if id(lp.var) in used]
    for lp in loops:
        const_bounds(lp, what)
    values = index_values(_sum(base, loc), loop_grid(loops, MAX_POINTS))
    if values is None or np.size(values) == 0:
        raise AlloScheduleError(f"{what}: cannot bound the outer-loop part of this index", loc)
    return int(np.min(values)), int(np.max(values))


def _plus(e: ir.Expr, k: int, loc) -> ir.Expr:
    return e if k == 0 else ir.BinOp(ir.INDEX, loc, "+", e, const(k, loc))


def _other_dims(loop, target, accesses, d, what) -> list:
    """Fixed expressions of the dimensions other than d (None = kept in full)."""
    varying = varying_ids(loop) | {id(loop.var)}
    out = []
    for k in range(len(target.shape)):
        if k == d:
            out.append(None)
            continue
        first = accesses[0].indices[k]
        fixed = all(not uses(a.indices[k], varying) for a in accesses)
        alike = fixed and all(same_expr(a.indices[k], first) for a in accesses)
        out.append(first if alike else None)
    return out


def _insert_before(body: list, loop: ir.For, stmts: list) -> bool:
    for k, s in enumerate(body):
        if s is loop:
            body[k:k] = stmts
            return True
        if any(_insert_before(b, loop, stmts) for b in ir.child_bodies(s)):
            return True
    return False
