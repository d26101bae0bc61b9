"""The HLS pass order, in one place: IR function -> CDFG -> narrowed widths -> pipelined
multiplies (where the clock needs them) -> scheduled blocks -> binding -> control IR (the FSM,
``hls.control``).

Each function of the module is synthesized once (callees before callers); the result is a
``FunctionDesign`` the RTL stage turns into an Amaranth component.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from ..ir import nodes as ir
from .arbitration import arbitrated_params
from .bind import Binding, bind_pipeline_units, bind_registers, bind_units
from .check import check_block, check_modulo, check_unit_binding
from .cdfg import (Block, CallRegion, DataflowRegion, FunctionCDFG, IfRegion, LoopRegion,
                   WhileRegion, build_cdfg)
from .control_build import build_control
from .list_schedule import BlockSchedule, schedule_block
from .modulo import ModuloSchedule, NotPipelinable, modulo_schedule
from .narrow import narrow_block
from .pipeline_div import pipeline_const_divisions
from .pipeline_mul import pipeline_multipliers
from .sdc import sdc_schedule_block
from .timing import TimingModel
from .port_binding import bind_ports, dual_port_buffers
from .two_port import two_port_arguments


@dataclass
class FunctionDesign:
    function: ir.Function
    cdfg: FunctionCDFG
    schedules: dict = field(default_factory=dict)     # id(Block) -> BlockSchedule
    external_ids: set = field(default_factory=set)    # ids of buffers reached through ports
    # of those, the ones with a read and a write port (hls/two_port.py); the others share one
    two_port_ids: frozenset = frozenset()
    # on-chip memories with two read/write ports (RAM_T2P, hls/port_binding.py)
    dual_port_ids: frozenset = frozenset()
    # on-chip memories with one shared read/write port (SPRAM, hls/single_port.py)
    single_port_ids: frozenset = frozenset()
    binding: Binding = field(default_factory=Binding)
    pipelines: dict = field(default_factory=dict)     # id(outermost LoopRegion) -> Pipeline
    pipeline_notes: dict = field(default_factory=dict)  # id(LoopRegion) -> why not pipelined
    banks: object = None              # banking.FunctionBanks when partitions changed it
    control: object = None                            # hls.control.Control, the FSM
    # buffer parameters whose memory port other stages of a dataflow region share
    arbitrated: frozenset = frozenset()
    ram_styles: dict = field(default_factory=dict)    # memory name -> Yosys ram_style
    # float unit class -> its constructor options in this family (timing data's "options")
    unit_options: dict = field(default_factory=dict)

    def schedule_of(self, block: Block) -> BlockSchedule:
        return self.schedules[id(block)]

    @property
    def shared_port_ids(self) -> frozenset:
        """Buffers behind one shared read/write port: what the schedulers call external (the
        arguments with one port set, and SPRAM memories)."""
        return (frozenset(self.external_ids) - self.two_port_ids) | self.single_port_ids

    @property
    def dual_port_names(self) -> frozenset:
        """Array arguments with two read/write port sets (RAM_T2P)."""
        return frozenset(b.name for b in [*self.function.params, *self.function.results]
                         if id(b) in self.dual_port_ids)

    @property
    def two_port_names(self) -> frozenset:
        return frozenset(b.name for b in [*self.function.params, *self.function.results]
                         if id(b) in self.two_port_ids)


def _blocks_with_uses(regions):
    """(block, ops the FSM reads in its last cycle) for every block, in order."""
    for r in regions:
        if isinstance(r, Block):
            yield r, ()
        elif isinstance(r, LoopRegion):
            yield r.entry, (r.lo, r.hi, r.enter)
            yield from _blocks_with_uses(r.body)
        elif isinstance(r, WhileRegion):
            yield r.cond_block, (r.cond,)
            yield from _blocks_with_uses(r.body)
        elif isinstance(r, IfRegion):
            yield r.cond_block, (r.cond,)
            yield from _blocks_with_uses(r.then_body)
            yield from _blocks_with_uses(r.else_body)
        elif isinstance(r, CallRegion):
            yield r.args_block, tuple(a for a in r.args
                                      if not isinstance(a, (ir.Buffer, ir.Channel)))
        elif isinstance(r, DataflowRegion):
            yield r.args_block, tuple(a for c in r.stages for a in c.args
                                      if not isinstance(a, (ir.Buffer, ir.Channel)))


@dataclass
class Pipeline:
    regions: list                     # LoopRegions of the flattened nest, outer first
    schedule: ModuloSchedule


def requested_ii(loop: ir.For):
    ii = loop.attrs.get("pipeline")
    if ii is None or ii is False:
        return None
    return 1 if ii is True else int(ii)


def _pipeline_candidates(regions, chain=()):
    """(pipelined LoopRegion, the perfect static nest ending in it) for every loop marked
    ``pipeline``; outer loops join the nest when their body is only the next loop."""
    for r in regions:
        if isinstance(r, LoopRegion):
            here = (*chain, r) if r.static_trips else ()
            single_loop = len(r.body) == 1 and isinstance(r.body[0], LoopRegion)
            # a request on a loop whose body is one loop flattens with a request inside it;
            # with none inside, it is this loop's own (and _why_not explains the inner loop)
            if requested_ii(r.loop) is not None and (not single_loop or
                                                   not _requests_inside(r.body)):
                yield r, here or (r,)       # run-time bounds: the loop alone
                continue
            inner = here if len(r.body) == 1 else ()
            yield from _pipeline_candidates(r.body, inner)
        else:
            for attr in ("body", "then_body", "else_body"):
                yield from _pipeline_candidates(getattr(r, attr, []))


def _requests_inside(regions) -> bool:
    for r in regions:
        if isinstance(r, LoopRegion) and requested_ii(r.loop) is not None:
            return True
        for attr in ("body", "then_body", "else_body"):
            if _requests_inside(getattr(r, attr, [])):
                return True
    return False


def _why_not(r: LoopRegion):
    if len(r.body) != 1 or not isinstance(r.body[0], Block):
        inner = next((x for x in r.body if not isinstance(x, Block)), None)
        what = {LoopRegion: "a loop", IfRegion: "a branch", WhileRegion: "a while loop",
                CallRegion: "a call"}.get(type(inner), "more than one block")
        line = ""
        if inner is not None:
            node = getattr(inner, "loop", None) or getattr(inner, "stmt", None) or inner.call
            line = f" at line {node.loc.line}"
        why = r.loop.attrs.get("pipeline_inner_note")
        if isinstance(inner, LoopRegion) and why:
            return (f"its body contains {what}{line}, which pipelining does not unroll: {why}; "
                    "pipeline the inner loop instead")
        return (f"its body contains {what}{line}; unroll inner loops fully (s.unroll) or "
                "pipeline the inner loop")
    return None


def _plan_pipelines(design: FunctionDesign, timing, external) -> set:
    """Modulo-schedule every pipelinable nest; returns the ids of their body blocks."""
    bodies = set()
    for r, nest in _pipeline_candidates(design.cdfg.body):
        reason = _why_not(r)
        if reason is None:
            block = r.body[0]
            narrow_block(block, ())
            pipeline_multipliers(block, timing)
            pipeline_const_divisions(block, timing)
            try:
                sch = modulo_schedule(block, [x.loop for x in nest],
                                      [x.static_trips for x in nest], timing, external,
                                      requested_ii(r.loop))
            except NotPipelinable as e:
                reason = str(e)
            else:
                check_modulo(sch, timing)
                design.pipelines[id(nest[0])] = Pipeline(list(nest), sch)
                bodies.add(id(block))
                continue
        if r.loop.attrs.get("auto_pipeline"):     # pipeline_loops: nobody asked, no warning
            design.pipeline_notes[id(r)] = f"not pipelined (pipeline_loops): {reason}"
            continue
        design.pipeline_notes[id(r)] = f"not pipelined: {reason}"
        warnings.warn(f"{r.loop.loc}: loop {r.loop.name!r} is not pipelined: {reason}",
                      PipelineWarning, stacklevel=2)
    return bodies


class PipelineWarning(UserWarning):
    """A loop marked ``pipeline`` runs sequentially (the report says why)."""


SCHEDULERS = {"sdc": sdc_schedule_block, "list": schedule_block}


def _limit_units(design: FunctionDesign):
    """Give every float unit op the limit ``s.allocation`` set for its class (the resource
    classes read it, so every scheduler and the checker count it)."""
    limits = design.function.allocation
    if not limits:
        return
    for block, _ in _blocks_with_uses(design.cdfg.body):
        for op in block.ops:
            if op.info.pipelined and op.info.resource in limits:
                op.unit_limit = limits[op.info.resource]


def check_units(design: FunctionDesign):
    """The binding's unit sharing against the schedules it was made from."""
    blocks = [(sch.block.ops, sch.start, None) for sch in design.schedules.values()]
    blocks += [(p.schedule.block.ops, p.schedule.start, p.schedule.ii)
               for p in design.pipelines.values()]
    check_unit_binding(blocks, design.binding.unit_of)


def synthesize_function(f: ir.Function, timing: TimingModel, scheduler: str = "sdc",
                        banks=None, external_stall: bool = False,
                        arbitrated=frozenset(), two_port=frozenset(),
                        dual_port=frozenset(), single_port=frozenset()) -> FunctionDesign:
    design = FunctionDesign(f, build_cdfg(f), banks=banks, arbitrated=frozenset(arbitrated),
                            two_port_ids=frozenset(two_port),
                            dual_port_ids=frozenset(dual_port),
                            single_port_ids=frozenset(single_port),
                            unit_options=timing.float_unit_options(),
                            external_ids={id(b) for b in [*f.params, *f.results]
                                          if isinstance(b, ir.Buffer)})
    # a two-port argument is scheduled as an on-chip memory is: a read and a write per cycle
    external = set(design.shared_port_ids)
    bind_ports(design.cdfg, design.dual_port_ids)
    scheduled = []
    _limit_units(design)
    pipelined = _plan_pipelines(design, timing, external)
    for block, uses in _blocks_with_uses(design.cdfg.body):
        if id(block) in pipelined:
            continue
        narrow_block(block, uses)
        pipeline_multipliers(block, timing)
        pipeline_const_divisions(block, timing)
        sch = SCHEDULERS[scheduler](block, timing, external, uses)
        check_block(sch, timing)
        design.schedules[id(block)] = sch
        scheduled.append((sch, uses))
    bind_registers(scheduled, design.binding)
    bind_units(scheduled, design.binding)
    bind_pipeline_units([p.schedule for p in design.pipelines.values()], design.binding)
    check_units(design)
    design.control = build_control(design, external_stall)
    return design


def synthesize_module(module: ir.Module, timing: TimingModel, banks: dict | None = None,
                      scheduler: str = "sdc", external_stall: bool = False,
                      single_port=None) -> dict:
    """name -> FunctionDesign for every function (callees first, as the module lists them);
    ``banks``: function name -> banking.FunctionBanks (from ``banking.bank_module``);
    ``external_stall``: every function's FSM also holds on a test-only ``stall`` input;
    ``single_port``: function name -> ids of its SPRAM memories (``single_port.py``)."""
    if scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {scheduler!r}; known: {', '.join(SCHEDULERS)}")
    banks, single_port = banks or {}, single_port or {}
    shared = arbitrated_params(module)
    two_port = two_port_arguments(module)
    return {name: synthesize_function(f, timing, scheduler, banks.get(name), external_stall,
                                      shared.get(name, ()), two_port[name],
                                      dual_port_buffers(f, name == module.top),
                                      single_port.get(name, frozenset()))
            for name, f in module.functions.items()}
