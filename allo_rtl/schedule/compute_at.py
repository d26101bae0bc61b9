"""``compute_at(from_loop, target_loop)``: fuse a producer nest into a consumer nest.

The loops from the top of each nest down to ``from_loop`` / ``target_loop`` must have the same
constant bounds level by level; the body of ``from_loop`` moves to the start of the body of
``target_loop`` with the producer's indices replaced by the consumer's. Both nests may be
imperfect. In the producer, statements beside the chain of loops down to ``from_loop`` stay
where they are (a loop left empty goes): they must share nothing with the moved body that
either writes, since the move reorders the two. In the consumer, statements beside the chain
down to ``target_loop`` run, at their level, before or after every moved producer iteration
under them.

Fused, each access gets its place in the new order: a producer iteration p (over the fused
levels) runs at 2·rank(p); a consumer statement inside ``target_loop`` at 2·rank(q) + 1; a
statement beside the chain at fused depth d runs before the first (2·rank - 1) or after the
last (2·rank + 1) producer iteration sharing its d outer indices. The move is legal iff every
element both nests touch (one of them writing) is touched by the producer only before every
consumer touch of it. That is checked exactly by enumerating both iteration spaces (constant
bounds, indices computed from loop indices); anything the check cannot see is refused.
"""
from __future__ import annotations

import numpy as np

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from ..ir.affine import GridTooLarge, index_values, loop_grid, loop_range
from .rewrite import clone_body, const_bounds, find_loop, ref

MAX_POINTS = 1 << 20


def _chain_to(top: ir.For, target: ir.For, perfect: bool = True) -> list:
    """Loops from ``top`` down to ``target``; ``perfect``: each the only statement of the one
    above (else None); otherwise each the loop of the one above that holds ``target``."""
    chain, cur = [top], top
    while cur is not target:
        inner = [s for s in cur.body if isinstance(s, ir.For)
                 and any(x is target for x in ir.loops([s]))]
        if perfect and len(cur.body) != 1:
            return None
        cur = inner[0]
        chain.append(cur)
    return chain


def _top_nest(f: ir.Function, loop: ir.For):
    """(top-level statement index, loop chain from it to ``loop``) or an error."""
    for k, s in enumerate(f.body):
        if isinstance(s, ir.For) and any(x is loop for x in ir.loops([s])):
            return k, _chain_to(s, loop, perfect=False)
    raise AlloScheduleError(f"compute_at: loop {loop.name!r} is not in a top-level loop nest of "
                            f"{f.name}", loop.loc)


def _placed(chain: list):
    """(statement, fused depth, side) for every statement of the nest ``chain[0]`` beside or
    inside the chain: side "in" for the body of the last loop (depth len(chain)), else
    "before"/"after" the chain loop of the level the statement sits at."""
    n = len(chain)
    for d, loop in enumerate(chain):
        nxt = chain[d + 1] if d + 1 < n else None
        side = "in" if nxt is None else "before"
        for st in loop.body:
            if st is nxt:
                side = "after"
                continue
            for x in ir.walk_stmts([st]):
                yield x, (n if nxt is None else d + 1), side


def _touched(body: list):
    """(buffers written, buffers read, scalars written, scalars read) by ``body``."""
    bw, br, sw, sr = set(), set(), set(), set()
    for s in ir.walk_stmts(body):
        for e in ir.stmt_exprs(s):
            for x in ir.walk_exprs(e):
                if isinstance(x, ir.Load):
                    br.add(x.buf)
                elif isinstance(x, ir.Ref):
                    sr.add(x.var)
        if isinstance(s, ir.Store):
            bw.add(s.buf)
        elif isinstance(s, ir.Assign):
            sw.add(s.var)
        elif isinstance(s, ir.For):
            sw.add(s.var)
        elif isinstance(s, ir.Call):
            for a in s.args:
                if isinstance(a, ir.Buffer):
                    br.add(a)
                    bw.add(a)
            bw.update(o for o in s.outs if isinstance(o, ir.Buffer))
            sw.update(o for o in s.outs if isinstance(o, ir.Scalar))
    return bw, br, sw, sr


# --- exact check over the iteration spaces ---------------------------------------------
def _accesses(nest: ir.For, chain: list, buf: ir.Buffer, what: str, consumer: bool):
    """(element ids, times) of every access to ``buf`` in ``nest`` over all its iterations;
    the times order producer and consumer accesses as the fused code runs them."""
    loops = ir.loops([nest])
    for lp in loops:
        const_bounds(lp, f"compute_at ({what})")
    try:
        env = loop_grid(loops, MAX_POINTS)
    except GridTooLarge as e:
        raise AlloScheduleError(f"compute_at: {what} has {e.points} iterations, too many to "
                                f"check exactly (limit {e.limit})", nest.loc) from None
    total = len(env[id(loops[0].var)])
    ranges = [loop_range(lp) for lp in chain]
    digits = [(env[id(lp.var)] - r.start) // lp.step for lp, r in zip(chain, ranges)]

    def time(depth, side):
        rank = np.zeros(total, dtype=np.int64)
        for k, r in enumerate(ranges):
            pad = 0 if side == "before" else len(r) - 1
            rank = rank * len(r) + (digits[k] if k < depth else pad)
        if not consumer:
            return 2 * rank
        return 2 * rank - 1 if side == "before" else 2 * rank + 1

    placed = _placed(chain) if consumer else ((x, len(chain), "in")
                                              for x in ir.walk_stmts(chain[-1].body))
    elements, times = [], []
    for s, depth, side in placed:
        found = [x.indices for e in ir.stmt_exprs(s) for x in ir.walk_exprs(e)
                 if isinstance(x, ir.Load) and x.buf is buf]
        if isinstance(s, ir.Store) and s.buf is buf:
            found.append(s.indices)
        for indices in found:
            idx = [index_values(i, env) for i in indices]
            if any(i is None for i in idx):
                raise AlloScheduleError(
                    f"compute_at: an index of {buf.name} in {what} depends on more than the loop "
                    "indices, so the fused order cannot be checked", s.loc)
            idx = [np.broadcast_to(np.asarray(i), (total,)) for i in idx]
            elements.append(np.ravel_multi_index(idx, buf.shape, mode="clip"))
            times.append(time(depth, side))
    return elements, times


def _check_order(producer, pchain, consumer, cchain, shared: set, loc):
    for buf in sorted(shared, key=lambda b: b.name):
        pe, pt = _accesses(producer, pchain, buf, "the producer", consumer=False)
        ce, ct = _accesses(consumer, cchain, buf, "the consumer", consumer=True)
        last = np.full(buf.type.size, np.iinfo(np.int64).min, dtype=np.int64)
        for e, t in zip(pe, pt):
            np.maximum.at(last, e, t)
        first = np.full(buf.type.size, np.iinfo(np.int64).max, dtype=np.int64)
        for e, t in zip(ce, ct):
            np.minimum.at(first, e, t)
        bad = np.nonzero(last > first)[0]
        if bad.size:
            element = np.unravel_index(int(bad[0]), buf.shape)
            raise AlloScheduleError(
                f"compute_at would change results: element {buf.name}"
                f"[{', '.join(map(str, element))}] is used by the consumer before the producer "
                f"is done with it in the fused order", loc,
                hint="compute at an outer loop, or reorder so the consumer needs only what "
                     "earlier iterations produced")


def compute_at(f: ir.Function, from_name: str, target_name: str):
    src, _, _ = find_loop(f, from_name)
    dst, _, _ = find_loop(f, target_name)
    pk, pchain = _top_nest(f, src)
    ck, cchain = _top_nest(f, dst)
    what = f"compute_at({from_name!r}, {target_name!r})"
    beside = [st for d, lp in enumerate(pchain[:-1]) for st in lp.body if st is not pchain[d + 1]]
    # the checks below see the producer as the chain alone (what moves); restored after
    saved = [list(lp.body) for lp in pchain[:-1]]
    for d, lp in enumerate(pchain[:-1]):
        lp.body[:] = [pchain[d + 1]]
    try:
        _check_and_move(f, what, src, dst, pk, pchain, ck, cchain, beside)
    finally:
        for lp, body in zip(pchain[:-1], saved):
            lp.body[:] = body
    _remove_moved(f, pchain)


def _check_beside(what, src, beside, pchain):
    """The producer's statements beside its chain stay; the moved body runs after all of
    them (later, in the consumer): refuse any buffer or scalar one writes and the other
    uses, the chain's loop variables aside."""
    if not beside:
        return
    mw, mr, msw, msr = _touched(src.body)
    rw, rr, rsw, rsr = _touched(beside)
    chain_vars = {id(lp.var) for lp in pchain}
    clash = sorted(x.name for x in (mw & (rw | rr)) | (mr & rw))
    clash += sorted(v.name for v in (msw & (rsw | rsr)) | (msr & rsw)
                    if id(v) not in chain_vars)
    if clash:
        raise AlloScheduleError(f"{what}: {clash[0]} is used both by the body of "
                                f"{src.name!r} and by statements beside it in the producer "
                                "nest, which would run in another order once the body moves",
                                src.loc, hint="compute at the loop whose body holds both, or "
                                              "split the producer nest first")


def _remove_moved(f, pchain):
    """Drop the moved loop from the producer nest, and every chain loop left empty."""
    for d in range(len(pchain) - 1, 0, -1):
        parent = pchain[d - 1]
        parent.body[:] = [st for st in parent.body if st is not pchain[d]]
        if parent.body:
            return
    f.body[:] = [st for st in f.body if st is not pchain[0]]


def _check_and_move(f, what, src, dst, pk, pchain, ck, cchain, beside):
    if pk >= ck:
        raise AlloScheduleError(f"{what}: the producer loop must come before the consumer loop",
                                src.loc)
    if len(pchain) != len(cchain):
        raise AlloScheduleError(f"{what}: {src.name!r} is at depth {len(pchain)} of its nest, "
                                f"{dst.name!r} at depth {len(cchain)}", src.loc,
                                hint="fuse loops at the same level of the two nests")
    for p, c in zip(pchain, cchain):
        if const_bounds(p, what) != const_bounds(c, what) or p.step != c.step:
            raise AlloScheduleError(f"{what}: loops {p.name!r} and {c.name!r} have different "
                                    "bounds", p.loc, hint="only loops over the same range fuse")
    _check_beside(what, src, beside, pchain)
    producer, consumer = f.body[pk], f.body[ck]
    pw, pr_, psw, psr = _touched([producer])
    cw, cr_, csw, csr = _touched([consumer])
    between = f.body[pk + 1:ck]
    bw, br, bsw, bsr = _touched(between)
    # the producer moves past the statements in between: they must not depend on each other
    clash = (pw & (bw | br)) | (pr_ & bw) | (psw & (bsw | bsr)) | (psr & bsw)
    if clash:
        name = sorted(x.name for x in clash)[0]
        raise AlloScheduleError(f"{what}: {name} is also used between the two loop nests, so "
                                "the producer cannot move into the consumer", src.loc)
    scalars = {v for v in (psw & (csw | csr)) | (psr & csw)
               if not any(v is lp.var for lp in ir.loops([producer, consumer]))}
    if scalars:
        raise AlloScheduleError(f"{what}: scalar {sorted(v.name for v in scalars)[0]} is "
                                "shared by the producer and the consumer", src.loc)
    shared = (pw & (cw | cr_)) | (pr_ & cw)
    _check_order(producer, pchain, consumer, cchain, shared, src.loc)
    sub = {id(p.var): ref(c.var, c.loc) for p, c in zip(pchain, cchain)}
    dst.body[:0] = clone_body(src.body, sub)
