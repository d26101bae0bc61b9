"""The dataflow half of a kernel's lowering (mixed into ``rtl.lower._Lowering``): stage
instances of a region, their streams on the region's FIFOs, stream transfers' handshakes,
memory ports shared by stages, and the watchdog's ``stream_wait``/``stream_progress``.

Assumes the attributes ``_Lowering`` sets up (``m``, ``comp``, ``design``, ``control``,
``states``, ``fifos``, ``transfers``, ``fires``, ``port_wants``, ``stream_wait``,
``port_wait``, ``callees``, ``stage_done``, ``instance_names``, ``probes``) and its
``in_state``, ``serve``. See ``rtl.streams`` for the ports and the FIFOs, ``rtl.arbiter`` for
shared memories.
"""
from __future__ import annotations

from functools import reduce

from amaranth.hdl import Cat, Const, Mux, Signal
from amaranth.lib import wiring

from ..errors import AlloBackendError
from ..ir import nodes as ir
from .arbiter import arbitrate
from .interface import interface_of
from ..ir.fifo_depths import static_region
from .streams import make_fifo, probe_fifo, probe_stage


class DataflowLowering:
    def serve_stages(self, region) -> list:
        """Every stage's memory ports on the caller's buffers. A buffer only one stage
        accesses is routed to it; one several stages access is refused for now."""
        users, unused = {}, set()
        for r in region.stages:
            port_of = {p.name: p for p in interface_of(r.call.callee).params}
            for a, p in zip(r.args, r.call.callee.params):
                if not isinstance(p, ir.Buffer):
                    continue
                if port_of[p.name].reads or port_of[p.name].writes:
                    users.setdefault(id(a), []).append((a, r))
                else:               # not served: it would override the user's access
                    unused.add((id(r), p.name))
        stmts, shared = [], set(unused)
        for uses in users.values():
            if len(uses) > 1:
                buf = uses[0][0]
                shared |= {(id(r), p.name) for _, r in uses
                           for a, p in zip(r.args, r.call.callee.params) if a is buf}
                pairs = [(self.instance(r), p.name) for _, r in uses
                         for a, p in zip(r.args, r.call.callee.params) if a is buf]
                stmts += arbitrate(self.m, self.buffers[id(buf)], pairs, buf.name)
        for r in region.stages:
            stmts += self.serve(r, self.instance(r), skip={p for k, p in shared if k == id(r)})
        return stmts

    def instance(self, r):
        """The own submodule of dataflow stage ``r`` (a CallRegion), its streams connected."""
        key = id(r)
        if key not in self.callees:
            comp = type(self.comp)(self.comp.designs[r.call.callee.name], self.comp.designs)
            self.m.submodules[self.instance_names[key]] = comp
            self.callees[key] = comp
            self.stage_done[key] = Signal(name=f"{self.instance_names[key]}_returned")
            with self.m.If(comp.done):
                self.m.d.sync += self.stage_done[key].eq(1)
            if self.region_clock is None:
                self.region_clock = Signal(32, name="dataflow_clock")
                self.m.d.sync += self.region_clock.eq(Mux(comp.start, 1, self.region_clock + 1))
            self.probes.append(probe_stage(self.m, comp, self.instance_names[key],
                                           self.region_clock))
            if self.stall_in is not None:
                self.m.d.comb += comp.stall.eq(self.stall_in)
            for a, p in zip(r.args, r.call.callee.params):
                if isinstance(p, ir.Channel):
                    self.connect_stream(a, getattr(comp, p.name))
        return self.callees[key]

    def fifo(self, chan: ir.Channel):
        f = make_fifo(chan)
        self.m.submodules[f"fifo_{chan.name}"] = f
        probe = probe_fifo(self.m, f, chan, self.comp.start & self.comp.idle)
        # a region whose stages' control no input changes: its occupancy is the schedules'
        probe["static"] = static_region(self.comp.design.function) and self.stall_in is None
        self.probes.append(probe)
        return f

    def connect_stream(self, chan: ir.Channel, port):
        """A stage's stream port on the region's FIFO (or on this kernel's own port)."""
        m = self.m
        putting = port.signature.members["valid"].flow == wiring.Out
        if id(chan) in self.fifos:
            q = self.fifos[id(chan)]
            if putting:
                m.d.comb += [q.w_data.eq(port.payload), q.w_en.eq(port.valid),
                             port.ready.eq(q.w_rdy)]
            else:
                m.d.comb += [port.payload.eq(q.r_data), port.valid.eq(q.r_rdy),
                             q.r_en.eq(port.ready)]
            return
        own = getattr(self.comp, chan.name)        # passed down from this kernel's caller
        if putting:
            m.d.comb += [own.payload.eq(port.payload), own.valid.eq(port.valid),
                         port.ready.eq(own.ready)]
        else:
            m.d.comb += [port.payload.eq(own.payload), port.valid.eq(own.valid),
                         own.ready.eq(port.ready)]

    def stream_port(self, chan: ir.Channel, loc):
        if chan not in self.design.function.params:
            raise AlloBackendError(f"a region's own get/put on its stream {chan.label} is "
                                   "not supported in hardware yet", loc,
                                   hint="move the transfer into a @df.kernel stage")
        return getattr(self.comp, chan.name)

    def fire_transfer(self, state: int, chan, active, value=None):
        """State ``state`` transfers on ``chan`` when it runs (not stalled) and ``active``
        (a pipeline position's valid bit; None: always) holds; ``value``: a put's data."""
        self.fires.setdefault(chan.name, []).append((state, active, value))

    def emit_fires(self):
        """Each stream port's valid/ready (and a put's payload) as one plain expression of
        the state bits: not inside FSM cases, so a Verilog simulator evaluates them from
        time 0 (an Icarus ``always @*`` of a case waits for its first input change)."""
        m = self.m
        for name, items in self.fires.items():
            port = getattr(self.comp, name)
            fired, payload = [], None
            for k, active, value in items:
                st = self.states[k]
                go = self.in_state(k) if st.stall is None else self.in_state(k) & ~st.stall
                go = go if active is None else go & active
                fired.append(go)
                if value is not None:
                    payload = value if payload is None else Mux(go, value, payload)
            putting = port.signature.members["valid"].flow == wiring.Out
            m.d.comb += (port.valid if putting else port.ready).eq(
                reduce(lambda a, b: a | b, fired))
            if putting:
                m.d.comb += port.payload.eq(payload)

    def note_transfer(self, state: int, chan, blocked):
        """``blocked``: the transfer on ``chan`` that state ``state`` wants now cannot be."""
        self.transfers[state].append((chan, blocked))

    def emit_stream_status(self):
        """Each state's stream wait; the watchdog's ``stream_wait`` bits and progress."""
        m, comp = self.m, self.comp
        for k, items in self.transfers.items():
            m.d.comb += self.stream_wait[k].eq(
                reduce(lambda a, b: a | b, [b for _, b in items]) if items else 0)
        self.emit_port_requests()
        if not comp.wait_table:
            return
        f = self.design.function
        own = []
        for chan in [c for c in f.params if isinstance(c, ir.Channel)]:
            terms = [self.in_state(k) & b for k, items in self.transfers.items()
                     for c, b in items if c is chan]
            if terms:
                own.append(reduce(lambda a, b: a | b, terms))
        children = [self.callees[k] for k in self.instance_names if k in self.callees]
        waits = own + [c.stream_wait for c in children if hasattr(c, "stream_wait")]
        m.d.comb += comp.stream_wait.eq(Cat(*waits))
        kinds = ("idle", "wait", "join")
        still = [self.in_state(st.index) for st in self.control.states if st.kind in kinds]
        # an elastic pipeline with a blocked transfer still progresses while a position moves
        still += [self.in_state(k) & self.stream_wait[k] & ~self.moving.get(k, Const(0, 1))
                  for k, items in self.transfers.items() if items]
        busy = ~reduce(lambda a, b: a | b, still)
        for c in children:
            busy = busy | (c.stream_progress if hasattr(c, "stream_progress") else ~c.idle)
        m.d.comb += comp.stream_progress.eq(busy)

    def note_port(self, state: int, buf: ir.Buffer, want):
        """State ``state`` wants the shared port of ``buf`` now (``want``: a 1-bit value)."""
        if buf.name in self.design.arbitrated:
            self.port_wants[state].append((buf.name, want))

    def emit_port_requests(self):
        """``<p>_req``: the running state would access shared ``p`` this cycle if granted
        (not while it waits on a stream or the external stall: a request that cannot be used
        would keep the port from the others); a state waits while one of its wants is not
        granted."""
        m, comp = self.m, self.comp
        reqs = {p: [] for p in self.design.arbitrated}
        for k, wants in self.port_wants.items():
            denied = [w & ~getattr(comp, f"{p}_gnt") for p, w in wants]
            m.d.comb += self.port_wait[k].eq(reduce(lambda a, b: a | b, denied) if denied else 0)
            other = self.stream_wait[k]
            if self.stall_in is not None:
                other = other | self.stall_in
            for p, w in wants:
                reqs[p].append(self.in_state(k) & w & ~other)
        for p, terms in reqs.items():
            m.d.comb += getattr(comp, f"{p}_req").eq(
                reduce(lambda a, b: a | b, terms) if terms else 0)

