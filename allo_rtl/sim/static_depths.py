"""``s.build(fifo_depth="static")``: FIFO depths computed from the stages' schedules.

Only for regions whose stages' control no input can change (``ir.fifo_depths.static_region``):
then every transfer's cycle is fixed by the schedules. Each stream's occupancy (the most
items it holds when no FIFO is ever full) comes from

* **schedules**: ``hls.fifo_analysis`` reads each stage's transfers off its Control IR and
  replays the region with unbounded FIFOs -- no simulation -- where every stage's tree is
  one it reads (blocks, counted loops, pipelines);
* **simulation**: otherwise (a stage with a branch or a call), one simulation on zero
  inputs (no user data is needed) with FIFOs deep enough never to fill.

Each stream is then built ``occupancy + 1`` deep, so no put ever finds its FIFO full, and a
run of the sized design checks exactly that (the replay holds an elastic pipeline as a
whole, and the deep FIFOs of a simulation have one cycle more latency than a small LUT
FIFO); a stream that filled up is deepened and the check repeated, and its method says so.
The methods are reported per stream (``depth_method``). A region with data-dependent
control is refused with a pointer to ``fifo_depth="auto"`` (sizing by a run on
representative inputs).
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


def _with_depths(module, depths: dict, methods: dict | None = None) -> ir.Module:
    """A copy of ``module`` whose streams (region locals and the stage parameters standing
    for them) have the depths ``depths`` gives their label (sized by ``methods[label]``)."""
    out = copy.deepcopy(module)
    for f in out.functions.values():
        for sym in [*f.locals, *f.params]:
            if isinstance(sym, ir.Channel):
                outer = sym
                while outer.outer is not None:
                    outer = outer.outer
                if outer.label in depths:
                    sym.type = StreamType(sym.type.elem, depths[outer.label])
                    sym.depth_method = (methods or {}).get(outer.label, "")
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


def _labels(module) -> set:
    return {c.label for f in module.functions.values() for c in f.locals
            if isinstance(c, ir.Channel)}


def _fifo_latency(depth: int) -> int:
    """Cycles from a put into an empty FIFO that deep to the item at its output
    (``rtl.streams.make_fifo``: a LUT FIFO shows it the next cycle, a buffered one after
    one cycle more)."""
    from ..rtl.streams import LUT_FIFO_MAX_DEPTH
    return 1 if depth <= LUT_FIFO_MAX_DEPTH else 2


def static_depths(module, family="generic", clock_ns=None):
    """(a copy of ``module`` with computed depths, label -> depth, label -> method)."""
    from ..hls.fifo_analysis import region_occupancies
    from ..rtl.build import HardwareDesign
    refuse_dynamic(module)
    design = HardwareDesign(module, family, clock_ns, fifo_depth_mode="static")
    from ..rtl.pipeline import elastic
    occ = region_occupancies(design.designs, _fifo_latency,
                             lambda d, sch: elastic(sch, d.arbitrated))
    methods = {name: "schedules" for name in occ}
    rest = _labels(module) - occ.keys()
    if rest:
        simulated = _occupancy(with_deep_fifos(module, AUTO_DEPTH), family, clock_ns)
        occ.update({name: simulated[name] for name in rest if name in simulated})
        methods.update({name: "simulation" for name in rest})
    depths = {name: v + 1 for name, v in occ.items()}
    for _ in range(MAX_ROUNDS):
        sized = _with_depths(module, depths, methods)
        again = _occupancy(sized, family, clock_ns)
        full = {n for n, v in again.items() if v >= depths[n]}
        if not full:
            return sized, depths, methods
        depths.update({n: depths[n] * 2 for n in full})
        methods.update({n: methods[n].split(",")[0] + ", deepened by the check run"
                        for n in full})
    raise AlloError("fifo_depth='static': the computed FIFO depths did not settle; "
                    "please report this kernel", hint="use fifo_depth='auto' meanwhile")
