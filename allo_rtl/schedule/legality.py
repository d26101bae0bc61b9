"""Dependence analysis for loop primitives: affine array accesses inside a loop nest, their
dependence distance vectors, and the checks that a reorder or parallel keeps every dependence.

Subscripts are affine forms over scalars (coefficients and a constant). For a perfect chain of
loops (the *levels*) two accesses to one buffer, one of them a store, give a distance vector
over the levels in iterations: an int when the subscripts force it, "*" otherwise. Scalars in
a subscript that are not levels:

* indices of loops inside the chain and scalars assigned in its body differ between the two
  iterations in unknown ways, so a subscript using one gives no constraint;
* everything else (enclosing loop indices, parameters) is the same in both.

Trip counts bound the distances (Banerjee): a forced distance longer than the loop, or a
subscript equation no distance in range can satisfy, is no dependence. Scalars assigned in a
loop body are *private* (assigned first in every iteration), *reduction* (only ever updated as
``v = v op e`` with a wrapping integer op that reassociates exactly) or *carried*. Float and
fixed-point updates are carried: reordering them changes the rounding.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from ..ir.analysis import written_buffers
from ..ir.printer import format_expr
from .rewrite import find_loop, trip_count

ANY = "*"
REDUCTION_OPS = ("+", "*", "&", "|", "^")      # associative and commutative modulo 2**n


# --- affine forms -----------------------------------------------------------------------
@dataclass(frozen=True)
class Affine:
    coefs: tuple        # ((Scalar, coefficient), ...), no zero coefficients
    const: int

    def coef(self, var) -> int:
        return next((c for v, c in self.coefs if v is var), 0)

    @property
    def vars(self) -> list:
        return [v for v, _ in self.coefs]

    def __str__(self):
        out = ""
        for v, c in self.coefs:
            term = v.name if abs(c) == 1 else f"{abs(c)}*{v.name}"
            out += f" {'-' if c < 0 else '+'} {term}" if out else ("-" if c < 0 else "") + term
        if not out:
            return str(self.const)
        return out + (f" {'-' if self.const < 0 else '+'} {abs(self.const)}" if self.const else "")


def _combine(a: Affine, b: Affine, scale: int) -> Affine:
    coefs = {id(v): [v, c] for v, c in a.coefs}
    for v, c in b.coefs:
        coefs.setdefault(id(v), [v, 0])[1] += scale * c
    return Affine(tuple((v, c) for v, c in coefs.values() if c), a.const + scale * b.const)


def _scale(a: Affine, k: int) -> Affine:
    return Affine(tuple((v, c * k) for v, c in a.coefs if c * k), a.const * k)


def _integral(t) -> bool:
    return t.is_int and not t.fracs


def affine(e: ir.Expr) -> Affine | None:
    """The affine form of an integer expression, or None (not affine, or not an integer)."""
    if not _integral(e.type):
        return None
    if isinstance(e, ir.Const):
        return Affine((), int(e.type.to_python(e.value)))
    if isinstance(e, ir.Ref):
        return Affine(((e.var, 1),), 0)
    if isinstance(e, ir.Cast):          # casts of index values: subscripts stay in range
        return affine(e.operand)
    if isinstance(e, ir.Unary) and e.op == "-":
        a = affine(e.operand)
        return None if a is None else _scale(a, -1)
    if isinstance(e, ir.BinOp) and e.op in ("+", "-", "*", "<<"):
        a, b = affine(e.lhs), affine(e.rhs)
        if a is None or b is None:
            return None
        if e.op in ("+", "-"):
            return _combine(a, b, 1 if e.op == "+" else -1)
        if e.op == "<<":
            return _scale(a, 1 << b.const) if not b.coefs and 0 <= b.const < 64 else None
        if not a.coefs:
            return _scale(b, a.const)
        if not b.coefs:
            return _scale(a, b.const)
    return None


# --- accesses and scalars ---------------------------------------------------------------
@dataclass(eq=False)
class Access:
    buf: ir.Buffer
    index: list | None           # Affine or None per dimension; None: the whole buffer
    write: bool
    loc: ir.Loc
    text: str                    # as in messages: A[i - 1, j + 1]


def _access(buf, indices, write, loc) -> Access:
    forms = [affine(i) for i in indices]
    text = ", ".join(str(a) if a is not None else format_expr(i) for a, i in zip(forms, indices))
    return Access(buf, forms, write, loc, f"{buf.name}[{text}]")


def accesses(body: list) -> list:
    """Every array access in ``body``, nested statements included, in program order. A call
    reads each buffer it is passed, whole, and writes those its callee writes."""
    out = []
    for s in ir.walk_stmts(body):
        for x in (x for e in ir.stmt_exprs(s) for x in ir.walk_exprs(e)):
            if isinstance(x, ir.Load):
                out.append(_access(x.buf, x.indices, False, x.loc))
        if isinstance(s, ir.Store):
            out.append(_access(s.buf, s.indices, True, s.loc))
        elif isinstance(s, ir.Call):
            written = written_buffers(s.callee)
            for a, p in zip(s.args, s.callee.params):
                if isinstance(a, ir.Buffer):
                    out.append(Access(a, None, False, s.loc, f"{a.name} (call)"))
                    if id(p) in written:
                        out.append(Access(a, None, True, s.loc, f"{a.name} (call)"))
            out += [Access(o, None, True, s.loc, f"{o.name} (call)") for o in s.outs
                    if isinstance(o, ir.Buffer)]
    return out


def assigned_scalars(body: list) -> list:
    """(scalar, loc of its first assignment) for scalars assigned in ``body``."""
    seen = {}
    for s in ir.walk_stmts(body):
        targets = [s.var] if isinstance(s, ir.Assign) else \
            [o for o in s.outs if isinstance(o, ir.Scalar)] if isinstance(s, ir.Call) else []
        for v in targets:
            seen.setdefault(id(v), (v, s.loc))
    return list(seen.values())


def _reads(e: ir.Expr, var) -> bool:
    return any(isinstance(x, ir.Ref) and x.var is var for x in ir.walk_exprs(e))


def _mentions_directly(s: ir.Stmt, var) -> bool:
    """``s`` itself (not a nested body) reads or writes ``var``."""
    return any(_reads(e, var) for e in ir.stmt_exprs(s)) or \
        (isinstance(s, ir.Assign) and s.var is var) or \
        (isinstance(s, ir.Call) and any(o is var for o in s.outs))


def _reduction_op(s: ir.Stmt, var):
    """The op of ``var = var op e`` (maybe under a Cast), e free of var, in wrapping integer
    arithmetic; else None."""
    if not isinstance(s, ir.Assign) or s.var is not var or not _integral(var.type):
        return None
    e = s.value.operand if isinstance(s.value, ir.Cast) else s.value
    if not isinstance(e, ir.BinOp) or e.op not in REDUCTION_OPS or not _integral(e.type):
        return None
    for mine, other in ((e.lhs, e.rhs), (e.rhs, e.lhs)):
        if isinstance(mine, ir.Ref) and mine.var is var and not _reads(other, var):
            return e.op
    return None


def classify_scalar(body: list, var) -> str:
    """"private", "reduction" or "carried": how a scalar assigned in ``body`` (one iteration
    of the loop owning it) relates one iteration to the next."""
    for s in body:
        if any(_mentions_directly(t, var) for t in ir.walk_stmts([s])):
            writes = (isinstance(s, ir.Assign) and s.var is var) or \
                (isinstance(s, ir.Call) and any(o is var for o in s.outs))
            if writes and not any(_reads(e, var) for e in ir.stmt_exprs(s)):
                return "private"
            break
    ops = {_reduction_op(t, var) for t in ir.walk_stmts(body) if _mentions_directly(t, var)}
    return "reduction" if len(ops) == 1 and None not in ops else "carried"


# --- distance vectors -------------------------------------------------------------------
@dataclass(eq=False)
class Dependence:
    src: Access                  # the access running first (when the vector is fixed)
    dst: Access
    vector: tuple                # per level, in iterations: int or ANY
    exact: bool                  # every subscript gave an equation
    patterns: list               # the feasible non-zero sign patterns of the vector


def _equations(x: Access, y: Access, levels: list, free: set, steps: list):
    """Subscript equalities ``sum c * t == rhs`` over the distances ``t`` of the levels, as
    ``({id(level var): c}, rhs)``, and whether every subscript gave one."""
    eqs, exact = [], True
    for fx, fy in zip(x.index, y.index):
        if fx is None or fy is None:
            exact = False
            continue
        used = {id(v): v for v in [*fx.vars, *fy.vars]}.values()
        if any(id(v) in free for v in used) or any(fx.coef(v) != fy.coef(v) for v in used):
            exact = False       # e.g. A[i] against A[2*i], or an inner loop's index
            continue
        eqs.append(({id(v): fx.coef(v) * st for v, st in zip(levels, steps) if fx.coef(v)},
                    fx.const - fy.const))
    return eqs, exact


def _solve(eqs: list) -> dict | None:
    """Distances forced by equations with one unknown left; None: no integer solution."""
    d, changed = {}, True
    while changed:
        changed = False
        for a, rhs in eqs:
            unknown = [v for v in a if v not in d]
            r = rhs - sum(c * d[v] for v, c in a.items() if v in d)
            if not unknown and r:
                return None
            if len(unknown) == 1:
                v = unknown[0]
                if r % a[v]:
                    return None
                d[v] = r // a[v]
                changed = True
    return d


INF = float("inf")


def _feasible(eqs: list, ranges: dict) -> bool:
    """Banerjee's test: each equation's right side lies between the extremes of its left side
    over the distance ranges ``{var: (lo, hi)}`` (None: unbounded)."""
    for a, rhs in eqs:
        lo = hi = 0
        for v, c in a.items():
            vlo, vhi = ranges[v]
            ends = [-c * INF if vlo is None else c * vlo, c * INF if vhi is None else c * vhi]
            lo, hi = lo + min(ends), hi + max(ends)
        if not lo <= rhs <= hi:
            return False
    return True


def _distance(x: Access, y: Access, levels: list, free: set, trips: list, steps: list):
    """(vector, exact, feasible sign patterns) of the distance from ``x`` to ``y``, or None
    when they never touch one element in different iterations of the levels."""
    ids = [id(v) for v in levels]
    eqs, exact = ([], False) if x.index is None or y.index is None else \
        _equations(x, y, levels, free, steps)
    d = _solve(eqs)
    if d is None:
        return None
    if any(len([v for v in a if v not in d]) > 1 for a, _ in eqs):
        exact = False
    bound = {v: None if n is None else n - 1 for v, n in zip(ids, trips)}
    if any(v in d and bound[v] is not None and abs(d[v]) > bound[v] for v in ids):
        return None             # further apart than the loop runs
    choices = [[(d[v] > 0) - (d[v] < 0)] if v in d else [0] if bound[v] == 0 else [-1, 0, 1]
               for v in ids]
    patterns = []
    for signs in itertools.product(*choices):
        if not any(signs):
            continue            # the same iteration: program order inside it is kept
        ranges = {v: (d[v], d[v]) if v in d else (0, 0) if sg == 0 else
                  (1, bound[v]) if sg > 0 else (None if bound[v] is None else -bound[v], -1)
                  for v, sg in zip(ids, signs)}
        if _feasible(eqs, ranges):
            patterns.append(signs)
    if not patterns:
        return None
    return tuple(d.get(v, ANY) for v in ids), exact, patterns


def _lex_sign(vec) -> int:
    for c in vec:
        if c:
            return 1 if c > 0 else -1
    return 0


def memory_dependences(chain: list) -> list:
    """Dependences between accesses in the body of ``chain[-1]`` (a perfect chain of loops,
    outer first) carried by at least one loop of the chain. Fixed vectors are oriented
    lexicographically positive (src runs first)."""
    body = chain[-1].body
    levels = [lp.var for lp in chain]
    free = {id(lp.var) for lp in ir.loops(body)} | {id(v) for v, _ in assigned_scalars(body)}
    trips = [trip_count(lp) for lp in chain]
    steps = [lp.step for lp in chain]
    accs = accesses(body)
    deps = []
    for i, x in enumerate(accs):
        for y in accs[i:]:
            if x.buf is not y.buf or not (x.write or y.write):
                continue
            found = _distance(x, y, levels, free, trips, steps)
            if found is None:
                continue
            vec, exact, patterns = found
            if ANY not in vec and _lex_sign(vec) < 0:
                x, y, vec = y, x, tuple(-c for c in vec)
            deps.append(Dependence(x, y, vec, exact, patterns))
    return deps


def describe(dep: Dependence) -> str:
    if dep.src is dep.dst:
        return f"{dep.dst.text} (line {dep.dst.loc.line}) on itself"
    return (f"{dep.dst.text} (line {dep.dst.loc.line}) on {dep.src.text} "
            f"(line {dep.src.loc.line})")


def _shown(vec) -> str:
    return "(" + ", ".join(map(str, vec)) + (",)" if len(vec) == 1 else ")")


# --- the checks the primitives make -----------------------------------------------------
def check_reorder(chain: list, new_order: list, what: str, live_out: set = frozenset()):
    """Refuse a permutation of the perfect chain (outer first) that reverses a dependence or
    changes the order of a scalar's updates. ``live_out``: ids of scalars read after the nest
    whose last value the new order may change (the nest is not a full rectangle)."""
    perm = [next(k for k, lp in enumerate(chain) if lp is n) for n in new_order]
    names = ", ".join(lp.name for lp in chain)
    for dep in memory_dependences(chain):
        if any(_lex_sign(s) != _lex_sign([s[p] for p in perm]) for s in dep.patterns):
            raise AlloScheduleError(
                f"{what} would reverse the dependence between the accesses of "
                f"{dep.dst.buf.name} ({describe(dep)}): distance {_shown(dep.vector)} over "
                f"loops {names}", dep.dst.loc,
                hint="keep the loop order, or change the algorithm so the accesses do not "
                     "depend on each other across these loops")
    for var, loc in assigned_scalars(chain[-1].body):
        kind = classify_scalar(chain[-1].body, var)
        if kind == "carried":
            raise AlloScheduleError(
                f"{what} would change the order in which {var.name} is updated (line "
                f"{loc.line}): it carries a value from one iteration of loops {names} to the "
                "next", loc,
                hint="keep the loop order, or accumulate in an array indexed by the loops")
        if kind == "private" and id(var) in live_out:
            raise AlloScheduleError(
                f"{what} would change which iteration leaves its value in {var.name} (line "
                f"{loc.line}), read after loops {names}", loc,
                hint=f"keep the loop order, or do not read {var.name} after the loops")


@dataclass(frozen=True, eq=False)
class Carried:
    """A recurrence carried by a loop; unpacks as ``(symbol, distance, loc)``."""

    symbol: object               # Buffer or Scalar
    distance: int | None         # in iterations of the loop (the smallest); None: unknown
    loc: ir.Loc                  # the later (dependent) access or assignment
    dependence: Dependence | None = None

    def __iter__(self):
        return iter((self.symbol, self.distance, self.loc))


def carried_dependences(f: ir.Function, loop) -> list:
    """The memory and scalar recurrences carried by ``loop`` (an ir.For or its name in f)."""
    if isinstance(loop, str):
        loop = find_loop(f, loop)[0]
    out = []
    for dep in memory_dependences([loop]):
        c = dep.vector[0]
        dist = abs(c) if c != ANY else (1 if dep.exact else None)
        out.append(Carried(dep.dst.buf, dist, dep.dst.loc, dep))
    for var, loc in assigned_scalars(loop.body):
        if classify_scalar(loop.body, var) != "private":
            out.append(Carried(var, 1, loc))
    return out


def check_parallel(f: ir.Function, loop: ir.For, what: str):
    """Refuse running a loop's iterations at once when one depends on another, or when a
    scalar it assigns is read after it (parallel iterations leave no defined last value)."""
    for c in carried_dependences(f, loop):
        if c.dependence is not None:
            dist = "unknown" if c.distance is None else c.distance
            raise AlloScheduleError(
                f"{what}: iterations of {loop.name!r} depend on each other through "
                f"{c.symbol.name}: {describe(c.dependence)}, distance {dist}", c.loc,
                hint="only loops without loop-carried dependences can run in parallel")
        raise AlloScheduleError(
            f"{what}: iterations of {loop.name!r} depend on each other through "
            f"{c.symbol.name} (line {c.loc.line})", c.loc,
            hint="only loops without loop-carried dependences can run in parallel")
    for var, loc in assigned_scalars(loop.body):
        if id(var) in read_after(f, loop):
            raise AlloScheduleError(
                f"{what}: {var.name} (line {loc.line}) is read after loop {loop.name!r}; "
                "parallel iterations leave no defined last value", loc,
                hint=f"declare {var.name} inside the loop body")


def read_after(f: ir.Function, loop: ir.For) -> set:
    """ids of the scalars that code outside ``loop`` mentions, and the function's results."""
    inside = {id(s) for s in ir.walk_stmts([loop])}
    out = {id(r) for r in f.results}
    for s in ir.walk_stmts(f.body):
        if id(s) not in inside:
            out |= {id(x.var) for e in ir.stmt_exprs(s) for x in ir.walk_exprs(e)
                    if isinstance(x, ir.Ref)}
    return out
