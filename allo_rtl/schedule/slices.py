"""What buffer_at and reuse_at share: the accesses of an array inside a loop, which of their
index dimensions stay fixed during one iteration, and small builders for copy loops."""
from __future__ import annotations

import dataclasses
import itertools
import math

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from ..ir.types import index
from .rewrite import const, ref


@dataclasses.dataclass(eq=False)
class Access:
    node: object                # the ir.Load or the ir.Store
    is_store: bool

    @property
    def indices(self) -> list:
        return self.node.indices

    @property
    def loc(self) -> ir.Loc:
        return self.node.loc


def accesses_in(body: list, buf: ir.Buffer, primitive: str) -> list:
    """Every access of ``buf`` in ``body``; a call that is passed ``buf`` is refused."""
    out = []
    for s in ir.walk_stmts(body):
        if isinstance(s, ir.Call) and any(a is buf for a in [*s.args, *s.outs]):
            raise AlloScheduleError(f"{primitive}: {buf.name} is passed to {s.callee.name} "
                                    "inside the loop, so its accesses cannot be redirected",
                                    s.loc, hint="inline the callee first (s.inline)")
        for e in ir.stmt_exprs(s):
            out += [Access(x, False) for x in ir.walk_exprs(e)
                    if isinstance(x, ir.Load) and x.buf is buf]
        if isinstance(s, ir.Store) and s.buf is buf:
            out.append(Access(s, True))
    return out


def varying_ids(loop: ir.For) -> set:
    """ids of the variables that change during one iteration of ``loop``'s body."""
    ids = set()
    for s in ir.walk_stmts(loop.body):
        if isinstance(s, ir.For):
            ids.add(id(s.var))
        elif isinstance(s, ir.Assign):
            ids.add(id(s.var))
        elif isinstance(s, ir.Call):
            ids.update(id(o) for o in s.outs if isinstance(o, ir.Scalar))
    return ids


def uses(e: ir.Expr, ids: set) -> bool:
    return any(isinstance(x, ir.Ref) and id(x.var) in ids for x in ir.walk_exprs(e))


def same_expr(a: ir.Expr, b: ir.Expr) -> bool:
    """Structural equality of two expressions (same variables, same constants)."""
    if type(a) is not type(b) or a.type != b.type:
        return False
    if isinstance(a, ir.Const):
        return a.value == b.value
    if isinstance(a, ir.Ref):
        return a.var is b.var
    for fld in dataclasses.fields(a):
        if fld.name in ("type", "loc"):
            continue
        x, y = getattr(a, fld.name), getattr(b, fld.name)
        if isinstance(x, ir.Expr):
            if not same_expr(x, y):
                return False
        elif isinstance(x, list):
            if len(x) != len(y) or not all(
                    same_expr(p, q) if isinstance(p, ir.Expr) else p is q for p, q in zip(x, y)):
                return False
        elif x != y and x is not y:
            return False
    return True


class Namer:
    """Fresh variable and loop names for one function (names handed out are taken)."""

    def __init__(self, f: ir.Function):
        self.vars = {s.name for s in f.symbols()} | {lp.var.name for lp in ir.loops(f.body)}
        self.loops = {lp.name for lp in ir.loops(f.body)}

    @staticmethod
    def _fresh(base: str, taken: set) -> str:
        name, k = base, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        return name

    def var(self, base: str) -> str:
        return self._fresh(base, self.vars)

    def loop(self, base: str) -> str:
        return self._fresh(base, self.loops)


def copy_nest(names: Namer, prefix: str, extents: list, make_body, loc,
              straight_upto: int = 0) -> list:
    """Loops over ``extents`` (fresh index variables) around ``make_body(index refs)``; the
    innermost is pipelined (a copy has no dependence between iterations). Up to
    ``straight_upto`` elements are copied by straight-line statements instead (no inner loop,
    so an enclosing loop can still be pipelined)."""
    if not extents:
        return make_body([])
    if math.prod(extents) <= straight_upto:
        return [s for point in itertools.product(*(range(n) for n in extents))
                for s in make_body([const(k, loc) for k in point])]
    loops = []
    for d, n in enumerate(extents):
        var = ir.Scalar(names.var(f"{prefix}_i{d}"), index, loc)
        loops.append(ir.For(loc, names.loop(f"{prefix}_l{d}"), var, const(0, loc),
                            const(n, loc), 1, [], {}))
    for outer, inner in zip(loops, loops[1:]):
        outer.body = [inner]
    loops[-1].body = make_body([ref(lp.var, loc) for lp in loops])
    loops[-1].attrs["pipeline"] = 1
    return [loops[0]]
