"""A synthesized function (CDFG + block schedules) -> an Amaranth ``wiring.Component``.

The control is one FSM: each scheduled block becomes a chain of states; loops, branches and
calls add transitions. A loop's latch (index increment and exit test) is merged into the last
state of its body when that body ends in a block, so an iteration costs exactly the body's
states. Calls start a submodule (one per callee, kept in the hierarchy) and wait for its done
while routing its memory ports to the caller's buffers.
"""
from __future__ import annotations

from collections import Counter

from amaranth.hdl import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..hls.cdfg import Block, CallRegion, IfRegion, LoopRegion, WhileRegion
from ..hls.synthesize import FunctionDesign
from ..hls.timing import divider_config
from ..ir import nodes as ir
from ..primitives import arith
from ..primitives.divider import Divider
from .interface import KernelInterface, ScalarPort, hw_shape, interface_of
from .memports import BufferPorts
from .pipeline import PipelineLowering


def signature_of(iface: KernelInterface) -> wiring.Signature:
    members = {"start": In(1), "done": Out(1), "idle": Out(1)}
    for p in [*iface.params, *iface.results]:
        if isinstance(p, ScalarPort):
            members[p.name] = (In if p.role == "param" else Out)(hw_shape(p.dtype))
        else:
            members[p.signal("address0")] = Out(p.addr_width)
            members[p.signal("ce0")] = Out(1)
            members[p.signal("we0")] = Out(1)
            members[p.signal("d0")] = Out(hw_shape(p.dtype))
            members[p.signal("q0")] = In(hw_shape(p.dtype))
    return wiring.Signature(members)


ONE_HOT_MAX_STATES = 32


class KernelComponent(wiring.Component):
    """The hardware of one kernel function; see ``rtl.interface`` for the ports."""

    def __init__(self, design: FunctionDesign, designs: dict):
        self.design, self.designs = design, designs
        self.iface = interface_of(design.function)
        self.fsm_state = None
        self.state_stmts = {}       # FSM state -> innermost loop/while/call (for messages)
        super().__init__(signature_of(self.iface))

    def elaborate(self, platform):
        lowering = _Lowering(self)
        self.fsm_state = lowering.state_signal
        self.state_stmts = {st.index: st.stmt for st in lowering.states if st.stmt is not None}
        return lowering.m


class _State:
    def __init__(self, index: int):
        self.index = index
        self.comb, self.sync = [], []
        self.guarded = []            # (condition, sync statements)
        self.next = []               # (condition or None, _State), first match wins
        self.mergeable = False       # last state of a block, free to take a loop latch
        self.emit = []               # callables adding statements while in this state
        self.stmt = None             # the innermost enclosing For/While/Call statement


class _Entry:
    """Entering a region without a state of its own: go to ``state`` and perform ``actions``
    (sync statements) on the transition (used to start a loop with constant bounds)."""

    def __init__(self, state: _State, actions: list):
        self.state, self.actions = state, actions

    @staticmethod
    def of(target):
        return target if isinstance(target, _Entry) else _Entry(target, [])


class _Lowering:
    def __init__(self, comp: KernelComponent):
        self.comp, self.design = comp, comp.design
        f = self.design.function
        self.m = m = Module()
        self.states: list = []
        self.enclosing: list = []    # statements of the regions being lowered, outermost first
        self.vars, self.vals, self.regs, self.callees = {}, {}, {}, {}
        self.buffers, self.shared_regs, self.dividers = {}, {}, {}
        self.multipliers = {}
        self.unit_users = Counter(self.design.binding.unit_of.values())
        for b in f.symbols():
            if isinstance(b, ir.Buffer):
                ext = comp if id(b) in self.design.external_ids else None
                self.buffers[id(b)] = BufferPorts(m, b, ext)
        idle = self.new_state()
        entry, exits = self.seq(self.design.cdfg.body)
        done = self.new_state()
        done.next.append((None, idle))
        self.patch(exits, done)
        params = [p for p in f.params if isinstance(p, ir.Scalar)]
        idle.guarded.append((comp.start, [self.var(p).eq(getattr(comp, p.name)) for p in params]))
        idle.next.append((comp.start, entry or done))
        for r in f.results:
            if isinstance(r, ir.Scalar):
                m.d.comb += getattr(comp, r.name).eq(self.var(r))
        self.state_signal = Signal(range(max(2, len(self.states))), name="fsm_state")
        if len(self.states) <= ONE_HOT_MAX_STATES:
            # one-hot: a state's actions hang off one flip-flop, no decoder in the paths
            self.onehot = Signal(len(self.states), init=1 << idle.index, name="fsm_onehot")
            self.in_state = lambda k: self.onehot[k]                             # noqa: E731
            self.goto = lambda k: self.onehot.eq(1 << k)                         # noqa: E731
            for st in self.states:      # the state number, for messages and waveforms
                with m.If(self.onehot[st.index]):
                    m.d.comb += self.state_signal.eq(st.index)
        else:
            # long FSMs (e.g. multi-cycle divisions) stay binary: fewer flip-flops and LUTs
            binary = Signal(range(len(self.states)), init=idle.index, name="fsm_binary")
            self.in_state = lambda k: binary == k                                # noqa: E731
            self.goto = lambda k: binary.eq(k)                                   # noqa: E731
            m.d.comb += self.state_signal.eq(binary)
        # plain assignments (not FSM cases) so Verilog simulators see them from time 0
        m.d.comb += [comp.idle.eq(self.in_state(idle.index)),
                     comp.done.eq(self.in_state(done.index))]
        self.emit_fsm()

    # --- states -------------------------------------------------------------------------
    def new_state(self) -> _State:
        s = _State(len(self.states))
        s.stmt = self.enclosing[-1] if self.enclosing else None
        self.states.append(s)
        return s

    @staticmethod
    def patch(exits, target):
        for state, cond in exits:
            state.next.append((cond, target))
            state.mergeable = False

    def emit_fsm(self):
        m = self.m
        for st in self.states:
            with m.If(self.in_state(st.index)):
                m.d.comb += st.comb
                m.d.sync += st.sync
                for cond, stmts in st.guarded:
                    with m.If(cond):
                        m.d.sync += stmts
                for emit in st.emit:
                    emit()
                self.emit_transitions(st)

    def emit_transitions(self, st: _State):
        m = self.m
        first = True
        for cond, target in st.next:
            entry = _Entry.of(target)
            goto = [self.goto(entry.state.index), *entry.actions]
            if cond is None:
                if first:
                    m.d.sync += goto
                else:
                    with m.Else():
                        m.d.sync += goto
                return
            with (m.If if first else m.Elif)(cond):
                m.d.sync += goto
            first = False

    # --- variables and values -----------------------------------------------------------
    def var(self, v: ir.Scalar) -> Signal:
        if id(v) not in self.vars:
            self.vars[id(v)] = Signal(hw_shape(v.type), name=f"var_{v.name}")
        return self.vars[id(v)]

    def value_at(self, op, cycle: int, sch):
        if op.kind == "const":
            return Const(int(op.attrs["value"]), hw_shape(op.type))
        if op.kind == "var":
            return self.var(op.attrs["var"])
        if cycle == sch.ready[op]:
            return self.vals[op]
        return self.regs[op]

    def register(self, index: int, typ) -> Signal:
        """The datapath register the binding gave a value (shared by lifetime)."""
        if index not in self.shared_regs:
            self.shared_regs[index] = Signal(hw_shape(typ), name=f"reg{index}")
        return self.shared_regs[index]

    # --- regions ------------------------------------------------------------------------
    def seq(self, regions):
        entry, pending = None, []
        for r in regions:
            first, exits = self.region(r)
            if first is None:          # a region with nothing to do (empty loop body)
                continue
            if entry is None:
                entry = first
            self.patch(pending, first)
            pending = exits
        return entry, pending

    def region(self, r):
        stmt = (r.loop if isinstance(r, LoopRegion) else r.stmt if isinstance(r, WhileRegion)
                else r.call if isinstance(r, CallRegion) else None)
        if stmt is None:
            return self.region_states(r)
        self.enclosing.append(stmt)
        try:
            return self.region_states(r)
        finally:
            self.enclosing.pop()

    def region_states(self, r):
        if isinstance(r, Block):
            first, last, _ = self.block(r)
            return first, [(last, None)]
        if isinstance(r, LoopRegion):
            return self.loop(r)
        if isinstance(r, WhileRegion):
            first, last, at = self.block(r.cond_block)
            body_entry, body_exits = self.seq(r.body)
            last.next.append((at(r.cond), body_entry or first))
            last.mergeable = False
            self.patch(body_exits, first)
            return first, [(last, None)]
        if isinstance(r, IfRegion):
            return self.branch(r)
        if isinstance(r, CallRegion):
            return self.call(r)
        raise TypeError(type(r).__name__)

    def loop(self, r: LoopRegion):
        plan = self.design.pipelines.get(id(r))
        if plan is not None:
            return self.pipelined_loop(plan)
        if r.static_trips:
            return self.counted_loop(r)
        first, last, at = self.block(r.entry)
        loop = r.loop
        width = r.counter_width
        if width is not None:   # the index stays between constant bounds: a narrow counter
            self.vars[id(loop.var)] = Signal(signed(width), name=f"var_{loop.var.name}")
        var = self.var(loop.var)
        if r.hi.kind == "const":
            hi = at(r.hi)
            last.sync.append(var.eq(at(r.lo)))
        else:
            hi = Signal(hw_shape(r.hi.type), name=f"{loop.name}_hi")
            last.sync += [var.eq(at(r.lo)), hi.eq(at(r.hi))]
        last.mergeable = False
        body_entry, body_exits = self.seq(r.body)
        if body_entry is None:
            return first, [(last, None)]
        last.next.append((at(r.enter), body_entry))
        latch = self.latch(r, var, hi, body_entry, body_exits)
        return first, [(last, None), (latch, None)]

    def latch(self, r: LoopRegion, var, hi, body_entry, body_exits) -> _State:
        """Increment the index and test it, in the body's last state when that is free."""
        loop, width = r.loop, r.counter_width
        if len(body_exits) == 1 and body_exits[0][1] is None and body_exits[0][0].mergeable:
            latch = body_exits[0][0]
            latch.mergeable = False
        else:
            latch = self.new_state()
            self.patch(body_exits, latch)
        nxt_shape = (signed(width + abs(loop.step).bit_length() + 1) if width is not None
                     else hw_shape(loop.var.type))
        nxt = Signal(nxt_shape, name=f"{loop.name}_next")
        self.m.d.comb += nxt.eq(var + loop.step)
        latch.sync.append(var.eq(nxt))
        latch.next.append(((nxt < hi) if loop.step > 0 else (nxt > hi), body_entry))
        return latch

    def counted_loop(self, r: LoopRegion):
        """A loop with constant bounds and at least one trip needs no entry state: whoever
        enters it sets the index on the way into the body."""
        loop = r.loop
        var = Signal(signed(r.counter_width), name=f"var_{loop.var.name}")
        self.vars[id(loop.var)] = var
        lo, hi = (int(o.attrs["value"]) for o in (r.lo, r.hi))
        body_entry, body_exits = self.seq(r.body)
        if body_entry is None:
            return None, []
        body_entry = _Entry.of(body_entry)
        latch = self.latch(r, var, hi, body_entry, body_exits)
        return _Entry(body_entry.state, [var.eq(lo), *body_entry.actions]), [(latch, None)]

    def pipelined_loop(self, plan):
        """A modulo-scheduled nest: one state, entered with its counters set (after the
        state(s) computing the bounds when they are only known at run time)."""
        lowering = PipelineLowering(self, plan.schedule, plan.regions)
        if lowering.static:
            state, entry, leave = lowering.build()
            return _Entry(state, entry), [(state, leave)]
        (r,) = plan.regions
        first, last, at = self.block(r.entry)
        last.mergeable = False
        state, entry, leave = lowering.build(bounds=(at(r.lo), at(r.hi)))
        last.next.append((at(r.enter), _Entry(state, entry)))
        return first, [(last, None), (state, leave)]

    def branch(self, r: IfRegion):
        first, last, at = self.block(r.cond_block)
        cond = at(r.cond)
        last.mergeable = False
        te, tx = self.seq(r.then_body)
        ee, ex = self.seq(r.else_body)
        if te is not None:
            last.next.append((cond, te))
            if ee is not None:
                last.next.append((None, ee))
                return first, tx + ex
            return first, tx + [(last, None)]
        if ee is not None:
            last.next.append((~cond, ee))
            return first, ex + [(last, None)]
        return first, [(last, None)]

    def call(self, r: CallRegion):
        first, last, at = self.block(r.args_block)
        last.mergeable = False
        callee = self.callee(r.call.callee)
        last.comb.append(callee.start.eq(1))
        for a, p in zip(r.args, r.call.callee.params):
            if isinstance(p, ir.Scalar):
                last.comb.append(getattr(callee, p.name).eq(at(a)))
        wait = self.new_state()
        last.next.append((None, wait))
        pairs = [*zip(r.args, r.call.callee.params), *zip(r.call.outs, r.call.callee.results)]
        for a, p in pairs:
            if isinstance(p, ir.Buffer):
                port = {s: getattr(callee, f"{p.name}_{s}")
                        for s in ("address0", "ce0", "we0", "d0", "q0")}
                bp = self.buffers[id(a)]
                wait.comb += bp.serve(port)
                wait.comb.append(port["q0"].eq(bp.q))
        outs = [self.var(o).eq(getattr(callee, p.name))
                for o, p in zip(r.call.outs, r.call.callee.results) if isinstance(p, ir.Scalar)]
        wait.guarded.append((callee.done, outs))
        return first, [(wait, callee.done)]

    def callee(self, f: ir.Function):
        if f.name not in self.callees:
            comp = KernelComponent(self.comp.designs[f.name], self.comp.designs)
            self.m.submodules[f.name] = comp
            self.callees[f.name] = comp
        return self.callees[f.name]

    # --- blocks -------------------------------------------------------------------------
    def block(self, blk: Block):
        """States for one scheduled block: (first, last, value-in-last-state function)."""
        sch = self.design.schedule_of(blk)
        sts = [self.new_state() for _ in range(sch.length)]
        for a, b in zip(sts, sts[1:]):
            a.next.append((None, b))
        sts[-1].mergeable = True
        for op in blk.ops:
            self.lower_op(op, sch, sts)
        last = sch.length - 1
        return sts[0], sts[-1], (lambda op: self.value_at(op, last, sch))

    def lower_op(self, op, sch, sts):
        if op.kind in ("const", "var"):
            return
        c = sch.start[op]
        args = [self.value_at(o, c, sch) for o in op.operands]
        types = [o.type for o in op.operands]
        if op.kind == "store":
            sts[c].comb += self.buffers[id(op.attrs["buf"])].write(*args)
            return
        if op.kind == "setvar":
            sts[c].sync.append(self.var(op.attrs["var"]).eq(args[0]))
            return
        if op.kind == "load":
            bp = self.buffers[id(op.attrs["buf"])]
            sts[c].comb += bp.read(args[0])
            value = bp.q
        elif op.kind == "div":
            value = self.divide(op, args, sts[c])
        elif self.shared_mul(op):
            value = self.multiply(op, args, sts[c])
        else:
            value = self.combinational(op, args, types)
        sig = Signal(hw_shape(op.type), name=f"{op.kind}{op.id}_l{op.loc.line}")
        self.m.d.comb += sig.eq(value)
        self.vals[op] = sig
        if op in sch.registered:
            reg = self.register(self.design.binding.register_of[op], op.type)
            sts[sch.ready[op]].sync.append(reg.eq(sig))
            self.regs[op] = reg

    def combinational(self, op, args, types):
        k, t = op.kind, op.type
        if k == "binop":
            return arith.binop_value(op.attrs["op"], args[0], types[0], args[1], types[1], t)
        if k == "compare":
            return arith.compare_value(op.attrs["op"], args[0], types[0], args[1], types[1])
        if k == "logic":
            out = args[0]
            for a in args[1:]:
                out = (out & a) if op.attrs["op"] == "and" else (out | a)
            return out
        if k == "unary":
            return arith.unary_value(op.attrs["op"], args[0], types[0], t)
        if k == "cast":
            return arith.cast_value(args[0], types[0], t)
        if k == "select":
            return Mux(args[0], args[1], args[2])
        if k == "bitget":
            return arith.bit_get_value(args[0], types[0], args[1])
        if k == "bitslice":
            return arith.bit_slice_value(args[0], types[0], args[1], op.attrs["width"])
        if k == "minmax":
            return arith.minmax_abs_value(op.attrs["fn"], args, types, t)
        if k == "addr":
            total = 0
            for v, stride in zip(args, op.attrs["strides"]):
                total = total + (v * stride if stride != 1 else v)
            return total
        raise KeyError(k)

    def shared_mul(self, op) -> bool:
        """A multiplication bound to a multiplier other operations use too."""
        unit = self.design.binding.unit_of.get(op)
        return isinstance(unit, tuple) and unit[0] == "mul" and self.unit_users[unit] > 1

    def multiply(self, op, args, state):
        """A multiplication on a shared multiplier: drive its inputs in this state, take the
        exact product and wrap it into the op's type."""
        unit = self.design.binding.unit_of[op]
        if unit not in self.multipliers:
            wa, sa, wb, sb = unit[1]
            ua = Signal(signed(wa) if sa else unsigned(wa), name=f"mul{len(self.multipliers)}_a")
            ub = Signal(signed(wb) if sb else unsigned(wb), name=f"mul{len(self.multipliers)}_b")
            product = Signal(signed(wa + wb) if sa or sb else unsigned(wa + wb),
                             name=f"mul{len(self.multipliers)}_p")
            self.m.d.comb += product.eq(ua * ub)
            self.multipliers[unit] = (ua, ub, product)
        ua, ub, product = self.multipliers[unit]
        state.comb += [ua.eq(args[0]), ub.eq(args[1])]
        ta, tb = (o.type for o in op.operands)
        return arith.product_value(product, ta, tb, op.type)

    def divide(self, op, args, state):
        cfg = divider_config(op)
        unit = self.design.binding.unit_of[op]
        if unit not in self.dividers:       # shared by the binding across blocks
            self.dividers[unit] = Divider(cfg.width, cfg.signed)
            self.m.submodules[f"div{len(self.dividers) - 1}_w{cfg.width}"] = self.dividers[unit]
        div = self.dividers[unit]
        a, b = args
        # operands are driven only in the starting state: the divider samples them with start
        state.comb += [div.start.eq(1),
                       div.dividend.eq(a << cfg.shift_a if cfg.shift_a else a),
                       div.divisor.eq(b << cfg.shift_b if cfg.shift_b else b)]
        q, r = div.quotient, div.remainder
        if op.attrs["op"] == "%":
            return r
        if op.attrs["op"] == "//" and cfg.signed:
            # floor = truncated quotient - 1 when the remainder is nonzero and its sign
            # (the dividend's) differs from the divisor's; the divisor's sign is kept at start
            d_neg = Signal(name=f"div{op.id}_dneg")
            d_zero = Signal(name=f"div{op.id}_dzero")
            state.sync += [d_neg.eq(b < 0), d_zero.eq(b == 0)]
            adjust = (r != 0) & ~d_zero & ((r < 0) != d_neg)
            return Mux(adjust, q - 1, q)
        return q
