"""From an IR module to hardware: synthesize every function, wrap the top as a component
factory, emit Verilog, and write a project directory (Verilog + JSON report)."""
from __future__ import annotations

import json
import time
from pathlib import Path

from amaranth.back import verilog

from ..errors import AlloError
from ..hls.auto_pipeline import auto_pipeline_module
from ..hls.banking import bank_module, unify_partitions
from ..hls.memory_plan import plan_memories, ram_styles
from ..hls.port_binding import refuse_unbuildable
from ..hls.single_port import plan_single_port
from ..hls.printer import format_design
from .port_names import rename_control_port_params
from ..hls.promote import promote_module
from ..hls.scalarize import scalarize_module
from ..hls.unroll_inner import unroll_in_pipelines, unroll_partitioned_inits
from ..hls.report import float_unit_stages, format_report, function_report
from ..hls.synthesize import synthesize_module
from ..hls.timing import TimingModel
from ..ir import nodes as ir
from .interface import interface_of
from .lower import KernelComponent


DEFAULT_STALL_SEED = 0xACE1


class HardwareDesign:
    """The synthesized hardware of a module (all functions), independent of any simulator.

    ``stall_source`` (tests only): True or a 16-bit LFSR seed gives every kernel of the
    hierarchy a ``stall`` input that holds its FSM and pipelines, and the simulation harness
    drives it pseudo-randomly (``sim.harness``); results must not change, only cycles.
    ``spram_blocks``: the SB_SPRAM256KA blocks of the part (a board's; None: the family's
    usual part, 4 on iCE40 and in simulation, none on ECP5).
    ``pipeline_loops``: pipeline innermost loops of at least that many iterations that the
    schedule leaves alone (``hls.auto_pipeline``; None: off)."""

    def __init__(self, module: ir.Module, family: str = "generic", clock_ns: float | None = None,
                 stall_source: bool | int = False, fifo_depth_mode: str = "declared",
                 spram_blocks: int | None = None, pipeline_loops: int | None = None):
        t0 = time.perf_counter()
        self.fifo_depth_mode = fifo_depth_mode
        # pipelined loops unroll their inner loops (unroll_inner.py) and keep fixed elements in
        # registers (promote.py); then partitioned arrays
        # become their banks; how, per function, is part of the result
        # a parameter called like a control port (start, done, ...) gets another port name
        module = rename_control_port_params(module)
        # pipeline_loops=N: innermost loops of N+ iterations pipelined as if scheduled
        module, self.auto_pipelined = auto_pipeline_module(module, pipeline_loops)
        # a partition reaches the arrays passed to the callee that asks for it
        module = unify_partitions(module)
        promoted, self.promoted = promote_module(unroll_in_pipelines(
            unroll_partitioned_inits(module)))
        banked, self.banks = bank_module(promoted)
        # one-word local arrays (complete partitions' banks) are registers
        self.module, self.scalarized = scalarize_module(banked, owned=banked is not module)
        refuse_unbuildable(self.module, family)      # RAM_T2P where block RAM has 1R + 1W
        # SPRAM requests: one shared read/write port where the part and the array allow
        self.single_port = plan_single_port(self.module, family, spram_blocks)
        self.timing = TimingModel(family, clock_ns)
        self.stall_seed = (None if not stall_source else
                           DEFAULT_STALL_SEED if stall_source is True else int(stall_source))
        self.designs = synthesize_module(self.module, self.timing, self.banks,
                                         external_stall=self.stall_seed is not None,
                                         single_port=self.single_port.ids)
        # @ Memory(...) requests: Yosys ram_style per memory (warned where not honoured)
        self.memory_plans = plan_memories(module, self.module, family,
                                          self.single_port.placements)
        for name, d in self.designs.items():
            d.ram_styles = ram_styles(self.memory_plans.get(name, []))
        self.synthesis_seconds = time.perf_counter() - t0
        self._verilog = None

    @property
    def name(self) -> str:
        return self.module.top

    @property
    def top_banks(self):
        """How banking changed the top function's signature (None: it did not)."""
        return self.banks.get(self.module.top)

    def interface(self):
        """The top kernel's interface, its arrays' memories as their requests ask."""
        top = self.designs[self.module.top]
        spram = {b.name for b in [*top.function.params, *top.function.results]
                 if id(b) in top.single_port_ids}
        return interface_of(top.function, top.ram_styles, top.two_port_names,
                            top.dual_port_names, spram)

    def component(self, spram_cells: bool = False) -> KernelComponent:
        """A fresh Amaranth component of the top function; ``spram_cells``: SPRAM memories
        as SB_SPRAM256KA instances (an iCE40 UltraPlus board build; no simulator has them)."""
        return KernelComponent(self.designs[self.module.top], self.designs, spram_cells)

    @property
    def verilog(self) -> str:
        if self._verilog is None:
            self._verilog = verilog.convert(self.component(), name=self.name, emit_src=False)
        return self._verilog

    def dump(self, what: str = "all") -> str:
        """The HLS stage's decisions per function, callees first: its CDFG, every block's
        schedule and every pipeline's modulo schedule (``what``: "all", or a function
        name)."""
        names = list(self.designs) if what == "all" else [what]
        unknown = [n for n in names if n not in self.designs]
        if unknown:
            raise AlloError(f"dump: no function named {unknown[0]!r}",
                            hint=f"functions: {', '.join(self.designs)}")
        return "\n\n".join(format_design(self.designs[n]) for n in names)

    def report_dict(self, cycles=None, streams=None) -> dict:
        """``streams``: a run's FIFO occupancy and stage latencies (``rtl.streams``)."""
        extra = {} if streams is None else dict(streams, fifo_depth_mode=self.fifo_depth_mode)
        return {**extra,
                "top": self.name, "family": self.timing.family, "clock_ns": self.timing.clock_ns,
                "cycles": cycles, "synthesis_seconds": round(self.synthesis_seconds, 4),
                "functions": [function_report(d, self.designs) for d in self.designs.values()],
                "promotions": [p.to_dict() for p in self.promoted],
                "memory_requests": {f: [p.to_dict() for p in rows]
                                    for f, rows in self.memory_plans.items()},
                "scalarized": list(self.scalarized),
                "float_unit_stages": float_unit_stages(self.designs, self.timing)}

    def write_project(self, project) -> Path:
        out = Path(project)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{self.name}.v").write_text(self.verilog)
        (out / f"{self.name}.report.json").write_text(json.dumps(self.report_dict(), indent=2))
        return out / f"{self.name}.v"


class Report:
    """``mod.report()``: prints as text, ``.to_dict()`` for tools."""

    def __init__(self, data: dict):
        self._data = data

    def to_dict(self) -> dict:
        return self._data

    def __str__(self):
        return format_report(self._data)

    __repr__ = __str__
