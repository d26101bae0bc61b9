"""Control IR: the FSM of one synthesized function, as data, between ``hls/`` and ``rtl/``.

Assumes a finished ``FunctionDesign`` (CDFG, block schedules, pipelines). Guarantees a
``Control`` whose ``check()`` passes: states numbered from 0 (``idle``), one ``done`` state,
every transition target a state, every state reachable from idle, every cycle of every
scheduled block run by exactly one state. Conditions and actions name CDFG ops, loop regions
and calls, never hardware values; ``rtl.lower`` emits Amaranth from them and ``static_latency``
reads the latency from them (the one latency model).

Cycle semantics the emitter implements: a state whose ``stall`` condition holds keeps the FSM
where it is and performs none of its actions (no register write, no memory access, no counter
step, no pipeline advance); the one exception is a call's wait state, which keeps routing the
caller's buffers to the callee (``CallServe``) while it waits. Otherwise a state performs its
actions and takes the first transition whose condition holds, performing that transition's
actions on the way. Only ``idle`` may have no work: it stalls until ``start``.

The structure is kept beside the flat states (``body``: a tree of ``Node``) so latency and the
report's per-loop rows are sums over the states each node owns.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .cdfg import Block, CallRegion, IfRegion, LoopRegion, Op, WhileRegion
from .list_schedule import BlockSchedule

# --- conditions --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OpValue:
    """The 1-bit value of a CDFG op in the last cycle of block ``block`` (or its negation)."""
    op: Op
    block: int
    negate: bool = False

    def format(self) -> str:
        return f"{'~' if self.negate else ''}b{self.block}.v{self.op.id}"


@dataclass(frozen=True, eq=False)
class LoopContinues:
    """The loop's index after this step is still inside its bounds."""
    loop: LoopRegion

    def format(self) -> str:
        return f"{self.loop.loop.name}.next in range"


@dataclass(frozen=True, eq=False)
class PipelineDrained:
    """A pipeline has issued its last iteration and every iteration left its last position."""
    pipeline: object          # synthesize.Pipeline

    def format(self) -> str:
        return f"pipe({self.pipeline.schedule.loops[-1].name}).drained"


@dataclass(frozen=True)
class Start:
    """The kernel's ``start`` input."""
    negate: bool = False

    def format(self) -> str:
        return "~start" if self.negate else "start"


@dataclass(frozen=True)
class CalleeBusy:
    """The callee has not raised ``done`` yet."""
    callee: str

    def format(self) -> str:
        return f"{self.callee}.~done"


@dataclass(frozen=True)
class ExternalStall:
    """The test-only ``stall`` input (present when the build asked for a stall source)."""

    def format(self) -> str:
        return "stall_in"


@dataclass(frozen=True)
class AnyOf:
    conds: tuple

    def format(self) -> str:
        return " | ".join(c.format() for c in self.conds)


def any_of(*conds):
    """The disjunction of the non-None ``conds`` (None when there is none)."""
    flat = []
    for c in conds:
        if c is not None:
            flat += list(c.conds) if isinstance(c, AnyOf) else [c]
    return None if not flat else flat[0] if len(flat) == 1 else AnyOf(tuple(flat))


# --- actions -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CaptureParams:
    """Sample the scalar parameters (idle, with start)."""

    def format(self) -> str:
        return "capture params"


@dataclass(frozen=True, eq=False)
class CounterInit:
    """Set a loop's index to ``lo`` (an int, or an op of block ``block``) and, when ``hi`` is
    an op, keep the run-time bound in a register."""
    loop: LoopRegion
    lo: object
    hi: Op | None = None
    block: int | None = None

    def format(self) -> str:
        lo = self.lo if isinstance(self.lo, int) else f"b{self.block}.v{self.lo.id}"
        hi = f", hi = b{self.block}.v{self.hi.id}" if self.hi is not None else ""
        return f"{self.loop.loop.name} = {lo}{hi}"


@dataclass(frozen=True, eq=False)
class CounterStep:
    loop: LoopRegion

    def format(self) -> str:
        return f"{self.loop.loop.name} += {self.loop.loop.step}"


@dataclass(frozen=True, eq=False)
class PipelineEnter:
    """Reset a pipeline's issue counters (to run-time bounds: ops of block ``block``)."""
    pipeline: object
    bounds: tuple | None = None
    block: int | None = None

    def format(self) -> str:
        name = self.pipeline.schedule.loops[-1].name
        if self.bounds is None:
            return f"enter pipe({name})"
        lo, hi = self.bounds
        return f"enter pipe({name}) [b{self.block}.v{lo.id}, b{self.block}.v{hi.id})"


@dataclass(frozen=True, eq=False)
class CallStart:
    """Pulse the callee's start with the scalar arguments (ops of block ``block``)."""
    call: CallRegion
    block: int

    def format(self) -> str:
        return f"start {self.call.call.callee.name}"


@dataclass(frozen=True, eq=False)
class CallServe:
    """Route the caller's buffers to the callee's memory ports; held while stalled."""
    call: CallRegion

    def format(self) -> str:
        return f"serve {self.call.call.callee.name} memories"


@dataclass(frozen=True, eq=False)
class CallCapture:
    """Take the callee's scalar results (the cycle its done is seen)."""
    call: CallRegion

    def format(self) -> str:
        return f"capture {self.call.call.callee.name} results"


# --- states and structure ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BlockCycle:
    block: int
    cycle: int

    def format(self) -> str:
        return f"block b{self.block} cycle {self.cycle}"


@dataclass(frozen=True, eq=False)
class PipelineRun:
    pipeline: object

    def format(self) -> str:
        sch = self.pipeline.schedule
        return f"pipeline II={sch.ii} depth={sch.depth}"


@dataclass(frozen=True, eq=False)
class Transition:
    cond: object              # a condition, or None (always)
    target: int
    actions: tuple = ()


@dataclass(eq=False)
class State:
    index: int
    kind: str                 # idle | done | step | latch | pipeline | wait
    name: str                 # for people: what source construct this state belongs to
    line: int | None = None
    run: object = None        # BlockCycle | PipelineRun | None
    actions: list = field(default_factory=list)
    transitions: list = field(default_factory=list)
    stall: object = None      # a condition, or None (never stalls)
    callee: str | None = None    # wait states: whose done ends the wait

    def where(self) -> str:
        """The source construct of this state, for people ("line 7, loop j, ...")."""
        return ", ".join(x for x in (f"line {self.line}" if self.line else "", self.name,
                                     self.run.format() if self.run else "") if x)

    def format(self, detail: str = "") -> str:
        out = f"s{self.index} {self.kind} [{self.where()}]{detail}"
        if self.stall is not None:
            out += f" stall: {self.stall.format()};"
        if self.actions:
            out += f" do: {'; '.join(a.format() for a in self.actions)};"
        arrows = []
        for t in self.transitions:
            act = f" ({'; '.join(a.format() for a in t.actions)})" if t.actions else ""
            arrows.append(f"s{t.target}{act}" + (f" if {t.cond.format()}" if t.cond else ""))
        if self.transitions and self.transitions[-1].cond is not None:
            arrows.append("stay")
        return out + " -> " + " else ".join(arrows)


@dataclass(eq=False)
class BlockRun:
    """A scheduled block and the states running its cycles (state ``states[c]`` = cycle c)."""
    number: int
    block: Block
    schedule: BlockSchedule
    states: list


@dataclass(eq=False)
class Node:
    """One structured piece of the state graph: ``kind`` block | loop | pipeline | while |
    branch | call; ``states`` the states it owns directly (block cycles, a loop's entry block,
    a call's argument block), ``children`` lists of nodes (loop/while body; then and else)."""
    kind: str
    region: object
    states: tuple = ()
    children: tuple = ()
    latch: int | None = None      # loop: a latch state of its own (None: merged into the body)
    wait: int | None = None       # call: the wait state
    pipeline: object = None       # pipeline: the synthesize.Pipeline


@dataclass(eq=False)
class Control:
    function: str
    states: list
    blocks: list                  # BlockRun, numbered in program order
    body: list                    # Node tree
    loops: list                   # LoopRegions with an FSM counter (not pipelined)
    pipelines: list               # (state index, Pipeline)
    external_stall: bool = False
    idle: int = 0
    done: int = -1

    def format(self) -> str:
        head = f"control {self.function}: {len(self.states)} states" + (
            ", external stall" if self.external_stall else "")
        return "\n".join([head, *(f"  {s.format(self._ops_of(s))}" for s in self.states)])

    def _ops_of(self, st: State) -> str:
        """The datapath of a block state: ops starting in its cycle (constants and variable
        reads left out) and values it keeps in registers for later cycles."""
        if not isinstance(st.run, BlockCycle):
            return ""
        sch = self.blocks[st.run.block].schedule
        c = st.run.cycle
        ops = [repr(op) for op in sch.block.ops if op.operands and sch.start.get(op) == c]
        keep = [f"v{op.id}" for op in sch.block.ops
                if op in sch.registered and sch.ready.get(op) == c]
        out = f" ops: {' '.join(ops)};" if ops else ""
        return out + (f" keep: {' '.join(keep)};" if keep else "")

    def check(self):
        """Raise ControlError naming the first broken invariant."""
        from .control_check import check_control
        check_control(self)


class ControlError(Exception):
    """The control IR breaks an invariant (a compiler bug, never a user error)."""


# --- construction ------------------------------------------------------------------------


class _Entry:
    """Entering a region without a state of its own: go to ``state``, performing ``actions``."""

    def __init__(self, state: State, actions: tuple = ()):
        self.state, self.actions = state, tuple(actions)

    @staticmethod
    def of(target):
        return target if isinstance(target, _Entry) else _Entry(target)


def build_control(design, external_stall: bool = False) -> Control:
    """The Control IR of ``design`` (a ``FunctionDesign``), checked."""
    ctl = _Builder(design).build(external_stall)
    ctl.check()
    return ctl


class _Builder:
    """Walks the CDFG regions in program order, as the FSM will run them. A loop's latch
    (index step and exit test) joins the last state of its body when that body ends in a
    block, so an iteration costs exactly the body's states; a counted loop (constant bounds,
    at least one trip) needs no entry state: its index is set on the way into the body."""

    def __init__(self, design):
        self.design = design
        self.states, self.blocks, self.loops, self.pipelines = [], [], [], []
        self.mergeable = set()

    def build(self, external_stall: bool) -> Control:
        idle = self.new_state("idle", "idle")
        entry, exits, body = self.seq(self.design.cdfg.body)
        done = self.new_state("done", "done")
        done.transitions.append(Transition(None, idle.index))
        self.patch(exits, done)
        idle.actions.append(CaptureParams())
        idle.stall = Start(negate=True)
        target = _Entry.of(entry or done)
        idle.transitions.append(Transition(None, target.state.index, target.actions))
        if external_stall:
            for st in self.states[1:]:
                st.stall = any_of(st.stall, ExternalStall())
        return Control(self.design.function.name, self.states, self.blocks, body, self.loops,
                       self.pipelines, external_stall, idle.index, done.index)

    def new_state(self, kind: str, name: str, line=None, run=None) -> State:
        st = State(len(self.states), kind, name, line, run)
        self.states.append(st)
        return st

    def patch(self, exits, target):
        entry = _Entry.of(target)
        for state, cond in exits:
            state.transitions.append(Transition(cond, entry.state.index, entry.actions))
            self.mergeable.discard(state.index)

    def seq(self, regions):
        entry, pending, nodes = None, [], []
        for r in regions:
            first, exits, node = self.region(r)
            nodes.append(node)
            if first is None:          # a region with nothing to do (empty loop body)
                continue
            if entry is None:
                entry = first
            self.patch(pending, first)
            pending = exits
        return entry, pending, nodes

    def region(self, r):
        if isinstance(r, Block):
            lines = [op.loc.line for op in r.ops if op.loc is not None]
            first, last, node = self.block(r, "", min(lines, default=None))
            return first, [(last, None)], node
        if isinstance(r, LoopRegion):
            plan = self.design.pipelines.get(id(r))
            if plan is not None:
                return self.pipelined_loop(plan)
            return self.counted_loop(r) if r.static_trips else self.loop(r)
        if isinstance(r, WhileRegion):
            return self.while_loop(r)
        if isinstance(r, IfRegion):
            return self.branch(r)
        if isinstance(r, CallRegion):
            return self.call(r)
        raise TypeError(type(r).__name__)

    def block(self, blk: Block, what: str, line):
        sch = self.design.schedule_of(blk)
        n = len(self.blocks)
        sts = [self.new_state("step", what, line, BlockCycle(n, c)) for c in range(sch.length)]
        for a, b in zip(sts, sts[1:]):
            a.transitions.append(Transition(None, b.index))
        self.mergeable.add(sts[-1].index)
        self.blocks.append(BlockRun(n, blk, sch, [s.index for s in sts]))
        return sts[0], sts[-1], Node("block", blk, tuple(s.index for s in sts))

    def loop(self, r: LoopRegion):
        line, name = r.loop.loc.line, f"loop {r.loop.name}"
        first, last, entry = self.block(r.entry, f"{name} entry", line)
        n = self.blocks[-1].number
        hi = None if r.hi.kind == "const" else r.hi
        last.actions.append(CounterInit(r, r.lo, hi, n))
        self.loops.append(r)
        self.mergeable.discard(last.index)
        body_entry, body_exits, body = self.seq(r.body)
        if body_entry is None:
            return first, [(last, None)], Node("loop", r, entry.states)
        target = _Entry.of(body_entry)
        last.transitions.append(Transition(OpValue(r.enter, n), target.state.index,
                                           target.actions))
        latch, own = self.latch(r, body_entry, body_exits)
        node = Node("loop", r, entry.states, (tuple(body),), latch=latch.index if own else None)
        return first, [(last, None), (latch, None)], node

    def latch(self, r: LoopRegion, body_entry, body_exits):
        """(the state stepping the index, whether it is a state of its own)."""
        own = not (len(body_exits) == 1 and body_exits[0][1] is None
                   and body_exits[0][0].index in self.mergeable)
        if own:
            latch = self.new_state("latch", f"loop {r.loop.name} latch", r.loop.loc.line)
            self.patch(body_exits, latch)
        else:
            latch = body_exits[0][0]
            self.mergeable.discard(latch.index)
        latch.actions.append(CounterStep(r))
        target = _Entry.of(body_entry)
        latch.transitions.append(Transition(LoopContinues(r), target.state.index,
                                            target.actions))
        return latch, own

    def counted_loop(self, r: LoopRegion):
        self.loops.append(r)
        body_entry, body_exits, body = self.seq(r.body)
        if body_entry is None:
            return None, [], Node("loop", r)
        body_entry = _Entry.of(body_entry)
        latch, own = self.latch(r, body_entry, body_exits)
        init = CounterInit(r, int(r.lo.attrs["value"]))
        node = Node("loop", r, (), (tuple(body),), latch=latch.index if own else None)
        return _Entry(body_entry.state, (init, *body_entry.actions)), [(latch, None)], node

    def pipelined_loop(self, plan):
        """One state running the modulo-scheduled nest, entered with its counters set (after
        the states computing the bounds when they are only known at run time)."""
        inner = plan.schedule.loops[-1]
        name, line = f"loop {inner.name}", inner.loc.line
        drained = PipelineDrained(plan)
        if all(r.static_trips for r in plan.regions):
            state = self.new_state("pipeline", name, line, PipelineRun(plan))
            self.pipelines.append((state.index, plan))
            node = Node("pipeline", plan.regions[0], (), pipeline=plan, wait=state.index)
            return _Entry(state, (PipelineEnter(plan),)), [(state, drained)], node
        (r,) = plan.regions
        first, last, entry = self.block(r.entry, f"{name} entry", line)
        n = self.blocks[-1].number
        self.mergeable.discard(last.index)
        state = self.new_state("pipeline", name, line, PipelineRun(plan))
        self.pipelines.append((state.index, plan))
        last.transitions.append(Transition(OpValue(r.enter, n), state.index,
                                           (PipelineEnter(plan, (r.lo, r.hi), n),)))
        node = Node("pipeline", r, entry.states, pipeline=plan, wait=state.index)
        return first, [(last, None), (state, drained)], node

    def while_loop(self, r: WhileRegion):
        first, last, cond = self.block(r.cond_block, "while condition", r.stmt.loc.line)
        n = self.blocks[-1].number
        body_entry, body_exits, body = self.seq(r.body)
        target = _Entry.of(body_entry or first)
        last.transitions.append(Transition(OpValue(r.cond, n), target.state.index,
                                           target.actions))
        self.mergeable.discard(last.index)
        self.patch(body_exits, first)
        return first, [(last, None)], Node("while", r, cond.states, (tuple(body),))

    def branch(self, r: IfRegion):
        first, last, cond_node = self.block(r.cond_block, "if condition", r.stmt.loc.line)
        n = self.blocks[-1].number
        self.mergeable.discard(last.index)
        te, tx, then = self.seq(r.then_body)
        ee, ex, else_ = self.seq(r.else_body)
        node = Node("branch", r, cond_node.states, (tuple(then), tuple(else_)))

        def go(cond, entry):
            entry = _Entry.of(entry)
            last.transitions.append(Transition(cond, entry.state.index, entry.actions))
        if te is not None:
            go(OpValue(r.cond, n), te)
            if ee is not None:
                go(None, ee)
                return first, tx + ex, node
            return first, tx + [(last, None)], node
        if ee is not None:
            go(OpValue(r.cond, n, negate=True), ee)
            return first, ex + [(last, None)], node
        return first, [(last, None)], node

    def call(self, r: CallRegion):
        name, line = r.call.callee.name, r.call.loc.line
        first, last, args = self.block(r.args_block, f"call {name} arguments", line)
        self.mergeable.discard(last.index)
        last.actions.append(CallStart(r, self.blocks[-1].number))
        wait = self.new_state("wait", f"call {name}", line)
        wait.callee = name
        wait.stall = CalleeBusy(name)
        wait.actions += [CallServe(r), CallCapture(r)]
        last.transitions.append(Transition(None, wait.index))
        return first, [(wait, None)], Node("call", r, args.states, wait=wait.index)


# --- latency -----------------------------------------------------------------------------


def static_latency(ctl: Control, controls: dict) -> int | None:
    """Cycles from the edge that samples ``start`` to the first cycle ``done`` is high, with
    no external stall, or None when data-dependent: 1 (the idle cycle) + the body."""
    body = nodes_latency(ctl.body, controls)
    return None if body is None else body + 1


def nodes_latency(nodes, controls: dict) -> int | None:
    total = 0
    for node in nodes:
        lat = node_latency(node, controls)
        if lat is None:
            return None
        total += lat
    return total


def loop_trips(r: LoopRegion) -> int | None:
    """Trips of a loop with constant bounds (possibly 0), None for run-time bounds."""
    if r.lo.kind != "const" or r.hi.kind != "const":
        return None
    lo, hi, step = int(r.lo.attrs["value"]), int(r.hi.attrs["value"]), r.loop.step
    return max(0, -((lo - hi) // step)) if step > 0 else max(0, -((hi - lo) // -step))


def loop_iteration(node: Node, controls: dict) -> int | None:
    """Cycles of one iteration of a (non-pipelined) loop node: its body plus its own latch."""
    if not node.children:
        return 0
    body = nodes_latency(node.children[0], controls)
    return None if body is None else body + (1 if node.latch is not None else 0)


def node_latency(node: Node, controls: dict) -> int | None:
    if node.kind == "block":
        return len(node.states)
    if node.kind == "pipeline":
        lat = node.pipeline.schedule.latency
        return None if lat is None else len(node.states) + lat
    if node.kind == "loop":
        per_iter = loop_iteration(node, controls)
        trips = loop_trips(node.region)
        if trips is None or per_iter is None:
            return None
        return len(node.states) + trips * per_iter
    if node.kind == "while":
        return None
    if node.kind == "branch":
        a, b = (nodes_latency(c, controls) for c in node.children)
        return None if a is None or b is None or a != b else len(node.states) + a
    if node.kind == "call":
        # the wait state lasts the callee's whole latency: it starts with the callee's idle
        inner = static_latency(controls[node.region.call.callee.name], controls)
        return None if inner is None else len(node.states) + inner
    raise ValueError(node.kind)
