"""What ``s.build(target="cycles")`` returns: the kernel run by the fast cycle model.

``mod(*args)`` computes the results with the reference interpreter on the synthesized module
and sets ``mod.cycles`` to the exact count the RTL would take (``sim.cycle_model``), without
building or simulating any RTL; ``mod.report()`` is the hardware report with those cycles.
``HardwareModule.estimate`` uses the same functions for a design already built.
"""
from __future__ import annotations

from ..ir.analysis import written_buffers
from ..rtl.build import HardwareDesign, Report
from . import boundary
from .control_slice import control_slice, decisions
from .cycle_model import static_cycles, traced_cycles
from .user_call import user_call


class CycleEstimator:
    """The cycle model of one ``HardwareDesign``: static count cached, trace when needed."""

    def __init__(self, design: HardwareDesign):
        self.design = design
        self.controls = {n: d.control for n, d in design.designs.items()}
        self.static = static_cycles(self.controls, design.module.top)
        self._slice = None                # control_slice of the top, on first sliced run

    def run(self, raw_args: list, trace: bool = False, results: bool = True):
        """(cycles, raw results or None); ``trace`` forces the interpreter even when the
        count is static; ``results=False`` runs only the control slice (no results)."""
        if self.static is not None and not trace:
            return self.static, None
        keep = None
        if not results:
            if self._slice is None:
                top = self.design.module.top_func
                self._slice = control_slice(top, decisions(self.controls))
            keep = self._slice
        return traced_cycles(self.design.module, self.controls, raw_args, keep)


class CycleModule:
    def __init__(self, design: HardwareDesign):
        self.design = design
        self.top = design.module.top_func
        self.estimator = CycleEstimator(design)
        self.cycles = None
        self._written = written_buffers(self.top)

    @user_call
    def __call__(self, *args, wrap=False):
        banks = self.design.top_banks
        raw = boundary.convert_args(self.top, args, banks, wrap=wrap)
        self.cycles, results = self.estimator.run(raw, trace=True)
        boundary.write_back(self.top, args, raw, self._written, banks)
        return boundary.convert_results(self.top, results, banks, args)

    def report(self, html=None) -> Report:
        data = self.design.report_dict(self.cycles)
        if html is not None:
            from ..reports.html import write_html
            write_html(self.design, data, html)
        return Report(data)

    def __repr__(self):
        return f"<CycleModule {self.design.name} (fast cycle model)>"
