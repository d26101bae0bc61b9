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

An array that more than two stages use (written by the first, then read or updated in
place by the later ones, in stage order) is a chain: it gets one copy per stage of the
longest chain in the loop (iteration ``n`` uses copy ``n % depth``), a ``full`` token stream
between each pair of consecutive users and one ``free`` stream from the last back to the
first, so each stage of the chain can hold a copy of its own at once.

An array that cannot be copied -- a parameter, a result, or a local also used outside the
loop (Allo's ``buffer_at`` row loaded from and stored back to ``C[i, :]``) -- stays one
memory the stages share through the region's arbiter, provided its accesses are proven
apart: no element one iteration writes is used by another stage in another iteration, and
stages using one element in the same iteration are ordered by a chain's tokens.

A zero fill of such an array inside the loop (``X: int32[N] = 0``) is dropped: the producer
must overwrite it all anyway. Kept meaning: a stage reads in iteration ``t`` what the stages
before it wrote in iteration ``t``, as in the loop run in turn, provided the first stage of a
chain writes every element in every iteration and does not read the array (else its copy
would show it the value of an earlier iteration): both are checked (the writes are
enumerated for every iteration), and a loop that breaks them is refused at the loop's line,
as are arrays read before they are written (a dependence between iterations), shared arrays
whose accesses are not proven apart, and scalars one stage computes for another.
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


def _copy_tag(k: int) -> str:
    return ("ping", "pong")[k] if k < 2 else f"buf{k}"


def _token_order(chains) -> set:
    """Pairs (i, j) of stage indices where stage j starts an iteration only after stage i
    ended it: the full tokens of the chained arrays, closed transitively."""
    after = {(u[k], u[k + 1]) for _b, u in chains for k in range(len(u) - 1)}
    while True:
        more = {(i, m) for i, j in after for j2, m in after if j == j2} - after
        if not more:
            return after
        after |= more


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
        chains = {}                     # id(X) -> (X, indices of the stages using X, in order)
        shared = []                     # (X, user indices): one memory, accesses proven apart
        for b in f.symbols():
            if not isinstance(b, ir.Buffer):
                continue
            users = [i for i, (rd, wr) in enumerate(acc) if id(b) in rd | wr]
            if len(users) < 2 or not any(id(b) in acc[i][1] for i in users):
                continue                # read by many, or one stage's own: no hand-over
            if self._stays_in_loop(b, within):
                self._check_chain(b, users, stages, lo, trips)
                chains[id(b)] = (b, users)
            else:
                shared.append((b, users))
        self._check_scalars(stages)
        after = _token_order(chains.values())
        for b, users in shared:
            self._check_shared(b, users, stages, after, lo, trips)
        if not chains:
            return []                   # no array between stages: nothing to buffer
        # every chained array gets one copy per stage of its longest chain, so each stage of
        # a chain can hold a copy of its own at once (two for the usual producer/consumer)
        depth = max(len(users) for _b, users in chains.values())
        copies, tokens = {}, {}
        for b, users in chains.values():
            copies[id(b)] = []
            for k in range(depth):
                h = ir.Buffer(self._fresh_sym(f"{b.name}_{_copy_tag(k)}"), b.type, "local",
                              b.loc)
                h.partition, h.view_shape = dict(b.partition), b.view_shape
                copies[id(b)].append(h)
            # full streams between consecutive users; free from the last user to the first
            names = ["full" if j == 1 else f"full{j}" for j in range(1, len(users))]
            tokens[id(b)] = [ir.Channel(self._fresh_sym(f"{b.name}_{k}"),
                                        StreamType(TOKEN, depth), b.loc)
                             for k in names + ["free"]]
        new_funcs, calls = [], []
        for i, s in enumerate(stages):
            fn, call = self._stage(i, s, chains, copies, tokens, depth, lo, trips)
            new_funcs.append((fn.name, fn))
            calls.append(call)
        f.locals[:] = [s for s in f.locals if id(s) not in chains] + \
            [h for hs in copies.values() for h in hs] + \
            [c for cs in tokens.values() for c in cs]
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
    def _stays_in_loop(self, b, within) -> bool:
        """Whether ``b`` can become copies of the loop's own: a local array used nowhere
        else in the function (a parameter or result must keep its one memory)."""
        f = self.f
        if b in f.params or b in f.results or b.kind != "local":
            return False
        return not any(_direct_use(t, b) for t in ir.walk_stmts(f.body) if id(t) not in within)

    def _check_chain(self, b, users, stages, lo, trips):
        """The first stage using ``b`` must write every element of it in every iteration and
        read none of it first: the copy it gets holds an iteration ``depth`` earlier."""
        L = self.loop
        first = stages[users[0]]
        where = f"stage at line {first.loc.line}"
        rd, wr = _accesses([first])
        if id(b) not in wr:
            later = next(stages[i] for i in users if id(b) in _accesses([stages[i]])[1])
            _fail(f"array {b.name} is read by the {where} before the stage at line "
                  f"{later.loc.line} writes it: a dependence between iterations, which "
                  "concurrent stages cannot keep", L.loc)
        if id(b) in rd:
            _fail(f"the {where} reads {b.name} as well as writing it, as the first stage "
                  f"using it; with one copy of {b.name} per stage it would read the values of "
                  "an earlier iteration", first.loc,
                  hint="let an earlier stage write the whole array first")
        n = math.prod(b.shape)
        for k in range(trips):
            out = []
            try:
                self._trace_stage(first, b, {id(L.var): lo + k * L.step}, out)
            except _NotStatic:
                _fail(f"which elements of {b.name} the {where} writes is not a compile-time "
                      "fact", first.loc)
            if len({ix for kind, ix in out if kind == "w"}) != n:
                _fail(f"the {where} does not write every element of {b.name} in iteration "
                      f"{k}; the next stage would read a copy left from an earlier iteration",
                      first.loc, hint="write the whole array in every iteration")
            if trips * n > (1 << 18):
                break                   # large: the first iterations stand for the rest

    def _check_shared(self, b, users, stages, after, lo, trips):
        """An array the stages share in one memory (a parameter, or used outside the loop):
        concurrent stages keep the loop's meaning when no element one iteration writes is
        used by another stage in another iteration, and the stages that use one element in
        the same iteration run in order (the tokens of a chained array order them)."""
        L = self.loop
        uses = {}                       # element -> {(stage, iteration): writes it}
        for i in users:
            for k in range(trips):
                out = []
                try:
                    self._trace_stage(stages[i], b, {id(L.var): lo + k * L.step}, out)
                except _NotStatic:
                    _fail(f"the stages at lines {', '.join(str(stages[j].loc.line) for j in users)} "
                          f"share {b.name}, and which elements the stage at line "
                          f"{stages[i].loc.line} uses is not a compile-time fact", L.loc,
                          hint=f"make {b.name} a local array of the loop, or index it by "
                               "loop variables")
                for kind, ix in out:
                    key = (i, k)
                    slot = uses.setdefault(ix, {})
                    slot[key] = slot.get(key, False) or kind == "w"
                if sum(len(v) for v in uses.values()) > (1 << 20):
                    _fail(f"{b.name} is too large to prove its shared accesses apart", L.loc)
        verb = {True: "written", False: "read"}
        for across in (True, False):    # a dependence between iterations is the first reason
            for ix, slot in uses.items():
                keys = sorted(slot)
                for a in range(len(keys)):
                    for c in range(a + 1, len(keys)):
                        (i, k), (j, m) = keys[a], keys[c]
                        if i == j or not (slot[keys[a]] or slot[keys[c]]) or \
                                (k != m) != across or (k == m and (i, j) in after):
                            continue
                        why = ("a dependence between iterations, which concurrent stages "
                               "cannot keep" if across else "nothing orders the two stages "
                               "within an iteration")
                        _fail(f"{b.name}[{', '.join(map(str, ix))}] is "
                              f"{verb[slot[keys[a]]]} by the stage at line "
                              f"{stages[i].loc.line} in iteration {k} and "
                              f"{verb[slot[keys[c]]]} by the stage at line "
                              f"{stages[j].loc.line} in iteration {m}: {why}", L.loc,
                              hint=f"give each iteration its own part of {b.name}, or make "
                                   f"{b.name} a local array of the loop")

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
    def _stage(self, i, st, chains, copies, tokens, depth, lo, trips):
        f, L = self.f, self.loop
        reads, writes = _accesses([st])
        used = reads | writes
        mine = [(b, users.index(i), users) for b, users in chains.values() if i in users]
        params, args = [], []
        base_memo = {id(g): g for g in self.module.functions.values()}
        for b in f.symbols():
            if isinstance(b, ir.Buffer) and id(b) in used and id(b) not in chains:
                p = ir.Buffer(b.name, b.type, "arg", b.loc)
                p.partition, p.view_shape = dict(b.partition), b.view_shape
                base_memo[id(b)] = p
                params.append(p)
                args.append(b)
        copy_params = {}
        for b, _pos, _users in mine:
            ps = []
            for h in copies[id(b)]:
                p = ir.Buffer(h.name, h.type, "arg", h.loc)
                p.partition, p.view_shape = dict(h.partition), h.view_shape
                ps.append(p)
                params.append(p)
                args.append(h)
            copy_params[id(b)] = ps
        chans = {}
        for b, pos, users in mine:
            toks = tokens[id(b)]
            # the stream this stage gets from (if any) and the one it puts to
            for c in (toks[pos - 1] if pos else toks[-1], toks[pos]):
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
        # t = lo + n * step: the original iteration variable, for the stage's own use (no
        # multiply and add for the common range(trips): they cost the iteration a state)
        t_expr = nref if (lo, L.step) == (0, 1) else ir.BinOp(
            index, loc, "+", ir.Const(index, loc, lo),
            ir.BinOp(index, loc, "*", nref, ir.Const(index, loc, L.step)))
        body = [ir.Assign(loc, tvar, t_expr)]
        tok = ir.Scalar(f"{name}_tok", TOKEN, loc)
        locals_.append(tok)
        cmp = lambda op, k: ir.Compare(UInt(1), loc, op, nref, ir.Const(index, loc, k))  # noqa
        for b, pos, _users in mine:
            toks = tokens[id(b)]
            if pos == 0:                # wait for a free copy once every copy was used
                body.append(ir.If(loc, cmp(">=", depth),
                                  [ir.StreamGet(loc, chans[id(toks[-1])], tok)], []))
            else:                       # wait until the stage before is done with this copy
                body.append(ir.StreamGet(loc, chans[id(toks[pos - 1])], tok))
        if copy_params:
            versions = []
            for k in range(depth):
                memo = dict(base_memo)
                for b, _pos, _users in mine:
                    memo[id(b)] = copy_params[id(b)][k]
                c = copy.deepcopy(st, memo)
                if k:                   # the other copies' loops get names of their own
                    for lp in ir.loops([c]):
                        lp.name += f"_{_copy_tag(k)}"
                        lp.var.name += f"_{_copy_tag(k)}"
                versions.append(c)
            # the copy of iteration n is n % depth, counted in ``slot`` (0, 1, .., depth - 1,
            # 0, ..) rather than computed: a constant modulo costs each test two cycles
            slot = ir.Scalar(f"{L.var.name}_slot", index, L.loc)
            locals_.append(slot)
            sref = ir.Ref(index, loc, slot)
            which = lambda k: ir.Compare(UInt(1), loc, "==", sref,  # noqa: E731
                                         ir.Const(index, loc, k))
            chosen = [versions[-1]]
            for k in range(depth - 2, -1, -1):
                chosen = [ir.If(loc, which(k), [versions[k]], chosen)]
            body += chosen
            body.append(ir.Assign(loc, slot, ir.Select(
                index, loc, which(depth - 1), ir.Const(index, loc, 0),
                ir.BinOp(index, loc, "+", sref, ir.Const(index, loc, 1)))))
        else:
            body.append(copy.deepcopy(st, base_memo))
        one = ir.Const(TOKEN, loc, 1)
        for b, pos, users in mine:
            toks = tokens[id(b)]
            if pos < len(users) - 1:    # the next stage may take this copy
                body.append(ir.StreamPut(loc, chans[id(toks[pos])], one))
            else:                       # give the copy back unless the first stage is done
                body.append(ir.If(loc, cmp("<", trips - depth),
                                  [ir.StreamPut(loc, chans[id(toks[-1])], one)], []))
        stage_loop = ir.For(L.loc, L.name, n, ir.Const(index, loc, 0),
                            ir.Const(index, loc, trips), 1, body)
        start = [ir.Assign(loc, slot, ir.Const(index, loc, 0))] if copy_params else []
        fn = ir.Function(name, params, [], [*start, stage_loop], loc, locals_)
        return fn, ir.Call(loc, fn, args, [])
