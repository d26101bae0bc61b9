"""Dependence analysis for loop primitives: affine array accesses inside a loop band, their
dependence distance vectors, and the checks that a reorder or parallel keeps every dependence.

Indices are affine forms over loop index variables (``{id(var): coef, None: const}``); other
scalars make a form symbolic (kept only when both accesses have the same symbolic part). For a
pair of accesses to one buffer (one of them a store) with the same coefficients, the distance
along a band loop is fixed when some index dimension involves only that loop, and free ("*")
when no dimension involves it. Anything else is "unknown", which the checks treat as a
dependence in every direction.
"""
from __future__ import annotations

import itertools

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from ..ir.analysis import affine_form as affine

ANY = "*"


def accesses(body: list) -> list:
    """(buffer, index forms or None, is_store, loc) of every array access in ``body``."""
    out = []
    for s in ir.walk_stmts(body):
        for x in (x for e in ir.stmt_exprs(s) for x in ir.walk_exprs(e)):
            if isinstance(x, ir.Load):
                out.append((x.buf, [affine(i) for i in x.indices], False, x.loc))
        if isinstance(s, ir.Store):
            out.append((s.buf, [affine(i) for i in s.indices], True, s.loc))
        if isinstance(s, ir.Call):         # a callee may read and write whole arrays
            for a in [*s.args, *s.outs]:
                if isinstance(a, ir.Buffer):
                    out.append((a, None, True, s.loc))
    return out


def distance(x, y, band_vars: list):
    """Distance vector (ints or ANY) over ``band_vars`` from access x to access y for the
    same element, None when they never meet, "unknown" when not analysable."""
    if x is None or y is None or any(f is None for f in x) or any(f is None for f in y):
        return "unknown"
    dist = {}
    for fx, fy in zip(x, y):
        if {k: c for k, c in fx.items() if k is not None} != \
           {k: c for k, c in fy.items() if k is not None}:
            return "unknown"
        loops = [v for v in fx if v in band_vars]
        others = [v for v in fx if v is not None and v not in band_vars]
        diff = fx.get(None, 0) - fy.get(None, 0)
        if not loops:
            if diff != 0 and not others:
                return None            # different constant element: never the same
            if diff != 0:
                return "unknown"
            continue
        if len(loops) > 1:
            return "unknown"
        (v,) = loops
        d, rest = divmod(diff, fx[v])
        if rest:
            return None
        if dist.get(v, d) != d:
            return None
        dist[v] = d
    return [dist.get(v, ANY) for v in band_vars]


def dependences(body: list, band_vars: list) -> list:
    """(distance vector or "unknown", source loc, sink loc, buffer) for every pair of accesses
    to one buffer where at least one writes."""
    accs = accesses(body)
    out = []
    for i, (bx, fx, sx, lx) in enumerate(accs):
        for by, fy, sy, ly in accs[i:]:
            if bx is not by or not (sx or sy):
                continue
            d = distance(fx, fy, band_vars)
            if d is not None:
                out.append((d, lx, ly, bx))
    return out


def _lex_sign(vec):
    """+1, 0, -1 or None (depends on a free component) of a distance vector."""
    for c in vec:
        if c == ANY:
            return None
        if c != 0:
            return 1 if c > 0 else -1
    return 0


def _may_reverse(vec, perm):
    """Can some instance of this dependence (either direction: the pair is unordered) change
    its lexicographic sign under ``perm``? Only component signs matter, and a free component
    may take any sign, so all sign patterns are tried."""
    if vec == "unknown":
        return True
    choices = [(-1, 0, 1) if c == ANY else ((c > 0) - (c < 0),) for c in vec]
    for signs in itertools.product(*choices):
        before, after = _lex_sign(signs), _lex_sign([signs[p] for p in perm])
        if before != after:
            return True
    return False


def check_reorder(body: list, band: list, perm: list, what: str):
    """Refuse a permutation of the band's loops that reverses a dependence."""
    band_vars = [id(loop.var) for loop in band]
    for vec, lx, ly, buf in dependences(body, band_vars):
        if _may_reverse(vec, perm):
            shown = "not analysable" if vec == "unknown" else "(" + ", ".join(map(str, vec)) + ")"
            raise AlloScheduleError(
                f"{what} would reverse the dependence between the accesses of {buf.name} at "
                f"lines {lx.line} and {ly.line}: distance {shown} over loops "
                f"{', '.join(loop.name for loop in band)}", ly,
                hint="keep the loop order, or change the algorithm so the accesses do not "
                     "depend on each other across these loops")
    for var, loc in carried_scalars(body):
        raise AlloScheduleError(
                f"{what} would change the order in which {var.name} is updated "
                f"(line {loc.line}) across loops {', '.join(loop.name for loop in band)}", loc,
                hint="keep the loop order, or accumulate in an array indexed by the loops")


def check_parallel(loop: ir.For, what: str):
    """Refuse running a loop's iterations at once when one depends on another."""
    for vec, lx, ly, buf in dependences(loop.body, [id(loop.var)]):
        if vec == "unknown" or vec[0] != 0:
            raise AlloScheduleError(
                f"{what}: iterations of {loop.name!r} depend on each other through {buf.name} "
                f"(lines {lx.line} and {ly.line})", ly,
                hint="only loops without loop-carried dependences can run in parallel")
    for var, loc in carried_scalars(loop.body):
        raise AlloScheduleError(
                f"{what}: iterations of {loop.name!r} depend on each other through "
                f"{var.name} (line {loc.line})", loc,
                hint="only loops without loop-carried dependences can run in parallel")


def carried_scalars(body: list) -> list:
    """(variable, loc of a write) for scalars an iteration reads before writing them: their
    value flows from one iteration to the next."""
    written = {}
    for s in ir.walk_stmts(body):
        if isinstance(s, ir.Assign):
            written.setdefault(id(s.var), (s.var, s.loc))
    defined, exposed = set(), set()
    for s in body:
        for st in [s, *(x for b in ir.child_bodies(s) for x in ir.walk_stmts(b))]:
            for e in ir.stmt_exprs(st):
                for x in ir.walk_exprs(e):
                    if isinstance(x, ir.Ref) and id(x.var) not in defined:
                        exposed.add(id(x.var))
        if isinstance(s, ir.Assign):
            defined.add(id(s.var))
    return [written[v] for v in written if v in exposed]
