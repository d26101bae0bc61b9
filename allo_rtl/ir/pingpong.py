"""``s.dataflow(loop)`` in hardware: task-level pipelining with ping-pong buffers.

A loop marked dataflow whose body is a sequence of stages (loop nests or calls) that pass
arrays to each other -- ``for t: S1 writes X; S2 reads X, writes Y; S3 reads Y`` -- runs
its stages concurrently, each stage its own kernel looping over the iterations: while S2
reads block ``t`` of X, S1 already writes block ``t + 1``. Each array passed from one stage
to a later one becomes a double buffer (``X_ping``, ``X_pong``: iteration ``n`` uses
``n % 2``) with two token streams of depth 2: ``X_full`` (the producer puts after writing a
half, the consumer gets before reading it) and ``X_free`` (the consumer gives a half back
after reading it; the producer waits for it from its third iteration on; the last two
halves are not given back, so no token is left in a FIFO when the region ends). The
stage's body is copied once per half (an ``if`` on the iteration's parity), so every
access of a half is a plain access of its own memory and the two stages never use one half
at the same time (the tokens order them; the arbiter of a half then never makes one wait).

Why a token stream and not a lock register: the tokens are ordinary streams, so the stall
watchdog, the one-producer/one-consumer structure and the region's join work unchanged.

A zero fill of such an array inside the loop (``X: int32[N] = 0``) is dropped: the producer
must overwrite it all anyway. Kept meaning: stage ``j`` reads in iteration ``t`` what stage ``i`` wrote in iteration
``t``, as in the loop run in turn, provided the producer writes every element of X in
every iteration before the consumer may read it and does not read X itself (else the
double buffer would show it the value of iteration ``t - 2``): both are checked (the
producer's writes are enumerated for every iteration), and a loop that breaks them is
refused at the loop's line, as are arrays passed backwards (a dependence between
iterations), an array with two consumers, and scalars one stage computes for another.
The result is a copy of the module; the schedule's own module is left as it is.
"""
from __future__ import annotations

import copy
import math

from ..errors import AlloScheduleError
from . import nodes as ir
from .stream_to import (_accesses, _direct_use, _NotStatic, _scalars, _trace, _value,
                        stage_scalars)
from .streams import StreamType
from .types import UInt, index
from .verifier import verify_module

TOKEN = UInt(1)


def has_dataflow_loops(module: ir.Module) -> bool:
    return any(lp.attrs.get("dataflow") for f in module.functions.values()
               for lp in ir.loops(f.body))


def pingpong_loops(module: ir.Module) -> ir.Module:
    """A copy of ``module`` with every dataflow loop of two or more stages built as a
    dataflow region over ping-pong buffers (see the docstring)."""
    out = copy.deepcopy(module)
    order = []
    for name, f in list(out.functions.items()):
        for lp in [lp for lp in ir.loops(f.body) if lp.attrs.get("dataflow")]:
            order += _Pipelined(out, f, lp).build()
        order.append((name, f))
    out.functions = dict(order)
    return verify_module(out)


def _fail(msg, loc, hint=None):
    raise AlloScheduleError(f"dataflow(): {msg}", loc, hint=hint)


class _Pipelined:
    def __init__(self, module, f, loop):
        self.module, self.f, self.loop = module, f, loop
        self.fn_names = set(module.functions)
        self._taken = set()             # symbol names handed out in f

    def build(self) -> list:
        f, L = self.f, self.loop
        self._drop_fills(L)
        stages = L.body
        if len(stages) < 2:
            return []                   # one stage: nothing to overlap
        for s in stages:
            if not isinstance(s, (ir.For, ir.Call)) or isinstance(s, ir.Dataflow):
                _fail(f"the statement at line {s.loc.line} is not a stage (a loop nest or a "
                      f"call) of the dataflow loop {L.name}", s.loc,
                      hint="move it out of the loop, or into one of its loop nests")
            if isinstance(s, ir.Call) and s.outs:
                _fail(f"stage {s.callee.name} returns a value, which a concurrent stage does "
                      "not hand back yet", s.loc, hint="write it into an array argument")
        try:
            lo, hi = _value(L.lo, {}), _value(L.hi, {})
        except _NotStatic:
            _fail(f"the dataflow loop {L.name} needs compile-time bounds", L.loc)
        trips = len(range(lo, hi, L.step))
        if trips < 1:
            return []
        acc = [_accesses([s]) for s in stages]
        within = {id(t) for t in ir.walk_stmts([L])}
        passed = {}                     # id(X) -> (X, producer index, consumer index)
        for b in f.symbols():
            if not isinstance(b, ir.Buffer):
                continue
            w = [i for i, (_r, wr) in enumerate(acc) if id(b) in wr]
            r = [i for i, (rd, _w) in enumerate(acc) if id(b) in rd and i not in w]
            if not w or not r:
                continue                # read by many, or one stage's own: no hand-over
            self._check_passed(b, w, r, stages, within, lo, trips)
            passed[id(b)] = (b, w[0], r[0])
        self._check_scalars(stages)
        if not passed:
            return []                   # no array between stages: nothing to double
        # the double buffers and their token streams
        halves, tokens = {}, {}
        for b, _p, _c in passed.values():
            pair = []
            for tag in ("ping", "pong"):
                h = ir.Buffer(self._fresh_sym(f"{b.name}_{tag}"), b.type, "local", b.loc)
                h.partition, h.view_shape = dict(b.partition), b.view_shape
                pair.append(h)
            halves[id(b)] = pair
            tokens[id(b)] = [ir.Channel(self._fresh_sym(f"{b.name}_{k}"), StreamType(TOKEN, 2),
                                        b.loc) for k in ("full", "free")]
        new_funcs, calls = [], []
        for i, s in enumerate(stages):
            fn, call = self._stage(i, s, passed, halves, tokens, lo, trips)
            new_funcs.append((fn.name, fn))
            calls.append(call)
        f.locals[:] = [s for s in f.locals if id(s) not in passed] + \
            [h for pair in halves.values() for h in pair] + \
            [c for pair in tokens.values() for c in pair]
        self._replace(f.body, L, ir.Dataflow(L.loc, calls, f"{f.name}_{L.name}"))
        return new_funcs

    def _drop_fills(self, L):
        """``X: int32[N] = 0`` inside the loop is a fill loop before X's producer; with a
        double buffer it would be a second producer. The producer must write every element
        anyway (``_check_passed``), so the fill changes nothing and goes."""
        keep = []
        for k, s in enumerate(L.body):
            if isinstance(s, ir.For) and s.attrs.get("implicit"):
                r, w = _accesses([s])
                if len(w) == 1 and not r and any(w <= _accesses([t])[1]
                                                 for t in L.body[k + 1:]):
                    continue
            keep.append(s)
        L.body[:] = keep

    def _replace(self, body, old, new):
        for k, s in enumerate(body):
            if s is old:
                body[k] = new
                return True
            if any(self._replace(b, old, new) for b in ir.child_bodies(s)):
                return True
        return False

    def _fresh_sym(self, base):
        taken = {s.name for s in self.f.symbols()} | self._taken
        name, k = base, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        self._taken = taken | {name}
        return name

    def _fresh_fn(self, base):
        name, k = base, 1
        while name in self.fn_names:
            name, k = f"{base}_{k}", k + 1
        self.fn_names.add(name)
        return name

    # --- checks -----------------------------------------------------------------------------
    def _check_passed(self, b, w, r, stages, within, lo, trips):
        L, f = self.loop, self.f
        where = f"stage at line {stages[w[0]].loc.line}"
        if len(w) > 1:
            _fail(f"array {b.name} is written by two stages (lines {stages[w[0]].loc.line} "
                  f"and {stages[w[1]].loc.line})", L.loc)
        if len(r) > 1:
            _fail(f"array {b.name} written by the {where} is read by two stages (lines "
                  f"{stages[r[0]].loc.line} and {stages[r[1]].loc.line}); a ping-pong buffer "
                  "has one consumer", L.loc, hint="give the second consumer its own copy")
        if r[0] < w[0]:
            _fail(f"array {b.name} is read by the stage at line {stages[r[0]].loc.line} "
                  f"before the {where} writes it: a dependence between iterations, which "
                  "concurrent stages cannot keep", L.loc)
        if b in f.params or b in f.results or b.kind != "local":
            _fail(f"array {b.name} goes from one stage to another but is a parameter or "
                  f"result of {f.name}; only a local array becomes a ping-pong buffer", L.loc)
        if any(_direct_use(t, b) for t in ir.walk_stmts(f.body) if id(t) not in within):
            _fail(f"array {b.name} is also used outside the dataflow loop {L.name}", L.loc)
        prod = stages[w[0]]
        if id(b) in _accesses([prod])[0]:
            _fail(f"the {where} reads {b.name} as well as writing it; with a double buffer "
                  "it would read the values of two iterations earlier", prod.loc)
        n = math.prod(b.shape)
        for k in range(trips):
            out = []
            try:
                env = {id(L.var): lo + k * L.step}
                self._trace_stage(prod, b, env, out)
            except _NotStatic:
                _fail(f"which elements of {b.name} the {where} writes is not a compile-time "
                      "fact", prod.loc)
            if len({ix for kind, ix in out if kind == "w"}) != n:
                _fail(f"the {where} does not write every element of {b.name} in iteration "
                      f"{k}; the consumer would read a half left from two iterations earlier",
                      prod.loc, hint="write the whole array in every iteration")
            if trips * n > (1 << 18):
                break                   # large: the first iterations stand for the rest

    def _trace_stage(self, st, b, env, out):
        if isinstance(st, ir.Call):
            p = next(p for p, a in zip(st.callee.params, st.args) if a is b)
            inner = {}
            for q, a in zip(st.callee.params, st.args):
                if isinstance(q, ir.Scalar):
                    try:
                        inner[id(q)] = _value(a, env)
                    except _NotStatic:
                        pass
            _trace(st.callee.body, id(p), inner, out)
        else:
            _trace([st], id(b), dict(env), out)

    def _check_scalars(self, stages):
        L = self.loop
        for s in stages:
            if not isinstance(s, ir.For):
                continue
            _r, assigned = _scalars([s])
            assigned -= {id(lp.var) for lp in ir.loops([s])}
            own = {id(t) for t in ir.walk_stmts([s])}
            for t in ir.walk_stmts(self.f.body):
                if id(t) in own:
                    continue
                for e in ir.stmt_exprs(t):
                    for x in ir.walk_exprs(e):
                        if isinstance(x, ir.Ref) and id(x.var) in assigned:
                            _fail(f"the stage at line {s.loc.line} computes {x.var.name}, "
                                  f"used again at line {t.loc.line}; a concurrent stage does "
                                  "not hand back scalars yet", L.loc)

    # --- building a stage -----------------------------------------------------------------
    def _stage(self, i, st, passed, halves, tokens, lo, trips):
        f, L = self.f, self.loop
        reads, writes = _accesses([st])
        used = reads | writes
        produces = [b for b, p, _c in passed.values() if p == i]
        consumes = [b for b, _p, c in passed.values() if c == i]
        params, args = [], []
        base_memo = {id(g): g for g in self.module.functions.values()}
        for b in f.symbols():
            if isinstance(b, ir.Buffer) and id(b) in used and id(b) not in passed:
                p = ir.Buffer(b.name, b.type, "arg", b.loc)
                p.partition, p.view_shape = dict(b.partition), b.view_shape
                base_memo[id(b)] = p
                params.append(p)
                args.append(b)
        half_params = {}
        for b in produces + consumes:
            pair = []
            for h in halves[id(b)]:
                p = ir.Buffer(h.name, h.type, "arg", h.loc)
                p.partition, p.view_shape = dict(h.partition), h.view_shape
                pair.append(p)
                params.append(p)
                args.append(h)
            half_params[id(b)] = pair
        chans = {}
        for b in produces + consumes:
            full, free = tokens[id(b)]
            for c in (full, free):
                p = ir.Channel(c.name, c.type, c.loc, outer=c)
                chans[id(c)] = p
                params.append(p)
                args.append(c)
        sc_read, assigned = _scalars([st])
        tvar = ir.Scalar(L.var.name, index, L.loc)
        base_memo[id(L.var)] = tvar
        # the dataflow loop's variable is the stage's own (tvar), not an argument
        more_params, more_args, more_locals = stage_scalars(f, st, sc_read, assigned, base_memo,
                                                            skip={id(L.var)})
        params += more_params
        args += more_args
        locals_ = [tvar, *more_locals]
        name = self._fresh_fn(f"{f.name}_{L.name}_{st.attrs.get('band') or st.name}"
                              if isinstance(st, ir.For) else f"{st.callee.name}_df")
        loc = st.loc
        n = ir.Scalar(f"{L.var.name}_n", index, L.loc)
        nref = ir.Ref(index, loc, n)
        # t = lo + n * step: the original iteration variable, for the stage's own use
        body = [ir.Assign(loc, tvar, ir.BinOp(index, loc, "+", ir.Const(index, loc, lo),
                                              ir.BinOp(index, loc, "*", nref,
                                                       ir.Const(index, loc, L.step))))]
        tok = ir.Scalar(f"{name}_tok", TOKEN, loc)
        locals_.append(tok)
        cmp = lambda op, k: ir.Compare(UInt(1), loc, op, nref, ir.Const(index, loc, k))  # noqa
        for b in produces:              # wait for a free half from the third iteration on
            free = chans[id(tokens[id(b)][1])]
            body.append(ir.If(loc, cmp(">=", 2), [ir.StreamGet(loc, free, tok)], []))
        for b in consumes:              # wait until the producer filled this half
            body.append(ir.StreamGet(loc, chans[id(tokens[id(b)][0])], tok))
        if half_params:
            copies = []
            for k in range(2):
                memo = dict(base_memo)
                for b in produces + consumes:
                    memo[id(b)] = half_params[id(b)][k]
                c = copy.deepcopy(st, memo)
                if k == 1:              # the second copy's loops get names of their own
                    for lp in ir.loops([c]):
                        lp.name += "_pong"
                        lp.var.name += "_pong"
                copies.append(c)
            parity = ir.Compare(UInt(1), loc, "==",
                                ir.BinOp(index, loc, "%", nref, ir.Const(index, loc, 2)),
                                ir.Const(index, loc, 0))
            body.append(ir.If(loc, parity, [copies[0]], [copies[1]]))
        else:
            body.append(copy.deepcopy(st, base_memo))
        one = ir.Const(TOKEN, loc, 1)
        for b in produces:              # this half is full
            body.append(ir.StreamPut(loc, chans[id(tokens[id(b)][0])], one))
        for b in consumes:              # give the half back unless the producer is done
            free = chans[id(tokens[id(b)][1])]
            body.append(ir.If(loc, cmp("<", trips - 2), [ir.StreamPut(loc, free, one)], []))
        stage_loop = ir.For(L.loc, L.name, n, ir.Const(index, loc, 0),
                            ir.Const(index, loc, trips), 1, body)
        fn = ir.Function(name, params, [], [stage_loop], loc, locals_)
        return fn, ir.Call(loc, fn, args, [])
