"""Register promotion (scalar replacement) in pipelined loops.

An array element whose address does not change across the iterations of a pipelined loop --
``C[i, j]`` in ``for k: C[i, j] += A[i, k] * B[k, j]`` -- is read once, kept in a register and
written once, so the loop neither spends a port slot per access nor waits on a recurrence
through memory:

    for k in range(lo, hi):                   for k in range(lo, hi):
        ... C[i, j] ...                           if k == lo: C_reg = C[i, j]
        C[i, j] = v                  ->           ... C_reg ...
                                                  C_reg = v
                                                  if k == last: C[i, j] = C_reg

The load and the store stay inside the loop, under predicates on its first and last
iteration, so the nest stays perfect (outer loops still flatten into the pipeline) and the
if-conversion of ``cdfg`` turns the two branches into a predicated load and store. Two such
accesses run in different iterations of every K, so they can share the array's one port at
II = 1 (``phases.py`` tells the modulo scheduler when they never meet). A loop whose trips are
computed at run time (``for k in range(i + 1, N)``) has no constant first and last iteration
and no nest to flatten: the element is loaded before it and stored after it instead.

Applied to a loop marked ``pipeline`` with at least two trips, for each element read or written at the top level of its body with subscripts that use neither the
loop's index nor a scalar the body assigns nor a load. If the loop writes the array, every
other access to it must be at the top level too (not under a branch, in an inner loop or in a
call) and at the same or a provably different element (a subscript differing by a constant,
or by an amount the loop's range keeps away from zero: ``B[k, j]`` beside ``B[i, j]`` in
``for k in range(i + 1, N)``), so the element has no other name in
the loop (distinct ``Buffer`` objects are distinct memories) and the register is exact. An
array the loop only reads is promoted only when it is read at more than one element per
iteration (one read per iteration costs no port slot the register would save, and the
register's select adds a multiplexer to the path), and only in loops with constant trips (a
load before a run-time loop costs a state on every entry of it).

An element accessed only inside branches ``if c:`` (no else, assignments and stores only)
whose condition reads neither an array nor a scalar the loop changes is promoted under that
condition: it holds in every iteration of an entry of the loop or in none, so the load and
the store run under it too, and where it fails the register is never read (its update then
needs no select keeping the old value). That is syrk's ``if j <= i: C[i, j] += ...`` over
``k`` with ``j`` unrolled. An element accessed under two different conditions, or under one
and outside it, stays in memory. Runs on a copy of the module: the user's schedule keeps its
IR.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from ..ir import nodes as ir
from ..ir.affine import Affine, affine_of
from ..ir.printer import format_expr
from ..ir.types import UInt
from ..schedule.rewrite import clone_expr, const, map_expr, ref, trip_count
from .single_port import asks_spram
from .two_port import asks_two_ports

# registers one pipelined loop may hold promoted elements in: each adds a load and a store in
# the pipeline's first and last iteration, and a register delayed through the stages
MAX_PROMOTED = 16


@dataclass
class Promotion:
    """One element a pipelined loop could keep in a register, and whether it does."""
    function: str
    loop: str
    line: int
    array: str
    subscripts: str
    reason: str = ""          # why not ("" when promoted)
    reads: bool = True        # the loop reads the element (it is loaded before the loop)
    writes: bool = False      # the loop writes it (it is stored after)
    around: bool = False      # loaded before the loop and stored after it (run-time trips)
    guard_line: int = 0       # every access is under the branch at this line (0: none)

    @property
    def applied(self) -> bool:
        return not self.reason

    def to_dict(self) -> dict:
        return {"function": self.function, "loop": self.loop, "line": self.line,
                "array": self.array, "subscripts": self.subscripts, "applied": self.applied,
                "reason": self.reason, "reads": self.reads, "writes": self.writes,
                "around": self.around, "guard_line": self.guard_line}


def promote_module(module: ir.Module) -> tuple:
    """(``module`` or a promoted copy, [Promotion] applied and refused)."""
    plans = [(f, loop, _candidates(f, loop, module.top)) for f in module.functions.values()
             for loop in pipelined_loops(f.body)]
    notes = [p for _, _, found in plans for p, *_ in found]
    if not any(p.applied for p in notes):
        return module, notes
    module = copy.deepcopy(module)
    for f in module.functions.values():
        for loop in pipelined_loops(f.body):
            for p, buf, indices, guard in _candidates(f, loop, module.top):
                if p.applied:
                    _promote(f, loop, buf, indices, p.around, guard)
    return module, notes


def pipelined_loops(body) -> list:
    """Every loop in ``body`` marked ``pipeline``, outer before inner."""
    return [lp for lp in ir.loops(body) if lp.attrs.get("pipeline") not in (None, False)]


def _loads(exprs):
    return [e for x in exprs for e in ir.walk_exprs(x) if isinstance(e, ir.Load)]


def _candidates(f: ir.Function, loop: ir.For, top: str = "") -> list:
    """(Promotion, buffer, subscripts, guard) for every array ``loop`` reads or writes at a
    fixed element somewhere in its body's top level or in a guarded branch there
    (``_guard``): applied, or refused with the reason. ``guard``: the condition every access
    of the element is under, or None."""
    trips = trip_count(loop)
    if trips is not None and trips < 2:
        return []
    varying = {id(loop.var)} | {id(s.var) for s in ir.walk_stmts(loop.body)
                                if isinstance(s, ir.Assign)} | \
        {id(lp.var) for lp in ir.loops(loop.body)}
    access, nested, order, written, count = {}, {}, [], set(), {}
    for t in ir.walk_stmts(loop.body):          # what the loop may change, what it reads
        if isinstance(t, ir.Store):
            written.add(id(t.buf))
        if isinstance(t, ir.Call):
            written |= {id(a) for a in t.args if isinstance(a, ir.Buffer)}
        for e in _loads(ir.stmt_exprs(t)):     # distinct words (the CDFG merges repeats)
            count.setdefault(id(e.buf), set()).add(tuple(subscript_key(i) for i in e.indices))
    for s in loop.body:
        guard = _guard(s, varying)
        branch = None if guard is None else (guard, s.loc.line)
        if isinstance(s, (ir.Assign, ir.Store)) or guard is not None:
            for t in s.then_body if guard is not None else [s]:
                found = [(e.buf, e.indices) for e in _loads(ir.stmt_exprs(t))]
                if isinstance(t, ir.Store):
                    found.append((t.buf, t.indices))
                for buf, idx in found:
                    access.setdefault(id(buf), []).append((idx, t.loc.line, branch))
                    order.append(buf)
        else:                                   # anything nested: its arrays stay in memory
            for t in [s, *_nested(s)]:
                bufs = [e.buf for e in _loads(ir.stmt_exprs(t))]
                bufs += [t.buf] if isinstance(t, ir.Store) else []
                bufs += [a for a in t.args if isinstance(a, ir.Buffer)] \
                    if isinstance(t, ir.Call) else []
                for b in bufs:
                    nested.setdefault(id(b), t.loc.line)
    out, seen = [], set()
    perfect = _in_perfect_nest(f, loop)
    simple = list(_simple_statements(loop.body, varying))
    for buf in order:
        if id(buf) in seen:
            continue
        seen.add(id(buf))
        subs = access[id(buf)]
        elements = []                       # each fixed element once, in program order
        for i, _, _ in subs:
            if _invariant(i, varying) and not any(_same(i, e) for e in elements):
                elements.append(i)
        if id(buf) not in written and len(count.get(id(buf), ())) < 2:
            continue        # read once per iteration through its own port: nothing to gain
        if id(buf) not in written and trips is None:
            continue        # a load before the loop costs a state on every entry, for at
            #                 most a port slot (syrk's A[i, k] beside A[j, k]: II stays 2)
        around = trips is None or (not perfect and _fold_raises_ii(
            f, top, buf, elements, loop, count))
        for elem in elements:
            note = Promotion(f.name, loop.name, loop.loc.line, buf.name, _text(elem),
                             around=around)
            clash = next((line for i, line, _ in subs
                          if not _same(elem, i) and not _distinct(elem, i, loop)), None)
            # the branches (condition, line) its accesses are under; None: the top level
            branches = {_guard_key(b): (b, line) for i, line, b in subs if _same(elem, i)}
            branch = next(iter(branches.values()))[0]
            guard, note.guard_line = branch if branch is not None else (None, 0)
            if len(branches) > 1:       # (a register loaded under one, read under another)
                lines = sorted(line for _, line in branches.values())
                note.reason = (f"{buf.name}{_text(elem)} is accessed under different "
                               f"conditions (lines {', '.join(map(str, lines))}): no one "
                               "load before and store after covers them all")
            elif id(buf) not in written:
                pass        # nothing in the loop changes the array: any copy stays exact
            elif id(buf) in nested:
                note.reason = (f"{buf.name} is also accessed inside a branch, loop or call at "
                               f"line {nested[id(buf)]}, which may touch the same element")
            elif clash is not None:
                note.reason = (f"{buf.name} is also accessed at another element (line {clash}), "
                               "which may be the same one")
            elif sum(p.applied for p, *_ in out) >= MAX_PROMOTED:
                note.reason = (f"the loop already keeps {MAX_PROMOTED} elements in registers "
                               "(the limit)")
            note.writes = any(isinstance(s, ir.Store) and s.buf is buf and _same(s.indices, elem)
                              for s in simple)
            note.reads = any(e.buf is buf and _same(e.indices, elem)
                             for s in simple for e in _loads(ir.stmt_exprs(s)))
            out.append((note, buf, elem, guard))
    return out


def _guard(s, varying: set):
    """The condition of ``s`` when it is ``if c:`` over assignments and stores only, with no
    else, and ``c`` reads neither an array nor a scalar the loop changes: it then holds in
    every iteration of one entry of the loop or in none, so an element accessed only under
    it is loaded in the first iteration and stored in the last under it too (syrk's
    ``if j <= i: C[i, j] += ...`` over ``k``, ``j`` unrolled). Else None."""
    return s.cond if _plain_branch(s) and _invariant([s.cond], varying) else None


def _plain_branch(s) -> bool:
    """``if c:`` over assignments and stores only, with no else."""
    return isinstance(s, ir.If) and bool(s.then_body) and not s.else_body and \
        all(isinstance(t, (ir.Assign, ir.Store)) for t in s.then_body)


def _guard_key(branch):
    return None if branch is None else subscript_key(branch[0])


def _simple_statements(body: list, varying: set):
    """The assignments and stores of ``body``'s top level and of its guarded branches."""
    for s in body:
        if isinstance(s, (ir.Assign, ir.Store)):
            yield s
        elif _guard(s, varying) is not None:
            yield from s.then_body


def _in_perfect_nest(f: ir.Function, loop: ir.For) -> bool:
    """Whether ``loop`` is the whole body of a loop with constant trips: the outer loop may
    then flatten into its pipeline, which loads and stores before and after would break."""
    holder = _body_holding(f.body, loop)
    parent = next((t for t in ir.walk_stmts(f.body)
                   if any(b is holder for b in ir.child_bodies(t))), None)
    return isinstance(parent, ir.For) and len(holder) == 1 and trip_count(parent) is not None


def _one_shared_port(f: ir.Function, top: str, buf: ir.Buffer) -> bool:
    """A called kernel's array parameter, or the top's without RAM_2P, has one read/write
    port (``hls/two_port.py``), as an SPRAM has; other on-chip arrays have a read and a
    write port."""
    if buf.kind in ("arg", "result"):
        return not (f.name == top and asks_two_ports(buf))
    return asks_spram(buf)


def _fold_raises_ii(f, top, buf, elements, loop, count) -> bool:
    """Folded into the first and last iterations, the promoted loads and stores of ``buf``
    take port slots in every iteration of the modulo schedule; loaded before the loop and
    stored after, they cost a few states per entry instead. Hoist them when the folded
    accesses alone need more cycles per iteration than the loop's other reads need anyway
    (the dataflow stage's row ``C[j] += A[i, k] * B[k, j]`` over ``j`` unrolled: 16 + 16
    accesses through one port against B's 16 reads)."""
    if buf.partition:
        return False        # its banks have ports of their own (often one element each)
    n = len(elements)
    if n < 2:
        return False        # one load and one store: phases.py lets them share a port at II 1
    writes = any(isinstance(s, ir.Store) and s.buf is buf for s in ir.walk_stmts(loop.body))
    folded = 2 * n if writes and _one_shared_port(f, top, buf) else n
    others = max((len(v) for k, v in count.items() if k != id(buf)), default=1)
    return folded > max(others, 1)


def _distinct(a: list, b: list, loop: ir.For) -> bool:
    """Certainly different elements in every iteration of ``loop``: some subscript differs by
    a nonzero constant, or by ``c * k + rest`` (k the loop's index) that the loop's range keeps
    on one side of zero -- ``B[i, j]`` and ``B[k, j]`` in ``for k in range(i + 1, N)``."""
    for x, y in zip(a, b):
        fx, fy = affine_of(x), affine_of(y)
        if fx is None or fy is None:
            continue
        d = fx.plus(fy, -1)
        if d.is_constant:
            if d.const:
                return True
            continue
        c = next((c for v, c in d.terms if v is loop.var), 0)
        lo, hi = affine_of(loop.lo), affine_of(loop.hi)
        if not c or lo is None or hi is None or loop.step <= 0:
            continue
        rest = d.plus(Affine.of(loop.var), -c)
        first = rest.plus(lo, c)                                    # d at k = lo
        last = rest.plus(Affine(hi.terms, hi.const - 1), c)         # d at k = hi - 1 at most
        # d is monotonic in k: away from zero from its first value on, or up to its last
        if first.is_constant and (first.const > 0 if c > 0 else first.const < 0):
            return True
        if last.is_constant and (last.const < 0 if c > 0 else last.const > 0):
            return True
    return False


def _text(indices: list) -> str:
    return "[" + ", ".join(format_expr(i) for i in indices) + "]"


def _nested(s):
    for body in ir.child_bodies(s):
        yield from ir.walk_stmts(body)


def subscript_key(e: ir.Expr):
    """Structural identity of an index expression (same variables, operators, constants)."""
    if isinstance(e, ir.Ref):
        return ("ref", id(e.var))
    if isinstance(e, ir.Const):
        return ("const", repr(e.value), e.type)
    return (type(e).__name__, getattr(e, "op", None), e.type,
            tuple(subscript_key(c) for c in ir.child_exprs(e)))


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(subscript_key(x) == subscript_key(y) for x, y in zip(a, b))


def _invariant(indices: list, varying: set) -> bool:
    for e in (x for i in indices for x in ir.walk_exprs(i)):
        if isinstance(e, ir.Load) or isinstance(e, ir.Ref) and id(e.var) in varying:
            return False
    return True


def _replace_loads(e: ir.Expr, buf: ir.Buffer, reg: ir.Scalar, indices: list) -> ir.Expr:
    """``e`` with every load of ``buf[indices]`` reading ``reg`` instead."""
    return map_expr(e, lambda x: ref(reg, x.loc) if isinstance(x, ir.Load) and x.buf is buf
                    and _same(x.indices, indices) else None)


def _promote(f: ir.Function, loop: ir.For, buf: ir.Buffer, indices: list,
             around: bool = False, guard: ir.Expr | None = None):
    """Keep ``buf[indices]`` in a register over ``loop``. ``guard``: the condition of the
    branches (``_guard``) all its accesses are in; the load and the store run under it too."""
    loc = loop.loc
    taken = {sym.name for sym in f.symbols()}
    name = next(n for n in (f"{buf.name}_reg{k or ''}" for k in range(len(taken) + 1))
                if n not in taken)
    reg = ir.Scalar(name, buf.dtype, loc)
    f.locals.append(reg)
    first_reads, stores = None, False
    load_loc = store_loc = loc

    def rewritten(s, guarded=False):
        nonlocal first_reads, stores, load_loc, store_loc
        exprs = [s.value] if isinstance(s, ir.Assign) else [*s.indices, s.value]
        reads = any(e.buf is buf and _same(e.indices, indices) for e in _loads(exprs))
        writes = isinstance(s, ir.Store) and s.buf is buf and _same(s.indices, indices)
        if first_reads is None and (reads or writes):
            first_reads = reads         # a read before any write needs the element's value
            load_loc = s.loc            # the promoted accesses keep their statements' lines
        if writes:
            store_loc = s.loc
        stores = stores or writes
        value = _replace_loads(s.value, buf, reg, indices)
        if writes:      # under the guard: the register matters only where it holds
            return ir.Assign(s.loc, reg, value, skipped_value_dead=guarded)
        if isinstance(s, ir.Assign):
            return ir.Assign(s.loc, s.var, value)
        return ir.Store(s.loc, s.buf, [_replace_loads(i, buf, reg, indices) for i in s.indices],
                        value)

    body = []
    for s in loop.body:
        if isinstance(s, (ir.Assign, ir.Store)):
            body.append(rewritten(s))
        elif guard is not None and _plain_branch(s) and \
                subscript_key(s.cond) == subscript_key(guard):
            body.append(ir.If(s.loc, s.cond, [rewritten(t, True) for t in s.then_body], []))
        else:
            body.append(s)
    subs = lambda: [clone_expr(i, {}) for i in indices]      # noqa: E731

    def guarded(stmts, at_loc):
        return stmts if guard is None else [ir.If(at_loc, clone_expr(guard, {}), stmts, [])]
    load = [ir.Assign(load_loc, reg, ir.Load(buf.dtype, load_loc, buf, subs()))]
    store = [ir.Store(store_loc, buf, subs(), ref(reg, store_loc))]
    if around or trip_count(loop) is None:
        # run-time trips (a triangular loop): no constant first and last iteration to
        # predicate on, and no flattening to keep the nest perfect for -- load before the
        # loop, store after it (a loop that runs no iteration stores the value it loaded);
        # also where the folded accesses would raise the II (_fold_raises_ii)
        loop.body = body
        around = _body_holding(f.body, loop)
        at = next(n for n, t in enumerate(around) if t is loop)
        after = guarded(store, store_loc) if stores else []
        before = guarded(load, load_loc) if first_reads else []
        around[at:at + 1] = [*before, loop, *after]
        return
    lo, hi, step = int(loop.lo.value), int(loop.hi.value), loop.step
    last = lo + (trip_count(loop) - 1) * step

    def at(k):
        return ir.Compare(UInt(1), loc, "==", ref(loop.var, loc), const(k, loc))
    if first_reads:
        body.insert(0, ir.If(load_loc, at(lo), guarded(load, load_loc), []))
    if stores:
        body.append(ir.If(store_loc, at(last), guarded(store, store_loc), []))
    loop.body = body


def _body_holding(body: list, stmt) -> list:
    """The statement list (``body`` or one nested in it) that holds ``stmt`` itself."""
    if any(t is stmt for t in body):
        return body
    for t in body:
        for child in ir.child_bodies(t):
            found = _body_holding(child, stmt)
            if found is not None:
                return found
    return None
