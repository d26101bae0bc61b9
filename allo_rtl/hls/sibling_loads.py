"""Words that several sibling branches of one if-converted block read.

A pipelined loop whose inner loop was unrolled over a guarded body -- syrk's
``for j: if j <= i: C[i, j] += A[i, k] * B[j, k]`` -- holds one ``if`` per copy, and each
copy reads ``A[i, k]``. Predicated apart, those are eight loads of one word through one port
per iteration (II 8). Read once under the disjunction of the branches' conditions, the word
costs one port slot, and it is still read only in an iteration where some branch that reads
it runs: never a speculative read (which could be out of range: ``if i > 0: A[i - 1]``).

The merge is exact when nothing in the block can change what the early read and the early
conditions see: the buffer is stored nowhere in the block, and neither the subscripts nor the
conditions read a variable the block assigns or a buffer it stores to. Only the branches' own
statements count, and a select arm's load is left alone (``x if k > 0 else A[k - 1]`` reads
only under its arm's condition).
"""
from __future__ import annotations

from ..ir import nodes as ir
from ..ir.printer import format_expr


def sibling_branch_loads(stmts: list) -> list:
    """[(a Load, [(the If, True for its then branch / False for its else)])] for each word
    read by the own statements of branches of at least two different ``If`` statements of
    ``stmts``, when reading it before them is exact (see the module's docstring)."""
    stored, assigned = set(), set()
    for t in ir.walk_stmts(stmts):
        if isinstance(t, ir.Store):
            stored.add(id(t.buf))
        elif isinstance(t, ir.Assign):
            assigned.add(id(t.var))

    def pure(e) -> bool:
        return not any(isinstance(x, ir.Ref) and id(x.var) in assigned or
                       isinstance(x, ir.Load) and id(x.buf) in stored
                       for x in ir.walk_exprs(e))

    groups = {}
    for s in stmts:
        if not isinstance(s, ir.If) or not pure(s.cond):
            continue
        for taken, body in ((True, s.then_body), (False, s.else_body)):
            seen = set()
            for t in body:
                if not isinstance(t, (ir.Assign, ir.Store)):
                    continue
                for e in ir.stmt_exprs(t):
                    for load in _certain_loads(e):
                        if id(load.buf) in stored or not all(pure(i) for i in load.indices):
                            continue
                        key = (id(load.buf), tuple(format_expr(i) for i in load.indices))
                        if key not in seen:
                            seen.add(key)
                            groups.setdefault(key, (load, []))[1].append((s, taken))
    return [(load, uses) for load, uses in groups.values()
            if len({id(s) for s, _ in uses}) >= 2]


def _certain_loads(e: ir.Expr):
    """The loads evaluating ``e`` certainly performs (not those in a select's arms)."""
    if isinstance(e, ir.Load):
        yield e
    if isinstance(e, ir.Select):
        yield from _certain_loads(e.cond)
        return
    for c in ir.child_exprs(e):
        yield from _certain_loads(c)
