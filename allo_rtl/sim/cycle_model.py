"""The fast cycle model: the exact cycle count of one call, without simulating any RTL.

Two pieces, in the spirit of LightningSim (trace, then time):

1. **Trace.** The reference interpreter runs the *synthesized* module (``HardwareDesign.module``,
   after promotion, banking and scalarization: the IR the CDFG was built from) and records,
   per source statement, in execution order: the trip count of every ``for``, the iterations
   of every ``while`` and the outcome of every ``if``. Only control decisions are kept.
2. **Time.** The Control IR's node tree (``hls.control``) is walked in program order, as the
   FSM runs it: a block costs its states, a loop its entry states plus trips x (body + own
   latch), a pipeline ``(trips - 1) * II + depth`` (none when it has no trip), a ``while`` its
   condition states once per test plus its bodies, a branch its condition states plus the arm
   taken, a call its argument states plus the callee's whole run (idle + body). A node whose
   latency does not depend on data (``control_latency.node_latency``) is taken as a number
   and never walked, so a static nest costs one multiplication.

Assumes the Control IR's only stalls are ``idle`` waiting for start and a call's wait state
waiting for its callee (then every state but those takes exactly one cycle, a pipeline never
stalls). Refuses (``CycleModelError``) what it cannot time exactly: the test-only external
stall source, any other stall condition, and a trace that does not fit the control tree.
Guarantees the count the harness's counter shows after ``mod(...)`` (tests/test_cycle_model.py
checks every test kernel against the Amaranth simulation).
"""
from __future__ import annotations

import copy
from collections import defaultdict, deque

from ..errors import AlloError
from ..hls.control import CalleeBusy, Start
from ..hls.control_latency import loop_trips, node_latency
from ..ir import nodes as ir
from ..ir import semantics as sem
from .reference import Interpreter


class CycleModelError(AlloError):
    """The design has behaviour the cycle model cannot time exactly."""


class Trace:
    """Control decisions of one run, per statement (``id`` of the ir node), in order."""

    def __init__(self):
        self.trips = defaultdict(deque)       # ir.For -> trip counts
        self.iterations = defaultdict(deque)  # ir.While -> body runs
        self.taken = defaultdict(deque)       # ir.If -> then-arm taken
        self.stages = defaultdict(deque)      # ir.Dataflow -> per run, each stage's own Trace
        self.used = set()                     # queues the timing walk read

    def take(self, table: dict, stmt):
        key = id(stmt)
        self.used.add((id(table), key))
        queue = table.get(key)
        if not queue:
            raise RuntimeError(f"cycle model: no recorded execution left for the statement "
                               f"at {stmt.loc} (the trace does not fit the control IR)")
        return queue.popleft()

    def check_consumed(self):
        """Every queue the walk read must be empty: otherwise the walk and the run disagree
        on how often a statement ran (a model bug, never silently a wrong count)."""
        for table in (self.trips, self.iterations, self.taken):
            for key, queue in table.items():
                if (id(table), key) in self.used and queue:
                    raise RuntimeError("cycle model: the control walk left recorded "
                                       "executions unread (trace and control IR disagree)")


class TracingInterpreter(Interpreter):
    """The reference interpreter recording control decisions into a ``Trace``. Calls run
    the module's own function of that name, the one its Control IR was built from."""

    def __init__(self, module: ir.Module, trace: Trace, **kw):
        super().__init__(**kw)
        self.module, self.trace = module, trace

    def stmt(self, s, env):
        if isinstance(s, ir.While):
            self.steps += 1
            runs = 0
            while sem.truth(self.expr(s.cond, env)):
                self.body(s.body, env)
                self.steps += 1
                runs += 1
            self.trace.iterations[id(s)].append(runs)
        elif isinstance(s, ir.If):
            self.steps += 1
            taken = bool(sem.truth(self.expr(s.cond, env)))
            self.trace.taken[id(s)].append(taken)
            self.body(s.then_body if taken else s.else_body, env)
        else:
            super().stmt(s, env)

    def loop(self, s: ir.For, env):
        lo, hi = int(self.expr(s.lo, env)), int(self.expr(s.hi, env))
        self.trace.trips[id(s)].append(len(range(lo, hi, s.step)))
        t = s.var.type
        for i in range(lo, hi, s.step):
            env[id(s.var)] = t.wrap(i)
            self.body(s.body, env)

    def call_stmt(self, s: ir.Call, env):
        callee = self.module.functions.get(s.callee.name, s.callee)
        if callee is not s.callee:      # a transform rebuilt the callee: run the rebuilt one
            s = copy.copy(s)
            s.callee = callee
        super().call_stmt(s, env)


class SlicedTracingInterpreter(TracingInterpreter):
    """Runs only the top function's statements in ``keep`` (``sim.control_slice``); a kept
    call runs its callee in full."""

    def __init__(self, module, trace, keep: set, **kw):
        super().__init__(module, trace, **kw)
        self.keep, self.inside_call = keep, 0

    def body(self, stmts, env):
        for s in stmts:
            if self.inside_call or id(s) in self.keep:
                self.stmt(s, env)

    def call_stmt(self, s, env):
        self.inside_call += 1
        try:
            super().call_stmt(s, env)
        finally:
            self.inside_call -= 1


def check_modellable(controls: dict):
    """Refuse a design whose FSMs can stall on anything but start and their callees."""
    for ctl in controls.values():
        if ctl.external_stall:
            raise CycleModelError(
                f"{ctl.function} has the test-only external stall input (stall_source): its "
                "cycles depend on a pseudo-random source the cycle model does not replay",
                hint="build without stall_source to estimate cycles")
        for st in ctl.states:
            if st.stall is None or isinstance(st.stall, (Start, CalleeBusy)):
                continue
            raise CycleModelError(
                f"{ctl.function}: state s{st.index} ({st.where()}) stalls on "
                f"{st.stall.format()}, which the cycle model cannot time",
                st.stmt.loc if st.stmt is not None else None,
                hint="simulate the design (mod(...)) for its cycle count")


class _Walk:
    """Times the control tree of each function against a trace."""

    def __init__(self, controls: dict, trace: Trace | None):
        self.controls, self.trace = controls, trace
        self.static = {}                # id(node) -> node_latency (None: data-dependent)

    def function(self, name: str) -> int:
        """Cycles of one run of ``name``: its idle cycle (the one sampling start) + body."""
        return 1 + self.nodes(self.controls[name].body)

    def nodes(self, nodes) -> int:
        return sum(self.node(n) for n in nodes)

    def fixed(self, node):
        key = id(node)
        if key not in self.static:
            self.static[key] = node_latency(node, self.controls)
        return self.static[key]

    def node(self, node) -> int:
        lat = self.fixed(node)
        if lat is not None:
            return lat
        if self.trace is None:
            raise _NeedsTrace()
        kind = node.kind
        if kind == "loop":
            trips = loop_trips(node.region)
            if trips is None:
                trips = self.trace.take(self.trace.trips, node.region.loop)
            if not node.children:
                return len(node.states)
            latch = 1 if node.latch is not None else 0
            return len(node.states) + sum(self.nodes(node.children[0]) + latch
                                          for _ in range(trips))
        if kind == "pipeline":
            (region, *rest) = node.pipeline.regions
            assert not rest, "a flattened nest has static bounds"
            trips = self.trace.take(self.trace.trips, region.loop)
            sch = node.pipeline.schedule
            return len(node.states) + (0 if trips == 0 else (trips - 1) * sch.ii + sch.depth)
        if kind == "while":
            runs = self.trace.take(self.trace.iterations, node.region.stmt)
            body = node.children[0]
            return (runs + 1) * len(node.states) + sum(self.nodes(body) for _ in range(runs))
        if kind == "branch":
            taken = self.trace.take(self.trace.taken, node.region.stmt)
            return len(node.states) + self.nodes(node.children[0 if taken else 1])
        if kind == "call":
            return len(node.states) + self.function(node.region.call.callee.name)
        raise ValueError(node.kind)


class _NeedsTrace(Exception):
    pass


def static_cycles(controls: dict, top: str) -> int | None:
    """The cycle count when no control decision depends on data, else None."""
    check_modellable(controls)
    try:
        return _Walk(controls, None).function(top)
    except _NeedsTrace:
        return None


def traced_cycles(module: ir.Module, controls: dict, raw_args: list, keep: set | None = None):
    """(cycles, raw results) of one call of ``module``'s top on raw arguments (arrays are
    updated in place, as the interpreter does). With ``keep`` (``control_slice``) only those
    statements run: the cycles are the same, the results are None."""
    check_modellable(controls)
    trace = Trace()
    if keep is None:
        results = TracingInterpreter(module, trace).call(module.top_func, raw_args)
    else:
        SlicedTracingInterpreter(module, trace, keep).call(module.top_func, raw_args)
        results = None
    cycles = _Walk(controls, trace).function(module.top)
    trace.check_consumed()
    return cycles, results
