"""Builds the Control IR (``hls.control``) of a synthesized function.

Assumes a finished ``FunctionDesign`` (CDFG, block schedules, pipelines). Guarantees a checked
``Control`` whose states follow the CDFG regions in program order: idle first, then each
region's states as the walk meets them, done last; a loop's latch joins the last state of its
body when that body ends in a block, so an iteration costs exactly the body's states, and a
counted loop (constant bounds, at least one trip) needs no entry state.
"""
from __future__ import annotations

from ..ir import nodes as ir
from .cdfg import Block, CallRegion, DataflowRegion, IfRegion, LoopRegion, WhileRegion
from .control import (BlockCycle, BlockRun, CallCapture, CallServe, CallStart, CalleeBusy,
                      CaptureParams, Control, CounterInit, CounterStep, ExternalStall,
                      LoopContinues, Node, OpValue, PipelineDrained, PipelineEnter, PipelineRun,
                      PortWait, StagesBusy, StagesCapture, StagesServe, StagesStart, Start, State, StreamWait,
                      Transition, all_of, any_of)


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
        self.idle_actions = []       # actions of the idle state's start (a region started there)
        self.previous_call = None    # the wait state of the call just before the region lowered
        self.enclosing = []          # loop/while/call statements around the region lowered

    def build(self, external_stall: bool) -> Control:
        idle = self.new_state("idle", "idle")
        entry, exits, body = self.seq(self.design.cdfg.body)
        done = self.new_state("done", "done")
        done.transitions.append(Transition(None, idle.index))
        self.patch(exits, done)
        idle.actions += [CaptureParams(), *self.idle_actions]
        idle.stall = Start(negate=True)
        target = _Entry.of(entry or done)
        idle.transitions.append(Transition(None, target.state.index, target.actions))
        for st in self.states:
            if self.transfers(st):
                st.stall = any_of(st.stall, StreamWait(st.index))
            if self.shared_accesses(st):
                st.stall = any_of(st.stall, PortWait(st.index))
        if external_stall:
            for st in self.states[1:]:
                st.stall = any_of(st.stall, ExternalStall())
        return Control(self.design.function.name, self.states, self.blocks, body, self.loops,
                       self.pipelines, external_stall, idle.index, done.index)

    def transfers(self, st: State) -> list:
        """The stream gets and puts ``st`` runs (a block cycle's, or its pipeline's)."""
        if isinstance(st.run, BlockCycle):
            sch = self.blocks[st.run.block].schedule
            return [op for op in sch.block.ops
                    if op.info.is_stream and sch.start[op] == st.run.cycle]
        if isinstance(st.run, PipelineRun):
            return [op for op in st.run.pipeline.schedule.block.ops if op.info.is_stream]
        return []

    def shared_accesses(self, st: State) -> list:
        """The accesses ``st`` makes to memory ports shared with other stages."""
        shared = self.design.arbitrated
        if not shared:
            return []
        if isinstance(st.run, BlockCycle):
            sch = self.blocks[st.run.block].schedule
            ops = [op for op in sch.block.ops if sch.start.get(op) == st.run.cycle]
        elif isinstance(st.run, PipelineRun):
            ops = st.run.pipeline.schedule.block.ops
        else:
            return []
        return [op for op in ops if op.info.is_memory and op.buf.name in shared]

    def new_state(self, kind: str, name: str, line=None, run=None) -> State:
        st = State(len(self.states), kind, name, line, run)
        st.stmt = self.enclosing[-1] if self.enclosing else None
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
            # a call right after a call may start in the first one's last cycle (call())
            self.previous_call = (self.states[nodes[-1].state] if nodes and
                                  nodes[-1].kind == "call" else None)
            first, exits, node = self.region(r)
            self.previous_call = None
            nodes.append(node)
            if first is None:          # a region with nothing to do (empty loop body)
                continue
            if entry is None:
                entry = first
            self.patch(pending, first)
            pending = exits
        return entry, pending, nodes

    def region(self, r):
        """Lower one region; states made inside a loop, while or call remember that
        statement (``State.stmt``), so a run that never ends can name its source line."""
        stmt = (r.loop if isinstance(r, LoopRegion) else r.stmt if isinstance(r, (WhileRegion,
                                                                               DataflowRegion))
                else r.call if isinstance(r, CallRegion) else None)
        if stmt is None:
            return self.region_states(r)
        self.enclosing.append(stmt)
        try:
            return self.region_states(r)
        finally:
            self.enclosing.pop()

    def region_states(self, r):
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
        if isinstance(r, DataflowRegion):
            return self.dataflow(r)
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
        hi = None if r.hi.info.is_const else r.hi
        last.actions.append(CounterInit(r, r.lo, hi, n))
        self.loops.append(r)
        self.mergeable.discard(last.index)
        body_entry, body_exits, body = self.seq(r.body)
        if body_entry is None:
            return first, [(last, None)], Node("loop", r, entry.states)
        target = _Entry.of(body_entry)
        last.transitions.append(Transition(OpValue(r.enter, n), target.state.index,
                                           target.actions))
        latch, exits = self.latch(r, body_entry, body_exits)
        node = Node("loop", r, entry.states, (tuple(body),), latch=latch)
        return first, [(last, None), *exits], node

    def latch(self, r: LoopRegion, body_entry, body_exits):
        """Step the index and test it where the body ends: (the latch's own state or None,
        the loop's exits). The step joins the body's last state when that is a block ending
        the body alone; it rides on the body's exit transitions when each leaves a pipeline
        (once drained) or a block (``_foldable``) -- a pipelined loop inside a loop then
        costs no cycle between its runs; otherwise the latch is a state of its own."""
        target = _Entry.of(body_entry)
        if (len(body_exits) == 1 and body_exits[0][1] is None
                and body_exits[0][0].index in self.mergeable):
            latch = body_exits[0][0]
            self.mergeable.discard(latch.index)
            latch.actions.append(CounterStep(r))
            latch.transitions.append(Transition(LoopContinues(r), target.state.index,
                                                target.actions))
            return None, [(latch, None)]
        if all(self._foldable(st) for st, _ in body_exits):
            for st, cond in body_exits:
                st.transitions.append(Transition(all_of(cond, LoopContinues(r)),
                                                 target.state.index,
                                                 (CounterStep(r), *target.actions)))
                self.mergeable.discard(st.index)
            return None, list(body_exits)
        latch = self.new_state("latch", f"loop {r.loop.name} latch", r.loop.loc.line)
        self.patch(body_exits, latch)
        latch.actions.append(CounterStep(r))
        latch.transitions.append(Transition(LoopContinues(r), target.state.index,
                                            target.actions))
        return latch.index, [(latch, None)]

    @staticmethod
    def _foldable(st: State) -> bool:
        """A state whose exit may also step a loop: a pipeline's, or a block's that steps no
        counter itself (the step and the entry's counter set-up are register writes of the
        transition taken, as a region's entry is)."""
        return st.kind == "pipeline" or (
            st.kind == "step" and not any(isinstance(a, CounterStep) for a in st.actions))

    def counted_loop(self, r: LoopRegion):
        self.loops.append(r)
        body_entry, body_exits, body = self.seq(r.body)
        if body_entry is None:
            return None, [], Node("loop", r)
        body_entry = _Entry.of(body_entry)
        latch, exits = self.latch(r, body_entry, body_exits)
        init = CounterInit(r, r.lo.value)
        node = Node("loop", r, (), (tuple(body),), latch=latch)
        return _Entry(body_entry.state, (init, *body_entry.actions)), exits, node

    def pipelined_loop(self, plan):
        """One state running the modulo-scheduled nest, entered with its counters set (after
        the states computing the bounds when they are only known at run time)."""
        inner = plan.schedule.loops[-1]
        name, line = f"loop {inner.name}", inner.loc.line
        drained = PipelineDrained(plan)
        if all(r.static_trips for r in plan.regions):
            state = self.new_state("pipeline", name, line, PipelineRun(plan))
            self.pipelines.append((state.index, plan))
            node = Node("pipeline", plan.regions[0], (), pipeline=plan, state=state.index)
            return _Entry(state, (PipelineEnter(plan),)), [(state, drained)], node
        (r,) = plan.regions
        first, last, entry = self.block(r.entry, f"{name} entry", line)
        n = self.blocks[-1].number
        self.mergeable.discard(last.index)
        state = self.new_state("pipeline", name, line, PipelineRun(plan))
        self.pipelines.append((state.index, plan))
        last.transitions.append(Transition(OpValue(r.enter, n), state.index,
                                           (PipelineEnter(plan, (r.lo, r.hi), n),)))
        node = Node("pipeline", r, entry.states, pipeline=plan, state=state.index)
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
        early = self._early_start(r)
        if early is not None:         # started on the way in: no arguments state
            wait = self._call_wait(r, name, line)
            if early == "idle":
                self.idle_actions.append(CallStart(r, None, from_idle=True))
            else:
                early.actions.append(CallStart(r, None))
            return wait, [(wait, None)], Node("call", r, (), state=wait.index)
        first, last, args = self.block(r.args_block, f"call {name} arguments", line)
        self.mergeable.discard(last.index)
        last.actions.append(CallStart(r, self.blocks[-1].number))
        wait = self._call_wait(r, name, line)
        last.transitions.append(Transition(None, wait.index))
        return first, [(wait, None)], Node("call", r, args.states, state=wait.index)

    def _call_wait(self, r: CallRegion, name: str, line) -> State:
        wait = self.new_state("wait", f"call {name}", line)
        wait.callee = name
        wait.stall = CalleeBusy(name)
        wait.actions += [CallServe(r), CallCapture(r)]
        return wait

    def _early_start(self, r: CallRegion):
        """Where a call whose arguments need no computing (constants and scalar parameters,
        read from the function's inputs) may pulse its callee's start instead of in an
        arguments state of its own (a cycle of every such call saved): "idle" when the call
        is the first thing the function does (not inside a loop), or the wait state of the
        call just before it in the same sequence -- in that wait's last cycle, when its callee
        returns -- unless both call one function (one instance: it is still in its done
        state then, and would miss the start). None: an arguments state."""
        if not self._args_need_no_computing(r.args_block):
            return None
        if len(self.states) == 1 and len(self.enclosing) == 1:
            return "idle"
        prev = self.previous_call
        if prev is not None and prev.callee != r.call.callee.name:
            return prev
        return None

    def dataflow(self, r: DataflowRegion):
        """Every stage starts in the cycle the arguments block ends (or with the function,
        ``_starts_from_idle``); one join state serves all of them until each has returned
        (its done seen once)."""
        name, line = r.stmt.name or "region", r.stmt.loc.line
        if self._starts_from_idle(r):
            join = self._join(r, name, line)
            self.idle_actions.append(StagesStart(r, None))
            return join, [(join, None)], Node("dataflow", r, (), state=join.index)
        first, last, args = self.block(r.args_block, f"dataflow {name} arguments", line)
        self.mergeable.discard(last.index)
        last.actions.append(StagesStart(r, self.blocks[-1].number))
        join = self._join(r, name, line)
        last.transitions.append(Transition(None, join.index))
        return first, [(join, None)], Node("dataflow", r, args.states, state=join.index)

    def _join(self, r: DataflowRegion, name: str, line) -> State:
        join = self.new_state("join", f"dataflow {name}", line)
        join.stall = StagesBusy(r)
        join.actions.append(StagesServe(r))
        if any(isinstance(o, ir.Scalar) for c in r.stages for o in c.call.outs):
            join.actions.append(StagesCapture(r))
        return join

    def _starts_from_idle(self, r: DataflowRegion) -> bool:
        """Whether the stages may start with the function itself, in the idle state's start
        cycle, instead of in an arguments state after it (a cycle of every call saved): the
        region is the first thing the function does (no state made before it, not inside a
        loop that would re-enter it) and its arguments need no computing -- constants and
        scalar parameters, which the stages then take from the function's own inputs (its
        registers are written in that very cycle)."""
        if len(self.states) != 1 or len(self.enclosing) != 1:
            return False
        return self._args_need_no_computing(r.args_block)

    def _args_need_no_computing(self, block) -> bool:
        """Every op of an arguments block is a constant or a read of a scalar parameter."""
        params = {id(p) for p in self.design.function.params if isinstance(p, ir.Scalar)}
        return all(op.info.is_const or (op.info.reads_var and id(op.var) in params)
                   for op in block.ops)
