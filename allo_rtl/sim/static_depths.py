"""``s.build(fifo_depth="static")``: FIFO depths computed from the stages' schedules.

Only for regions whose stages' control no input can change (``ir.fifo_depths.static_region``):
then every transfer's cycle is fixed by the schedules, so one simulation on any inputs -- here
zeros, so no user data is needed -- with FIFOs deep enough never to fill gives each stream's
occupancy for every input. Each stream is then built ``occupancy + 1`` deep, so no put ever
finds its FIFO full, and a second run of the sized design checks exactly that (a small FIFO
is a LUT FIFO with less latency than the deep block-RAM one, which shifts the timing, by a
cycle in the tests; a stream that filled up is deepened and the check repeated). A region with data-dependent control is
refused with a pointer to ``fifo_depth="auto"`` (sizing by a run on representative inputs).
"""
from __future__ import annotations

import copy

import numpy as np

from ..errors import AlloError
from ..ir import nodes as ir
from ..ir.fifo_depths import AUTO_DEPTH, static_region, with_deep_fifos
from ..ir.streams import StreamType
from . import boundary

MAX_ROUNDS = 4


def _zeros(top: ir.Function, banks) -> list:
    args = []
    for p in boundary._user_params(top, banks):
        if isinstance(p, ir.Buffer):
            args.append(np.zeros(p.shape, np.float64 if p.dtype.is_float else np.int64))
        else:
            args.append(0.0 if p.type.is_float else 0)
    return args


def _occupancy(module, family, clock_ns) -> dict:
    """Stream label -> most items held, from one zero-input Amaranth run of ``module``."""
    from ..rtl.build import HardwareDesign
    from .hw_module import HardwareModule
    design = HardwareDesign(module, family, clock_ns, fifo_depth_mode="static")
    mod = HardwareModule(design)
    mod(*_zeros(mod.top, design.top_banks), wrap=True)
    rows = (mod.streams or {}).get("streams", [])
    return {r["name"]: max(r["max_occupancy"], 0) for r in rows}


def _with_depths(module, depths: dict) -> ir.Module:
    """A copy of ``module`` whose streams (region locals and the stage parameters standing
    for them) have the depths ``depths`` gives their label."""
    out = copy.deepcopy(module)
    for f in out.functions.values():
        for sym in [*f.locals, *f.params]:
            if isinstance(sym, ir.Channel):
                outer = sym
                while outer.outer is not None:
                    outer = outer.outer
                if outer.label in depths:
                    sym.type = StreamType(sym.type.elem, depths[outer.label])
    return out


def refuse_dynamic(module):
    for f in module.functions.values():
        has_region = any(isinstance(s, ir.Dataflow) for s in ir.walk_stmts(f.body))
        if has_region and any(isinstance(c, ir.Channel) for c in f.locals) \
                and not static_region(f):
            raise AlloError(f"fifo_depth='static': a stage of the dataflow region in {f.name} "
                            "has control an input can change (a while loop, or a loop bound or "
                            "condition computed from data), so no depth holds for every input",
                            f.loc, hint="build with fifo_depth='auto', run representative "
                                        "inputs and declare the depths mod.report() suggests")


def static_depths(module, family="generic", clock_ns=None):
    """(a copy of ``module`` with computed depths, label -> depth)."""
    refuse_dynamic(module)
    occ = _occupancy(with_deep_fifos(module, AUTO_DEPTH), family, clock_ns)
    depths = {name: v + 1 for name, v in occ.items()}
    for _ in range(MAX_ROUNDS):
        sized = _with_depths(module, depths)
        again = _occupancy(sized, family, clock_ns)
        full = {n for n, v in again.items() if v >= depths[n]}
        if not full:
            return sized, depths
        depths.update({n: depths[n] * 2 for n in full})
    raise AlloError("fifo_depth='static': the computed FIFO depths did not settle; "
                    "please report this kernel", hint="use fifo_depth='auto' meanwhile")
