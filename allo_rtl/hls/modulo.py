"""Modulo scheduling of a pipelined loop nest: a new iteration starts every II cycles.

The body is one straight-line block. For a candidate II the schedule is an SDC problem (the
same difference constraints as ``sdc.py``) plus what overlapping iterations add:

* recurrences through variables: a variable written at position ``w`` by iteration n must be
  read by iteration n+1 after the write and by iteration n before it:
  ``w >= s_read`` and ``s_read + II >= w + 1``; when the written value leaves a unit's output
  register (a float add), the write is put in that cycle and the next iteration may read it
  there through a bypass: ``s_read + II >= w``;
* recurrences through memory (distances from ``deps.py``): a store must be visible to a load d
  iterations later, ``s_load + d*II >= s_store + 1``; a load must happen before a store d
  iterations later overwrites the word, ``s_store + d*II >= s_load``; stores keep their order;
* ports (modulo reservation): the accesses of one iteration to one port class keep program order
  one cycle apart and fit in a window of II cycles, so no two share a cycle modulo II; when no
  schedule fits that window (a load and a store of one port around a float add), the window is
  dropped and accesses that share a slot are pushed apart until none do;
* float units (pipelined: one op per cycle, so a unit serves II ops of an iteration): a class
  ``s.allocation`` limits to c units takes at most c ops per modulo slot and counts in ResMII;
  an unlimited class at II > 1 is first asked for the fewest units II allows,
  ceil(ops / II), and keeps a unit per op only when no schedule at this II shares them. Ops
  of a class are pushed apart like a port's clashing accesses (a window would not do: a
  float chain is longer than II).

II is searched upward from max(requested, ResMII). Loop indices are read at position 0 (where
the issue counters hold them); everything else moves down shift registers, one per cycle of
lifetime, so each in-flight iteration keeps its own values. The objective is the SDC one:
minimum depth, then fewest register bits.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..ir.dependence import Nest
from .cdfg import Block
from .deps import access_distance, address_form
from .phases import dependence_phases, exclusive_pair, gap_window
from .resources import PORT_KINDS, groups, res_mii as resource_mii
from .stream_order import PIPELINE_GAP, stream_order
from .sdc import Problem, memory_order, solve, timing_constraints
from .timing import TimingModel

MAX_II = 64


class NotPipelinable(Exception):
    """The loop cannot be pipelined; the message says why (it goes into the report)."""


@dataclass
class ModuloSchedule:
    block: Block
    nest: Nest
    loops: list                        # ir.For of the flattened nest, outer first
    requested_ii: int
    ii: int
    depth: int                         # positions 0 .. depth-1 of one iteration
    start: dict = field(default_factory=dict)     # op -> position it starts at
    ready: dict = field(default_factory=dict)     # op -> position its value is valid
    index_ops: dict = field(default_factory=dict)  # var op of a loop index -> loop number
    carried_reads: set = field(default_factory=set)   # var ops of variables the body writes
    # carried reads that take the previous iteration's write in the cycle it is written
    # (from the writing unit's output register, see ``forwardable``)
    forwarded: set = field(default_factory=set)
    res_mii: int = 1
    limit: str = ""                    # why II is what it is, for people
    external_ids: frozenset = frozenset()   # buffers reached through ports
    mem_deps: list = field(default_factory=list)  # (x, y, d): y of iteration n+d after x of n
    addr_of: dict = field(default_factory=dict)   # memory op -> affine address (deps.affine)
    dep_phases: dict = field(default_factory=dict)  # memory op -> Phase its effect counts in

    @property
    def trips(self) -> int | None:
        """Iterations of the whole nest (None: run-time bounds)."""
        n = 1
        for t in self.nest.trips:
            if t is None:
                return None
            n *= t
        return n

    @property
    def latency(self) -> int | None:
        """Cycles from the first issue to the last iteration's last position."""
        return None if self.trips is None else (self.trips - 1) * self.ii + self.depth


    def register_bits(self) -> int:
        """Bits of the shift registers carrying values between positions, plus the valid
        bits (one per position)."""
        last = {}
        for op in self.block.ops:
            for o in op.operands:
                if o in self.ready:
                    last[o] = max(last.get(o, 0), self.start[op])
        return self.depth + sum((u - self.ready[o]) * o.type.hw_bits
                                for o, u in last.items() if u > self.ready[o])


def modulo_schedule(block: Block, loops: list, trips: list, timing: TimingModel,
                    external_ids: set, requested_ii: int) -> ModuloSchedule:
    for op in block.ops:
        if op.info.iterative:
            raise NotPipelinable(
                f"the {op.info.noun or op.info.symbol} at line {op.loc.line} ({op.info.symbol}) "
                f"runs on an iterative unit (busy {timing.of(op).latency} cycles), which "
                "pipelines cannot share across iterations yet")
    nest = Nest(loops, trips)
    written = {id(op.var) for op in block.ops if op.info.writes_var}
    index_ops, carried = {}, set()
    for op in block.ops:
        if op.info.reads_var:
            v = op.var
            if id(v) in nest.vars:
                index_ops[op] = nest.vars[id(v)]
            elif id(v) in written:
                carried.add(op)
    addr_of = {}
    for op in block.ops:
        if op.info.is_memory:
            addr_of[op] = address_form(op.operands[0], written, nest)
    phases = dependence_phases(block.ops, index_ops, nest)
    by_class = groups(block.ops, external_ids)
    # a port's two phased accesses (a promoted load and store) take one slot between them
    counted = {rc: g[:1] if exclusive_pair(g, index_ops, nest) else g
               for rc, g in by_class.items()}
    res_mii, _ = resource_mii(counted, timing)
    first = max(requested_ii, res_mii)
    pairs = [rc for rc, g in by_class.items() if rc.capacity == 1 and len(g) == 2 and
             not rc.is_float_unit and exclusive_pair(g, index_ops, nest) is None]
    phased = any(exclusive_pair(g, index_ops, nest) for g in by_class.values())
    for ii in range(first, MAX_II + 1):
        shares = sharing_caps(by_class, ii)
        for caps in (shares, {}) if shares else ({},):
            for late in (False, True) if phased else (False,):
                # phased pairs: first with their gap before the first meeting, then after it
                x, problem = _solve_at(block, nest, timing, external_ids, ii, index_ops,
                                       carried, addr_of, phases, pairs, late, caps)
                if x is None:       # the accesses of a port may span more than II cycles
                    x, problem = _solve(block, nest, timing, external_ids, ii, index_ops,
                                        carried, addr_of, phases, window=False, late=late,
                                        caps=caps)
                if x is not None:
                    break
            if x is not None:
                break
        if x is None:
            continue
        sch = ModuloSchedule(block, nest, loops, requested_ii, ii, 0, index_ops=index_ops,
                             carried_reads=carried, res_mii=res_mii,
                             external_ids=frozenset(external_ids), mem_deps=problem.mem_deps,
                             addr_of=addr_of, dep_phases=phases)
        _fill(sch, x, problem, timing)
        sch.limit = _explain(sch, counted, problem, x, timing)
        return sch
    raise NotPipelinable(f"no schedule with II <= {MAX_II} satisfies the loop's recurrences")


def sharing_caps(by_class, ii) -> dict:
    """Float unit class -> the fewest units its ops need at ``ii`` (each serves II of them),
    for the classes with no ``s.allocation`` limit and more ops than that."""
    out = {}
    for rc, group in by_class.items():
        if rc.is_float_unit and rc.capacity is None and len(group) > -(-len(group) // ii):
            out[rc] = -(-len(group) // ii)
    return out


def _solve_at(block, nest, timing, external_ids, ii, index_ops, carried, addr_of, phases,
              pairs, late=False, caps=None):
    """A schedule at ``ii``, or (None, problem). A port with two accesses per iteration needs
    them in different modulo slots: their gap must not be a multiple of II, which is not one
    difference constraint. Solve without it, then keep each such gap inside the window of II
    cycles it fell in (moving a gap that hit a multiple one cycle on); if that fails, fall back
    to both accesses within one window of II cycles (the rule for larger groups)."""
    args = (block, nest, timing, external_ids, ii, index_ops, carried, addr_of, phases)
    if ii == 1 or not pairs:
        return _solve(*args, late=late, caps=caps)
    x, problem = _solve(*args, windows={rc: None for rc in pairs}, late=late, caps=caps)
    if x is None:
        return _solve(*args, late=late, caps=caps)
    gaps = {rc: problem.pair_gap(rc, x) for rc in pairs}
    if all(g % ii for g in gaps.values()):
        return x, problem
    x, problem = _solve(*args, windows={rc: g // ii for rc, g in gaps.items()}, late=late,
                        caps=caps)
    return (x, problem) if x is not None else _solve(*args, late=late, caps=caps)


def _solve(block, nest, timing, external_ids, ii, index_ops, carried, addr_of, phases,
           windows=None, window=True, late=False, caps=None):
    """``windows``: port class -> None (its two accesses only in program order) or q (their
    gap within [q II + 1, (q + 1) II - 1]); other classes of capacity one keep every access of
    an iteration within II cycles, or with ``window=False`` are repaired after solving (an
    access sharing a slot with an earlier one of its port pushed further). Float unit classes
    are always repaired so, to their ``s.allocation`` limit or ``caps`` (class -> units)."""
    windows = windows or {}
    ops = [op for op in block.ops if not op.info.stable or op in index_ops or op in carried]
    var = {op: k for k, op in enumerate(ops)}
    L = len(ops)
    lp = Problem()
    lp.mem_deps = []
    lp.pair_vars = {}
    lp.pair_gap = lambda rc, x: int(x[lp.pair_vars[rc][1]] - x[lp.pair_vars[rc][0]])
    timing_constraints(lp, block.ops, var, L, timing)
    for op in index_ops:                    # the issue counters hold indices at position 0
        lp.diff(None, var[op], 0)
    # recurrences through variables
    reads = defaultdict(list)
    for op in carried:
        reads[id(op.var)].append(op)
    lp.forwarded = set()
    for op in ops:
        if op.info.writes_var:
            v = op.operands[0]
            bypass = forwardable(op, timing) and v in var
            if bypass:                     # write in the cycle the unit's result is out
                lp.diff(var[v], var[op], -timing.of(v).latency)
            for rd in reads[id(op.var)]:
                lp.diff(var[op], var[rd], 0)
                lp.diff(var[rd], var[op], (0 if bypass else 1) - ii, tag=("var", rd, op))
                if bypass:
                    lp.forwarded.add(rd)
    # memory: program order inside an iteration; ports: one cycle apart and, so that no two
    # share a modulo slot, all of an iteration's accesses to a port within II cycles
    by_class = memory_order(lp, ops, var, external_ids, float_units=False)
    stream_order(lp, ops, var, PIPELINE_GAP)
    for rc, group in by_class.items():
        pair = exclusive_pair(group, index_ops, nest)
        if pair is not None:          # never in one cycle: their gap inside a safe window
            a, pa, b, pb = pair
            lo, hi = gap_window(pa, pb, ii, late)
            lp.diff(var[b], var[a], lo, tag=("port", rc))
            lp.diff(var[a], var[b], -hi, tag=("port", rc))
        elif rc in windows:
            a, b = group
            lp.pair_vars[rc] = (var[a], var[b])
            q = windows[rc]
            if q is not None:
                lp.diff(var[b], var[a], q * ii + 1, tag=("port", rc))
                lp.diff(var[a], var[b], 1 - (q + 1) * ii, tag=("port", rc))
        elif window and rc.capacity == 1 and len(group) > 1 and not rc.is_float_unit:
            lp.diff(var[group[0]], var[group[-1]], 1 - ii, tag=("port", rc))
    # memory: distances across iterations (x in iteration n, y in iteration n + d)
    accesses = defaultdict(list)
    for op in ops:
        if op.info.is_memory:
            accesses[id(op.buf)].append(op)
    for group in accesses.values():
        for x in group:
            for y in group:
                if x is y or x.info.is_load and y.info.is_load:
                    continue
                d = access_distance(x, y, addr_of, nest, phases)
                if d is not None:
                    gap = 1 if x.info.is_store else 0
                    lp.mem_deps.append((x, y, d))
                    lp.diff(var[y], var[x], gap - d * ii, tag=("mem", x, y, d))
    # objective: depth, then register bits (one register per cycle a value lives)
    consumers = defaultdict(list)
    for op in ops:
        for o in op.operands:
            if o in var:
                consumers[o].append(var[op])
    x, lp.A, lp.b = solve(lp, var, L, consumers, timing)
    # repair (ports without the window, float units always): an op sharing a modulo slot
    # with an earlier one of its class is pushed at least one cycle further from it, and the
    # LP solved again
    caps = caps or {}
    for _ in range(max(1, 4 * len(ops))):
        if x is None:
            break
        clashes = list(_slot_clashes(by_class, var, x, ii, index_ops, nest, caps, not window))
        if not clashes:
            break
        for rc, a, b in clashes:
            lp.diff(var[b], var[a], int(x[var[b]] - x[var[a]]) + 1,
                    tag=("unit" if rc.is_float_unit else "port", rc))
        x, lp.A, lp.b = solve(lp, var, L, consumers, timing)
    else:
        x = None
    lp.var, lp.L = var, L
    return x, lp


def _slot_clashes(by_class, var, x, ii, index_ops, nest, caps, ports):
    """(class, earlier op, later op) pairs where the later op overfills a modulo slot of a
    float unit class (its capacity or ``caps``) or, with ``ports``, of a port (a phased pair
    never meets in one cycle whatever its slots: not a clash)."""
    for rc, group in by_class.items():
        cap = caps.get(rc, rc.capacity)
        if rc.is_float_unit:
            if cap is None:
                continue
        elif not ports or rc.capacity != 1 or exclusive_pair(group, index_ops, nest):
            continue
        taken = defaultdict(list)
        for op in group:
            slot = int(x[var[op]]) % ii
            if len(taken[slot]) >= cap:
                yield rc, taken[slot][0], op
            else:
                taken[slot].append(op)


def forwardable(write, timing) -> bool:
    """A variable write whose value leaves a register of its own (a pipelined unit's or a
    memory's output): the next iteration may read it in the cycle it is written, from that
    register through a bypass, with no combinational loop (``rtl.pipeline``). So a float
    ``acc +=`` recurs every fadd latency, not one cycle more."""
    return timing.of(write.operands[0]).latency > 0


def _fill(sch: ModuloSchedule, x, lp: _LP, timing: TimingModel):
    sch.forwarded = {rd for rd in lp.forwarded
                     if int(x[lp.var[rd]]) + sch.ii == _write_pos(sch.block, rd, x, lp)}
    for op, k in lp.var.items():
        sch.start[op] = int(x[k])
        sch.ready[op] = int(x[k]) + timing.of(op).latency
    sch.depth = int(x[lp.L]) + 1


def _write_pos(block, rd, x, lp) -> int:
    wr = next(op for op in block.ops if op.info.writes_var and op.var is rd.var)
    return int(x[lp.var[wr]])


def _explain(sch: ModuloSchedule, by_class, lp: Problem, x, timing) -> str:
    """Why the achieved II: the request, a port, or a recurrence (binding constraint)."""
    if sch.ii == sch.requested_ii:
        return f"II={sch.ii} as requested"
    slack = lp.A @ x - lp.b
    _, worst = resource_mii(by_class, timing)
    if sch.ii == sch.res_mii and worst is not None and worst.is_float_unit:
        group = by_class[worst]
        lines = ", ".join(str(op.loc.line) for op in group)
        return (f"II={sch.ii}: s.allocation limits {worst.kind} to {worst.capacity} unit(s) "
                f"and a unit takes one op per cycle; {len(group)} {worst.kind} ops/iteration "
                f"at line(s) {lines}; raise the limit for a lower II")
    if sch.ii == sch.res_mii and worst is not None and worst.kind == "port":
        group = by_class[worst]
        buf = group[0].buf
        kind = PORT_KINDS[worst.port]
        lines = ", ".join(str(op.loc.line) for op in group)
        what = ("reads" if worst.port == "r" else "writes" if worst.port == "w"
                else "accesses")
        name = f"{buf.bank_of}'s bank {buf.name}" if buf.bank_of else buf.name
        array = buf.bank_of or buf.name
        spram = worst.port == "rw" and buf.kind == "local"     # SPRAM (single_port.py)
        fix = (f"it asks for SPRAM (one port); resource='BRAM' gives it a read and a write port"
               if spram else
               f"buffer_at({array}, ...) keeps it in an on-chip memory with a read and a write "
               f"port" if {op.info.role for op in group} == {"load", "store"} else
               f"partition {array} (further) or lower the unroll factor")
        if worst.port == "r":       # an on-chip memory's reads: a second port would serve
            fix += (f"; Memory(storage_type='RAM_T2P') on {array} gives it two read/write "
                    "ports (ECP5)")
        return (f"II={sch.ii}: {name} has {kind}, {len(group)} {what}/iteration at "
                f"line(s) {lines}; {fix}")
    binding = [tag for row, tag in lp.tags.items() if abs(slack[row]) <= 1e-6]
    # recurrences first: a port constraint binding beside one is not what sets II
    for tag in sorted(binding, key=lambda t: t[0] == "port"):
        if tag[0] == "mem":
            _, a, b, d = tag
            buf = a.buf.name
            return (f"II={sch.ii}: recurrence through {buf}: the {b.opcode} at line "
                    f"{b.loc.line} must follow the {a.opcode} at line {a.loc.line} of the "
                    f"iteration {d} before; the chain between them takes the cycles"
                    f"{_units_between(b, a, timing)}")
        if tag[0] == "port" and tag[1] in by_class:
            group = by_class[tag[1]]
            lines = ", ".join(str(op.loc.line) for op in group)
            return (f"II={sch.ii}: {group[0].buf.name} has {PORT_KINDS[tag[1].port]}; its "
                    f"{len(group)} accesses/iteration at line(s) {lines} need different "
                    "cycles modulo II, and the chain between them sets how far apart they are")
        if tag[0] == "var":
            _, rd, wr = tag
            units = _units_between(rd, wr, timing)
            return (f"II={sch.ii}: recurrence through variable {rd.var.name} "
                    f"(read at line {rd.loc.line}, written at line {wr.loc.line}): one "
                    f"iteration's update must finish before the next reads it{units}")
    return f"II={sch.ii}: timing of the loop body's recurrences"


def _units_between(rd, wr, timing) -> str:
    """The multi-cycle ops on the path from a variable read to its write, for the report
    ("; the fadd at line 7 takes 7 cycles")."""
    on_path, stack = [], [wr]
    seen = set()
    while stack:
        op = stack.pop()
        if id(op) in seen:
            continue
        seen.add(id(op))
        if op is rd:
            continue
        if _reaches(op, rd) and timing.of(op).latency > 0 and not op.info.is_memory:
            on_path.append(op)
        stack.extend(op.operands)
    if not on_path:
        return ""
    parts = [f"the {op.info.report_name or op.opcode} at line {op.loc.line} takes "
             f"{timing.of(op).latency} cycles (its unit's latency)" for op in
             sorted(on_path, key=lambda o: o.id)]
    return "; " + ", ".join(parts)


def _reaches(op, target) -> bool:
    stack, seen = [op], set()
    while stack:
        o = stack.pop()
        if o is target:
            return True
        if id(o) not in seen:
            seen.add(id(o))
            stack.extend(o.operands)
    return False
