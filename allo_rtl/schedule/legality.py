"""Dependence analysis for loop primitives: affine array accesses inside a loop nest, their
dependence distance vectors, and the checks that a reorder or parallel keeps every dependence.

Subscripts are affine forms over scalars (coefficients and a constant). For a perfect chain of
loops (the *levels*) two accesses to one buffer, one of them a store, give a distance vector
over the levels in iterations: an int when the subscripts force it, "*" otherwise. Scalars in
a subscript that are not levels:

* indices of loops inside the chain and scalars assigned in its body differ between the two
  iterations in unknown ways, so a subscript using one gives no constraint;
* everything else (enclosing loop indices, parameters) is the same in both.

Affine forms come from ``ir/affine.py`` and distances from ``ir/dependence.py``, the engine
the modulo scheduler uses too: exact over every distance vector of a small chain, Banerjee and
GCD bounds on a large one (a forced distance longer than the loop, or a subscript equation no
distance in range can satisfy, is no dependence).

Scalars assigned in a loop body are *private* (assigned first in every iteration), *reduction*
(only ever updated as ``v = v op e`` with a wrapping integer op that reassociates exactly) or
*carried*. Float and fixed-point updates are carried: reordering them changes the rounding.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from ..ir.affine import affine_of
from ..ir.analysis import written_buffers
from ..ir.dependence import ANY, Nest, dependence
from ..ir.printer import format_expr
from .rewrite import find_loop

REDUCTION_OPS = ("+", "*", "&", "|", "^")      # associative and commutative modulo 2**n


def _integral(t) -> bool:
    return t.is_int and not t.fracs


# --- accesses and scalars ---------------------------------------------------------------
@dataclass(eq=False)
class Access:
    buf: ir.Buffer
    index: list | None           # Affine or None per dimension; None: the whole buffer
    write: bool
    loc: ir.Loc
    text: str                    # as in messages: A[i - 1, j + 1]


def _access(buf, indices, write, loc, lattice) -> Access:
    forms = [affine_of(i, lattice=lattice) for i in indices]
    text = ", ".join(str(a) if a is not None and a.is_integral else format_expr(i)
                     for a, i in zip(forms, indices))
    return Access(buf, forms, write, loc, f"{buf.name}[{text}]")


def accesses(body: list, lattice: dict | None = None) -> list:
    """Every array access in ``body``, nested statements included, in program order. A call
    reads each buffer it is passed, whole, and writes those its callee writes. ``lattice``: the
    (lo, step) of loop indices around, which keep shifts by a step affine (``affine_of``)."""
    out = []
    for s in ir.walk_stmts(body):
        for x in (x for e in ir.stmt_exprs(s) for x in ir.walk_exprs(e)):
            if isinstance(x, ir.Load):
                out.append(_access(x.buf, x.indices, False, x.loc, lattice))
        if isinstance(s, ir.Store):
            out.append(_access(s.buf, s.indices, True, s.loc, lattice))
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
    nest = Nest(chain)
    free = {id(lp.var) for lp in ir.loops(body)} | {id(v) for v, _ in assigned_scalars(body)}
    accs = accesses(body, nest.lattice)
    deps = []
    for i, x in enumerate(accs):
        for y in accs[i:]:
            if x.buf is not y.buf or not (x.write or y.write):
                continue
            found = dependence(x.index, y.index, nest, free)
            if found is None:
                continue
            vec = found.vector
            if ANY not in vec and _lex_sign(vec) < 0:
                x, y, vec = y, x, tuple(-c for c in vec)
            deps.append(Dependence(x, y, vec, found.exact, list(found.patterns)))
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
