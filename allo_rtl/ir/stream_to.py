"""``s.to(s.B, "C", depth=d)`` in hardware: array B becomes a FIFO between two stages.

The schedule only records ``s.to`` (``Buffer.stream_to``; the interpreter computes what it
would without it). For the hardware build this pass turns, on a copy of the module, each
function's streamed arrays into a dataflow region:

* The **consumer** is the statement named ``dst`` (a loop or band, or a call of kernel
  ``dst``) that reads B; the **producer** the one statement before it, in the same body,
  that writes B. Every statement from the first producer to the last consumer of the
  function's streamed arrays is a **stage**: a loop nest is outlined into a kernel of its
  own (``<fn>_<loop>``), a call keeps its callee (copied, ``<callee>_s``, with the streamed
  parameter a stream). The stages become one ``ir.Dataflow`` statement, so they run
  concurrently, as the regions of ``allo.dataflow`` do.
* In the producer each store ``B[i, j] = v`` becomes ``B.put(v)``; in the consumer each load
  of ``B[i, j]`` becomes a ``B.get()`` just before its statement. This means the same only if
  the producer writes every element once and the consumer reads the elements in exactly
  that order, once each: both stages' accesses are enumerated (their loops and index
  expressions must be compile-time values) and compared; anything else is refused at the
  ``s.to`` line with the first element where the orders differ. An ``implicit`` zero fill of
  B before its producer (``B: int32[N] = 0``) is dropped when the producer writes every
  element.
* The FIFO is ``depth`` items deep as the user asked; without a depth, as many as B has
  elements (Allo's default, which never stalls the producer).
* B streamed to two consumers (``s.to(s.B, "D")`` and ``s.to(s.B, "E")``, Allo's fork) is
  two FIFOs, ``B_D`` and ``B_E``: each store of the producer computes its value once and puts
  it into both, so every stream keeps one producer and one consumer (each consumer's order is
  checked against the producer's as above).

Refused (they would need what the region cannot give yet): other statements inside the
span of stages, an array written by one stage and used by another without a stream (the
stages run at the same time), a stage whose scalar result is used after it, B used outside
its producer and consumer, B a parameter or result.
"""
from __future__ import annotations

import copy
import math

from ..errors import AlloScheduleError
from . import nodes as ir
from .streams import StreamType
from .verifier import verify_module

MAX_ENUMERATED = 1 << 18        # accesses compared per stream (a larger one is refused)


def has_stream_to(module: ir.Module) -> bool:
    return any(getattr(b, "stream_to", None) for f in module.functions.values()
               for b in f.locals if isinstance(b, ir.Buffer))


def streams_from_to(module: ir.Module) -> ir.Module:
    """A copy of ``module`` with every ``s.to`` record built as a dataflow region."""
    out = copy.deepcopy(module)
    order = []
    for name, f in list(out.functions.items()):
        recs = [(b, dst, depth, locs[k] if k < len(locs) else f.loc)
                for b in f.locals if isinstance(b, ir.Buffer)
                for locs in [b.__dict__.get("stream_to_locs", [])]
                for k, (dst, depth) in enumerate(b.__dict__.get("stream_to", ()))]
        if recs:
            order += _results_to_params(out, f)
            order += _Region(out, f, recs).build()
        order.append((name, f))
    out.functions = dict(order)
    return verify_module(out)


# --- calls returning arrays -------------------------------------------------------------
def _results_to_params(module: ir.Module, f: ir.Function) -> list:
    """``B = g(A)`` with ``g`` returning an array, in ``f``'s top-level body: ``g`` copied as
    ``g_o`` with that result an array parameter it writes in place, called as ``g_o(A, B)``
    -- the same values, and a call stage then writes ``B`` the way the region's stages
    share arrays (its producer's stores become puts when ``B`` is streamed). A result that
    is a parameter returned as is keeps the call as it is. Returns the copies, (name, fn)."""
    made, names = [], set(module.functions)
    for k, s in enumerate(f.body):
        if not isinstance(s, ir.Call):
            continue
        res = [(r, o) for r, o in zip(s.callee.results, s.outs)
               if isinstance(r, ir.Buffer) and r.returns_param is None
               and r not in s.callee.params]
        if not res:
            continue
        memo = {id(g): g for g in module.functions.values() if g is not s.callee}
        fn = copy.deepcopy(s.callee, memo)
        base, n = f"{s.callee.name}_o", 1
        fn.name = base
        while fn.name in names:
            fn.name, n = f"{base}_{n}", n + 1
        names.add(fn.name)
        fn.__dict__["copy_of"] = s.callee.name      # s.to(..., "g") still names it
        taken = [fn.results[s.callee.results.index(r)] for r, _o in res]
        for b, (_r, o) in zip(taken, res):
            b.kind = "arg"
            fn.results.remove(b)
            if b in fn.locals:
                fn.locals.remove(b)
            fn.params.append(b)
            if o.__dict__.get("stream_to"):
                # a streamed result's zero fill (``B: int32[N] = 0``) would be a second write
                # of every element; the producer must write each once anyway (checked)
                fn.body[:] = [t for t in fn.body if not _fills(t, b)]
        fn.returns_tuple = fn.returns_tuple and len(fn.results) > 1
        outs = [o for o in s.outs if not any(o is x for _r, x in res)]
        f.body[k] = ir.Call(s.loc, fn, list(s.args) + [o for _r, o in res], outs)
        made.append((fn.name, fn))
    return made


def _fills(s, buf) -> bool:
    """Whether ``s`` is the implicit zero fill of ``buf`` (``B: int32[N] = 0``)."""
    r, w = _accesses([s])
    return isinstance(s, ir.For) and bool(s.attrs.get("implicit")) and w == {id(buf)} \
        and not r


# --- what a statement reads and writes ---------------------------------------------------
def _accesses(stmts: list, memo=None) -> tuple[set, set]:
    """(ids of Buffers read, ids written) by ``stmts``, through the kernels they call."""
    reads, writes = set(), set()
    for s in ir.walk_stmts(stmts):
        for e in ir.stmt_exprs(s):
            reads |= {id(x.buf) for x in ir.walk_exprs(e) if isinstance(x, ir.Load)}
        if isinstance(s, ir.Store):
            writes.add(id(s.buf))
        elif isinstance(s, ir.StreamPut) and isinstance(s.value, ir.Buffer):
            reads.add(id(s.value))
        elif isinstance(s, ir.StreamGet) and isinstance(s.dest, ir.Buffer):
            writes.add(id(s.dest))
        elif isinstance(s, ir.Call):
            r, w = _accesses(s.callee.body)
            for p, a in zip(s.callee.params, s.args):
                if isinstance(a, ir.Buffer):
                    if id(p) in r:
                        reads.add(id(a))
                    if id(p) in w:
                        writes.add(id(a))
            writes |= {id(o) for o in s.outs if isinstance(o, ir.Buffer)}
    return reads, writes


def _scalars(stmts: list) -> tuple[list, set]:
    """(Scalars read, in first-use order; ids of Scalars assigned) by ``stmts``."""
    read, assigned, seen = [], set(), set()
    for s in ir.walk_stmts(stmts):
        exprs = list(ir.stmt_exprs(s))
        for e in exprs:
            for x in ir.walk_exprs(e):
                if isinstance(x, ir.Ref) and id(x.var) not in seen:
                    seen.add(id(x.var))
                    read.append(x.var)
        if isinstance(s, ir.Assign):
            assigned.add(id(s.var))
        elif isinstance(s, ir.StreamGet) and isinstance(s.dest, ir.Scalar):
            assigned.add(id(s.dest))
        elif isinstance(s, ir.Call):
            assigned |= {id(o) for o in s.outs if isinstance(o, ir.Scalar)}
        elif isinstance(s, ir.For):
            assigned.add(id(s.var))
    return read, assigned


# --- the order of a stage's accesses -----------------------------------------------------
class _NotStatic(Exception):
    pass


_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
        "//": lambda a, b: a // b, "%": lambda a, b: a % b, "<<": lambda a, b: a << b,
        ">>": lambda a, b: a >> b, "&": lambda a, b: a & b, "|": lambda a, b: a | b,
        "^": lambda a, b: a ^ b}


def stage_scalars(f: ir.Function, st, sc_read: list, assigned: set, memo: dict,
                  skip=frozenset()) -> tuple[list, list, list]:
    """(parameters, call arguments, locals) of the scalars of ``st`` moved into a stage:
    every scalar it reads comes in by value (the stage may reassign its copy), one it only
    assigns is its local, its own loop indices (and the variables ``skip`` holds the ids of)
    stay its own. ``memo`` maps each original's id to the stage's copy."""
    inner = {id(lp.var) for lp in ir.loops([st])} | set(skip)
    read_ids = {id(v) for v in sc_read}
    params, args, locals_ = [], [], []
    for v in sc_read:
        if id(v) in inner:
            continue
        p = ir.Scalar(v.name, v.type, v.loc)
        memo[id(v)] = p
        params.append(p)
        args.append(ir.Ref(v.type, st.loc, v))
    for v in f.symbols():
        if isinstance(v, ir.Scalar) and id(v) in assigned and id(v) not in read_ids \
                and id(v) not in inner:
            local = ir.Scalar(v.name, v.type, v.loc)
            memo[id(v)] = local
            locals_.append(local)
    return params, args, locals_


def _value(e, env):
    if isinstance(e, ir.Const):
        if isinstance(e.value, (bool, float)) or not hasattr(e.value, "__index__"):
            raise _NotStatic(e)
        return int(e.value)
    if isinstance(e, ir.Ref) and id(e.var) in env:
        return env[id(e.var)]
    if isinstance(e, ir.Cast):
        return _value(e.operand, env)
    if isinstance(e, ir.BinOp) and e.op in _OPS:
        return _OPS[e.op](_value(e.lhs, env), _value(e.rhs, env))
    raise _NotStatic(e)


def _trace(stmts: list, buf_id: int, env: dict, out: list):
    """Append ("r" | "w", index tuple) per access of the buffer ``buf_id`` in execution
    order; raises _NotStatic where that order is not a compile-time fact."""
    for s in stmts:
        if isinstance(s, ir.For):
            lo, hi = _value(s.lo, env), _value(s.hi, env)
            for v in range(lo, hi, s.step):
                env[id(s.var)] = v
                _trace(s.body, buf_id, env, out)
                if len(out) > MAX_ENUMERATED:
                    raise _NotStatic(s)
            env.pop(id(s.var), None)
            continue
        uses = [x for e in ir.stmt_exprs(s) for x in ir.walk_exprs(e)
                if isinstance(x, ir.Load) and id(x.buf) == buf_id]
        touches = uses or (isinstance(s, ir.Store) and id(s.buf) == buf_id) or any(
            id(b) == buf_id for b in _buffers_in(s))
        if isinstance(s, ir.If):        # its condition always runs, its branches may not
            branches = s.then_body + s.else_body
            r, w = _accesses(branches)
            if buf_id in r | w:
                raise _NotStatic(s)
            for x in uses:
                if any(isinstance(p, (ir.Select, ir.Logic)) for p in _parents_of(s, x)):
                    raise _NotStatic(x)
                out.append(("r", tuple(_value(i, env) for i in x.indices)))
            for v in _scalars(branches)[1]:
                env.pop(v, None)
            continue
        if isinstance(s, (ir.While, ir.Call, ir.Dataflow)):
            if touches or buf_id in _accesses([s])[0] | _accesses([s])[1]:
                raise _NotStatic(s)     # conditional or hidden accesses: no fixed order
            for v in _scalars([s])[1]:
                env.pop(v, None)
            continue
        for x in uses:                  # loads (pre-order), then the store
            if any(isinstance(p, (ir.Select, ir.Logic)) for p in _parents_of(s, x)):
                raise _NotStatic(x)
            out.append(("r", tuple(_value(i, env) for i in x.indices)))
        if isinstance(s, ir.Store) and id(s.buf) == buf_id:
            out.append(("w", tuple(_value(i, env) for i in s.indices)))
        if isinstance(s, ir.Assign):
            try:
                env[id(s.var)] = _value(s.value, env)
            except _NotStatic:
                env.pop(id(s.var), None)


def _independent(a, b) -> bool:
    """Statements ``a`` and ``b`` may run in either order (no array or scalar one writes
    that the other reads or writes)."""
    (ra, wa), (rb, wb) = _accesses([a]), _accesses([b])
    (sa, aa), (sb, ab) = _scalars([a]), _scalars([b])
    sa, sb = {id(v) for v in sa}, {id(v) for v in sb}
    return not (wa & (rb | wb) or wb & ra or aa & (sb | ab) or ab & sa)


def _direct_use(t, buf) -> bool:
    """``t`` itself (not its nested bodies) reads or writes ``buf``."""
    if isinstance(t, ir.Store) and t.buf is buf:
        return True
    if isinstance(t, ir.Call) and any(a is buf for a in t.args):
        return True
    if any(b is buf for b in _buffers_in(t)):
        return True
    return any(isinstance(x, ir.Load) and x.buf is buf
               for e in ir.stmt_exprs(t) for x in ir.walk_exprs(e))


def _buffers_in(s):
    if isinstance(s, ir.StreamPut) and isinstance(s.value, ir.Buffer):
        return [s.value]
    if isinstance(s, ir.StreamGet) and isinstance(s.dest, ir.Buffer):
        return [s.dest]
    return []


def _parents_of(s, target):
    """The expressions enclosing ``target`` in statement ``s``."""
    def walk(e, chain):
        if e is target:
            return chain
        for c in ir.child_exprs(e):
            r = walk(c, chain + [e])
            if r is not None:
                return r
        return None
    for e in ir.stmt_exprs(s):
        r = walk(e, [])
        if r is not None:
            return r
    return []


# --- one function's region ---------------------------------------------------------------
class _Region:
    def __init__(self, module, f, recs):
        self.module, self.f, self.recs = module, f, recs
        self.fn_names = set(module.functions)

    def fail(self, msg, loc, hint=None):
        raise AlloScheduleError(msg, loc, hint=hint)

    def build(self) -> list:
        """The new stage functions, as (name, Function) in callee-first order; ``self.f``'s
        body gets the Dataflow statement."""
        f = self.f
        ends = []                       # (buf, body, producer idx, consumer idx, depth, loc)
        for buf, dst, depth, loc in self.recs:
            if buf in f.params or buf in f.results:
                self.fail(f"to(): {buf.name} is a parameter or result of {f.name}; only a "
                          "local array between two of its stages can become a stream", loc)
            body, k = self._consumer(buf, dst, loc)
            ends.append((buf, body, self._producer(buf, body, k, dst, loc), k, depth, loc))
        bodies = {id(e[1]) for e in ends}
        if len(bodies) > 1:
            self.fail(f"to(): the streams of {f.name} join stages in different loop bodies; "
                      "one region per function is built", ends[1][5])
        body = ends[0][1]
        lo, hi = min(e[2] for e in ends), max(e[3] for e in ends)
        streamed = {id(e[0]) for e in ends}
        self._drop_fills(body, ends)
        lo, hi = min(e[2] for e in ends), max(e[3] for e in ends)
        stages, hoisted = self._hoist(body, ends, lo, hi)
        self._check_stages(stages, ends, streamed, body, lo, hi)
        # one stream per consumer: an array streamed to two consumers (Allo's fork) is two
        # FIFOs, the producer putting each value into both (one producer, one consumer each)
        per_stage, made = {}, []
        forks = {}
        for buf, _b, p, c, depth, loc in ends:
            forks.setdefault(id(buf), []).append((p, c, depth, loc))
        for buf, _b, p, c, depth, loc in ends:
            mine = forks[id(buf)]
            if len({q for q, *_ in mine}) > 1:
                self.fail(f"to(): {buf.name} is streamed to consumers with different "
                          "producers", loc)
            if [q for _, q, *_ in mine].count(c) > 1:
                self.fail(f"to(): {buf.name} is streamed to the same consumer twice", loc)
            d = depth if depth is not None else math.prod(buf.shape)
            name = buf.name if len(mine) == 1 else f"{buf.name}_{_end_name(body[c])}"
            ch = ir.Channel(name, StreamType(buf.dtype, d), buf.loc)
            made.append(ch)
            per_stage.setdefault(id(body[p]), {}).setdefault(id(buf), []).append(ch)
            per_stage.setdefault(id(body[c]), {}).setdefault(id(buf), []).append(ch)
        new_funcs, calls = [], []
        for st in stages:
            fn, call = self._stage(st, per_stage.get(id(st), {}))
            new_funcs.append((fn.name, fn))
            calls.append(call)
        f.locals[:] = [s for s in f.locals if id(s) not in streamed] + made
        body[lo:hi + 1] = hoisted + [ir.Dataflow(stages[0].loc, calls, f.name)]
        return new_funcs

    def _hoist(self, body, ends, lo, hi):
        """(the stages, the statements moved before them): a statement of the span that is
        no stream's end and shares nothing with the statements before it there (``D: int32
        [N] = 0`` between two stages) runs before the region instead."""
        keep = {e[2] for e in ends} | {e[3] for e in ends}
        stages, hoisted, before = [], [], []
        for k in range(lo, hi + 1):
            s = body[k]
            if k not in keep and all(_independent(s, t) for t in before):
                hoisted.append(s)
            else:
                stages.append(s)
            before.append(s)
        return stages, hoisted

    def _consumer(self, buf, dst, loc):
        found = []

        def walk(body):
            for k, s in enumerate(body):
                named = (isinstance(s, ir.For) and dst in (s.name, s.attrs.get("band"))) or (
                    isinstance(s, ir.Call) and dst in (s.callee.name,
                                                       s.callee.__dict__.get("copy_of")))
                if named and id(buf) in _accesses([s])[0]:
                    found.append((body, k))
                    continue                # a band's inner loops carry its name too
                for b in ir.child_bodies(s):
                    walk(b)
        walk(self.f.body)
        if len(found) != 1:
            self.fail(f"to(): {'no' if not found else 'more than one'} statement named "
                      f"{dst!r} reads {buf.name} in {self.f.name}", loc,
                      hint=f"name the loop nest or kernel that reads {buf.name}")
        return found[0]

    def _producer(self, buf, body, k, dst, loc):
        writers = [j for j in range(k) if id(buf) in _accesses([body[j]])[1]]
        if not writers:
            self.fail(f"to(): nothing before {dst!r} writes {buf.name}", loc)
        return writers[-1]

    def _drop_fills(self, body, ends):
        """Remove implicit fills of streamed arrays before their producer (the producer
        must then write every element: ``_check_order``); ``ends`` follow the shift."""
        gone = []
        for buf, _b, p, _c, _d, loc in ends:
            for j in range(p):
                s = body[j]
                r, w = _accesses([s])
                if isinstance(s, ir.For) and s.attrs.get("implicit") and w == {id(buf)} \
                        and not r:
                    gone.append(j)
        for j in sorted(set(gone), reverse=True):
            del body[j]
        for e in range(len(ends)):
            buf, b, p, c, d, loc = ends[e]
            shift_p = sum(1 for j in gone if j < p)
            shift_c = sum(1 for j in gone if j < c)
            ends[e] = (buf, b, p - shift_p, c - shift_c, d, loc)

    def _check_stages(self, stages, ends, streamed, body, lo, hi):
        f = self.f
        for s in stages:
            if not isinstance(s, (ir.For, ir.Call)) or isinstance(s, ir.Dataflow):
                self.fail(f"to(): the statement at line {s.loc.line} lies between the "
                          "stages the streams join; the stages run concurrently, so it has "
                          "no place", ends[0][5], hint="move it before the producer or after "
                          "the consumer")
            if isinstance(s, ir.Call) and any(isinstance(o, ir.Buffer) for o in s.outs):
                self.fail(f"to(): stage {s.callee.name} returns an array it was passed "
                          "(return A), which a concurrent stage does not hand back", s.loc,
                          hint="write it into another array argument")
        acc = [_accesses([s]) for s in stages]
        for i, (ri, wi) in enumerate(acc):
            for j, (rj, wj) in enumerate(acc):
                if i == j:
                    continue
                shared = (wi & (rj | wj)) - streamed
                if shared:
                    name = next(b.name for b in f.symbols() if id(b) in shared)
                    self.fail(f"to(): array {name} is written by the stage at line "
                              f"{stages[i].loc.line} and used by the stage at line "
                              f"{stages[j].loc.line}; the stages run concurrently",
                              ends[0][5], hint=f"stream it too: s.to(s.{name}, ...)")
        # the streamed arrays: only their producer writes and only their consumer reads
        consumers = {}
        for buf, _b, p, c, _d, loc in ends:
            consumers.setdefault(id(buf), []).append(body[c])
        for buf, _b, p, c, _d, loc in ends:
            ends_of = {id(t) for t in ir.walk_stmts([body[p], *consumers[id(buf)]])}
            for t in ir.walk_stmts(f.body):
                if id(t) not in ends_of and _direct_use(t, buf):
                    self.fail(f"to(): {buf.name} is also used at line {t.loc.line}, besides "
                              "its producer and its consumer", loc)
            if id(buf) in _accesses([body[p]])[0] or id(buf) in _accesses([body[c]])[1]:
                self.fail(f"to(): the producer of {buf.name} also reads it, or its consumer "
                          "writes it; a stream goes one way", loc)
            self._check_order(buf, body[p], body[c], loc)
        # a scalar a stage computes: returned to the function when the region ends (read
        # after it), but never read by another stage (they run at the same time)
        self.returned = {}
        inside = {id(t): k for k, s in enumerate(stages) for t in ir.walk_stmts([s])}
        for k, s in enumerate(stages):
            _r, assigned = _scalars([s])
            assigned -= {id(lp.var) for lp in ir.loops([s])}
            for t in ir.walk_stmts(f.body):
                if inside.get(id(t)) == k:
                    continue
                for e in ir.stmt_exprs(t):
                    for x in ir.walk_exprs(e):
                        if not (isinstance(x, ir.Ref) and id(x.var) in assigned):
                            continue
                        if id(t) in inside:
                            self.fail(f"to(): the stage at line {s.loc.line} computes "
                                      f"{x.var.name}, which the stage at line "
                                      f"{stages[inside[id(t)]].loc.line} reads; the stages "
                                      "run at the same time", ends[0][5],
                                      hint="pass it through a stream, or compute it before "
                                           "the stages")
                        self.returned.setdefault(id(s), {})[id(x.var)] = x.var
            for o in f.results:
                if isinstance(o, ir.Scalar) and id(o) in assigned:
                    self.returned.setdefault(id(s), {})[id(o)] = o

    def _stage_trace(self, stmt, buf):
        """(the accesses of ``buf`` by ``stmt`` in order, the statement traced)."""
        if isinstance(stmt, ir.Call):
            p = next(p for p, a in zip(stmt.callee.params, stmt.args) if a is buf)
            env = {}
            for q, a in zip(stmt.callee.params, stmt.args):
                if isinstance(q, ir.Scalar):
                    try:
                        env[id(q)] = _value(a, {})
                    except _NotStatic:
                        pass
            out = []
            _trace(stmt.callee.body, id(p), env, out)
            return out
        out = []
        _trace([stmt], id(buf), {}, out)
        return out

    def _check_order(self, buf, prod, cons, loc):
        try:
            w = self._stage_trace(prod, buf)
            r = self._stage_trace(cons, buf)
        except _NotStatic as e:
            where = getattr(e.args[0], "loc", None)
            self.fail(f"to(): the order in which {buf.name} is written or read is not a "
                      f"compile-time fact{f' (line {where.line})' if where else ''}: a "
                      "conditional access, a run-time index or loop bound, or an access "
                      "inside a nested call", loc,
                      hint="a stream needs both loop nests' accesses in one fixed order")
        pw = [ix for k, ix in w if k == "w"]
        cr = [ix for k, ix in r if k == "r"]
        n = math.prod(buf.shape)
        if len(set(pw)) != len(pw) or len(pw) != n:
            self.fail(f"to(): the producer of {buf.name} writes {len(pw)} times to "
                      f"{len(set(pw))} of its {n} elements; a stream needs each element "
                      "written once", loc)
        if cr != pw:
            k = next((i for i, (a, b) in enumerate(zip(pw, cr)) if a != b), min(len(pw),
                                                                                len(cr)))
            got = f"reads {buf.name}{list(cr[k])}" if k < len(cr) else "reads no more"
            put = f"writes {buf.name}{list(pw[k])}" if k < len(pw) else "writes no more"
            self.fail(f"to(): {buf.name}'s consumer reads its elements in another order than "
                      f"its producer writes them: access #{k} the producer {put}, the "
                      f"consumer {got}", loc,
                      hint="read the array in the order it is written, once per element, "
                           "or keep it an array (no s.to)")

    # --- building the stages ---------------------------------------------------------------
    def _fresh_fn(self, base):
        name, k = base, 1
        while name in self.fn_names:
            name, k = f"{base}_{k}", k + 1
        self.fn_names.add(name)
        return name

    def _stage(self, st, chans):
        if isinstance(st, ir.Call):
            return self._call_stage(st, chans)
        return self._nest_stage(st, chans)

    def _nest_stage(self, st, chans):
        f = self.f
        reads, writes = _accesses([st])
        bufs = [b for b in f.symbols() if isinstance(b, ir.Buffer) and id(b) in reads | writes]
        sc_read, assigned = _scalars([st])
        memo = {id(g): g for g in self.module.functions.values()}
        params, args, locals_ = [], [], []
        forked = {}
        for b in bufs:
            if id(b) in chans:
                outers = chans[id(b)]
                chs = [ir.Channel(o.name, o.type, b.loc, outer=o) for o in outers]
                p = chs[0]
                params += chs[1:]           # the second consumer's stream first, then p
                args += outers[1:]
                args.append(outers[0])
                forked[id(p)] = chs
            else:
                p = ir.Buffer(b.name, b.type, "arg", b.loc)
                p.partition, p.view_shape = dict(b.partition), b.view_shape
                args.append(b)
            memo[id(b)] = p
            params.append(p)
        more_params, more_args, more_locals = stage_scalars(f, st, sc_read, assigned, memo)
        params += more_params
        args += more_args
        locals_ += more_locals
        # scalars the function reads after the region: the stage's results (a copy-in
        # parameter, when the stage also reads the value it had before)
        results, outs, prologue = [], [], []
        for v in self.returned.get(id(st), {}).values():
            r = ir.Scalar(v.name, v.type, v.loc)
            if id(v) in memo and isinstance(memo[id(v)], ir.Scalar):
                old = memo[id(v)]
                if old in locals_:
                    locals_.remove(old)
                else:                   # read before written: keep the value passed in
                    old.name = f"{v.name}_in"
                    prologue.append(ir.Assign(st.loc, r, ir.Ref(v.type, st.loc, old)))
            memo[id(v)] = r
            results.append(r)
            outs.append(v)
        body = prologue + copy.deepcopy([st], memo)
        label = st.attrs.get("band") or st.name         # grid(..., name="C") -> f_C
        name = self._fresh_fn(f"{f.name}_{label}".replace(".", "_"))
        fn = ir.Function(name, params, results, body, st.loc, locals_,
                         returns_tuple=len(results) > 1)
        self._to_stream_ops(fn, [p for p in params if isinstance(p, ir.Channel)],
                            {k: v for k, v in forked.items() if len(v) > 1})
        return fn, ir.Call(st.loc, fn, args, outs)

    def _call_stage(self, st, chans):
        callee = st.callee
        memo = {id(g): g for g in self.module.functions.values() if g is not callee}
        fn = copy.deepcopy(callee, memo)
        fn.name = self._fresh_fn(f"{callee.name}_s")
        args, streamed, extra = [], [], []
        for k, (p, a) in enumerate(zip(list(fn.params), st.args)):
            if isinstance(a, ir.Buffer) and id(a) in chans:
                outers = chans[id(a)]
                for t in ir.walk_stmts(fn.body):
                    if isinstance(t, ir.Call) and any(x is p for x in t.args):
                        self.fail(f"to(): {callee.name} passes {p.name} on to "
                                  f"{t.callee.name}; only the kernel's own loops can read or "
                                  "write a stream", t.loc)
                chs = [ir.Channel(p.name if n == 0 else f"{p.name}_{n}", o.type, p.loc,
                                  outer=o) for n, o in enumerate(outers)]
                fn.params[k] = chs[0]
                streamed.append((p, chs))
                args.append(outers[0])
                extra += list(zip(chs[1:], outers[1:]))
            else:
                args.append(a)
        fn.params += [ch for ch, _o in extra]    # a forked array's second stream: last
        args += [o for _ch, o in extra]
        self._to_stream_ops(fn, [c for _p, chs in streamed for c in chs],
                            {id(p): chs if len(chs) > 1 else chs[0] for p, chs in streamed})
        return fn, ir.Call(st.loc, fn, args, list(st.outs))

    def _to_stream_ops(self, fn, chans, by_buf=None):
        """Stores to a streamed array -> puts; loads -> gets just before their statement."""
        by_buf = by_buf or {}
        names = {s.name for s in fn.symbols()} | {lp.var.name for lp in ir.loops(fn.body)}
        # the outlined nest's copies refer to the Channel param through the memo, so its
        # loads/stores name a Channel as their buffer; a call stage's name the old param.
        # A list: a forked array's streams, each store a put into every one
        for c in chans:
            by_buf.setdefault(id(c), c)

        def fresh(base):
            name, k = base, 1
            while name in names:
                name, k = f"{base}_{k}", k + 1
            names.add(name)
            return name

        def rewrite(body):
            out = []
            for s in body:
                for b in ir.child_bodies(s):
                    b[:] = rewrite(b)
                if isinstance(s, ir.Store) and isinstance(by_buf.get(id(s.buf)), list):
                    # the value once into a scalar, then a put into each stream
                    v = ir.Scalar(fresh(f"{s.buf.name}_v"), s.value.type, s.loc)
                    fn.locals.append(v)
                    chs = by_buf[id(s.buf)]
                    s = ir.Assign(s.loc, v, s.value)
                    gets = []
                    for e in ir.stmt_exprs(s):
                        _replace_loads(e, s, by_buf, gets, fresh, fn)
                    out += gets + [s] + [ir.StreamPut(s.loc, ch, ir.Ref(v.type, s.loc, v))
                                         for ch in chs]
                    continue
                if isinstance(s, ir.Store) and id(s.buf) in by_buf:
                    s = ir.StreamPut(s.loc, by_buf[id(s.buf)], s.value)
                gets = []
                for e in ir.stmt_exprs(s):
                    _replace_loads(e, s, by_buf, gets, fresh, fn)
                out += gets
                out.append(s)
            return out
        fn.body[:] = rewrite(fn.body)


def _end_name(stmt) -> str:
    """A consumer's name for its own stream of a forked array (``C_D`` for band ``D``)."""
    if isinstance(stmt, ir.Call):
        return stmt.callee.name
    return (stmt.attrs.get("band") or stmt.name).replace(".", "_")


def _replace_loads(e, s, by_buf, gets, fresh, fn):
    """Loads of streamed arrays in ``e`` (pre-order) -> Refs of fresh scalars that a
    StreamGet fills; the gets go in ``gets`` in that order."""
    def sub(x):
        if isinstance(x, ir.Load) and id(x.buf) in by_buf:
            ch = by_buf[id(x.buf)]
            v = ir.Scalar(fresh(f"{ch.name}_v"), x.type, x.loc)
            fn.locals.append(v)
            gets.append(ir.StreamGet(x.loc, ch, v))
            return ir.Ref(x.type, x.loc, v)
        for attr, val in list(vars(x).items()):
            if isinstance(val, ir.Expr):
                setattr(x, attr, sub(val))
            elif isinstance(val, list):
                setattr(x, attr, [sub(v) if isinstance(v, ir.Expr) else v for v in val])
        return x
    for attr, val in list(vars(s).items()):
        if val is e:
            setattr(s, attr, sub(e))
        elif isinstance(val, list) and any(v is e for v in val):
            setattr(s, attr, [sub(v) if v is e else v for v in val])
