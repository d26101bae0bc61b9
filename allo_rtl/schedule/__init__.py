"""The Schedule object ``allo.customize`` returns: the parsed kernel plus (later) its
hardware customizations, and ``build`` for every target."""
from __future__ import annotations

from ..errors import AlloError
from ..frontend import parse_module
from ..ir import nodes as ir
from ..ir.printer import format_module

PYTHON_TARGETS = ("python", "llvm")


class Schedule:
    def __init__(self, module: ir.Module):
        self.module = module
        self.primitives: list = []       # (name, args, location) in the order applied

    @property
    def top(self) -> ir.Function:
        return self.module.top_func

    def __str__(self):
        return format_module(self.module)

    def __getattr__(self, name):
        # s.A names the top function's buffer A (Allo's handle style), e.g. s.partition(s.A)
        if name.startswith("_") or name in ("module", "primitives"):
            raise AttributeError(name)
        for sym in self.module.top_func.symbols():
            if isinstance(sym, ir.Buffer) and sym.name == name:
                return sym
        raise AttributeError(f"kernel {self.module.top} has no array named {name!r}")

    def get_loops(self, fn: str | None = None) -> list:
        """The loop handles (names) of a function, outer before inner."""
        f = self.module.functions[fn] if fn else self.top
        return [loop.name for loop in ir.loops(f.body)]

    def build(self, target: str | None = None, project=None, family: str = "generic",
              clock_ns: float | None = None, **options):
        """Build the kernel.

        * ``None``/"amaranth" (default): hardware simulated cycle-accurately by Amaranth.
        * "python" / "llvm": the bit-accurate reference interpreter.
        * "verilog": writes ``project/<kernel>.v`` and a JSON report, returns the module.
        * "icarus" / "verilator": the same hardware, simulated by cocotb on that simulator.
        * "board": a bitstream for ``board=NAME`` in ``project=DIR`` (``mode="uart"`` host
          link or ``"bist"``); ``mod.board_report`` and ``mod.report()`` carry Fmax and
          utilization. Talk to the board with ``allo_rtl.boards.Device(port, s)``.
        """
        if target in PYTHON_TARGETS:
            from ..sim.reference import ReferenceModule
            return ReferenceModule(self.module)
        if target in (None, "amaranth", "verilog", "icarus", "verilator"):
            from ..rtl.build import HardwareDesign
            from ..sim.hw_module import HardwareModule
            simulator = target if target in ("icarus", "verilator") else "amaranth"
            mod = HardwareModule(HardwareDesign(self.module, family, clock_ns),
                                 simulator=simulator, **options)
            if target == "verilog":
                if project is None:
                    raise AlloError("target='verilog' needs project=DIR to write into",
                                    hint="s.build(target='verilog', project='out/')")
                mod.design.write_project(project)
            return mod
        if target == "board":
            return self._build_board(project, family, clock_ns, **options)
        raise AlloError(f"unknown build target {target!r}",
                        hint="targets: None (Amaranth simulation), 'icarus', 'verilator', "
                             "'verilog', 'board', 'python', 'llvm'")

    def _build_board(self, project, family, clock_ns, board=None, clock_mhz=None,
                     mode="uart", **options):
        from ..boards.build import build_bitstream
        from ..boards.registry import get_board
        from ..rtl.build import HardwareDesign
        from ..sim.hw_module import HardwareModule
        if board is None or project is None:
            raise AlloError("target='board' needs board=NAME and project=DIR",
                            hint="s.build(target='board', board='icebreaker', project='build/ice')")
        info = get_board(board)
        clock_ns = clock_ns or (1000.0 / clock_mhz if clock_mhz else None)
        design = HardwareDesign(self.module, info.family, clock_ns)
        mod = HardwareModule(design)
        mod.board_report = build_bitstream(design, board, project, mode=mode,
                                           clock_mhz=clock_mhz, **options)
        return mod


def customize(fn, instantiate=None, verbose: bool = False, **_ignored) -> Schedule:
    """Parse and type-check ``fn`` (and the kernels it calls) into a Schedule."""
    s = Schedule(parse_module(fn, instantiate))
    if verbose:
        print(s)
    return s
