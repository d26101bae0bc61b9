"""The schedule checker: re-verifies a finished block or modulo schedule against the
constraints it must satisfy, independently of how the scheduler found it.

Checked for a block schedule (cycles) and for one iteration of a modulo schedule (positions):
* dependence: an op starts no earlier than every operand is ready;
* chaining: a combinational op fed by a value produced in the same cycle ends within the
  clock period (register setup included), computed from the timing model along the chain;
* memory order: on one array, a load after a store starts a cycle later, a store never
  before an earlier load, stores stay in order;
* resources: no more starts per cycle (per modulo slot in a pipeline) of a limited resource
  class (a port) than its capacity -- in a pipeline, a port's two phased accesses (a promoted
  load and store, ``phases.py``) may share a slot when their gap never lets them meet;
* commits: variable writes happen in the block's last cycle, and the length covers every
  result.
A modulo schedule additionally satisfies, at its II: recurrences through variables (the next
iteration reads a value after this one wrote it), memory dependences across iterations at
their distances, and loop indices read at position 0.

A violation is a compiler bug, not a user error: ``ScheduleError`` names the constraint kind
and the ops with their lines. ``hls.synthesize`` runs the checker on every schedule it makes.
"""
from __future__ import annotations

from collections import Counter

from .deps import access_distance
from .phases import collide, exclusive_pair
from .resources import groups, resource_of

EPS = 1e-6


class ScheduleError(AssertionError):
    """A schedule breaks a constraint; ``kind`` is one of dependence, chaining, memory-order,
    resource, commit, length, recurrence, memory-recurrence, index, binding."""

    def __init__(self, kind: str, message: str):
        self.kind = kind
        super().__init__(f"schedule check ({kind}): {message}")


def _name(op) -> str:
    line = op.loc.line if op.loc is not None else "?"
    return f"v{op.id} {op.opcode} (line {line})"


def _arrivals(ops, start, ready, timing, kind_of_start="cycle"):
    """Recompute each scheduled op's arrival time inside its ready cycle (the schedulers'
    rule, ``TimingModel.input_arrival``) and check that no combinational chain overruns the
    clock."""
    arrival = {}
    for op in ops:
        if op not in start or op.info.writes_var:
            continue
        arr = timing.input_arrival(op, start[op], ready, arrival)
        end = timing.result_arrival(op, arr)
        if arr > timing.reg_out_ns and timing.of(op).latency == 0 and \
                end > timing.chain_limit_ns + EPS:
            raise ScheduleError("chaining", f"{_name(op)} ends {end:.2f} ns into "
                                f"{kind_of_start} {start[op]}, past the "
                                f"{timing.chain_limit_ns:.2f} ns the clock allows")
        arrival[op] = end
    return arrival


def _common(ops, start, ready, timing, what):
    for op in ops:
        if op not in start:
            continue
        if start[op] < 0:
            raise ScheduleError("dependence", f"{_name(op)} starts at {start[op]} < 0")
        if ready[op] != start[op] + timing.of(op).latency:
            raise ScheduleError("dependence", f"{_name(op)}: ready {ready[op]} is not start "
                                f"{start[op]} + latency {timing.of(op).latency}")
        for o in op.operands:
            if o in start and start[op] < ready[o]:
                raise ScheduleError("dependence", f"{_name(op)} starts in {what} {start[op]}, "
                                    f"before its operand {_name(o)} is ready ({ready[o]})")
    stores, loads = {}, {}
    for op in ops:
        if not op.info.is_memory or op not in start:
            continue
        key = id(op.buf)
        for st in stores.get(key, []):
            if start[op] < start[st] + 1:
                raise ScheduleError("memory-order", f"{_name(op)} is not a {what} after the "
                                    f"earlier store {_name(st)} to {op.buf.name}")
        if op.info.is_store:
            for ld in loads.get(key, []):
                if start[op] < start[ld]:
                    raise ScheduleError("memory-order", f"store {_name(op)} precedes the "
                                        f"earlier load {_name(ld)} of {op.buf.name}")
        (stores if op.info.is_store else loads).setdefault(key, []).append(op)
    _arrivals(ops, start, ready, timing, what)


def _capacity(ops, start, external_ids, slot_of, what):
    used = Counter()
    for op in ops:
        rc = resource_of(op, external_ids)
        if rc is None or rc.capacity is None or op not in start:
            continue
        slot = slot_of(start[op])
        used[(rc, slot)] += 1
        if used[(rc, slot)] > rc.capacity:
            where = op.buf.name if op.buf is not None else rc.kind
            raise ScheduleError("resource", f"{_name(op)}: more than {rc.capacity} start(s) "
                                f"on {where}'s {rc.kind} ({rc.port or ''}) in {what} {slot}")


def check_block(sch, timing) -> None:
    """Raise ``ScheduleError`` unless ``sch`` (a ``BlockSchedule``) satisfies its constraints."""
    ops = sch.block.ops
    for op in ops:
        if not op.info.stable and op not in sch.start:
            raise ScheduleError("dependence", f"{_name(op)} has no start cycle")
    _common(ops, sch.start, sch.ready, timing, "cycle")
    _capacity(ops, sch.start, sch.external_ids, lambda c: c, "cycle")
    last = sch.length - 1
    for op in ops:
        if op.info.writes_var and sch.start[op] != last:
            raise ScheduleError("commit", f"{_name(op)} writes its variable in cycle "
                                f"{sch.start[op]}, not the block's last cycle {last}")
        if op in sch.ready and sch.ready[op] > last:
            raise ScheduleError("length", f"{_name(op)} is ready in cycle {sch.ready[op]}, "
                                f"after the block's last cycle {last}")


def check_modulo(sch, timing) -> None:
    """Raise ``ScheduleError`` unless ``sch`` (a ``ModuloSchedule``) satisfies its constraints
    at its II."""
    ops, ii = sch.block.ops, sch.ii
    _common(ops, sch.start, sch.ready, timing, "position")
    shared = set()
    for group in groups([op for op in ops if op in sch.start], sch.external_ids).values():
        pair = exclusive_pair(group, sch.index_ops, sch.nest)
        if pair is not None:
            a, pa, b, pb = pair
            if collide(pa, pb, ii, sch.start[b] - sch.start[a]):
                raise ScheduleError("resource", f"{_name(a)} and {_name(b)} share a port and "
                                    f"meet in one cycle at II {ii} (positions "
                                    f"{sch.start[a]} and {sch.start[b]})")
            shared.add(b)
    _capacity([op for op in ops if op not in shared], sch.start, sch.external_ids,
              lambda p: p % ii, "modulo slot")
    for op in ops:
        if op in sch.ready and sch.ready[op] > sch.depth - 1:
            raise ScheduleError("length", f"{_name(op)} is ready at position {sch.ready[op]}, "
                                f"past the depth {sch.depth}")
    for op, k in sch.index_ops.items():
        if sch.start[op] != 0:
            raise ScheduleError("index", f"loop index {op.var.name} read at position "
                                f"{sch.start[op]}, not 0 where the counters hold it")
    writes = {id(op.var): op for op in ops if op.info.writes_var}
    for rd in sch.carried_reads:
        wr = writes[id(rd.var)]
        gap = 1
        if rd in sch.forwarded:      # bypassed from the writer's output register
            v = wr.operands[0]
            if timing.of(v).latency == 0 or sch.start[wr] != sch.ready[v]:
                raise ScheduleError("recurrence", f"variable {rd.var.name}: forwarded from "
                                    f"{_name(v)}, which is not a register output at position "
                                    f"{sch.start[wr]}")
            gap = 0
        if sch.start[wr] < sch.start[rd] or sch.start[rd] + ii < sch.start[wr] + gap:
            raise ScheduleError("recurrence", f"variable {rd.var.name}: read at position "
                                f"{sch.start[rd]}, written at {sch.start[wr]}; at II {ii} "
                                "the next iteration would read a stale or future value")
    for x in ops:
        for y in ops:
            if x is y or not (x.info.is_memory and y.info.is_memory) or x.buf is not y.buf:
                continue
            if x.info.is_load and y.info.is_load:
                continue
            d = access_distance(x, y, sch.addr_of, sch.nest, sch.dep_phases)
            if d is None:
                continue
            gap = 1 if x.info.is_store else 0
            if sch.start[y] + d * ii < sch.start[x] + gap:
                raise ScheduleError("memory-recurrence", f"{_name(y)} of iteration n+{d} "
                                    f"starts before {_name(x)} of iteration n allows at II {ii}")


def check_unit_binding(blocks, unit_of) -> None:
    """Ops sharing a functional unit never start on it together: within a block, distinct
    cycles (a pipelined or combinational unit) or one op only (an iterative unit, busy for
    its latency); within a pipeline (``ii`` not None), distinct modulo slots. ``blocks``:
    (ops, start, ii or None) per block or pipeline body."""
    for ops, start, ii in blocks:
        seen = {}
        for op in ops:
            unit = unit_of.get(op)
            if not isinstance(unit, tuple) or op not in start:
                continue
            slot = None if op.info.iterative else start[op] % ii if ii else start[op]
            other = seen.setdefault((unit, slot), op)
            if other is not op:
                where = "block" if slot is None else (f"modulo slot {slot}" if ii else
                                                      f"cycle {slot}")
                raise ScheduleError("binding", f"{_name(other)} and {_name(op)} share unit "
                                    f"{unit[0]}{unit[2]} in {where}")
