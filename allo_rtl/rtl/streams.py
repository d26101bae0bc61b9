"""Streams in hardware: stage ports, the region's FIFOs and the stall-watchdog table.

* A kernel's stream parameter ``c`` is an ``amaranth.lib.stream`` interface named ``c``:
  ``Out(stream.Signature(T))`` when the kernel puts into it, ``In(...)`` when it gets from it.
  The kernel raises ``valid`` (put) or ``ready`` (get) only in a cycle the transfer happens,
  so its handshake is one-sided: the state waits for the FIFO's ``ready`` (``valid``) and
  then transfers (``valid``/``ready`` from the kernel imply the other side's).
* A stream local of a region is a FIFO in the region's module: ``amaranth.lib.fifo.SyncFIFO``
  (LUT RAM/registers, a get can follow a put by one cycle) up to ``LUT_FIFO_MAX_DEPTH``
  items, ``SyncFIFOBuffered`` (block RAM with an output register) beyond.
* Watchdog table: every kernel whose hierarchy transfers on streams exports
  ``stream_wait`` (one bit per transfer point: "this stage wants to put into / get from
  this stream and the FIFO is full / empty") and ``stream_progress`` (some stage below is
  doing anything but waiting on a stream). ``wait_table`` says what each bit means, so a
  simulator's watchdog can name the stages and streams (``sim.watchdog``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from amaranth.hdl import Signal
from amaranth.lib import fifo, stream
from amaranth.lib.wiring import In, Out

from ..ir import nodes as ir
from .interface import hw_shape

LUT_FIFO_MAX_DEPTH = 16


def directions(f: ir.Function) -> dict:
    """Stream parameter name -> "put" | "get" (what ``f`` does with it)."""
    out = {}
    for s in ir.walk_stmts(f.body):
        if isinstance(s, ir.StreamPut):
            out[s.chan.name] = "put"
        elif isinstance(s, ir.StreamGet):
            out[s.chan.name] = "get"
    for s in ir.walk_stmts(f.body):       # a stream passed on to a stage below
        if isinstance(s, ir.Call):
            for a, p in zip(s.args, s.callee.params):
                if isinstance(a, ir.Channel) and a in f.params:
                    out.setdefault(a.name, directions(s.callee).get(p.name, "get"))
    return out


def stream_members(f: ir.Function) -> dict:
    """Signature members of ``f``'s stream parameters."""
    dirs = directions(f)
    members = {}
    for p in f.params:
        if isinstance(p, ir.Channel):
            sig = stream.Signature(hw_shape(p.type.elem))
            members[p.name] = (Out if dirs.get(p.name) == "put" else In)(sig)
    return members


def make_fifo(chan: ir.Channel):
    """The FIFO of a region's stream local (see the module docstring)."""
    width = hw_shape(chan.type.elem).width
    depth = chan.type.depth
    if depth <= LUT_FIFO_MAX_DEPTH:
        return fifo.SyncFIFO(width=width, depth=depth)
    return fifo.SyncFIFOBuffered(width=width, depth=depth)


@dataclass(frozen=True)
class WaitBit:
    """What one bit of ``stream_wait`` means."""
    stage: str          # instance path from the top ("top.producer_0")
    stream: str         # the stream's name as the user wrote it (``fifo_A[1, 2]``)
    op: str             # "put" (waits while full) | "get" (waits while empty)
    loc: ir.Loc

    @property
    def why(self) -> str:
        return "full" if self.op == "put" else "empty"

    def format(self, top: str = "") -> str:
        """The line of the KPN interpreter's deadlock report for this bit."""
        verb = "get from" if self.op == "get" else "put into"
        stage = self.stage or top
        return f"  stage {stage} waits to {verb} {self.stream} ({self.why}) at {self.loc}"


WATCHDOG_SLACK = 64


def watchdog_limit(designs: dict) -> int:
    """Cycles without progress (every running stage waiting on a stream) after which a
    simulator reports a deadlock: ``WATCHDOG_SLACK`` + the deepest FIFO."""
    depths = [c.type.depth for d in designs.values() for c in d.function.locals
              if isinstance(c, ir.Channel)]
    return WATCHDOG_SLACK + max(depths, default=0)


def own_transfers(f: ir.Function) -> list:
    """(channel parameter, "put" | "get", first location) per stream ``f`` transfers on."""
    seen = {}
    for s in ir.walk_stmts(f.body):
        if isinstance(s, (ir.StreamPut, ir.StreamGet)) and s.chan.name not in seen:
            seen[s.chan.name] = (s.chan, "put" if isinstance(s, ir.StreamPut) else "get",
                                 s.loc)
    return list(seen.values())


def label_of(chan: ir.Channel) -> str:
    outer = chan
    while outer.outer is not None:
        outer = outer.outer
    return outer.label


def instance_names(cdfg_body) -> dict:
    """Submodule name per callee instance of a function, in program order: a call outside a
    dataflow region uses the callee's one shared instance (key: the callee's name), every
    stage of a region has its own (key: ``id`` of its CallRegion), named after its callee
    (``_1``, ``_2``, ... when that name is taken)."""
    from ..hls.cdfg import CallRegion, DataflowRegion
    names, taken = {}, set()

    def fresh(base):
        name, k = base, 0
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        return name

    def walk(regions):
        for r in regions:
            if isinstance(r, CallRegion):
                callee = r.call.callee.name
                if callee not in names:
                    names[callee] = fresh(callee)
            elif isinstance(r, DataflowRegion):
                for c in r.stages:
                    names[id(c)] = fresh(c.call.callee.name)
            for attr in ("body", "then_body", "else_body"):
                walk(getattr(r, attr, []))
    walk(cdfg_body)
    return names


def callee_of_instance(cdfg_body) -> dict:
    """Instance key (as ``instance_names``) -> callee function name."""
    from ..hls.cdfg import CallRegion, DataflowRegion
    out = {}

    def walk(regions):
        for r in regions:
            if isinstance(r, CallRegion):
                out.setdefault(r.call.callee.name, r.call.callee.name)
            elif isinstance(r, DataflowRegion):
                for c in r.stages:
                    out[id(c)] = c.call.callee.name
            for attr in ("body", "then_body", "else_body"):
                walk(getattr(r, attr, []))
    walk(cdfg_body)
    return out


def wait_table(name: str, designs: dict, _memo=None) -> list:
    """The ``stream_wait`` bits of function ``name``'s kernel: its own transfer points first
    (stage ""), then each instance's table with the instance name prefixed."""
    memo = {} if _memo is None else _memo
    if name in memo:
        return memo[name]
    d = designs[name]
    table = [WaitBit("", label_of(c), op, loc) for c, op, loc in own_transfers(d.function)]
    names = instance_names(d.cdfg.body)
    for key, callee in callee_of_instance(d.cdfg.body).items():
        inst = names[key]
        for bit in wait_table(callee, designs, memo):
            table.append(WaitBit(inst if not bit.stage else f"{inst}.{bit.stage}",
                                 bit.stream, bit.op, bit.loc))
    memo[name] = table
    return table


def probe_fifo(m, q, chan: ir.Channel, restart) -> dict:
    """A register keeping the most items FIFO ``q`` held since ``restart`` (the region's
    kernel starting), for the report's occupancy (``sim`` reads it after a run)."""
    top = Signal(range(chan.type.depth + 1), name=f"{chan.name}_max_level")
    with m.If(restart):
        m.d.sync += top.eq(0)
    with m.Elif(q.level > top):
        m.d.sync += top.eq(q.level)
    row = {"kind": "fifo", "name": label_of(chan), "depth": chan.type.depth, "signal": top}
    if chan.depth_method:               # fifo_depth="static" (sim.static_depths)
        row["depth_method"] = chan.depth_method
    if chan.block is not None:          # a stream of blocks, built as a FIFO of its words
        row["block"] = chan.block
    return row


def probe_stage(m, comp, name: str, clock) -> dict:
    """A register keeping the region clock's value when stage ``comp`` raised done: its
    latency from the region's start (every stage starts in the same cycle)."""
    at = Signal(32, name=f"{name}_done_at")
    with m.If(comp.done):
        m.d.sync += at.eq(clock)
    return {"kind": "stage", "name": name, "signal": at}


def occupancy_rows(probes: list, values: list) -> dict:
    """The report's "streams" and "stages" rows from probe values after a run."""
    streams, stages = [], []
    for p, v in zip(probes, values):
        where = p["path"] or "top"
        if p["kind"] == "fifo":
            row = {"region": where, "name": p["name"], "depth": p["depth"],
                   "max_occupancy": v, "suggested_depth": max(1, v + 1),
                   # "static": the schedules fix it for every input (ir.fifo_depths)
                   "sizing": "static" if p.get("static") else "measured"}
            if "depth_method" in p:
                row["depth_method"] = p["depth_method"]
            if "block" in p:            # depths in words; the blocks the user declares too
                words = math.prod(p["block"].elem.shape)
                row.update(block=repr(p["block"].elem), words_per_block=words,
                           depth_blocks=p["depth"] // words,
                           suggested_blocks=-(-row["suggested_depth"] // words))
            streams.append(row)
        else:
            stages.append({"region": where, "stage": p["name"], "latency": v, "interval": v})
    # a region ends with its last stage; it starts its next call only then (no overlap of
    # calls yet), so its interval is its latency
    regions = {}
    for st in stages:
        regions[st["region"]] = max(regions.get(st["region"], 0), st["latency"])
    return {"streams": streams, "stages": stages,
            "regions": [{"region": r, "latency": v, "interval": v} for r, v in regions.items()]}
