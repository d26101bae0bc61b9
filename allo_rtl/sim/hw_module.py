"""What ``s.build()`` returns: the hardware, callable like the kernel.

``mod(*numpy_args)`` simulates the generated design cycle-accurately (the harness plays the
array memories), returns results like the interpreter does, updates written arguments in
place and sets ``mod.cycles``. The simulator is Amaranth's own (default), or Icarus/Verilator
through cocotb (``target="icarus"``/``"verilator"``); all three run the same harness and count
cycles with the same hardware counter. ``mod.verilog`` is the kernel's Verilog;
``mod.report()`` the report.
"""
from __future__ import annotations

from ..ir import nodes as ir
from ..ir.analysis import written_buffers
from ..rtl.build import HardwareDesign, Report
from ..rtl.interface import interface_of
from . import boundary
from .amaranth_sim import simulate
from .user_call import user_call

DEFAULT_MAX_CYCLES = 5_000_000


class HardwareModule:
    def __init__(self, design: HardwareDesign, max_cycles: int = DEFAULT_MAX_CYCLES,
                 simulator: str = "amaranth"):
        self.design, self.simulator = design, simulator
        self._cocotb = {}                 # waves flag -> CocotbSimulation (built once)
        if simulator != "amaranth":
            from .cocotb.runner import check_simulator
            check_simulator(simulator)
        self.top = design.module.top_func
        self.iface = design.interface()
        self.max_cycles = max_cycles
        self.cycles = None
        self.reads = None                 # array -> words read in the last run
        self.stall_cycles = None          # cycles the test-only stall source held the kernel
        self._written = written_buffers(self.top)
        self.board_report = None          # set by target="board" builds
        self.streams = None               # last run: FIFO occupancy, stage latencies
        self._estimator = None            # sim.cycle_module.CycleEstimator, on first estimate

    @user_call
    def __call__(self, *args, vcd=None, max_cycles=None, wrap=False):
        raw = boundary.convert_args(self.top, args, self.design.top_banks, wrap=wrap)
        limit = max_cycles or self.max_cycles
        if self.simulator == "amaranth":
            result = simulate(self.design.component, self.iface, raw, max_cycles=limit, vcd=vcd,
                              stall_seed=self.design.stall_seed)
        else:
            result = self.cocotb(waves=bool(vcd)).run(raw, limit, waves_to=vcd)
        self.cycles = result.cycles
        self.stall_cycles = result.stall_cycles
        self.streams = result.streams
        self.reads = self._reads_by_array(result.reads)
        banks = self.design.top_banks
        boundary.write_back(self.top, args, result.raw_args, self._written, banks)
        return boundary.convert_results(self.top, result.raw_results, banks, args)

    @user_call
    def estimate(self, *args, wrap=False, trace=False, sliced=True):
        """The exact cycles ``mod(*args)`` takes, from the fast cycle model
        (``sim.cycle_model``): no RTL simulation, arguments left untouched. A design whose
        control does not depend on data answers without running anything (``trace=True``
        runs the interpreter anyway); otherwise the interpreter runs only the statements
        control decisions depend on (``sim.control_slice``; ``sliced=False`` runs all).
        Raises ``CycleModelError`` for what cannot be timed exactly (the test-only stall
        source)."""
        if self._estimator is None:
            from .cycle_module import CycleEstimator
            self._estimator = CycleEstimator(self.design)
        raw = boundary.convert_args(self.top, args, self.design.top_banks, wrap=wrap)
        return self._estimator.run(raw, trace=trace, results=not sliced)[0]

    def _reads_by_array(self, per_port):
        """Reads per caller-visible array (a partitioned array's banks summed)."""
        out = {}
        for p in self.top.params + self.top.results:
            if isinstance(p, ir.Buffer):
                key = p.bank_of or p.name
                out[key] = out.get(key, 0) + per_port[p.name]
        return out

    def cocotb(self, waves: bool = False):
        """The cocotb simulation of this design (built on first use, cached on disk)."""
        if waves not in self._cocotb:
            from .cocotb.runner import CocotbSimulation
            self._cocotb[waves] = CocotbSimulation(self.design, self.iface, self.simulator, waves)
        return self._cocotb[waves]

    @property
    def verilog(self) -> str:
        return self.design.verilog

    @property
    def module(self):
        """The IR module the hardware was made from (after banking and the build's own
        rewrites; ``print`` shows it): what Allo's ``mod.module`` (its MLIR) is to its users."""
        return self.design.module

    def report(self, html=None) -> Report:
        """The report; ``html=PATH`` also writes it as one self-contained HTML page
        (``reports.html``: Gantt charts, loops, memories, units, board)."""
        data = self.design.report_dict(self.cycles, self.streams)
        if self.board_report is not None:
            data["board"] = self.board_report
        if html is not None:
            from ..reports.html import write_html
            write_html(self.design, data, html)
        return Report(data)

    def __repr__(self):
        return f"<HardwareModule {self.design.name} ({self.simulator})>"
