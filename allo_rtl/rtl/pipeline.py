"""A modulo-scheduled loop nest -> one FSM state running a flushing pipeline.

Issue counters (one per loop of the flattened nest, odometer order) start an iteration every
II cycles; a valid bit per position follows each iteration down the schedule. An op at
position ``p`` acts (memory access, variable write) only when ``valid[p]``; values that live
past their ready position move down shift registers, one per cycle, so every in-flight
iteration sees its own copy. The state is left in the cycle the last iteration reaches its last
position, so variables written by the loop hold their final values afterwards.

Enable: when the state has a stall condition, ``enable`` (its negation) gates every register of
the pipeline: valid bits, issue counters, the II slot and the shift registers all hold while
stalled, and the state's actions (memory accesses, variable writes) do not happen; the state
(an ``rtl.lower._State``) is only acted on by the FSM while not stalled.

Elastic pipelines (``elastic``: II = 1 with stream transfers, see there): a blocked transfer
does not stall the whole pipeline. Position ``p`` holds while its iteration has a transfer
that cannot happen or the position ahead holds (``hold[p]``); positions ahead of the hold keep
moving and leave bubbles. So the transfer first in program order among the pending ones (the
oldest iteration's) is always attempted, and only its own FIFO can keep it: the stage blocks
only where the Kahn-network interpreter's would. Transfers sharing a position complete one by
one (a ``done`` bit each, a get's payload kept), earlier ones while a later one waits.
Why that is enough: each stream keeps its order (one transfer per iteration with II = 1, and
an iteration cannot pass one still at its position), so if every stage were stuck, each on its
first pending transfer, the first of those the interpreter reaches would find its FIFO with
the same transfers of that stage and at most the other side's transfers done here: at least
as many items as here for a put (full), at most as many for a get (empty). So it would be
stuck there too. Positions ahead of a hold keep moving, so iterations only drift apart, and
with II = 1 that only relaxes the schedule's dependences between them.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Mux, Signal, signed

from ..hls.modulo import ModuloSchedule
from .interface import hw_shape


# one reduction operator, not a chain of ``&``/``|``: a pipeline hundreds of stages deep (a
# float64 power) would give a chain as deep, which Amaranth's simulator compiles recursively
# (RecursionError past Python's 1000 frames)
def _all(values):
    values = list(values)
    return Cat(*values).all() if values else Const(1, 1)


def _any(values):
    values = list(values)
    return Cat(*values).any() if values else Const(0, 1)


class _Statements:
    """``+=`` target collecting statements (one or an iterable)."""

    def __init__(self, sink=None):
        self.sink, self.items = sink, []

    def __iadd__(self, stmts):
        stmts = list(stmts) if isinstance(stmts, (list, tuple)) else [stmts]
        if self.sink is not None:
            self.sink.d.comb += stmts
        else:
            self.items += stmts
        return self


class _Domains:
    def __init__(self, module):
        self.comb, self.sync = _Statements(module), _Statements()


class _HeldModule:
    """What the datapath builders see as the module: combinational statements go straight to
    ``module``; synchronous ones (shift registers) are collected, to be added under the
    pipeline's enable."""

    def __init__(self, module):
        self.d = _Domains(module)

    @property
    def held_sync(self) -> list:
        return self.d.sync.items


def elastic(sch: ModuloSchedule, arbitrated=()) -> bool:
    """Whether the pipeline of ``sch`` is built elastic (module docstring): II = 1 (every
    position is the one modulo slot, so iterations drifting apart never put two uses of a
    resource in one cycle, and more distance between iterations only relaxes their
    dependences), with stream transfers, every other op's value ready within one position
    (combinational, or a memory read of latency 1, whose port keeps its data while it is not
    read again), no pipelined unit (its stages follow one global enable) and no memory port
    shared with other stages (its grant would depend on the holds)."""
    ops = sch.block.ops
    if sch.ii != 1 or not any(op.info.is_stream for op in ops):
        return False
    for op in ops:
        if op.info.is_memory and op.buf.name in arbitrated:
            return False
        if op in sch.start and not op.info.is_stream and (
                op.info.pipelined or op.info.iterative
                or sch.ready.get(op, sch.start[op]) - sch.start[op] > 1):
            return False
    return True


class PipelineLowering:
    def __init__(self, low, sch: ModuloSchedule, regions: list):
        self.low, self.sch, self.regions = low, sch, regions
        self.m = _HeldModule(low.m)      # the datapath's registers wait for the enable
        name = sch.loops[-1].name
        self.prefix = f"pipe_{name}"
        self.vals, self.chains = {}, {}
        self.idx = []
        self.static = all(r.static_trips for r in regions)
        for r in regions:
            shape = signed(r.counter_width) if self.static else hw_shape(r.loop.var.type)
            self.idx.append(Signal(shape, name=f"{self.prefix}_{r.loop.name}"))
        self.issuing = Signal(name=f"{self.prefix}_issuing")
        self.slot = Signal(range(sch.ii), name=f"{self.prefix}_slot") if sch.ii > 1 else None
        self.valid = [Signal(name=f"{self.prefix}_v{p}") for p in range(sch.depth)]
        self.elastic = elastic(sch, low.design.arbitrated)
        if self.elastic:
            self.hold = [Signal(name=f"{self.prefix}_hold{p}") for p in range(sch.depth)]
            self.move = [Signal(name=f"{self.prefix}_move{p}") for p in range(sch.depth)]
            self.blocked = [[] for _ in range(sch.depth)]
            starts = [sch.start[op] for op in sch.block.ops
                      if op.info.is_stream and op in sch.start]
            self.shared_pos = {p for p in starts if starts.count(p) > 1}
            self.done_bits = []
            self.before = [[] for _ in range(sch.depth)]   # (done, go) of earlier transfers
        else:
            self.move = self.valid

    def build(self, state, bounds=None, enable=None):
        """(the pipeline's state, entry actions, exit condition) for ``state``, the FSM state
        running it. ``bounds`` are the (lo, hi) values of a single loop with run-time bounds,
        valid in the cycle it is entered; ``enable`` (None: always) advances the pipeline."""
        low, m, sch = self.low, self.low.m, self.sch
        for p in range(1, sch.depth):
            if self.elastic:        # the iteration behind moves in, or this one stays
                self.m.d.sync += self.valid[p].eq(self.move[p - 1] | self.hold[p])
            else:
                self.m.d.sync += self.valid[p].eq(self.valid[p - 1])
        if self.static:
            los = [r.lo.value for r in self.regions]
            lasts = [lo + (t - 1) * r.loop.step
                     for lo, t, r in zip(los, sch.nest.trips, self.regions)]
            at_last = [i == v for i, v in zip(self.idx, lasts)]
        else:                      # one loop: the next index leaves [lo, hi)
            (r,) = self.regions
            los = [bounds[0]]
            hi = Signal.like(self.idx[0], name=f"{self.prefix}_hi")
            nxt = self.idx[0] + r.loop.step
            at_last = [(nxt >= hi) if r.loop.step > 0 else (nxt <= hi)]
        final = _all(at_last)
        issue = self.valid[0]
        # position 0 wants to issue (not gated by the stall, which a transfer there decides)
        self.issue_want = Signal(name=f"{self.prefix}_issue_want")
        m.d.comb += self.issue_want.eq(self.issuing & ((self.slot == 0) if self.slot is not None
                                                       else 1))
        self.forward = {}
        for op in sch.block.ops:
            self.lower_op(op, state)
        self.bypass()
        if self.elastic:
            self.emit_holds(enable)
        step = self.move[0]           # position 0 issues an iteration that goes on

        def control():
            at_slot0 = (self.slot == 0) if self.slot is not None else Const(1, 1)
            m.d.comb += issue.eq(self.issuing & at_slot0)
            if self.slot is not None:
                m.d.sync += self.slot.eq(Mux(self.slot == sch.ii - 1, 0, self.slot + 1))
            with m.If(step):
                for k, r in enumerate(self.regions):
                    with m.If(_all(at_last[k + 1:])):       # every inner counter wraps
                        m.d.sync += self.idx[k].eq(
                            Mux(at_last[k], los[k], self.idx[k] + r.loop.step))
                with m.If(final):
                    m.d.sync += self.issuing.eq(0)

        state.emit.insert(0, control)
        held = self.m.held_sync
        if enable is None:
            m.d.sync += held
        else:
            with m.If(enable):
                m.d.sync += held
        # valid bits cleared on entry: a Verilog simulator may start the first position's
        # (combinational) valid as X and shift it down before the pipeline ever runs
        entry = [*(i.eq(lo) for i, lo in zip(self.idx, los)), self.issuing.eq(1),
                 *(v.eq(0) for v in self.valid[1:])]
        if self.elastic:
            entry += [d.eq(0) for d in self.done_bits]
        if not self.static:
            entry.append(hi.eq(bounds[1]))
        if self.slot is not None:
            entry.append(self.slot.eq(0))
        more = self.issuing & ~(step & final)
        leave = ~more & ~_any(self.valid[:sch.depth - 1])
        if self.elastic:            # and the last iteration's last position goes on
            leave = leave & ~self.hold[sch.depth - 1]
        return state, entry, leave

    # --- values -------------------------------------------------------------------------
    def value(self, op, pos: int):
        sch = self.sch
        if op.info.is_const:
            return Const(op.value, hw_shape(op.type))
        if op.info.reads_var and op not in sch.start:
            return self.low.var(op.var)          # loop-invariant
        if pos == sch.ready[op]:
            return self.vals[op]
        return self.chain(op, pos)

    def chain(self, op, pos: int):
        """The value of ``op`` ``pos - ready`` cycles after it was produced."""
        regs = self.chains.setdefault(op, {})
        if pos not in regs:
            assert pos > self.sch.ready[op], (op, pos)
            prev = self.value(op, pos - 1)
            reg = Signal(hw_shape(op.type), name=f"{self.prefix}_{op.opcode}{op.id}_p{pos}")
            # elastic: loaded when the iteration moves in (else the lockstep enable holds it)
            self.m.d.sync += reg.eq(Mux(self.move[pos - 1], prev, reg) if self.elastic
                                    else prev)
            regs[pos] = reg
        return regs[pos]

    def lower_op(self, op, state):
        low, sch, m = self.low, self.sch, self.m
        info = op.info
        if info.is_const or info.reads_var and op not in sch.start:
            return
        if info.reads_var:
            k = sch.index_ops.get(op)
            self.vals[op] = self.idx[k] if k is not None else low.var(op.var)
            if op in sch.forwarded:     # the previous iteration writes it this very cycle
                self.vals[op] = Signal(hw_shape(op.type), name=f"{self.prefix}_fwd_{op.var.name}")
                self.forward[op] = low.var(op.var)
            return
        p = sch.start[op]
        args = [self.value(o, p) for o in op.operands]
        types = [o.type for o in op.operands]
        valid = self.move[p]          # an op at p acts when its iteration leaves p
        if info.is_memory:          # a port shared with other stages: ask for it
            low.note_port(state.index, op.buf, self.issue_want if p == 0 else valid)
        if info.is_memory and len(args) > info.memory_operands:    # predicated (if-converted)
            valid = valid & args[-1]
        if info.is_stream and self.elastic:
            port = low.stream_port(op.chan, op.loc)
            value = self.elastic_transfer(op, state, port, p, args)
            if value is None:
                return
        elif info.is_stream:        # the pipeline stalls while an active transfer cannot be
            port = low.stream_port(op.chan, op.loc)
            want = self.issue_want if p == 0 else valid
            if op.opcode == "sput":
                low.fire_transfer(state.index, op.chan, want, args[0])
                low.note_transfer(state.index, op.chan, want & ~port.ready)
                return
            low.fire_transfer(state.index, op.chan, want)
            low.note_transfer(state.index, op.chan, want & ~port.valid)
        if info.is_store:
            bp = low.buffers[id(op.buf)]
            self._at(state, valid, comb=bp.write(args[0], args[1], op.port))
            return
        if info.writes_var:
            self._at(state, valid, sync=[low.var(op.var).eq(args[0])])
            return
        if info.is_load:
            bp = low.buffers[id(op.buf)]
            self._at(state, valid, comb=bp.read(args[0], op.port))
            value = bp.data(op.port)
        elif info.is_stream:
            value = value if self.elastic else port.payload
        elif info.pipelined and low.shared(op):
            # a unit other ops use in other modulo slots (``bind_pipeline_units``): its
            # inputs are this op's while this op's position holds a valid iteration (an
            # elastic pipeline has no pipelined units: ``elastic``)
            unit = low.float_unit(low.design.binding.unit_of[op], op, sch.ready[op] - p)
            stmts, value = info.drive(unit, op, args)
            self._at(state, self.issue_want if p == 0 else valid, comb=stmts)
        elif info.pipelined:          # a unit of its own, moving with the pipeline
            value = low.pipelined(op, args, None, sch.ready[op] - p)
        else:
            value = low.combinational(op, args, types)
        sig = Signal(hw_shape(op.type), name=f"{self.prefix}_{op.opcode}{op.id}_l{op.loc.line}")
        m.d.comb += sig.eq(value)
        self.vals[op] = sig

    # --- elastic holds -------------------------------------------------------------------
    def elastic_transfer(self, op, state, port, p: int, args):
        """The handshake of transfer ``op`` at position ``p`` of an elastic pipeline; a get's
        value (None for a put). It can go (``go``) when its iteration is at ``p``, the FIFO is
        ready and every transfer before it at ``p`` has completed or goes too (a put's value
        may come from a get before it); it fires when it can go and the position ahead does
        not hold. At a position with other transfers it fires once while the position holds
        (``done``), and a get keeps the payload it took."""
        low, m = self.low, self.low.m
        ok = port.ready if op.opcode == "sput" else port.valid
        pending = self.present(p)
        nxt = self.hold[p + 1] if p + 1 < self.sch.depth else Const(0, 1)
        done = None
        if p in self.shared_pos:
            done = Signal(name=f"{self.prefix}_{op.opcode}{op.id}_done")
            self.done_bits.append(done)
            pending = pending & ~done
        go = Signal(name=f"{self.prefix}_{op.opcode}{op.id}_go")
        m.d.comb += go.eq(pending & ok & _all(d | g for d, g in self.before[p]))
        self.before[p].append((done if done is not None else Const(0, 1), go))
        fire = go & ~nxt
        self.blocked[p].append(pending & ~go)
        low.fire_transfer(state.index, op.chan, fire, args[0] if op.opcode == "sput" else None)
        low.note_transfer(state.index, op.chan, pending & ~ok)
        value = None if op.opcode == "sput" else port.payload
        if done is not None:
            kept = None
            if value is not None:
                kept = Signal(hw_shape(op.type), name=f"{self.prefix}_{op.opcode}{op.id}_kept")
                value = Mux(done, kept, port.payload)
            hold, move = self.hold[p], self.move[p]

            def emit():          # under the state's enable (a stall: nothing fires)
                with m.If(move):
                    m.d.sync += done.eq(0)
                with m.Elif(fire & hold):
                    m.d.sync += done.eq(1)
                    if kept is not None:
                        m.d.sync += kept.eq(port.payload)
            state.emit.append(emit)
        return value

    def emit_holds(self, enable):
        """``hold[p]``: position ``p`` has an iteration that waits (a transfer of its own
        blocked, the position ahead holding, or the state's other stalls); ``move[p]``: it
        goes on to ``p + 1`` this cycle. The stall runs backwards only."""
        m, d = self.low.m, self.sch.depth
        stop = Const(0, 1) if enable is None else ~enable
        for p in reversed(range(d)):
            ahead = self.hold[p + 1] if p + 1 < d else Const(0, 1)
            here = self.present(p)
            m.d.comb += self.hold[p].eq(here & (_any(self.blocked[p]) | ahead | stop))
            m.d.comb += self.move[p].eq(here & ~self.hold[p])

    def present(self, p: int):
        """An iteration is at position ``p``: at 0 the one that would issue, whether or not the
        state stalls (``valid[0]`` is only driven while it does not), so a stalled pipeline
        still reports the transfers it waits on to the watchdog."""
        return self.issue_want if p == 0 else self.valid[p]

    def moving(self):
        """Some position moves this cycle (the watchdog's progress of an elastic pipeline)."""
        return _any(self.move)

    def bypass(self):
        """Forwarded variable reads (``ModuloSchedule.forwarded``): while the iteration II
        positions ahead writes the variable (its valid bit at the write's position), read the
        written value, a unit's output register, instead of the variable."""
        sch = self.sch
        for rd, var in self.forward.items():
            wr = next(o for o in sch.block.ops if o.info.writes_var and o.var is rd.var)
            w = sch.start[wr]
            new = self.value(wr.operands[0], w)
            self.low.m.d.comb += self.vals[rd].eq(Mux(self.valid[w], new, var))

    def _at(self, state, valid, comb=(), sync=()):
        m = self.low.m

        def emit():
            with m.If(valid):
                m.d.comb += list(comb)
                m.d.sync += list(sync)
        state.emit.append(emit)
