"""FIFO occupancies read off the stages' schedules, without simulating (``fifo_depth="static"``).

Assumes the synthesized designs (``synthesize_module``: every function's Control IR) of a
region whose stages have control no input changes (``ir.fifo_depths.static_region``).
Guarantees, per stream of a region it can analyse, the most items that FIFO holds at once
when no FIFO is ever full; ``sim.static_depths`` builds it that + 1 deep (as hls4ml and FINN
size theirs from a simulation) and checks the sized design by one run.

1. ``stage_slots``: a stage's transfers in program order, on the cycles its states take when
   it never waits (the Control IR's tree, as ``control_latency`` reads it): a block state is
   one cycle, a loop its trips times its body (plus its own latch state, if any), and a
   pipeline runs iteration ``n``'s transfer at position ``p`` in cycle entry + n * II + p.
2. ``replay``: a timed run of the region with unbounded FIFOs: a slot fires at the later of
   its own cycle plus the cycles its stage has waited so far and the cycle after the put of
   each item it gets (a FIFO's output shows an item the cycle after it is written); a stage
   that waits holds everything after it, as a stalled state or a held pipeline does.
3. ``occupancy``: the most items put before a cycle and not yet got, over all cycles (the
   FIFO's ``level``, which the hardware's probe records).

An elastic pipeline (``rtl.pipeline``: II = 1, a position holds while its iteration has a
transfer that cannot happen or the position ahead holds, positions ahead move on, and the
transfers sharing a position complete one by one in program order) is replayed by those
rules (``Elastic``), iteration by iteration and position by position.

Refuses (``None``): a stage with a branch, a while loop, a call or a region inside (their
cycles are not read off the tree here), a stage with a transfer after an access to a memory
port it shares with other stages (its arbiter's grant depends on their accesses), and a region the replay cannot finish (a get whose
item is never put, or a replayed order the network cannot follow): ``sim.static_depths``
then falls back to a simulation.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from ..ir import nodes as ir
from .cdfg import DataflowRegion, IfRegion, LoopRegion, WhileRegion
from .control import AllOf, AnyOf, BlockCycle, PortWait
from .control_latency import loop_trips


class _Unsupported(Exception):
    pass


def _label(chan) -> str:
    while chan.outer is not None:
        chan = chan.outer
    return chan.label


def _transfers(ops) -> tuple:
    gets = tuple(_label(op.chan) for op in ops if op.opcode == "sget")
    puts = tuple(_label(op.chan) for op in ops if op.opcode == "sput")
    return gets, puts


@dataclass(frozen=True)
class Elastic:
    """An elastic pipeline's run: entered in cycle ``t`` (never waiting before), ``trips``
    iterations one cycle apart, ``depth`` positions; ``at``: position -> its transfers in
    program order, each ("get" | "put", stream label)."""
    t: int
    trips: int
    depth: int
    at: tuple

    @property
    def latency(self) -> int:
        return 0 if self.trips == 0 else self.trips - 1 + self.depth


def stage_slots(ctl, elastic=lambda sch: False) -> list:
    """A stage that never waits, in program order: (cycle, gets, puts) slots whose
    transfers happen together, and ``Elastic`` runs; cycle 0 samples its start.
    ``elastic(schedule)``: whether that pipeline is built elastic."""
    slots = _Slots()
    _nodes(ctl, ctl.body, 1, slots, elastic)
    return list(slots)


class _Slots(list):
    """The slots, refusing a transfer after a state that waits for a shared memory port's
    grant (``PortWait``: when it gets it depends on the other stages' accesses)."""
    arbitrated = False

    def state(self, st):
        self.arbitrated |= _waits_for_port(st.stall)

    def append(self, slot):
        if self.arbitrated:
            raise _Unsupported("a transfer after a wait for a shared memory port")
        super().append(slot)


def _waits_for_port(cond) -> bool:
    if isinstance(cond, PortWait):
        return True
    if isinstance(cond, (AnyOf, AllOf)):
        return any(_waits_for_port(c) for c in cond.conds)
    return False


def _nodes(ctl, nodes, t: int, slots: list, elastic) -> int:
    for node in nodes:
        t = _node(ctl, node, t, slots, elastic)
    return t


def _states(ctl, states, t: int, slots: list) -> int:
    for k in states:
        slots.state(ctl.states[k])
        run = ctl.states[k].run
        if isinstance(run, BlockCycle):
            sch = ctl.blocks[run.block].schedule
            gets, puts = _transfers([op for op in sch.block.ops
                                     if op.info.is_stream and sch.start[op] == run.cycle])
            if gets or puts:
                slots.append((t, gets, puts))
        t += 1
    return t


def _node(ctl, node, t: int, slots: list, elastic) -> int:
    if node.kind == "block":
        return _states(ctl, node.states, t, slots)
    if node.kind == "loop":
        trips = loop_trips(node.region)
        if trips is None:
            raise _Unsupported("a loop with run-time bounds")
        t = _states(ctl, node.states, t, slots)
        for _ in range(trips):
            t = _nodes(ctl, node.children[0], t, slots, elastic) if node.children else t
            if node.latch is not None:
                t = _states(ctl, (node.latch,), t, slots)
        return t
    if node.kind == "pipeline":
        t = _states(ctl, node.states, t, slots)
        slots.state(ctl.states[node.state])
        sch = node.pipeline.schedule
        if sch.trips is None:
            raise _Unsupported("a pipeline with run-time bounds")
        by_pos = {}
        for op in sch.block.ops:
            if op.info.is_stream:
                by_pos.setdefault(sch.start[op], []).append(op)
        if elastic(sch):
            at = tuple(tuple(("get" if op.opcode == "sget" else "put", _label(op.chan))
                             for op in by_pos.get(p, ())) for p in range(sch.depth))
            run = Elastic(t, sch.trips, sch.depth, at)
            if any(run.at):
                slots.append(run)
            return t + run.latency
        timed = [(n * sch.ii + p, *_transfers(ops))
                 for n in range(sch.trips) for p, ops in by_pos.items()]
        for dt, g, p in sorted(timed, key=lambda s: s[0]):
            slots.append((t + dt, g, p))
        return t + (0 if sch.trips == 0 else sch.latency)
    raise _Unsupported(f"a {node.kind}")


def replay(stages: dict, latency=None) -> dict | None:
    """stream label -> (put cycles, get cycles) of a region's stages (name -> slots) with
    unbounded FIFOs, whose outputs show an item ``latency[label]`` cycles (default 1) after
    its put; None when some get's item is never put. Each stage runs as a generator asking
    for the cycle each item it gets is at the FIFO's output; a stage whose item is not put
    yet waits until another stage has put it."""
    latency = latency or {}
    puts, gets = {}, {}
    procs = {name: _stage(slots, puts, gets) for name, slots in stages.items()}
    waiting = {}
    for name, proc in procs.items():
        waiting[name] = next(proc, None)
    progress = True
    while progress:
        progress = False
        for name, proc in procs.items():
            while waiting[name] is not None:
                label = waiting[name]
                k = len(gets.get(label, ()))
                put = puts.get(label, ())
                if k >= len(put):
                    break
                waiting[name] = _send(proc, put[k] + latency.get(label, 1))
                progress = True
    if any(w is not None for w in waiting.values()):
        return None
    return {label: (puts.get(label, []), gets.get(label, [])) for label in {*puts, *gets}}


def _send(proc, value):
    try:
        return proc.send(value)
    except StopIteration:
        return None


def _stage(slots, puts: dict, gets: dict):
    """Yields the label of each item it gets, receives the cycle that item is at the FIFO's
    output, records the cycle of every transfer it makes."""
    waited = 0                      # cycles the stage is behind its schedule
    for slot in slots:
        if isinstance(slot, Elastic):
            end = yield from _elastic(slot, slot.t + waited, puts, gets)
            waited = end + 1 - (slot.t + slot.latency)
            continue
        t, g, p = slot
        fire = t + waited
        for label in g:
            fire = max(fire, (yield label))
        waited = fire - t
        for label in g:
            gets.setdefault(label, []).append(fire)
        for label in p:
            puts.setdefault(label, []).append(fire)
    yield from ()


def _elastic(run: Elastic, start: int, puts: dict, gets: dict):
    """The cycle the last iteration leaves the last position (``rtl.pipeline``'s rules)."""
    left = [start - 2] * run.depth        # cycle the previous iteration left each position
    last = start - 1
    for n in range(run.trips):
        here = start + n - 1              # "left position -1": issue is one cycle apart
        for p in range(run.depth):
            t = max(here, left[p]) + 1
            for kind, label in run.at[p]:
                if kind == "get":
                    t = max(t, (yield label))
                    gets.setdefault(label, []).append(t)
                else:
                    puts.setdefault(label, []).append(t)
            here = left[p] = t
        last = here
    return last


def occupancy(put_cycles: list, get_cycles: list) -> int:
    """The most items held in any cycle: put in an earlier cycle and not yet got."""
    put_cycles, get_cycles = sorted(put_cycles), sorted(get_cycles)
    return max((bisect_left(put_cycles, c) - bisect_left(get_cycles, c)
                for c in {t + 1 for t in put_cycles}), default=0)


def region_occupancies(designs: dict, fifo_latency=lambda depth: 1,
                       elastic=lambda design, sch: False) -> dict:
    """stream label -> occupancy, for every stream of every region all of whose stages this
    analysis reads (``_Unsupported``) and whose replay finishes; other streams are left out.
    ``fifo_latency(depth)``: cycles from a put to the item at the output of a FIFO that deep
    (the kind of FIFO the build picks for it); the replay is repeated until the depths it
    gives keep their latencies. ``elastic(design, schedule)``: whether that pipeline of
    that stage is built elastic."""
    out = {}
    for d in designs.values():
        regions = list(_regions(d.cdfg.body))
        done = 0
        for region in regions:
            try:
                stages = {}
                for k, r in enumerate(region.stages):
                    g = designs[r.call.callee.name]
                    stages[f"{g.function.name}#{k}"] = stage_slots(
                        g.control, lambda sch, g=g: elastic(g, sch))
            except _Unsupported:
                continue
            latency, occ = {}, None
            for _ in range(4):
                times = replay(stages, latency)
                if times is None:
                    break
                occ = {label: occupancy(*t) for label, t in times.items()}
                again = {label: fifo_latency(v + 1) for label, v in occ.items()}
                if all(again[k] == latency.get(k, 1) for k in again):
                    out.update(occ)
                    done += 1
                    break
                latency = again
        if regions and done == len(regions):     # the streams no stage uses hold nothing
            for c in d.function.locals:
                if isinstance(c, ir.Channel):
                    out.setdefault(_label(c), 0)
    return out


def _regions(regions):
    for r in regions:
        if isinstance(r, DataflowRegion):
            yield r
        elif isinstance(r, (LoopRegion, WhileRegion)):
            yield from _regions(r.body)
        elif isinstance(r, IfRegion):
            yield from _regions(r.then_body)
            yield from _regions(r.else_body)
