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
  (SDC's linear-order encoding of a resource of capacity 1);
* the block's last cycle ``L`` is at least every op's ready cycle (variable writes commit there).

Objective: minimum latency ``L`` first, then the fewest register bits: for each value, its
lifetime ``l_u >= s_c - ready(u)`` over its consumers, weighted by width.
"""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from scipy.optimize import linprog

from .cdfg import Block, Op
from .list_schedule import STABLE, BlockSchedule, finish_schedule
from .timing import TimingModel


class _Problem:
    def __init__(self):
        self.rows, self.rhs = [], []          # each row: {var: coef}, meaning row . x >= rhs

    def diff(self, v, u, c):
        """x_v - x_u >= c (a missing side, None, counts as 0)"""
        row = {} if v is None else {v: 1.0}
        if u is not None:
            row[u] = -1.0
        self.rows.append(row)
        self.rhs.append(float(c))


def _port_class(op: Op, external_ids) -> str:
    if id(op.attrs["buf"]) in external_ids:
        return "rw"
    return "r" if op.kind == "load" else "w"


def _chain_constraints(ops, timing, prob, var, limit, reg_out):
    """Cut combinational chains longer than the clock period."""
    t = {op: timing.of(op) for op in ops}
    # for each op: {source op: delay from the source's output to the end of this op}
    reach = {}
    for op in ops:
        if op.kind in STABLE or op.kind == "setvar":
            continue
        here = defaultdict(float)
        own = t[op].delay_ns
        for o in op.operands:
            if o.kind == "const":
                continue
            if o.kind == "var":
                here[None] = max(here[None], reg_out + own)
                continue
            if t[o].latency > 0:               # a sequential source: its output register
                here[o] = max(here[o], t[o].out_ns + own)
            for src, d in reach.get(o, {}).items():
                here[src] = max(here[src], d + own)
            if t[o].latency == 0:
                here[o] = max(here[o], t[o].delay_ns + own)
        reach[op] = here
        for src, d in here.items():
            if src is None or d <= limit:
                continue
            cut = math.ceil(d / limit) - 1
            prob.diff(var[op], var[src], cut + t[src].latency)


def timing_constraints(prob, ops, var, L, timing):
    """Start times >= 0, the last cycle ``L`` after every result, operands before their users
    (by the producer's latency; 0 allows chaining) and chains cut to fit the clock."""
    for op in ops:
        if op not in var:
            continue
        prob.diff(var[op], None, 0)
        prob.diff(L, var[op], timing.of(op).latency)
        for o in op.operands:
            if o in var:
                prob.diff(var[op], var[o], timing.of(o).latency)
    reg_out = timing.data["ops"]["register"]["clock_to_out_ns"]
    limit = timing.clock_ns - timing.data["ops"]["register"]["setup_ns"]
    _chain_constraints(ops, timing, prob, var, limit, reg_out)


def memory_order(prob, ops, var, external_ids) -> dict:
    """Program order on each buffer (load after store >= 1, store after load >= 0, store after
    store >= 1) and one access per port class per cycle; returns port -> accesses in order."""
    stores, loads, ports = defaultdict(list), defaultdict(list), defaultdict(list)
    for op in ops:
        if op.kind not in ("load", "store") or op not in var:
            continue
        key = id(op.attrs["buf"])
        for st in stores[key]:
            prob.diff(var[op], var[st], 1)
        if op.kind == "store":
            for ld in loads[key]:
                prob.diff(var[op], var[ld], 0)
        (stores if op.kind == "store" else loads)[key].append(op)
        group = ports[(key, _port_class(op, external_ids))]
        if group:
            prob.diff(var[op], var[group[-1]], 1)
        group.append(op)
    return ports


def solve(prob, var, L, consumers, timing):
    """Minimise the last cycle ``L``, then the register bits: one lifetime variable per value
    with consumers (``consumers``: value -> LP variables of its uses). Returns (integral
    solution or None when infeasible, constraint matrix, right-hand side)."""
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
    A = np.zeros((len(rows), n))
    for r, row in enumerate(rows):
        for k, c in row.items():
            A[r, k] += c
    b = np.array(rhs)
    res = linprog(cost, A_ub=-A, b_ub=-b, bounds=[(0, None)] * n, method="highs")
    if res.status == 2:
        return None, A, b
    if res.status != 0:
        raise RuntimeError(f"SDC scheduling failed: {res.message}")
    return np.round(res.x).astype(int), A, b


def sdc_schedule_block(block: Block, timing: TimingModel, external_ids: set,
                       extra_uses: tuple = ()) -> BlockSchedule:
    ops = list(block.ops)
    sched = [op for op in ops if op.kind not in STABLE and op.kind != "setvar"]
    var = {op: k for k, op in enumerate(sched)}
    L = len(sched)
    prob = _Problem()
    timing_constraints(prob, ops, var, L, timing)
    memory_order(prob, sched, var, external_ids)
    consumers = defaultdict(list)
    for op in ops:
        for o in op.operands:
            if o in var:
                consumers[o].append(L if op.kind == "setvar" else var[op])
    for o in extra_uses:
        if o in var:
            consumers[o].append(L)
    x, _, _ = solve(prob, var, L, consumers, timing)
    if x is None:
        raise RuntimeError("SDC scheduling failed: the constraints are infeasible")
    return _schedule_from(block, timing, x, var, L, extra_uses)


def _schedule_from(block, timing, x, var, L, extra_uses) -> BlockSchedule:
    sch = BlockSchedule(block)
    reg_out = timing.data["ops"]["register"]["clock_to_out_ns"]
    for op in block.ops:
        if op.kind in STABLE or op.kind == "setvar":
            continue
        t = timing.of(op)
        start = int(x[var[op]])
        arr = 0.0
        for o in op.operands:
            if o.kind == "const":
                continue
            arr = max(arr, reg_out if o.kind == "var" or start > sch.ready[o] else sch.arrival[o])
        sch.start[op] = start
        sch.ready[op] = start + t.latency
        sch.arrival[op] = arr + t.delay_ns if t.latency == 0 else t.out_ns
    return finish_schedule(sch, int(x[L]), extra_uses)
