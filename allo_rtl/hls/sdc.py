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
        """x_v - x_u >= c"""
        self.rows.append({v: 1.0, u: -1.0} if u is not None else {v: 1.0})
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


def sdc_schedule_block(block: Block, timing: TimingModel, external_ids: set,
                       extra_uses: tuple = ()) -> BlockSchedule:
    ops = [op for op in block.ops]
    sched = [op for op in ops if op.kind not in STABLE and op.kind != "setvar"]
    var = {op: k for k, op in enumerate(sched)}
    L = len(sched)
    t = {op: timing.of(op) for op in ops}
    prob = _Problem()
    reg_out = timing.data["ops"]["register"]["clock_to_out_ns"]
    limit = timing.clock_ns - timing.data["ops"]["register"]["setup_ns"]
    for op in sched:
        prob.diff(var[op], None, 0)
        prob.diff(L, var[op], t[op].latency)
        for o in op.operands:
            if o in var:
                prob.diff(var[op], var[o], t[o].latency)
    _chain_constraints(ops, timing, prob, var, limit, reg_out)
    last_access = {}                              # (buffer, port class) -> op
    stores, loads = defaultdict(list), defaultdict(list)
    for op in sched:
        if op.kind not in ("load", "store"):
            continue
        key = id(op.attrs["buf"])
        for st in stores[key]:
            prob.diff(var[op], var[st], 1)
        if op.kind == "store":
            for ld in loads[key]:
                prob.diff(var[op], var[ld], 0)
        (stores if op.kind == "store" else loads)[key].append(op)
        port = (key, _port_class(op, external_ids))
        if port in last_access:
            prob.diff(var[op], var[last_access[port]], 1)
        last_access[port] = op
    # lifetimes: one variable per value with consumers
    consumers = defaultdict(list)
    for op in ops:
        for o in op.operands:
            if o in var:
                consumers[o].append(L if op.kind == "setvar" else var[op])
    for o in extra_uses:
        if o in var:
            consumers[o].append(L)
    life = {}
    for o, users in consumers.items():
        life[o] = L + 1 + len(life)
        for u in users:
            if u != var[o]:
                # l_o - s_u + s_o >= -latency(o): three terms, written out explicitly
                prob.rows.append({life[o]: 1.0, u: -1.0, var[o]: 1.0})
                prob.rhs.append(-float(t[o].latency))
    n = L + 1 + len(life)
    weight = 1.0 + sum(o.type.hw_bits for o in life)
    cost = np.zeros(n)
    cost[L] = weight
    for o, k in life.items():
        cost[k] = o.type.hw_bits
    A = np.zeros((len(prob.rows), n))
    for r, row in enumerate(prob.rows):
        for k, c in row.items():
            A[r, k] += c
    res = linprog(cost, A_ub=-A, b_ub=-np.array(prob.rhs), bounds=[(0, None)] * n,
                  method="highs")
    if res.status != 0:
        raise RuntimeError(f"SDC scheduling failed: {res.message}")
    x = np.round(res.x).astype(int)
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
