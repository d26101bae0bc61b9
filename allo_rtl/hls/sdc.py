"""SDC scheduling of one straight-line block (Cong & Zhang's system of difference constraints),
solved as an LP with SciPy's HiGHS. Same contract and result type as ``list_schedule``.

Every constraint is a difference ``s_v - s_u >= c`` between start cycles, so the constraint
matrix is totally unimodular and the LP optimum is integral:

* dependence: ``s_v - s_u >= latency(u)`` (0 for combinational ops: chaining is allowed);
* timing: a combinational chain from u to v whose delay exceeds the clock period must be cut:
  ``s_v - s_u >= ceil(delay / period) - 1`` (+ the source's latency);
* memory order on one buffer (program order): load after store ``>= 1``, store after load
  ``>= 0``, store after store ``>= 1``;
* ports: accesses sharing a port class of a buffer are kept in program order one cycle apart
  (SDC's linear-order encoding of a resource of capacity 1); a float unit class limited to c
  units (``s.allocation``) likewise, each op a cycle after the c-th before it;
* the block's last cycle ``L`` is at least every op's ready cycle (variable writes commit there).

Objective: minimum latency ``L`` first, then the fewest register bits: for each value, its
lifetime ``l_u >= s_c - ready(u)`` over its consumers, weighted by width. Among the schedules
as good by both, ``spread_units`` then moves ops one at a time so that the starts of each
shared unit class spread over cycles (the binder needs a unit per start in the busiest cycle),
whichever optimal vertex the solver returned (a local search: fewer units, not the fewest).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from ..errors import AlloBackendError
from .cdfg import Block
from .list_schedule import BlockSchedule, finish_schedule
from .resources import groups
from .spread_units import spread_units
from .stream_order import FSM_GAP, describe_stream_tag, stream_order
from .timing import TimingModel


class Problem:
    """Difference constraints ``x_v - x_u >= c``, each optionally tagged with what it stands
    for, so that a binding or broken constraint can be named to the user."""

    def __init__(self):
        self.rows, self.rhs = [], []          # each row: {var: coef}, meaning row . x >= rhs
        self.tags = {}                        # row -> (kind, *detail)

    def diff(self, v, u, c, tag=None):
        """x_v - x_u >= c (a missing side, None, counts as 0)"""
        if tag is not None:
            self.tags[len(self.rows)] = tag
        row = {} if v is None else {v: 1.0}
        if u is not None:
            row[u] = row.get(u, 0.0) - 1.0
        self.rows.append(row)
        self.rhs.append(float(c))


def _chain_constraints(ops, timing, prob, var, limit, reg_out):
    """Cut combinational chains longer than the clock period.

    Only rows the dependence rows do not already imply are written: ``implied[op][src]`` is
    the least ``s_op - s_src`` the rows so far force (through op's operands: ``s_op - s_o >=
    latency(o)``); a chain row that asks no more is left out. In a fully unrolled block most
    chain rows are such (an adder tree's every add reaches every multiply before it): the
    spatial 8x8 gemm had 13 696 of them, and the LP's size is what its build time is."""
    t = {op: timing.of(op) for op in ops}
    # for each op: {source op: delay from the source's output to the end of this op}
    reach = {}
    implied = {}
    for op in ops:
        if op.info.stable or op.info.writes_var:
            continue
        here = defaultdict(float)
        own = t[op].delay_ns
        for o in op.operands:
            if o.info.is_const:
                continue
            if o.info.reads_var:
                here[None] = max(here[None], reg_out + own)
                continue
            if t[o].latency > 0:               # a sequential source: its output register
                here[o] = max(here[o], t[o].out_ns + own)
            for src, d in reach.get(o, {}).items():
                here[src] = max(here[src], d + own)
            if t[o].latency == 0:      # a chain starting at o: its inputs leave registers
                here[o] = max(here[o], reg_out + t[o].delay_ns + own)
        reach[op] = here
        forced = defaultdict(int)               # src -> least s_op - s_src already forced
        if op in var:
            for o in op.operands:
                if o not in var:
                    continue
                lat = t[o].latency
                forced[o] = max(forced[o], lat)
                for src, gap in implied.get(o, {}).items():
                    forced[src] = max(forced[src], gap + lat)
            implied[op] = forced
        for src, d in here.items():
            if src is None or d <= limit:
                continue
            need = math.ceil(d / limit) - 1 + t[src].latency
            if op in var and src in forced and forced[src] >= need:
                continue
            prob.diff(var[op], var[src], need, tag=("chain", src, op, d))
            if op in var:
                forced[src] = need


def timing_constraints(prob, ops, var, L, timing):
    """Start times >= 0, the last cycle ``L`` after every result, operands before their users
    (by the producer's latency; 0 allows chaining) and chains cut to fit the clock."""
    # s >= 0 is every variable's bound (``solve``), not a row; L after a value that a
    # scheduled op uses is implied by that op's own row (dependence, then L after it)
    used = {o for op in ops if op in var for o in op.operands if o in var}
    for op in ops:
        if op not in var:
            continue
        if op not in used:
            prob.diff(L, var[op], timing.of(op).latency)
        for o in op.operands:
            if o in var:
                prob.diff(var[op], var[o], timing.of(o).latency, tag=("dep", o, op))
    reg_out, limit = timing.reg_out_ns, timing.chain_limit_ns
    _chain_constraints(ops, timing, prob, var, limit, reg_out)


def memory_order(prob, ops, var, external_ids, float_units=True) -> dict:
    """Program order on each buffer (load after store >= 1, store after load >= 0, store after
    store >= 1) and, for each resource class of capacity c (a port: 1; a float unit class
    ``s.allocation`` limits), at most c starts per cycle: its k-th op at least a cycle after
    its (k - c)-th, in program order (of any c + 1 of them two are c apart in that order,
    so they cannot share a cycle). ``float_units=False`` leaves float units out (the modulo
    scheduler counts their slots instead). Returns resource class -> its ops in order."""
    stores, loads = defaultdict(list), defaultdict(list)
    for op in ops:
        if not op.info.is_memory or op not in var:
            continue
        key = id(op.buf)
        for st in stores[key]:
            prob.diff(var[op], var[st], 1, tag=("order", st, op))
        if op.info.is_store:
            for ld in loads[key]:
                prob.diff(var[op], var[ld], 0, tag=("order", ld, op))
        (stores if op.info.is_store else loads)[key].append(op)
    by_class = groups([op for op in ops if op in var], external_ids)
    for rc, group in by_class.items():
        if rc.capacity is None or rc.is_float_unit and not float_units:
            continue
        for a, b in zip(group, group[rc.capacity:]):
            prob.diff(var[b], var[a], 1, tag=("resource", rc, a, b))
    return by_class


def _matrix(rows, n):
    data, ri, ci = [], [], []
    for r, row in enumerate(rows):
        for k, c in row.items():
            data.append(c)
            ri.append(r)
            ci.append(k)
    return csr_matrix((data, (ri, ci)), shape=(len(rows), n))


def solve(prob, var, L, consumers, timing):
    """Minimise the last cycle ``L``, then the register bits: one lifetime variable per value
    with consumers (``consumers``: value -> LP variables of its uses). Returns (integral
    solution or None when infeasible, constraint matrix, right-hand side). The matrix is
    sparse: a difference constraint has two entries, so large unrolled blocks stay cheap."""
    rows, rhs = list(prob.rows), list(prob.rhs)
    life = {}
    for o, users in consumers.items():
        life[o] = L + 1 + len(life)
        for u in users:
            if u != var[o]:
                # l_o - s_u + s_o >= -latency(o): three terms, written out explicitly
                rows.append({life[o]: 1.0, u: -1.0, var[o]: 1.0})
                rhs.append(-float(timing.of(o).latency))
    n = L + 1 + len(life)
    cost = np.zeros(n)
    cost[L] = 1.0 + sum(o.type.hw_bits for o in life)
    for o, k in life.items():
        cost[k] = o.type.hw_bits
    A = _matrix(rows, n)
    b = np.array(rhs)
    res = linprog(cost, A_ub=-A, b_ub=-b, bounds=[(0, None)] * n, method="highs")
    if res.status == 2:
        return None, A, b
    if res.status != 0:
        raise AlloBackendError(f"the scheduler's LP solver failed: {res.message}", None,
                               hint="please report this kernel")
    return np.round(res.x).astype(int), A, b


def broken_constraints(prob, n) -> list:
    """The tags of a smallest-violation set of constraints of an infeasible problem: each
    tagged constraint gets a slack variable and the total slack is minimised (elastic
    filter), so the ones left with slack are those that cannot all hold together."""
    tagged = sorted(prob.tags)
    if not tagged:
        return []
    rows = [dict(r) for r in prob.rows]
    for k, r in enumerate(tagged):
        rows[r][n + k] = 1.0
    m = n + len(tagged)
    cost = np.zeros(m)
    cost[n:] = 1.0
    res = linprog(cost, A_ub=-_matrix(rows, m), b_ub=-np.array(prob.rhs),
                  bounds=[(0, None)] * m, method="highs")
    if res.status != 0:
        return []
    return [prob.tags[r] for k, r in enumerate(tagged) if res.x[n + k] > 1e-6]


def describe(tag) -> str:
    """A constraint tag in words, with the source lines of the ops it relates."""
    kind = tag[0]
    if kind == "dep":
        _, a, b = tag
        return f"line {b.loc.line} uses the {a.opcode} of line {a.loc.line}"
    if kind == "chain":
        _, a, b, d = tag
        return (f"the chain from line {a.loc.line} to line {b.loc.line} takes {d:.1f} ns and "
                "must be cut by registers")
    if kind == "order":
        _, a, b = tag
        return (f"the {b.opcode} at line {b.loc.line} must follow the {a.opcode} at line "
                f"{a.loc.line} (same array, program order)")
    if kind == "resource":
        _, rc, a, b = tag
        what = f"{rc.kind} ({rc.port})" if rc.port else f"{rc.kind} unit (s.allocation)"
        return f"lines {a.loc.line} and {b.loc.line} share one {what}"
    if kind == "bound":
        return tag[1]
    if kind == "stream":
        return describe_stream_tag(tag)
    return repr(tag)


@dataclass
class BlockLP:
    """The SDC problem of one block: ``var`` maps each scheduled op to its start variable,
    ``L`` is the last cycle's variable, ``consumers`` maps a value to the variables of its
    uses (``L`` for variable writes and the FSM's reads)."""
    ops: list
    sched: list
    var: dict
    L: int
    prob: Problem
    consumers: dict


def block_problem(block: Block, timing: TimingModel, external_ids: set, extra_uses: tuple = (),
                  max_latency: int | None = None) -> BlockLP:
    ops = list(block.ops)
    sched = [op for op in ops if not op.info.stable and not op.info.writes_var]
    var = {op: k for k, op in enumerate(sched)}
    L = len(sched)
    prob = Problem()
    timing_constraints(prob, ops, var, L, timing)
    memory_order(prob, sched, var, external_ids)
    stream_order(prob, sched, var, FSM_GAP)
    if max_latency is not None:
        prob.diff(None, L, 1 - max_latency,
                  tag=("bound", f"the block must take at most {max_latency} cycles"))
    consumers = defaultdict(list)
    for op in ops:
        for o in op.operands:
            if o in var:
                consumers[o].append(L if op.info.writes_var else var[op])
    for o in extra_uses:
        if o in var:
            consumers[o].append(L)
    return BlockLP(ops, sched, var, L, prob, consumers)


def sdc_schedule_block(block: Block, timing: TimingModel, external_ids: set,
                       extra_uses: tuple = (), max_latency: int | None = None) -> BlockSchedule:
    """``max_latency``: the block must finish within that many cycles (an upper bound; an
    infeasible bound is explained with the constraints that conflict with it)."""
    lp = block_problem(block, timing, external_ids, extra_uses, max_latency)
    x, _, _ = solve(lp.prob, lp.var, lp.L, lp.consumers, timing)
    if x is None:
        broken = broken_constraints(lp.prob, lp.L + 1)
        first = next((op for op in lp.ops if op.loc is not None), None)
        why = "; ".join(describe(t) for t in broken)
        raise AlloBackendError(
            "no schedule satisfies the block's constraints" +
            (f" within {max_latency} cycle(s)" if max_latency is not None else "") +
            (f": {why}" if why else ""),
            first.loc if first else None,
            hint="relax the latency bound, or lower the clock frequency")
    # the LP does not see unit sharing: break its ties for it
    spread_units(lp.sched, x, lp.prob, lp.var, lp.L, lp.consumers, timing)
    return _schedule_from(block, timing, x, lp.var, lp.L, extra_uses, external_ids)


def _schedule_from(block, timing, x, var, L, extra_uses, external_ids) -> BlockSchedule:
    sch = BlockSchedule(block, external_ids=frozenset(external_ids))
    for op in block.ops:
        if op.info.stable or op.info.writes_var:
            continue
        start = int(x[var[op]])
        arr = timing.input_arrival(op, start, sch.ready, sch.arrival)
        sch.start[op] = start
        sch.ready[op] = start + timing.of(op).latency
        sch.arrival[op] = timing.result_arrival(op, arr)
    return finish_schedule(sch, int(x[L]), extra_uses)
