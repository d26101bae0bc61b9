"""The emitter of a function's Control IR (``hls.control``) -> an Amaranth ``wiring.Component``.

Assumes a ``FunctionDesign`` whose ``control`` passed ``check()``. Each control state becomes
one FSM state (one-hot up to ``ONE_HOT_MAX_STATES`` states, binary beyond); the ops of each
scheduled block are placed in the states running their cycles, a pipelined nest in its one
state (``rtl.pipeline``). Calls start a submodule (one per callee, kept in the hierarchy) and
wait for its done while routing its memory ports to the caller's buffers.

Stall: in a cycle where a state's stall condition holds, none of its actions happen: no
register or variable is written, no memory is read or written (so read data issued by the
previous state holds: an ``amaranth.lib.memory`` read port and the harness's BRAM keep their
data while not enabled), no transition is taken, and a pipeline's valid bits, counters and
shift registers hold. Only a call's wait state keeps serving the callee's memory ports (the
callee, stalled by the same input, then issues nothing itself).
"""
from __future__ import annotations

from collections import Counter
from functools import reduce

from amaranth.hdl import Const, Module, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..hls import control as ctl_ir
from ..hls.synthesize import FunctionDesign
from ..ir import nodes as ir
from .interface import (ARBITER_PORT_SUFFIXES, CONTROL_PORTS, TEST_PORTS, WATCHDOG_PORTS,
                        KernelInterface, ScalarPort, hw_shape, interface_of)
from .memports import BufferPorts
from .pipeline import PipelineLowering, elastic
from .dataflow_lowering import DataflowLowering
from .streams import instance_names, stream_members, wait_table


def signature_of(iface: KernelInterface, stall: bool = False, streams: dict | None = None,
                 wait_bits: int = 0, arbitrated=()) -> wiring.Signature:
    """``streams``: the stream parameters' members (``rtl.streams``); ``wait_bits``: width of
    the watchdog's ``stream_wait`` output (0: the hierarchy has no stream transfers).

    Every member name must be new: a second member of one name would silently replace the
    first (a parameter named ``start`` once replaced the start port and read the start pulse
    as its value). ``rtl.port_names`` renames such parameters before this point, so a collision
    here is a compiler bug and stops the build instead of making wrong hardware."""
    members: dict = {}

    def add(name, member, what):
        if name in members:
            raise RuntimeError(
                f"internal error: kernel {iface.name!r}: port {name!r} of {what} collides with "
                f"an earlier port of that name (please report this with the kernel)")
        members[name] = member

    for name, member in zip(CONTROL_PORTS, (In(1), Out(1), Out(1))):   # start, done, idle
        add(name, member, "the control handshake")
    for name, member in (streams or {}).items():
        add(name, member, "a stream")
    for p in arbitrated or ():
        for suffix, member in zip(ARBITER_PORT_SUFFIXES, (Out(1), In(1))):     # req, gnt
            add(f"{p}_{suffix}", member, f"the arbiter of {p!r}")
    if wait_bits:
        for name, member in zip(WATCHDOG_PORTS, (Out(wait_bits), Out(1))):
            add(name, member, "the stall watchdog")
    if stall:                   # test-only: hold every state but idle while high
        add(TEST_PORTS[0], In(1), "the test stall input")
    for p in [*iface.params, *iface.results]:
        what = f"{p.role} {p.name!r}"
        if isinstance(p, ScalarPort):
            add(p.name, (In if p.role == "param" else Out)(hw_shape(p.dtype)), what)
        else:
            data = hw_shape(p.dtype)
            port_members = {"address0": Out(p.addr_width), "ce0": Out(1), "we0": Out(1),
                            "d0": Out(data), "q0": In(data), "address1": Out(p.addr_width),
                            "ce1": Out(1), "we1": Out(1), "d1": Out(data), "q1": In(data)}
            for suffix in p.port_suffixes:
                add(p.signal(suffix), port_members[suffix], what)
    return wiring.Signature(members)


ONE_HOT_MAX_STATES = 32


class KernelComponent(wiring.Component):
    """The hardware of one kernel function; see ``rtl.interface`` for the ports.
    ``spram_cells``: its SPRAM memories (and its callees') as SB_SPRAM256KA instances, for an
    iCE40 UltraPlus build; else behavioural single-port memories (any simulator)."""

    def __init__(self, design: FunctionDesign, designs: dict, spram_cells: bool = False):
        self.design, self.designs = design, designs
        self.spram_cells = spram_cells
        self.iface = interface_of(design.function, design.ram_styles, design.two_port_names,
                                  design.dual_port_names)
        self.fsm_state = None
        self.wait_table = wait_table(design.function.name, designs)
        super().__init__(signature_of(self.iface, design.control.external_stall,
                                      stream_members(design.function), len(self.wait_table),
                                      sorted(design.arbitrated)))

    def elaborate(self, platform):
        lowering = _Lowering(self)
        self.fsm_state = lowering.state_signal
        self._lowering = lowering
        return lowering.m

    def stream_probes(self, path: str = "") -> list:
        """After elaboration: the measuring registers of this kernel's regions and of every
        instance below (``rtl.streams.probe_fifo``/``probe_stage``), with instance paths."""
        low = getattr(self, "_lowering", None)
        if low is None:
            return []
        out = [dict(p, path=path) for p in low.probes]
        for key, name in low.instance_names.items():
            child = low.callees.get(key)
            if child is not None:
                out += child.stream_probes(f"{path}.{name}" if path else name)
        return out


class _State:
    """The statements of one control state, as the op builders and the emitter add them."""

    def __init__(self, index: int):
        self.index = index
        self.comb, self.sync = [], []
        self.guarded = []            # (condition, sync statements)
        self.next = []               # (condition or None, target index, sync statements)
        self.emit = []               # callables adding statements while in this state
        self.held = []               # comb statements kept while the state stalls
        self.stall = None            # Amaranth condition, or None


class _Counter:
    """A loop index register, its run-time bound (or constant) and the continue test."""

    def __init__(self, m, r, var):
        loop, width = r.loop, r.counter_width
        self.var = var
        if r.static_trips:
            self.hi = r.hi.value
        elif r.hi.info.is_const:
            self.hi = Const(r.hi.value, hw_shape(r.hi.type))
        else:
            self.hi = Signal(hw_shape(r.hi.type), name=f"{loop.name}_hi")
        nxt_shape = (signed(width + abs(loop.step).bit_length() + 1) if width is not None
                     else hw_shape(loop.var.type))
        self.next = Signal(nxt_shape, name=f"{loop.name}_next")
        m.d.comb += self.next.eq(var + loop.step)
        self.more = (self.next < self.hi) if loop.step > 0 else (self.next > self.hi)


class _Lowering(DataflowLowering):
    def __init__(self, comp: KernelComponent):
        self.comp, self.design = comp, comp.design
        self.control = control = self.design.control
        f = self.design.function
        self.m = m = Module()
        self.vars, self.vals, self.regs, self.callees = {}, {}, {}, {}
        self.buffers, self.shared_regs, self.dividers = {}, {}, {}
        self.multipliers = {}
        self.float_units = {}             # binding's unit (or the op, if its own) -> unit
        # pipelined units advance unless the running state stalls (emit_fsm drives it)
        self.units_en = Signal(init=1, name="units_en")
        self.unit_users = Counter(self.design.binding.unit_of.values())
        for b in f.symbols():
            if isinstance(b, ir.Buffer):
                ext = comp if id(b) in self.design.external_ids else None
                self.buffers[id(b)] = BufferPorts(m, b, ext,
                                                  self.design.ram_styles.get(b.name),
                                                  two_port=id(b) in self.design.two_port_ids,
                                                  dual_port=id(b) in self.design.dual_port_ids,
                                                  single_port=id(b) in
                                                  self.design.single_port_ids,
                                                  spram_cells=comp.spram_cells)
        self.stall_in = comp.stall if control.external_stall else None
        self.states = [_State(s.index) for s in control.states]
        self.instance_names = instance_names(self.design.cdfg.body)
        self.probes = []                  # measuring registers (``stream_probes``)
        self.region_clock = None          # cycles since the last dataflow start
        self.fifos = {id(c): self.fifo(c) for c in f.locals if isinstance(c, ir.Channel)}
        # per state: (channel, "cannot transfer now") of its transfers, and its wait signal
        self.transfers = {k: [] for k in range(len(control.states))}
        self.fires = {}                   # stream name -> (state, active, put value)
        self.stream_wait = {k: Signal(name=f"s{k}_stream_wait")
                            for k in range(len(control.states))}
        self.stage_done = {}              # id(stage CallRegion) -> "has returned" register
        # per state: (buffer name, "wants the shared port now") of its shared accesses
        self.port_wants = {k: [] for k in range(len(control.states))}
        self.port_wait = {k: Signal(name=f"s{k}_port_wait") for k in range(len(control.states))}
        self.counters = {id(r): self.counter(r) for r in control.loops}
        for run in control.blocks:
            sts = [self.states[i] for i in run.states]
            for op in run.block.ops:
                self.lower_op(op, run.schedule, sts)
        # elastic pipelines (``rtl.pipeline.elastic``) hold per position: a blocked transfer
        # is not their state's stall
        self.elastic = {index for index, plan in control.pipelines
                        if elastic(plan.schedule, self.design.arbitrated)}
        self.moving = {}                  # elastic state -> "some position moves"
        for cst in control.states:
            self.states[cst.index].stall = self.cond(cst.stall)
        self.pipes = {id(plan): self.pipeline(index, plan) for index, plan in control.pipelines}
        for cst in control.states:
            self.translate(cst, self.states[cst.index])
        for r in f.results:
            if isinstance(r, ir.Scalar):
                m.d.comb += getattr(comp, r.name).eq(self.var(r))
        self.encode_states()
        self.emit_fires()
        self.emit_stream_status()
        self.emit_fsm()

    # --- states -------------------------------------------------------------------------
    def encode_states(self):
        m, n = self.m, len(self.states)
        idle, done = self.control.idle, self.control.done
        self.state_signal = Signal(range(max(2, n)), name="fsm_state")
        if n <= ONE_HOT_MAX_STATES:
            # one-hot: a state's actions hang off one flip-flop, no decoder in the paths
            self.onehot = Signal(n, init=1 << idle, name="fsm_onehot")
            self.in_state = lambda k: self.onehot[k]                             # noqa: E731
            self.goto = lambda k: self.onehot.eq(1 << k)                         # noqa: E731
            for st in self.states:      # the state number, for messages and waveforms
                with m.If(self.onehot[st.index]):
                    m.d.comb += self.state_signal.eq(st.index)
        else:
            # long FSMs (e.g. multi-cycle divisions) stay binary: fewer flip-flops and LUTs
            binary = Signal(range(n), init=idle, name="fsm_binary")
            self.in_state = lambda k: binary == k                                # noqa: E731
            self.goto = lambda k: binary.eq(k)                                   # noqa: E731
            m.d.comb += self.state_signal.eq(binary)
        # plain assignments (not FSM cases) so Verilog simulators see them from time 0
        m.d.comb += [self.comp.idle.eq(self.in_state(idle)),
                     self.comp.done.eq(self.in_state(done))]

    def emit_fsm(self):
        m = self.m
        stalls = [self.in_state(st.index) & st.stall for st in self.states
                  if st.stall is not None]
        m.d.comb += self.units_en.eq(~reduce(lambda a, b: a | b, stalls) if stalls else 1)
        for st in self.states:
            here = self.in_state(st.index)
            if st.held:
                with m.If(here):
                    m.d.comb += st.held
            with m.If(here if st.stall is None else here & ~st.stall):
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
        for cond, target, actions in st.next:
            goto = [self.goto(target), *actions]
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

    # --- control IR -> statements -------------------------------------------------------
    def at(self, op, block: int):
        """The value of ``op`` in the last cycle of block number ``block``."""
        sch = self.control.blocks[block].schedule
        return self.value_at(op, sch.length - 1, sch)

    def cond(self, c):
        if c is None:
            return None
        if isinstance(c, ctl_ir.OpValue):
            v = self.at(c.op, c.block)
            return ~v if c.negate else v
        if isinstance(c, ctl_ir.LoopContinues):
            return self.counters[id(c.loop)].more
        if isinstance(c, ctl_ir.PipelineDrained):
            return self.pipes[id(c.pipeline)][1]
        if isinstance(c, ctl_ir.Start):
            return ~self.comp.start if c.negate else self.comp.start
        if isinstance(c, ctl_ir.CalleeBusy):
            return ~self.callee(self.comp.designs[c.callee].function).done
        if isinstance(c, ctl_ir.ExternalStall):
            return self.stall_in
        if isinstance(c, ctl_ir.StreamWait):
            return Const(0, 1) if c.state in self.elastic else self.stream_wait[c.state]
        if isinstance(c, ctl_ir.PortWait):
            return self.port_wait[c.state]
        if isinstance(c, ctl_ir.StagesBusy):
            returned = [self.instance(r).done | self.stage_done[id(r)] for r in c.region.stages]
            return ~reduce(lambda a, b: a & b, returned)
        if isinstance(c, ctl_ir.AnyOf):
            return reduce(lambda a, b: a | b, (self.cond(x) for x in c.conds))
        if isinstance(c, ctl_ir.AllOf):
            return reduce(lambda a, b: a & b, (self.cond(x) for x in c.conds))
        raise TypeError(type(c).__name__)

    def translate(self, cst, st: _State):
        for a in cst.actions:
            self.action(a, st)
        for t in cst.transitions:
            sync = [s for a in t.actions for s in self.sync_of(a)]
            st.next.append((self.cond(t.cond), t.target, sync))

    def sync_of(self, a) -> list:
        """Register writes of an action (the ones a transition may carry)."""
        if isinstance(a, ctl_ir.CounterInit):
            c = self.counters[id(a.loop)]
            if isinstance(a.lo, int):
                return [c.var.eq(a.lo)]
            out = [c.var.eq(self.at(a.lo, a.block))]
            return out + ([c.hi.eq(self.at(a.hi, a.block))] if a.hi is not None else [])
        if isinstance(a, ctl_ir.CounterStep):
            c = self.counters[id(a.loop)]
            return [c.var.eq(c.next)]
        if isinstance(a, ctl_ir.PipelineEnter):
            return self.pipes[id(a.pipeline)][0]
        if isinstance(a, ctl_ir.CaptureParams):
            params = [p for p in self.design.function.params if isinstance(p, ir.Scalar)]
            return [self.var(p).eq(getattr(self.comp, p.name)) for p in params]
        if isinstance(a, ctl_ir.CallCapture):
            call = a.call.call
            callee = self.callees[call.callee.name]
            return [self.var(o).eq(getattr(callee, p.name))
                    for o, p in zip(call.outs, call.callee.results) if isinstance(p, ir.Scalar)]
        if isinstance(a, ctl_ir.StagesCapture):
            return [self.var(o).eq(getattr(self.instance(r), p.name))
                    for r in a.region.stages
                    for o, p in zip(r.call.outs, r.call.callee.results) if isinstance(p, ir.Scalar)]
        raise TypeError(f"{type(a).__name__} is not a register write")

    def action(self, a, st: _State):
        if isinstance(a, ctl_ir.CallStart):
            callee = self.callee(a.call.call.callee)
            st.comb.append(callee.start.eq(1))
            for arg, p in zip(a.call.args, a.call.call.callee.params):
                if isinstance(p, ir.Scalar):
                    st.comb.append(getattr(callee, p.name).eq(
                        self.stage_arg(arg, a.block) if a.block is not None or a.from_idle
                        else self.early_arg(arg)))
        elif isinstance(a, ctl_ir.CallServe):
            st.held += self.serve(a.call)
        elif isinstance(a, ctl_ir.StagesStart):
            for r in a.region.stages:
                inst = self.instance(r)
                st.comb.append(inst.start.eq(1))
                st.sync.append(self.stage_done[id(r)].eq(0))
                for arg, p in zip(r.args, r.call.callee.params):
                    if isinstance(p, ir.Scalar):
                        st.comb.append(getattr(inst, p.name).eq(self.stage_arg(arg, a.block)))
        elif isinstance(a, ctl_ir.StagesServe):
            st.held += self.serve_stages(a.region)
        else:
            st.sync += self.sync_of(a)

    def early_arg(self, op):
        """A callee's constant or scalar-parameter argument, started from the previous
        call's wait state (no arguments block): the parameter's register."""
        if op.info.is_const:
            return Const(op.value, hw_shape(op.type))
        return self.var(op.var)

    def stage_arg(self, op, block):
        """A stage's or callee's scalar argument as its start sees it. Started from idle
        (``block`` None) the argument is a constant or a scalar parameter, whose register is
        only being written: the function's input port holds its value."""
        if block is not None:
            return self.at(op, block)
        if op.info.is_const:
            return Const(op.value, hw_shape(op.type))
        return getattr(self.comp, op.var.name)

    def serve(self, r, callee=None, skip=()) -> list:
        """Comb statements giving the callee's memory ports the caller's buffers (``skip``:
        parameters served by an arbiter instead)."""
        stmts = []
        callee = callee or self.callees[r.call.callee.name]
        pairs = [*zip(r.args, r.call.callee.params), *zip(r.call.outs, r.call.callee.results)]
        for a, p in pairs:
            if isinstance(p, ir.Buffer) and p.name in self.comp.designs[
                    r.call.callee.name].arbitrated and p.name not in skip:
                stmts.append(getattr(callee, f"{p.name}_gnt").eq(1))   # called on its own
            if isinstance(p, ir.Buffer) and p.name not in skip:
                port = {s: getattr(callee, f"{p.name}_{s}")
                        for s in ("address0", "ce0", "we0", "d0", "q0")}
                bp = self.buffers[id(a)]
                stmts += bp.serve(port)
                stmts.append(port["q0"].eq(bp.q))
        return stmts

    def callee(self, f: ir.Function):
        if f.name not in self.callees:
            comp = KernelComponent(self.comp.designs[f.name], self.comp.designs,
                                   self.comp.spram_cells)
            self.m.submodules[f.name] = comp
            self.callees[f.name] = comp
            if self.stall_in is not None:       # the whole hierarchy holds together
                self.m.d.comb += comp.stall.eq(self.stall_in)
        return self.callees[f.name]

    def counter(self, r) -> _Counter:
        loop = r.loop
        if r.counter_width is not None:  # the index stays between constant bounds: narrow
            self.vars[id(loop.var)] = Signal(signed(r.counter_width), name=f"var_{loop.var.name}")
        return _Counter(self.m, r, self.var(loop.var))

    def pipeline(self, index: int, plan):
        """(entry statements, drained condition) of the pipeline running in state ``index``."""
        st = self.states[index]
        lowering = PipelineLowering(self, plan.schedule, plan.regions)
        assert lowering.elastic == (index in self.elastic)
        enable = None if st.stall is None else ~st.stall
        if lowering.static:
            _, entry, leave = lowering.build(st, enable=enable)
        else:
            (r,) = plan.regions
            n = next(b.number for b in self.control.blocks if b.block is r.entry)
            _, entry, leave = lowering.build(st, bounds=(self.at(r.lo, n), self.at(r.hi, n)),
                                             enable=enable)
        if lowering.elastic:
            self.moving[index] = lowering.moving()
        return entry, leave

    # --- variables and values -----------------------------------------------------------
    def var(self, v: ir.Scalar) -> Signal:
        if id(v) not in self.vars:
            self.vars[id(v)] = Signal(hw_shape(v.type), name=f"var_{v.name}")
        return self.vars[id(v)]

    def value_at(self, op, cycle: int, sch):
        if op.info.is_const:
            return Const(op.value, hw_shape(op.type))
        if op.info.reads_var:
            return self.var(op.var)
        if cycle == sch.ready[op]:
            return self.vals[op]
        return self.regs[op]

    def register(self, index: int, typ) -> Signal:
        """The datapath register the binding gave a value (shared by lifetime)."""
        if index not in self.shared_regs:
            self.shared_regs[index] = Signal(hw_shape(typ), name=f"reg{index}")
        return self.shared_regs[index]

    # --- blocks -------------------------------------------------------------------------
    def lower_op(self, op, sch, sts):
        info = op.info
        if info.stable:
            return
        c = sch.start[op]
        args = [self.value_at(o, c, sch) for o in op.operands]
        if info.is_stream:
            port = self.stream_port(op.chan, op.loc)
            if op.opcode == "sput":
                self.fire_transfer(sts[c].index, op.chan, None, args[0])
                self.note_transfer(sts[c].index, op.chan, ~port.ready)
                return
            self.fire_transfer(sts[c].index, op.chan, None)
            self.note_transfer(sts[c].index, op.chan, ~port.valid)
        if info.is_memory:
            self.note_port(sts[c].index, op.buf, Const(1, 1))
        if info.is_store:
            self.access(sts[c], self.buffers[id(op.buf)].write(args[0], args[1], op.port),
                        args[2:])
            return
        if info.writes_var:
            sts[c].sync.append(self.var(op.var).eq(args[0]))
            return
        if info.is_load:
            bp = self.buffers[id(op.buf)]
            self.access(sts[c], bp.read(args[0], op.port), args[1:])
            value = bp.data(op.port)
        elif info.is_stream:
            value = port.payload
        else:
            value = self.compute(op, args, sts[c], sch.ready[op] - c)
        sig = Signal(hw_shape(op.type), name=f"{op.opcode}{op.id}_l{op.loc.line}")
        self.m.d.comb += sig.eq(value)
        self.vals[op] = sig
        if op in sch.registered:
            reg = self.register(self.design.binding.register_of[op], op.type)
            sts[sch.ready[op]].sync.append(reg.eq(sig))
            self.regs[op] = reg

    def access(self, state, stmts, pred):
        """A memory access in ``state``; a predicated one (if-converted) only when its
        predicate holds."""
        if not pred:
            state.comb += stmts
            return
        m = self.m

        def emit():
            with m.If(pred[0]):
                m.d.comb += stmts
        state.emit.append(emit)

    def compute(self, op, args, state, latency: int):
        """The value of a computing op started in ``state``: on its iterative or pipelined
        unit, on a shared unit, or as its own combinational logic (the table's builders)."""
        if op.info.iterative:
            return self.iterative(op, args, state)
        if op.info.pipelined:
            return self.pipelined(op, args, state if self.shared(op) else None, latency)
        if self.shared(op):
            return self.on_shared_unit(op, args, state)
        return self.combinational(op, args, [o.type for o in op.operands])

    @staticmethod
    def combinational(op, args, types):
        return op.info.build(op, args, types)

    def shared(self, op) -> bool:
        """An op bound to a unit other operations use too."""
        unit = self.design.binding.unit_of.get(op)
        return isinstance(unit, tuple) and self.unit_users[unit] > 1

    def on_shared_unit(self, op, args, state):
        """Drive the shared unit's inputs in this state, take its core result and finish it
        into the op's type (a multiplier: the exact product, scaled and wrapped)."""
        unit = self.design.binding.unit_of[op]
        if unit not in self.multipliers:
            resource, (wa, sa, wb, sb), _ = unit
            k = len(self.multipliers)
            ua = Signal(signed(wa) if sa else unsigned(wa), name=f"{resource}{k}_a")
            ub = Signal(signed(wb) if sb else unsigned(wb), name=f"{resource}{k}_b")
            core = op.info.core(ua, ub)
            out = Signal(core.shape(), name=f"{resource}{k}_p")
            self.m.d.comb += out.eq(core)
            self.multipliers[unit] = (ua, ub, out)
        ua, ub, out = self.multipliers[unit]
        state.comb += [ua.eq(args[0]), ub.eq(args[1])]
        return op.info.finish(out, op, [o.type for o in op.operands])

    def iterative(self, op, args, state):
        unit = self.design.binding.unit_of[op]
        if unit not in self.dividers:       # shared by the binding across blocks
            self.dividers[unit] = op.info.new_unit(op)
            self.m.submodules[f"{unit[0]}{len(self.dividers) - 1}_w{unit[1][0]}"] = \
                self.dividers[unit]
        return op.info.drive(self.dividers[unit], op, args, state.comb, state.sync)

    def pipelined(self, op, args, state, stages: int):
        """Start ``op`` on its pipelined unit (``stages`` = its latency): a shared unit takes
        its inputs in ``state`` only; a unit of its own (``state`` None) all the time. The
        result is valid ``stages`` cycles after the start; ``en`` holds it on a stall."""
        key = self.design.binding.unit_of[op] if state is not None else ("own", id(op))
        stmts, result = op.info.drive(self.float_unit(key, op, stages), op, args)
        if state is None:
            self.m.d.comb += stmts
        else:
            state.comb += stmts
        return result

    def float_unit(self, key, op, stages: int):
        """The pipelined unit ``key`` names (a binding's shared unit or ``("own", id(op))``),
        made on first use: every op on it has the same class, format and latency."""
        if key not in self.float_units:
            unit = op.info.new_unit(op, stages,
                                    **self.design.unit_options.get(op.info.timing, {}))
            self.m.submodules[f"{op.info.report_name}{len(self.float_units)}"] = unit
            self.m.d.comb += unit.en.eq(self.units_en)
            self.float_units[key] = unit
        return self.float_units[key]
