"""The HLS pass order, in one place: IR function -> CDFG -> narrowed widths -> scheduled
blocks -> binding.

Each function of the module is synthesized once (callees before callers); the result is a
``FunctionDesign`` the RTL stage turns into an Amaranth component.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import nodes as ir
from .bind import Binding, bind_registers, bind_units
from .cdfg import (Block, CallRegion, FunctionCDFG, IfRegion, LoopRegion, WhileRegion,
                   build_cdfg)
from .list_schedule import BlockSchedule, schedule_block
from .narrow import narrow_block
from .sdc import sdc_schedule_block
from .timing import TimingModel


@dataclass
class FunctionDesign:
    function: ir.Function
    cdfg: FunctionCDFG
    schedules: dict = field(default_factory=dict)     # id(Block) -> BlockSchedule
    external_ids: set = field(default_factory=set)    # ids of buffers reached through ports
    binding: Binding = field(default_factory=Binding)

    def schedule_of(self, block: Block) -> BlockSchedule:
        return self.schedules[id(block)]


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
            yield r.args_block, tuple(a for a in r.args if not isinstance(a, ir.Buffer))


SCHEDULERS = {"sdc": sdc_schedule_block, "list": schedule_block}


def synthesize_function(f: ir.Function, timing: TimingModel,
                        scheduler: str = "sdc") -> FunctionDesign:
    external = {id(b) for b in [*f.params, *f.results] if isinstance(b, ir.Buffer)}
    design = FunctionDesign(f, build_cdfg(f), external_ids=external)
    scheduled = []
    for block, uses in _blocks_with_uses(design.cdfg.body):
        narrow_block(block, uses)
        sch = SCHEDULERS[scheduler](block, timing, external, uses)
        design.schedules[id(block)] = sch
        scheduled.append((sch, uses))
    bind_registers(scheduled, design.binding)
    bind_units(scheduled, design.binding)
    return design


def synthesize_module(module: ir.Module, timing: TimingModel, scheduler: str = "sdc") -> dict:
    """name -> FunctionDesign for every function (callees first, as the module lists them)."""
    if scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {scheduler!r}; known: {', '.join(SCHEDULERS)}")
    return {name: synthesize_function(f, timing, scheduler) for name, f in module.functions.items()}
