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
report's per-loop rows are sums over the states each node owns. Built by ``control_build``,
verified by ``control_check``, timed by ``control_latency``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .cdfg import Block, CallRegion, LoopRegion, Op
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
class StreamWait:
    """A stream transfer of state ``state`` (a block cycle's get or put, or one of an active
    pipeline position) cannot happen this cycle: its FIFO is empty (get) or full (put)."""
    state: int

    def format(self) -> str:
        return f"s{self.state}.stream_wait"


@dataclass(frozen=True)
class PortWait:
    """An access of state ``state`` to a memory port shared with other dataflow stages is
    not granted this cycle (``hls.arbitration``)."""
    state: int

    def format(self) -> str:
        return f"s{self.state}.port_wait"


@dataclass(frozen=True, eq=False)
class StagesBusy:
    """Not every stage of a dataflow region has returned yet."""
    region: object            # cdfg.DataflowRegion

    def format(self) -> str:
        return f"dataflow({self.region.stmt.name}).~all_done"


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


@dataclass(frozen=True)
class AllOf:
    conds: tuple

    def format(self) -> str:
        return " & ".join(f"({c.format()})" if isinstance(c, AnyOf) else c.format()
                          for c in self.conds)


def all_of(*conds):
    """The conjunction of the non-None ``conds`` (None: always)."""
    flat = []
    for c in conds:
        if c is not None:
            flat += list(c.conds) if isinstance(c, AllOf) else [c]
    return None if not flat else flat[0] if len(flat) == 1 else AllOf(tuple(flat))


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
    """Pulse the callee's start with the scalar arguments (ops of block ``block``; None:
    constants and scalar parameters, read from the function's inputs when ``from_idle``,
    else from the parameters' registers)."""
    call: CallRegion
    block: int | None
    from_idle: bool = False

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


@dataclass(frozen=True, eq=False)
class StagesStart:
    """Pulse every stage's start at once, with its scalar arguments (ops of block ``block``;
    ``None``: an action of the idle state, the arguments constants or the function's scalar
    parameters, taken from its inputs), and clear the region's record of which stages
    returned."""
    region: object            # cdfg.DataflowRegion
    block: int | None

    def format(self) -> str:
        return f"start {', '.join(c.call.callee.name for c in self.region.stages)}"


@dataclass(frozen=True, eq=False)
class StagesCapture:
    """Take the stages' scalar results in every cycle of the join: a stage's result
    registers hold once it has returned, so the cycle the last stage returns takes all
    final values (as ``CallCapture`` does for one call)."""
    region: object

    def format(self) -> str:
        return f"capture dataflow({self.region.stmt.name}) stage results"


@dataclass(frozen=True, eq=False)
class StagesServe:
    """Route the caller's buffers to every stage's ports, each stage its own (a buffer
    two stages use goes through an arbiter); held while waiting for the stages."""
    region: object

    def format(self) -> str:
        return f"serve dataflow({self.region.stmt.name}) stages"


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
    kind: str                 # idle | done | step | latch | pipeline | wait | join
    name: str                 # for people: what source construct this state belongs to
    line: int | None = None
    run: object = None        # BlockCycle | PipelineRun | None
    stmt: object = None       # innermost enclosing ir.For/While/Call (for messages)
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
    branch | call | dataflow (its join state in ``state``); ``states`` the states it owns directly (block cycles, a loop's entry block,
    a call's argument block), ``children`` lists of nodes (loop/while body; then and else)."""
    kind: str
    region: object
    states: tuple = ()
    children: tuple = ()
    latch: int | None = None      # loop: a latch state of its own (None: merged into the body)
    state: int | None = None      # call: its wait state; pipeline: the state running it
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
        ops = [repr(op) for op in sch.block.ops
               if (op.operands or op.info.is_stream) and sch.start.get(op) == c]
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
