"""What ``s.build()`` returns: the hardware, callable like the kernel, run on Amaranth's simulator.

``mod(*numpy_args)`` simulates the generated design cycle-accurately (the testbench plays the
array memories), returns results like the interpreter does, updates written arguments in
place and sets ``mod.cycles``. ``mod.verilog`` is the Verilog; ``mod.report()`` the report.
"""
from __future__ import annotations

from ..ir.analysis import written_buffers
from ..rtl.build import HardwareDesign, Report
from ..rtl.interface import interface_of
from . import boundary
from .amaranth_sim import simulate

DEFAULT_MAX_CYCLES = 5_000_000


class HardwareModule:
    def __init__(self, design: HardwareDesign, max_cycles: int = DEFAULT_MAX_CYCLES):
        self.design = design
        self.top = design.module.top_func
        self.iface = interface_of(self.top)
        self.max_cycles = max_cycles
        self.cycles = None
        self._written = written_buffers(self.top)

    def __call__(self, *args, vcd=None, max_cycles=None):
        raw = boundary.convert_args(self.top, args)
        result = simulate(self.design.component, self.iface, raw,
                          max_cycles=max_cycles or self.max_cycles, vcd=vcd)
        self.cycles = result.cycles
        boundary.write_back(self.top, args, result.raw_args, self._written)
        return boundary.convert_results(self.top, result.raw_results)

    @property
    def verilog(self) -> str:
        return self.design.verilog

    def report(self) -> Report:
        return Report(self.design.report_dict(self.cycles))

    def __repr__(self):
        return f"<HardwareModule {self.design.name} (amaranth sim)>"
