"""Pipelining a loop unrolls the loops inside it (as Vivado/Vitis HLS do, and as Allo's own
schedules assume: ``s.pipeline("j")`` over a ``k`` loop means one pipelined j iteration holds
all of k).

For every loop marked ``pipeline``, each loop nested in it with constant bounds is replaced by
its copies, innermost first, when the unrolled body stays within ``MAX_UNROLLED_STATEMENTS``
statements and needs no more than ``MAX_II`` distinct elements of one unpartitioned array per
iteration (one port serves that many at most). The report lists what was unrolled on the
pipelined loop ("inner loops fully unrolled: k x8 (for pipeline)"). A nest over those limits,
or an inner loop with run-time bounds, is left alone and the pipeline is refused saying why.
Runs on a copy of the module: the user's schedule keeps its IR.
"""
from __future__ import annotations

import copy

from ..ir import nodes as ir
from ..schedule.rewrite import clone_body, const, trip_count
from .modulo import MAX_II
from .promote import pipelined_loops, subscript_key

MAX_UNROLLED_STATEMENTS = 512


def unroll_in_pipelines(module: ir.Module) -> ir.Module:
    """``module``, or a copy whose pipelined loops hold no inner loops they can unroll."""
    if not any(ir.loops(lp.body) for f in module.functions.values()
               for lp in pipelined_loops(f.body)):
        return module
    module = copy.deepcopy(module)
    for f in module.functions.values():
        for loop in pipelined_loops(f.body):
            _unroll_inside(loop)
    return module


MAX_UNROLLED_INIT = 1024       # words an implicit loop over a partitioned array may unroll to


def unroll_partitioned_inits(module: ir.Module) -> ir.Module:
    """``module``, or a copy in which every implicit loop nest (an array's initialization or
    copy, written by the frontend) that stores into a partitioned array is unrolled, up to
    ``MAX_UNROLLED_INIT`` statements: each store then names its bank at compile time instead
    of selecting it through a run-time ``if`` chain (the spatial style: ``C: int32[8, 8] = 0``
    with C completely partitioned is 64 parallel writes, not 64 sequential ones)."""
    if not any(_partitioned_init(lp) for f in module.functions.values()
               for lp in ir.loops(f.body)):
        return module
    module = copy.deepcopy(module)
    for f in module.functions.values():
        f.body = _unroll_inits(f.body)
    return module


def _partitioned_init(loop: ir.For) -> bool:
    if not loop.attrs.get("implicit") or not any(
            isinstance(s, ir.Store) and s.buf.partition for s in ir.walk_stmts(loop.body)):
        return False
    size = _size([loop])
    return size is not None and size <= MAX_UNROLLED_INIT


def _unroll_inits(body: list) -> list:
    out = []
    for s in body:
        if isinstance(s, ir.For) and _partitioned_init(s):
            out += _unrolled([s], [])
            continue
        for b in ir.child_bodies(s):
            b[:] = _unroll_inits(b)
        out.append(s)
    return out




def _size(body: list) -> int:
    """Statements after unrolling every constant inner loop (None: a run-time bound)."""
    n = 0
    for s in body:
        if isinstance(s, ir.For):
            trips, inner = trip_count(s), _size(s.body)
            if trips is None or inner is None:
                return None
            n += trips * inner
        else:
            inner = [_size(b) for b in ir.child_bodies(s)]
            if None in inner:
                return None
            n += 1 + sum(inner)
    return n


def _unroll_inside(loop: ir.For):
    size = _size(loop.body)
    if size is None:
        loop.attrs["pipeline_inner_note"] = "an inner loop has run-time bounds"
        return
    if size > MAX_UNROLLED_STATEMENTS:
        loop.attrs["pipeline_inner_note"] = (
            f"unrolling its inner loops would make {size} statements (more than "
            f"{MAX_UNROLLED_STATEMENTS})")
        return
    done = []
    body = _unrolled(clone_body(loop.body, {}), done)
    busiest = _busiest_array(body)
    if busiest is not None:
        loop.attrs["pipeline_inner_note"] = (
            f"unrolled, each iteration would access {busiest[1]} elements of {busiest[0]} "
            f"through one port (a pipeline allows {MAX_II})")
        return
    loop.body = body
    loop.attrs.setdefault("unrolled_inner", []).extend(f"{d} (for pipeline)" for d in done)


def _busiest_array(body: list):
    """(array, distinct elements) of an unpartitioned array the (unrolled) body accesses at
    more than ``MAX_II`` distinct subscripts, else None. Repeated accesses to one element
    count once: the CDFG forwards a stored value to later loads of it."""
    seen = {}
    for s in ir.walk_stmts(body):
        accesses = [(e.buf, e.indices) for x in ir.stmt_exprs(s) for e in ir.walk_exprs(x)
                    if isinstance(e, ir.Load)]
        if isinstance(s, ir.Store):
            accesses.append((s.buf, s.indices))
        for b, idx in accesses:
            if not b.partition:
                seen.setdefault(b.name, set()).add(tuple(subscript_key(i) for i in idx))
    over = [(name, len(keys)) for name, keys in seen.items() if len(keys) > MAX_II]
    return max(over, key=lambda x: x[1]) if over else None


def _unrolled(body: list, done: list) -> list:
    out = []
    for s in body:
        if isinstance(s, ir.For):
            inner = _unrolled(s.body, done)
            trips = trip_count(s)
            done.append(f"{s.name} x{trips}")
            lo = int(s.lo.value)
            for t in range(trips):
                value = const(lo + t * s.step, s.loc)
                out += clone_body(inner, {id(s.var): value}, f"_u{t}" if t else "")
            continue
        for b in ir.child_bodies(s):
            b[:] = _unrolled(b, done)
        out.append(s)
    return out
