"""Verifier of the Control IR (``hls.control``): the invariants the emitter and the latency
model rely on. Raises ``ControlError`` naming the state; never changes the IR."""
from __future__ import annotations

from .control import (AllOf, AnyOf, BlockCycle, CalleeBusy, Control, ControlError, CounterInit,
                      CounterStep, ExternalStall, PipelineDrained, PipelineEnter, PipelineRun,
                      StagesBusy, Start, StreamWait)

# a transition may only carry register writes that set up the region it enters, or step the
# loop whose body it leaves (a latch folded into the body's exits)
TRANSITION_ACTIONS = (CounterInit, PipelineEnter, CounterStep)


def check_control(ctl: Control):
    n = len(ctl.states)
    kinds = [s.kind for s in ctl.states]
    if kinds.count("idle") != 1 or kinds.count("done") != 1:
        raise ControlError(f"{ctl.function}: needs exactly one idle and one done state, has "
                           f"{kinds.count('idle')} and {kinds.count('done')}")
    if ctl.states[ctl.idle].kind != "idle" or ctl.states[ctl.done].kind != "done":
        raise ControlError(f"{ctl.function}: idle/done indices point at the wrong states")
    for k, st in enumerate(ctl.states):
        where = f"{ctl.function} s{k} ({st.name})"
        if st.index != k:
            raise ControlError(f"{where}: numbered {st.index}")
        if not st.transitions:
            raise ControlError(f"{where}: no transition")
        for t in st.transitions:
            if not 0 <= t.target < n:
                raise ControlError(f"{where}: transition to missing state s{t.target}")
        if any(t.cond is None for t in st.transitions[:-1]):
            raise ControlError(f"{where}: an unconditional transition hides later ones")
        for t in st.transitions:
            for a in t.actions:
                if not isinstance(a, TRANSITION_ACTIONS):
                    raise ControlError(f"{where}: {type(a).__name__} on a transition")
        _check_stall(ctl, st, where)
    _check_reachable(ctl)
    _check_block_cycles(ctl)
    _check_regions(ctl)


def _check_regions(ctl):
    """Every FSM loop counter is stepped by exactly one state; every pipeline state leaves
    only once its pipeline drained."""
    for r in ctl.loops:
        steppers = [s.index for s in ctl.states
                    if any(isinstance(a, CounterStep) and a.loop is r for a in s.actions)]
        on_exits = [s.index for s in ctl.states for t in s.transitions
                    if any(isinstance(a, CounterStep) and a.loop is r for a in t.actions)]
        if len(steppers) > 1 or (steppers and on_exits):
            raise ControlError(f"{ctl.function}: loop {r.loop.name} is stepped in states "
                               f"{steppers} and on the exits of {on_exits}")
    for index, plan in ctl.pipelines:
        st = ctl.states[index]
        if not isinstance(st.run, PipelineRun) or st.run.pipeline is not plan:
            raise ControlError(f"{ctl.function} s{index}: does not run its pipeline")
        if [t.cond for t in st.transitions if not _after_drained(t.cond)]:
            raise ControlError(f"{ctl.function} s{index}: a pipeline state may only leave "
                               "when drained")


def _after_drained(cond) -> bool:
    """``cond`` holds only once the pipeline drained (alone, or with a loop's test)."""
    return isinstance(cond, PipelineDrained) or (
        isinstance(cond, AllOf) and any(isinstance(c, PipelineDrained) for c in cond.conds))


def _check_stall(ctl, st, where):
    conds = () if st.stall is None else (
        st.stall.conds if isinstance(st.stall, AnyOf) else (st.stall,))
    for c in conds:
        if isinstance(c, ExternalStall) and not ctl.external_stall:
            raise ControlError(f"{where}: stalls on an external input the kernel lacks")
        if isinstance(c, Start) and st.kind != "idle":
            raise ControlError(f"{where}: only idle waits for start")
        if isinstance(c, CalleeBusy) and (st.kind != "wait" or c.callee != st.callee):
            raise ControlError(f"{where}: waits on {c.callee} but is not its wait state")
        if isinstance(c, StreamWait) and c.state != st.index:
            raise ControlError(f"{where}: waits on the streams of s{c.state}")
        if isinstance(c, StagesBusy) and st.kind != "join":
            raise ControlError(f"{where}: waits for dataflow stages but is not a join state")
    if st.kind == "join" and not any(isinstance(c, StagesBusy) for c in conds):
        raise ControlError(f"{where}: a join state that does not wait for its stages")
    if st.kind == "wait" and CalleeBusy(st.callee) not in conds:
        raise ControlError(f"{where}: a wait state that does not wait for its callee")
    if st.kind == "idle" and Start(negate=True) not in conds:
        raise ControlError(f"{where}: idle must stall until start")


def _check_reachable(ctl):
    seen, todo = {ctl.idle}, [ctl.idle]
    while todo:
        for t in ctl.states[todo.pop()].transitions:
            if t.target not in seen:
                seen.add(t.target)
                todo.append(t.target)
    missing = [s for s in ctl.states if s.index not in seen]
    if missing:
        raise ControlError(f"{ctl.function}: s{missing[0].index} ({missing[0].name}) is not "
                           "reachable from idle")


def _check_block_cycles(ctl):
    ran = {}
    for st in ctl.states:
        if isinstance(st.run, BlockCycle):
            key = (st.run.block, st.run.cycle)
            if key in ran:
                raise ControlError(f"{ctl.function}: block b{key[0]} cycle {key[1]} runs in "
                                   f"s{ran[key]} and s{st.index}")
            ran[key] = st.index
        elif isinstance(st.run, PipelineRun) and st.kind != "pipeline":
            raise ControlError(f"{ctl.function} s{st.index}: runs a pipeline but is a {st.kind}")
    for b in ctl.blocks:
        if len(b.states) != b.schedule.length:
            raise ControlError(f"{ctl.function}: block b{b.number} has {b.schedule.length} "
                               f"cycles but {len(b.states)} states")
        for c, s in enumerate(b.states):
            if ran.get((b.number, c)) != s:
                raise ControlError(f"{ctl.function}: block b{b.number} cycle {c} is not run "
                                   f"by s{s}")
